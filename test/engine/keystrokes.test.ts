// Every keystroke state is valid input: each prefix of the example files (cut mid-line too) and
// a sprinkling of deleted characters must analyse without the engine throwing.
import { rng } from '../support/rng';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser } from '../../server/src/engine';
import { ROOT } from '../support/paths';


const dir = join(ROOT, 'examples');
for (const f of readdirSync(dir).filter((x) => x.endsWith('.py')).sort()) {
  test(`prefixes and edits of ${f}`, async () => {
    await loadParser();
    const text = readFileSync(join(dir, f), 'utf8');
    const rand = rng(f.length * 7919);
    const variants: string[] = [];
    const lines = text.split('\n');
    for (let k = 0; k <= lines.length; k++) {
      const head = lines.slice(0, k).join('\n');
      const next = lines[k] ?? '';
      variants.push(head, head + '\n' + next.slice(0, Math.floor(rand() * next.length)));
    }
    for (let k = 0; k < 40; k++) {
      const at = Math.floor(rand() * text.length);
      variants.push(text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 3)));
    }
    for (const v of variants) {
      let threw: unknown = null;
      try {
        analyzeSource(v, { file: f });
      } catch (e) {
        threw = e;
      }
      assert.equal(threw, null, `the engine threw on this text:\n${v}\n--- ${String((threw as Error)?.stack ?? threw)}`);
    }
  });
}
