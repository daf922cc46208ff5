// Every fixture case against the ground truth PyTorch recorded (test/gen/make_truth.py): output
// shapes, parameter counts, receptive fields and jumps per module call, and errors on the right line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser, type LayerRow, type ModelReport } from '../../server/src/engine';
import { FIXTURES } from '../support/paths';
import { nodeHost } from '../../server/src/engine/imports/nodeHost';

const host = nodeHost();

interface TruthCall {
  path: string;
  type: string;
  output: unknown;
  params: number;
  line: number | null;
  rf_status: string;
  rf: number[] | 'global' | null;
  jump: (number | null)[] | null;
}
interface Truth {
  id: string;
  file: string;
  model: string;
  kwargs?: Record<string, unknown>;
  inputs: { shape: number[]; dtype: 'float32' | 'int64' }[];
  kind: 'ok' | 'error';
  mode?: string;
  params: { total: number; trainable: number } | null;
  output: unknown;
  calls: TruthCall[];
  error: { type: string; message: string; lines: number[] } | null;
}

const jumpValue = (j: number | string | null): number => {
  if (j === null) return NaN;
  if (typeof j === 'number') return j;
  const [n, d] = j.split('/').map(Number);
  return n! / (d ?? 1);
};

/** Compares one case; returns human-readable mismatches (empty when the engine agrees with PyTorch). */
function check(t: Truth, r: ModelReport | undefined, fileDiagLines: string[]): string[] {
  const bad: string[] = [];
  if (!r) return ['no report'];
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (t.kind === 'error') {
    const lines = new Set(t.error!.lines);
    if (!errors.some((d) => lines.has(d.line))) {
      bad.push(`expected an error on line ${[...lines].join(' or ')} (${t.error!.type}: ${t.error!.message}); got ${errors.map((d) => `${d.line}: ${d.message}`).join(' | ') || 'no error'}`);
    }
    return bad;
  }
  if (errors.length) bad.push(`false errors: ${errors.map((d) => `${d.line}: ${d.message}`).join(' | ')}`);
  // Lints are information; a warning on a correct model would be nagging (warnings are for engine limits).
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length) bad.push(`warnings on a correct model: ${warnings.map((d) => `${d.line}: ${d.message}`).join(' | ')}`);
  if (fileDiagLines.length) bad.push(`file errors: ${fileDiagLines.join(' | ')}`);
  if (JSON.stringify(r.params) !== JSON.stringify(t.params)) bad.push(`params ${JSON.stringify(r.params)} != ${JSON.stringify(t.params)}`);
  if (JSON.stringify(r.output) !== JSON.stringify(t.output)) bad.push(`output ${JSON.stringify(r.output)} != ${JSON.stringify(t.output)}`);
  const byPath = new Map<string, LayerRow[]>();
  for (const l of r.layers) if (l.path !== null) byPath.set(l.path, [...(byPath.get(l.path) ?? []), l]);
  const seen = new Map<string, number>();
  for (const c of t.calls) {
    const k = seen.get(c.path) ?? 0;
    seen.set(c.path, k + 1);
    const l = byPath.get(c.path)?.[k];
    const where = `${c.path || '<root>'}#${k}`;
    if (!l) {
      bad.push(`${where}: missing call`);
      continue;
    }
    if (JSON.stringify(l.output) !== JSON.stringify(c.output)) bad.push(`${where}: output ${JSON.stringify(l.output)} != ${JSON.stringify(c.output)}`);
    if (k === 0 && l.params !== c.params) bad.push(`${where}: params ${l.params} != ${c.params}`);
    if (c.rf_status === 'ok' && JSON.stringify(l.rf) !== JSON.stringify(c.rf)) bad.push(`${where}: rf ${JSON.stringify(l.rf)} != ${JSON.stringify(c.rf)}`);
    if (c.rf_status === 'global' && l.rf !== 'global') bad.push(`${where}: rf ${JSON.stringify(l.rf)} != global`);
    if (['ok', 'nonuniform', 'global'].includes(c.rf_status) && c.jump) {
      const got = l.jump?.map(jumpValue);
      // A null entry is a dim PyTorch's measurement could not grade (e.g. a 1-unit output).
      if (!got || got.length !== c.jump.length || got.some((g, i) => c.jump![i] !== null && Math.abs(g - c.jump![i]!) > 1e-9)) bad.push(`${where}: jump ${JSON.stringify(l.jump)} != ${JSON.stringify(c.jump)}`);
    }
    if (c.line !== null && l.line !== c.line) bad.push(`${where}: construction line ${l.line} != ${c.line}`);
  }
  const extra = [...byPath.entries()].filter(([p, ls]) => ls.length > (seen.get(p) ?? 0));
  if (extra.length) bad.push(`calls PyTorch did not make: ${extra.map(([p]) => p || '<root>').join(', ')}`);
  return bad;
}

const truths: Truth[] = readdirSync(join(FIXTURES, 'truth'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(FIXTURES, 'truth', f), 'utf8')) as Truth);

test('fixture corpus is present', () => {
  assert.ok(truths.length >= 80, `only ${truths.length} truth files`);
});

for (const t of truths) {
  test(`${t.kind} ${t.id} (${t.model})`, async () => {
    await loadParser();
    const file = join(FIXTURES, t.file);
    const res = analyzeSource(readFileSync(file, 'utf8'), { file, model: t.model, kwargs: t.kwargs, inputs: t.inputs, mode: t.mode === 'train' ? 'train' : 'eval', host });
    const fileErrors = res.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
    const bad = check(t, res.reports[0], t.kind === 'ok' ? fileErrors : []);
    assert.deepEqual(bad, [], `${t.id}:\n  ${bad.join('\n  ')}`);
  });
}
