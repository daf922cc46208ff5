// Incremental parsing gives exactly the AST a fresh parse gives, for every version of a file while it
// is typed, edited and broken; and a keystroke inside one statement re-lowers only that statement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IncrementalParser, loadParser } from '../../server/src/engine';
import { parseModule } from '../../server/src/engine/syntax/module';
import type { PyModule } from '../../server/src/engine/syntax/ast';
import { ROOT } from '../support/paths';
import { rng } from '../support/rng';

const plain = (m: PyModule): string => JSON.stringify({ ...m, comments: [...m.comments].sort((a, b) => a[0] - b[0]) });

test('every version of an edited file parses as a fresh parse does', async () => {
  await loadParser();
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.py'));
  const rand = rng(7);
  let versions = 0;
  let reused = 0;
  for (const f of files) {
    let text = readFileSync(join(ROOT, 'examples', f), 'utf8');
    const inc = new IncrementalParser();
    assert.equal(plain(inc.parse(text)), plain(parseModule(text)));
    for (let step = 0; step < 40; step++) {
      const at = Math.floor(rand() * (text.length + 1));
      const r = rand();
      // Typing, deleting, pasting a line, breaking the syntax; then back to the text before the edit
      // (an undo), so incremental reparses start from valid and from broken trees alike.
      let edited: string;
      if (r < 0.4) edited = text.slice(0, at) + 'x'.repeat(1 + Math.floor(rand() * 3)) + text.slice(at);
      else if (r < 0.7) edited = text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(rand() * 4)));
      else if (r < 0.85) edited = text.slice(0, at) + '\n    y = x + 1\n' + text.slice(at);
      else edited = text.slice(0, at) + '(' + text.slice(at);
      for (const version of [edited, text]) {
        assert.equal(plain(inc.parse(version)), plain(parseModule(version)), `${f} at edit ${step}`);
        versions++;
        reused += inc.reused;
      }
      // Keep the harmless edits, so the file drifts the way a typed file does.
      if (r < 0.4) text = edited;
    }
    inc.dispose();
  }
  assert.ok(versions >= 400);
  // The comparison above must have covered reused statements, not only full reparses.
  assert.ok(reused > versions / 2, `only ${reused} statements reused over ${versions} versions`);
});

test('a keystroke inside one statement reuses every other top-level statement', async () => {
  await loadParser();
  const text = readFileSync(join(ROOT, 'examples', 'small_resnet.py'), 'utf8');
  const inc = new IncrementalParser();
  const first = inc.parse(text);
  assert.equal(inc.reused, 0);
  const at = text.indexOf('def forward');
  const edited = text.slice(0, at) + 'def forward ' + text.slice(at + 'def forward'.length);
  inc.parse(edited);
  const topLevel = first.body.length;
  assert.ok(inc.reused >= topLevel - 2 && inc.reused < topLevel + 20, `reused ${inc.reused} of about ${topLevel} top-level statements`);
  inc.dispose();
});
