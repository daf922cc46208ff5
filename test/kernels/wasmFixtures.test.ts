// The fast path against PyTorch directly: every kernel fixture case (test/fixtures/kernels) with a
// node the wasm executor backend `supports` becomes a small graph run through that backend (the
// reference takes the other nodes), plain and fused, and is compared with PyTorch's tensors by the
// check of reference.test.ts. Whatever op `supports` accepts is picked up here without changes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';
import { runRef } from '../../kernels/src/ref/index';
import { referenceBackend, runGraph, wasmExecBackend } from '../../kernels/src/exec/index';
import type { Graph, GraphValue, OpName, OpNode } from '../../server/src/engine/graph/ir';
import { loadKernelFixtures, type KernelCase } from '../support/kernelFixtures';
import { backend, disposeAll } from './wasmHelpers';
import { assertMatchesTorch } from '../support/torchCheck';

after(disposeAll);

const { cases } = loadKernelFixtures();

/**
 * Fewest fixture nodes of each op that must run on the fast path, so the test cannot pass by running
 * nothing there (the counts the fixtures held when this was written; most binary fixtures mix
 * dtypes or broadcast per pixel, which the fast path leaves to the reference). An op that
 * `supports` starts accepting later is run and counted without an entry here.
 */
const MIN_ON_WASM: Partial<Record<OpName, number>> = {
  conv: 19,
  conv_transpose: 6,
  max_pool: 8,
  avg_pool: 7,
  adaptive_avg_pool: 1,
  linear: 4,
  matmul: 1,
  batch_norm: 10,
  instance_norm: 6,
  group_norm: 4,
  layer_norm: 3,
  unary: 18,
  binary: 1,
  cat: 1,
  reshape: 2,
  softmax: 4,
  reduce: 4,
  einsum: 4,
  interpolate: 27,
  pad: 13,
  permute: 2,
  slice: 2,
  expand: 1,
  split: 2,
  pixel_shuffle: 2,
  pixel_unshuffle: 2,
};

interface CaseGraph {
  graph: Graph;
  inputs: NDArray[];
  /** The case's expected tensor names, in the order of `graph.outputs`. */
  expected: string[];
}

/**
 * The case's nodes as a graph: its given tensors are the graph's inputs, its expected tensors the
 * graph's outputs. A graph value needs its shape, so the reference kernels run the nodes once to
 * learn the shapes of intermediates (their results are not compared here; reference.test.ts does).
 */
function caseGraph(c: KernelCase): CaseGraph {
  const values: GraphValue[] = [];
  const ids = new Map<string, number>();
  const env = new Map(c.given);
  const add = (name: string, t: NDArray): number => {
    const id = values.length;
    values.push({ id, shape: t.shape.slice(), dtype: t.dtype });
    ids.set(name, id);
    return id;
  };
  const inputs = [...c.given.values()];
  const graphInputs = [...c.given].map(([name, t]) => add(name, t));
  const nodes = c.nodes.map((n, i): OpNode => {
    const outs = runRef(n.op, n.inputs.map((k) => env.get(k)!), n.attrs as never);
    const inIds = n.inputs.map((k) => ids.get(k)!);
    n.outputs.forEach((k, j) => env.set(k, outs[j]!));
    return { op: n.op, attrs: n.attrs, inputs: inIds, outputs: n.outputs.map((k, j) => add(k, outs[j]!)), path: `${c.id}.${i}`, line: i + 1 } as OpNode;
  });
  const expected = [...c.expected.keys()];
  return { graph: { values, nodes, inputs: graphInputs, outputs: expected.map((k) => ids.get(k)!) }, inputs, expected };
}

test('every fixture case with a node the wasm backend supports runs through it and equals PyTorch', async (t) => {
  const wb = await backend({ threads: 1 });
  const fast = wasmExecBackend(wb);
  const backends = [fast, referenceBackend];
  const onWasm = new Map<string, number>();
  let ran = 0;
  for (const c of cases) {
    const { graph, inputs, expected } = caseGraph(c);
    if (!graph.nodes.some((n) => fast.supports(n, graph))) continue;
    ran++;
    await t.test(`${c.nodes.map((n) => n.op).join('→')} ${c.id}`, async () => {
      for (const detail of ['all', 'outputs'] as const) {
        const r = await runGraph(graph, new Map(), inputs, { seed: 0, backends, detail, updateState: false });
        assert.equal(r.status, 'ok', `${detail}: ${r.message}`);
        expected.forEach((name, i) => assertMatchesTorch(`${c.id} ${name} (${detail})`, r.outputs[i], c.expected.get(name)!));
        assert.equal(wb.keptCount, 0, `${detail}: nothing left in the kernels' memory`);
        if (detail === 'all') {
          graph.nodes.forEach((n, i) => assert.equal(r.nodes[i]!.backend, fast.supports(n, graph) ? 'wasm' : 'reference', `node ${i} (${n.op})`));
          for (const n of r.nodes) if (n.backend === 'wasm') onWasm.set(n.op, (onWasm.get(n.op) ?? 0) + 1);
        }
      }
    });
  }
  const table = [...onWasm].sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n}`).join(', ');
  t.diagnostic(`${ran} of ${cases.length} cases ran on the fast path; nodes there per op: ${table}`);
  for (const [op, min] of Object.entries(MIN_ON_WASM)) {
    assert.ok((onWasm.get(op) ?? 0) >= min, `${op}: ${onWasm.get(op) ?? 0} fixture nodes ran on the fast path, at least ${min} expected (${table})`);
  }
});
