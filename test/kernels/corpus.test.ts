// Fixture-corpus models run end to end against PyTorch: the engine traces the model's own source into
// a graph, its PyTorch weights are loaded, and the executor's output (reference kernels alone; with
// the WebAssembly fast path in front, detailed, fused, and on a non-shared memory) must equal
// PyTorch's eval-mode output (test/gen/make_corpus_runs.py records them).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NDArray } from '../../kernels/src/ndarray';
import { readNpy } from '../../kernels/src/npy';
import { loadWeights, prepareWeights, referenceBackend, runGraph, wasmExecBackend, type Backend } from '../../kernels/src/exec';
import { createNodeBackend } from '../../kernels/src/node/index';
import type { WasmBackend } from '../../kernels/src/wasm/backend';
import { loadParser, traceGraph, type InputSpec } from '../../server/src/engine';
import { nodeHost } from '../../server/src/engine/imports/nodeHost';
import { FIXTURES } from '../support/paths';

const CORPUS = join(FIXTURES, 'exec', 'corpus');
const TOL = 1e-4;

interface Truth {
  file: string;
  model: string;
  kwargs?: Record<string, unknown>;
  inputs: InputSpec[];
}

/** max|a − b| / max|b| (a scale-free error: float32 sums in another order stay far below 1e-4). */
function relErr(got: NDArray, want: NDArray): number {
  assert.deepEqual(got.shape, want.shape);
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.data.length; i++) {
    d = Math.max(d, Math.abs(got.data[i]! - want.data[i]!));
    m = Math.max(m, Math.abs(want.data[i]!));
  }
  return Number.isNaN(d) ? Infinity : d / Math.max(m, 1e-30);
}

let wasm: WasmBackend | null = null;
/** A plain memory and one thread, as a browser page without cross-origin isolation runs: every output is copied out. */
let plain: WasmBackend | null = null;
after(async () => {
  await wasm?.dispose();
  await plain?.dispose();
});

const cases = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { id: string; inputs: number; outputs: number }[];

/** Conv nodes of the plain wasm runs by kind ("conv3d", "conv_transpose2d") and the backend that ran them. */
const convRuns = new Map<string, { wasm: number; reference: number }>();

test('the corpus is present', () => assert.ok(cases.length >= 25));

for (const c of cases) {
  test(`${c.id}: traced, loaded and run, equal to PyTorch`, async () => {
    await loadParser();
    wasm ??= await createNodeBackend({ threads: 1 });
    plain ??= await createNodeBackend({ threads: 1, sharedMemory: false });
    const truth = JSON.parse(readFileSync(join(FIXTURES, 'truth', `${c.id}.json`), 'utf8')) as Truth;
    const file = join(FIXTURES, truth.file);
    const [tg] = traceGraph(readFileSync(file, 'utf8'), { file, model: truth.model, kwargs: truth.kwargs, inputs: truth.inputs, host: nodeHost(() => null) });
    assert.ok(tg?.graph, `no graph: ${JSON.stringify(tg?.unsupported)} ${tg?.diagnostics.map((d) => d.message).join('; ')}`);
    const dir = join(CORPUS, c.id);
    const w = loadWeights(readFileSync(join(dir, 'weights.safetensors')), tg.params, { modelName: truth.model });
    const { values, initialised } = prepareWeights(tg.params, { seed: 0, checkpoint: w });
    assert.deepEqual(initialised, [], 'every parameter comes from PyTorch');
    const inputs = Array.from({ length: c.inputs }, (_, i) => readNpy(readFileSync(join(dir, `input${i}.npy`))));
    const want = Array.from({ length: c.outputs }, (_, i) => readNpy(readFileSync(join(dir, `output${i}.npy`))));
    const runs: [string, Backend[], 'all' | 'outputs'][] = [
      ['reference', [referenceBackend], 'all'],
      ['wasm', [wasmExecBackend(wasm), referenceBackend], 'all'],
      ['wasm fused', [wasmExecBackend(wasm), referenceBackend], 'outputs'],
      ['wasm, non-shared memory', [wasmExecBackend(plain), referenceBackend], 'all'],
    ];
    for (const [name, backends, detail] of runs) {
      const r = await runGraph(tg.graph, new Map(values), inputs, { seed: 0, backends, detail });
      assert.equal(r.status, 'ok', `${name}: ${r.message}`);
      if (name === 'wasm') {
        for (const n of r.nodes) {
          const node = tg.graph.nodes[n.index]!;
          if (node.op !== 'conv' && node.op !== 'conv_transpose') continue;
          const kind = `${node.op === 'conv' ? 'conv' : 'conv_transpose'}${node.attrs.nd}d`;
          const tally = convRuns.get(kind) ?? { wasm: 0, reference: 0 };
          tally[n.backend === 'wasm' ? 'wasm' : 'reference']++;
          convRuns.set(kind, tally);
        }
      }
      assert.equal(r.outputs.length, want.length);
      r.outputs.forEach((o, i) => {
        const e = relErr(o, want[i]!);
        assert.ok(e <= TOL, `${name}: output ${i} differs from PyTorch by ${e.toExponential(2)} (relative)`);
      });
    }
  });
}

test('every conv of the corpus (1-D/2-D/3-D, transposed too) ran on the fast path', (t) => {
  const table = [...convRuns].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v.wasm}/${v.wasm + v.reference}`).join(', ');
  t.diagnostic(`conv nodes on wasm: ${table}`);
  for (const kind of ['conv1d', 'conv2d', 'conv3d', 'conv_transpose2d']) assert.ok((convRuns.get(kind)?.wasm ?? 0) > 0, `no ${kind} ran on the fast path (${table})`);
  for (const [kind, v] of convRuns) assert.equal(v.reference, 0, `${kind}: ${v.reference} nodes ran on the reference (${table})`);
});
