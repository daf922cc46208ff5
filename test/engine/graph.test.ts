// The op graph the tracer records for the kernels, over the PyTorch-truth fixture corpus: well formed
// (every input defined before use, shapes consistent), its output shape and parameter count equal to
// PyTorch's, and every model without a graph names what it lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadParser, traceGraph, type InputSpec, type TracedGraph } from '../../server/src/engine';
import { nodeHost } from '../../server/src/engine/imports/nodeHost';
import { FIXTURES } from '../support/paths';

interface Truth {
  id: string;
  kind: string;
  file: string;
  model: string;
  kwargs?: Record<string, unknown>;
  inputs: InputSpec[];
  mode?: string;
  output: unknown;
  params: { total: number };
}

const truths: Truth[] = readdirSync(join(FIXTURES, 'truth'))
  .map((f) => JSON.parse(readFileSync(join(FIXTURES, 'truth', f), 'utf8')) as Truth)
  .filter((t) => t.kind === 'ok');

/** Problems with a graph's structure: undefined inputs, reuse of output ids, shape mismatches. */
function malformed(tg: TracedGraph): string[] {
  const g = tg.graph!;
  const bad: string[] = [];
  const defined = new Set<number>(g.inputs);
  for (const v of g.values) if (v.param !== undefined || v.const !== undefined) defined.add(v.id);
  g.values.forEach((v, i) => v.id !== i && bad.push(`value ${i} has id ${v.id}`));
  for (const [i, n] of g.nodes.entries()) {
    for (const x of n.inputs) if (!defined.has(x)) bad.push(`node ${i} (${n.op} at line ${n.line}) reads value ${x} before it is defined`);
    for (const y of n.outputs) {
      if (defined.has(y)) bad.push(`node ${i} (${n.op}) redefines value ${y}`);
      defined.add(y);
      if (g.values[y]!.shape.some((d) => !Number.isInteger(d) || d < 0)) bad.push(`node ${i} (${n.op}) output shape [${g.values[y]!.shape}]`);
    }
  }
  for (const o of g.outputs) if (!defined.has(o)) bad.push(`output ${o} is never defined`);
  return bad;
}

test('the graph of every fixture model is well formed and matches PyTorch, or names what it lacks', async () => {
  await loadParser();
  const host = nodeHost(() => null);
  let graphs = 0;
  const failures: string[] = [];
  for (const t of truths) {
    const file = join(FIXTURES, t.file);
    const [tg] = traceGraph(readFileSync(file, 'utf8'), { file, model: t.model, kwargs: t.kwargs, inputs: t.inputs, mode: t.mode === 'train' ? 'train' : 'eval', host });
    if (!tg) {
      failures.push(`${t.id}: no traced model`);
      continue;
    }
    if (!tg.graph) {
      // Named ops only: "an input comes from ..." follows from an op listed on its own.
      if (!tg.unsupported.some((u) => !u.op.includes('an input comes from') && !u.op.startsWith('the output'))) failures.push(`${t.id}: no graph and nothing named: ${JSON.stringify(tg.unsupported)}`);
      continue;
    }
    graphs++;
    for (const b of malformed(tg)) failures.push(`${t.id}: ${b}`);
    const outShape = tg.graph.values[tg.graph.outputs[0]!]!.shape;
    if (Array.isArray(t.output) && t.output.every((d) => typeof d === 'number')) {
      if (JSON.stringify(outShape) !== JSON.stringify(t.output)) failures.push(`${t.id}: output [${outShape}] vs PyTorch [${t.output}]`);
    }
    const params = tg.params.filter((p) => !p.buffer && !p.aliasOf).reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
    if (params !== t.params.total) failures.push(`${t.id}: ${params} parameters in the graph's list vs PyTorch ${t.params.total}`);
  }
  assert.deepEqual(failures, []);
  // Only the VAEs (torch.randn_like inside forward: random draws are not ops of the graph) record no
  // graph; everything else in the corpus, recurrent layers, their cells and einsum included, records.
  assert.ok(graphs >= 216, `only ${graphs} of ${truths.length} models have a graph`);
});
