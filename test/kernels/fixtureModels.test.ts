// Every fixture model with a graph, on default weights and seeded inputs, run with the fast path in
// front (detailed and fused) and with the reference kernels alone: the outputs must agree within 1e-4.
// The corpus test checks 35 models against PyTorch itself; this one checks the fast path in every
// model context the fixtures hold against the PyTorch-verified reference kernels. Models above a
// multiply-accumulate budget are left out only because the reference kernels take seconds on them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser } from '../../server/src/engine';
import { nodeHost } from '../../server/src/engine/imports/nodeHost';
import { prepareWeights, referenceBackend, runGraph, wasmExecBackend } from '../../kernels/src/exec';
import { float32, type NDArray } from '../../kernels/src/ndarray';
import { createNodeBackend } from '../../kernels/src/node/index';
import type { WasmBackend } from '../../kernels/src/wasm/backend';
import { rng } from '../support/rng';
import { FIXTURES } from '../support/paths';

/**
 * Multiply-accumulates above which a model is left out: the reference kernels run ~0.3 GMAC/s, and
 * this keeps the test near 12 s (126 models). Without the budget all 209 graphable models took 176 s
 * once, with no disagreement.
 */
const MAC_BUDGET = 15e6;

let wb: WasmBackend | null = null;
after(async () => {
  await wb?.dispose();
});

function inputsFor(values: readonly { shape: readonly number[]; dtype: string }[], seed: number): NDArray[] {
  const r = rng(seed);
  return values.map((v) => {
    const n = v.shape.reduce((a, b) => a * b, 1);
    if (v.dtype === 'int64') return { shape: v.shape.slice(), dtype: 'int64', data: Float64Array.from({ length: n }, () => Math.floor(r() * 5)) };
    const t = float32(v.shape);
    (t.data as Float32Array).forEach((_, i, d) => (d[i] = r() * 2 - 1));
    return t;
  });
}

function relErr(got: NDArray, want: NDArray): number {
  let scale = 1;
  for (const v of want.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const [a, b] = [got.data[i]!, want.data[i]!];
    if (Number.isNaN(a) !== Number.isNaN(b)) return Infinity;
    if (Number.isFinite(b)) worst = Math.max(worst, Math.abs(a - b) / scale);
    else if (a !== b && !Number.isNaN(b)) return Infinity;
  }
  return worst;
}

test('the fast path agrees with the reference kernels on every fixture model within the budget', async (t) => {
  await loadParser();
  wb = await createNodeBackend({ threads: 2 });
  const fast = wasmExecBackend(wb);
  const host = nodeHost(() => null);
  const dir = join(FIXTURES, 'truth');
  let models = 0;
  const onWasm = new Set<string>();
  for (const f of readdirSync(dir).sort()) {
    const truth = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { id: string; kind: string; file: string; model: string; kwargs?: Record<string, unknown>; inputs: never };
    if (truth.kind !== 'ok') continue;
    const file = join(FIXTURES, truth.file);
    const res = analyzeSource(readFileSync(file, 'utf8'), { file, model: truth.model, kwargs: truth.kwargs as never, inputs: truth.inputs, host, graph: true });
    const tg = res.graphs?.[0];
    const macs = res.reports[0]?.macs ?? Infinity;
    if (!tg?.graph || !(macs <= MAC_BUDGET)) continue;
    // Models whose own nn.Parameters have no default initialisation need a checkpoint: not here.
    let values: Map<string, NDArray>;
    try {
      values = prepareWeights(tg.params, { seed: 1 }).values;
    } catch {
      continue;
    }
    const g = tg.graph;
    const inputs = inputsFor(g.inputs.map((v) => g.values[v]!), 7);
    const ref = await runGraph(g, new Map(values), inputs, { seed: 0, backends: [referenceBackend], detail: 'outputs' });
    assert.equal(ref.status, 'ok', `${truth.id}: reference ${ref.message}`);
    for (const detail of ['all', 'outputs'] as const) {
      const r = await runGraph(g, new Map(values), inputs, { seed: 0, backends: [fast, referenceBackend], detail });
      assert.equal(r.status, 'ok', `${truth.id} (${detail}): ${r.message}`);
      r.outputs.forEach((o, i) => {
        const e = relErr(o, ref.outputs[i]!);
        assert.ok(e <= 1e-4, `${truth.id} (${detail}) output ${i}: relative difference ${e} from the reference kernels`);
      });
      if (detail === 'all') for (const n of r.nodes) if (n.backend === 'wasm') onWasm.add(n.op);
      assert.equal(wb.keptCount, 0, `${truth.id}: nothing left in the kernels' memory`);
    }
    models++;
  }
  t.diagnostic(`${models} models; ops that ran on the fast path: ${[...onWasm].sort().join(', ')}`);
  assert.ok(models >= 120, `only ${models} fixture models ran`);
  for (const op of ['conv', 'conv_transpose', 'linear', 'batch_norm', 'layer_norm', 'interpolate', 'cat', 'softmax', 'permute', 'unary', 'binary']) {
    assert.ok(onWasm.has(op), `no ${op} node ran on the fast path (${[...onWasm].sort().join(', ')})`);
  }
});
