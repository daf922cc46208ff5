// 3-D pooling (two 2-D pools), adaptive pooling whose sizes divide (plain pools) and reshape on the
// fast path, run through the executor backend against the TypeScript reference on seeded inputs:
// padding, ceil_mode, dilation, stride > kernel, count_include_pad both ways, divisor_override,
// NaN propagation, unbatched inputs; 1 and 2 threads, both SIMD builds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, runGraph, wasmExecBackend } from '../../kernels/src/exec/index';
import type { AdaptiveAvgPoolAttrs, AdaptiveMaxPoolAttrs, AvgPoolAttrs, Graph, MaxPoolAttrs, OpName, OpNode } from '../../server/src/engine/graph/ir';
import { assertClose, backend, CONFIGS, describeConfig, disposeAll, nodeGraph, randn } from './wasmHelpers';

after(disposeAll);

const mp3 = (k: number[], s: number[], p: number[], d: number[], ceilMode: boolean): MaxPoolAttrs => ({ nd: 3, kernel: k, stride: s, padding: p, dilation: d, ceilMode, returnIndices: false });
const ap3 = (k: number[], s: number[], p: number[], ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null = null): AvgPoolAttrs => ({ nd: 3, kernel: k, stride: s, padding: p, ceilMode, countIncludePad, divisorOverride });

const CASES: Array<[string, OpName, unknown, number[]]> = [
  ['max 2x2x2', 'max_pool', mp3([2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1], false), [1, 3, 8, 10, 12]],
  ['max 3x3x3/2 pad 1 ceil', 'max_pool', mp3([3, 3, 3], [2, 2, 2], [1, 1, 1], [1, 1, 1], true), [2, 2, 7, 9, 11]],
  ['max (1,3,3) stride (1,2,2)', 'max_pool', mp3([1, 3, 3], [1, 2, 2], [0, 1, 1], [1, 1, 1], false), [1, 4, 5, 13, 13]],
  ['max dilated, stride > kernel', 'max_pool', mp3([2, 2, 3], [3, 3, 4], [0, 1, 1], [2, 1, 2], false), [1, 2, 9, 10, 17]],
  ['max unbatched', 'max_pool', mp3([2, 3, 2], [2, 2, 1], [1, 1, 0], [1, 1, 1], true), [3, 6, 7, 8]],
  ['avg 2x2x2', 'avg_pool', ap3([2, 2, 2], [2, 2, 2], [0, 0, 0], false, true), [1, 3, 8, 10, 12]],
  ['avg 3x3x3/2 pad 1 count_include_pad', 'avg_pool', ap3([3, 3, 3], [2, 2, 2], [1, 1, 1], false, true), [2, 2, 7, 9, 11]],
  ['avg 3x3x3/2 pad 1 exclude pad, ceil', 'avg_pool', ap3([3, 3, 3], [2, 2, 2], [1, 1, 1], true, false), [1, 2, 8, 9, 10]],
  ['avg ceil with count_include_pad', 'avg_pool', ap3([3, 2, 3], [2, 2, 2], [1, 0, 1], true, true), [1, 2, 6, 7, 8]],
  ['avg divisor_override', 'avg_pool', ap3([2, 3, 3], [2, 2, 2], [1, 1, 1], false, false, 7), [1, 2, 5, 9, 9]],
  ['adaptive avg 3-D to 2x1x3', 'adaptive_avg_pool', { nd: 3, outSize: [2, 1, 3] } satisfies AdaptiveAvgPoolAttrs, [1, 3, 4, 5, 9]],
  ['adaptive max 3-D global', 'adaptive_max_pool', { nd: 3, outSize: [1, 1, 1], returnIndices: false } satisfies AdaptiveMaxPoolAttrs, [2, 3, 4, 5, 6]],
  ['adaptive avg 2-D global', 'adaptive_avg_pool', { nd: 2, outSize: [1, 1] } satisfies AdaptiveAvgPoolAttrs, [2, 16, 7, 7]],
  ['adaptive avg 2-D 7x7 -> 7x7', 'adaptive_avg_pool', { nd: 2, outSize: [7, 7] } satisfies AdaptiveAvgPoolAttrs, [1, 4, 7, 7]],
  ['adaptive max 2-D 12x8 -> 3x2', 'adaptive_max_pool', { nd: 2, outSize: [3, 2], returnIndices: false } satisfies AdaptiveMaxPoolAttrs, [1, 5, 12, 8]],
  ['adaptive avg 1-D 12 -> 4', 'adaptive_avg_pool', { nd: 1, outSize: [4] } satisfies AdaptiveAvgPoolAttrs, [2, 3, 12]],
  ['reshape (flatten)', 'reshape', { shape: [2, 60] }, [2, 3, 4, 5]],
];

// The last: a plain memory, one thread (a browser page without cross-origin isolation).
for (const cfg of [...CONFIGS, { threads: 1, relaxed: false, sharedMemory: false as const }]) {
  test(`3-D and adaptive pools and reshape on the fast path equal the reference (${describeConfig(cfg)})`, async () => {
    const wb = await backend(cfg);
    assert.equal(wb.shared, cfg.sharedMemory !== false, 'the memory kind under test');
    const fast = wasmExecBackend(wb);
    for (const [k, [name, op, attrs, shape]] of CASES.entries()) {
      const x = randn(shape, 200 + k, 3);
      if (op === 'max_pool') (x.data as Float32Array)[5] = NaN;
      const { graph, want } = nodeGraph(op, attrs, [x]);
      assert.ok(fast.supports(graph.nodes[0]!, graph), `${name}: the fast path takes it`);
      for (const detail of ['all', 'outputs'] as const) {
        const r = await runGraph(graph, new Map(), [x], { seed: 0, backends: [fast, referenceBackend], detail });
        assert.equal(r.status, 'ok', r.message);
        assert.equal(r.nodes[0]!.backend, 'wasm', name);
        assertClose(`${name} (${detail})`, r.outputs[0]!, want);
        assert.equal(wb.keptCount, 0, `${name}: nothing left in the kernels' memory`);
      }
    }
  });
}

test('adaptive pools whose sizes do not divide, and 3-D pools with indices, stay on the reference', async () => {
  const wb = await backend({ threads: 1, relaxed: false });
  const fast = wasmExecBackend(wb);
  const uneven = nodeGraph('adaptive_avg_pool', { nd: 2, outSize: [3, 3] }, [randn([1, 2, 7, 7], 1)]).graph;
  assert.equal(fast.supports(uneven.nodes[0]!, uneven), false);
  const withIndices = { op: 'max_pool', attrs: { ...mp3([2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1], false), returnIndices: true }, inputs: [0], outputs: [1, 2], path: 'p', line: 1 } as OpNode;
  const g: Graph = { values: [{ id: 0, shape: [1, 1, 4, 4, 4], dtype: 'float32' }, { id: 1, shape: [1, 1, 2, 2, 2], dtype: 'float32' }, { id: 2, shape: [1, 1, 2, 2, 2], dtype: 'int64' }], nodes: [withIndices], inputs: [0], outputs: [1] };
  assert.equal(fast.supports(withIndices, g), false);
});
