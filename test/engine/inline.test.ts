// Inline-expectation fixtures (test/fixtures/inline/*.py): `#   ^ [4, 6, 14, 14]`, `#   ^ params 456`,
// `#   ^ error: text` and `#   ^ lint: code` under the code line they describe. The expectations are PyTorch's (checked by
// test/gen/verify_inline.py); UPDATE_EXPECT=1 rewrites shapes and params from the engine instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser, type ModelReport, type OutputShape } from '../../server/src/engine';
import { FIXTURES } from '../support/paths';

const EXP = /^(\s*#\s*\^\s*)(.*)$/;
const fmt = (s: OutputShape | undefined): string => (s === undefined || s === null ? 'None' : JSON.stringify(s).replace(/,/g, ', '));

/** Runs the engine on one inline file; returns mismatches and the file rewritten with the engine's answers. */
function check(text: string, file: string): { bad: string[]; updated: string } {
  const lines = text.split('\n');
  const res = analyzeSource(text, { file });
  const r: ModelReport | undefined = res.reports.find((x) => x.input.length);
  if (!r) return { bad: [`${file}: no model with a declared input`], updated: text };
  const bad: string[] = [];
  let code = -1;
  lines.forEach((line, i) => {
    const m = EXP.exec(line);
    if (!m) {
      if (line.trim() && !line.trim().startsWith('#')) code = i + 1;
      return;
    }
    const want = m[2]!.trim();
    const at = `${file}:${i + 1}`;
    if (want.startsWith('lint:')) {
      const lintCode = want.slice(5).trim();
      const ds = r.diagnostics.filter((d) => d.severity !== 'error' && d.line === code);
      if (!ds.some((d) => d.code === lintCode)) bad.push(`${at}: expected lint '${lintCode}' on line ${code}; got ${ds.map((d) => d.code).join(', ') || 'none'}`);
    } else if (want.startsWith('error:')) {
      const sub = want.slice(6).trim();
      const errs = [...res.diagnostics, ...r.diagnostics].filter((d) => d.severity === 'error' && d.line === code);
      if (!errs.some((d) => d.message.includes(sub))) bad.push(`${at}: expected an error containing '${sub}' on line ${code}; got ${errs.map((d) => d.message).join(' | ') || 'none'}`);
    } else if (want.startsWith('params')) {
      const rows = r.layers.filter((l) => l.line === code);
      const got = rows.length ? Math.max(...rows.map((l) => l.params)) : undefined;
      if (String(got) !== want.split(/\s+/)[1]) bad.push(`${at}: ${want}, engine says ${got}`);
      if (got !== undefined) lines[i] = `${m[1]}params ${got}`;
    } else {
      const got = fmt(r.values.find((v) => v.line === code)?.shape);
      if (got !== want) bad.push(`${at}: ${want}, engine says ${got}`);
      lines[i] = `${m[1]}${got}`;
    }
  });
  const unexpected = r.diagnostics.filter((d) => d.severity === 'error' && !lines.some((l, i) => EXP.test(l) && l.includes('error:') && i > d.line - 1));
  for (const d of unexpected) bad.push(`${file}:${d.line}: unexpected error: ${d.message}`);
  return { bad, updated: lines.join('\n') };
}

const dir = join(FIXTURES, 'inline');
for (const f of readdirSync(dir).filter((x) => x.endsWith('.py')).sort()) {
  test(`inline ${f}`, async () => {
    await loadParser();
    const path = join(dir, f);
    const text = readFileSync(path, 'utf8');
    const { bad, updated } = check(text, f);
    if (process.env.UPDATE_EXPECT && updated !== text) writeFileSync(path, updated);
    else assert.deepEqual(bad, [], bad.join('\n'));
  });
}
