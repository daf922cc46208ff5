// Symbolic shapes against PyTorch: the engine's output expression, evaluated at several concrete
// sizes, equals what PyTorch gives at those sizes; and the input size the engine solves for is one
// PyTorch accepts (the smallest), with no claim PyTorch contradicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser, type OutputShape } from '../../server/src/engine';
import { FIXTURES } from '../support/paths';

interface Case {
  id: string;
  file: string;
  model: string;
  input: (number | string)[];
  square?: [number, number];
}
interface Truth {
  sizes: { env: Record<string, number>; ok: boolean; output?: OutputShape }[];
  square?: { range: [number, number]; accepted: number[] };
}

/** Evaluates an engine expression (`4*floor((H + 7)/8)`) at concrete sizes. */
function evaluate(expr: number | string, env: Record<string, number>): number {
  if (typeof expr === 'number') return expr;
  const names = Object.keys(env);
  assert.match(expr, /^[\w\s()+\-*/]+$/, `unexpected characters in ${expr}`);
  const js = expr.replace(/floor\(/g, 'Math.floor(');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...names, `return (${js});`)(...names.map((n) => env[n])) as number;
}
function evalShape(s: OutputShape, env: Record<string, number>): unknown {
  if (s === null) return null;
  if (s.length && Array.isArray(s[0])) return (s as OutputShape[]).map((x) => evalShape(x, env));
  return (s as (number | string)[]).map((d) => evaluate(d, env));
}

const dir = join(FIXTURES, 'symbolic');
const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Case[];
for (const c of cases) {
  test(`symbolic ${c.id}`, async () => {
    await loadParser();
    const truth = JSON.parse(readFileSync(join(dir, 'truth', `${c.id}.json`), 'utf8')) as Truth;
    const file = join(dir, c.file);
    const res = analyzeSource(readFileSync(file, 'utf8'), { file, model: c.model, inputs: [{ shape: c.input, dtype: 'float32' }] });
    const r = res.reports[0]!;
    const all = [...res.diagnostics, ...r.diagnostics];
    assert.ok(!all.some((d) => d.severity === 'error'), all.map((d) => d.message).join('\n'));
    const solved = r.input[0]!;
    const spatial = c.input.slice(2).filter((d): d is string => typeof d === 'string');
    if (truth.square) {
      const { range, accepted } = truth.square;
      const everySize = accepted.length === range[1] - range[0] + 1;
      const note = all.find((d) => d.code === 'input-solved' || d.code === 'input-divisibility');
      if (everySize) {
        // PyTorch takes every size: the engine must not claim a constraint.
        assert.equal(note, undefined, `claimed '${note?.message}' but PyTorch accepts every size in ${range}`);
      } else {
        assert.ok(note, `no solution reported; PyTorch accepts ${accepted}`);
        const got = solved.slice(2).filter((d) => typeof d === 'number') as number[];
        assert.deepEqual(got, spatial.map(() => accepted[0]), `solved input ${JSON.stringify(solved)}; PyTorch's smallest accepted size is ${accepted[0]}`);
        for (const alt of (note!.message.match(/also work/) ? note!.message.split('=').pop()!.match(/\d+/g) ?? [] : []).map(Number)) {
          assert.ok(accepted.includes(alt), `the engine says ${alt} also works; PyTorch accepts ${accepted}`);
        }
      }
    }
    for (const s of truth.sizes) {
      if (!s.ok) continue;
      const env = { ...s.env };
      // Symbols the engine bound by solving are numbers in its output already.
      assert.deepEqual(evalShape(r.output, env), s.output, `at ${JSON.stringify(env)}: engine ${JSON.stringify(r.output)}`);
    }
  });
}
