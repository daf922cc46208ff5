// Activations, softmax, interpolation, pad, reductions, einsum, views (permute, slice, expand, split, pixel shuffle),
// broadcasting arithmetic and cat on the fast path, run through the executor backend
// against the TypeScript reference on seeded inputs: every activation the kernel has (NaN, large
// magnitudes, sizes that are not a multiple of 4), the broadcast patterns in both operand orders
// (same shape, per (sample, channel), scalars, vectors over the last dims), cat along every dim;
// 1 and 2 threads, both SIMD builds. What the fast path refuses stays on the reference.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';
import { referenceBackend, runGraph, wasmExecBackend } from '../../kernels/src/exec/index';
import type { BinaryAttrs, InterpolateAttrs, OpName, PadAttrs, UnaryAttrs } from '../../server/src/engine/graph/ir';
import { assertClose, backend, CONFIGS, describeConfig, disposeAll, nodeGraph, randn } from './wasmHelpers';

after(disposeAll);

const UNARY: UnaryAttrs[] = [
  { fn: 'relu' },
  { fn: 'relu6' },
  { fn: 'hardtanh', min: -0.5, max: 2 },
  { fn: 'clamp', min: -1, max: null },
  { fn: 'clamp', min: null, max: 0.3 },
  { fn: 'clamp', min: 1, max: -1 },
  { fn: 'leaky_relu', negativeSlope: 0.2 },
  { fn: 'hardswish' },
  { fn: 'hardsigmoid' },
  { fn: 'sigmoid' },
  { fn: 'tanh' },
  { fn: 'silu' },
  { fn: 'gelu', approximate: 'none' },
  { fn: 'gelu', approximate: 'tanh' },
  { fn: 'elu', alpha: 1.3 },
  { fn: 'selu' },
];

const f32 = (shape: number[], seed: number, scale = 3): NDArray => randn(shape, seed, scale);
const i64 = (v: number): NDArray => ({ shape: [], dtype: 'int64', data: new Float64Array([v]) });
const add = (alpha = 1): BinaryAttrs => ({ fn: 'add', alpha });
const sub = (alpha = 1): BinaryAttrs => ({ fn: 'sub', alpha });
const mul: BinaryAttrs = { fn: 'mul' };
const div: BinaryAttrs = { fn: 'div', rounding: 'none' };

/** [name, op, attrs, inputs]: every one must run on the fast path. */
function cases(): Array<[string, OpName, unknown, NDArray[]]> {
  const c: Array<[string, OpName, unknown, NDArray[]]> = [];
  for (const [k, u] of UNARY.entries()) {
    // Wide range (exp's saturation, tanh near ±1), NaN, and 4n+3 elements (the vector tail).
    const x = f32([2, 3, 7, 9], 10 + k, 12);
    (x.data as Float32Array)[4] = NaN;
    (x.data as Float32Array)[5] = 95;
    (x.data as Float32Array)[6] = -95;
    (x.data as Float32Array)[7] = 1e-3;
    c.push([`${u.fn} ${JSON.stringify(u)}`, 'unary', u, [x]]);
  }
  c.push(['relu on a vector', 'unary', { fn: 'relu' }, [f32([13], 1)]]);
  const X = f32([2, 6, 5, 7], 30);
  for (const [name, attrs] of [['add', add()], ['add alpha 0.5', add(0.5)], ['sub', sub()], ['sub alpha 2', sub(2)], ['mul', mul], ['div', div]] as const) {
    c.push([`${name}: same shape`, 'binary', attrs, [X, f32([2, 6, 5, 7], 31)]]);
    c.push([`${name}: [N, C, 1, 1] gate`, 'binary', attrs, [X, f32([2, 6, 1, 1], 32, 1.5)]]);
    c.push([`${name}: [1, C, 1, 1] bias`, 'binary', attrs, [X, f32([1, 6, 1, 1], 33)]]);
    c.push([`${name}: [C, 1, 1]`, 'binary', attrs, [X, f32([6, 1, 1], 34)]]);
    c.push([`${name}: 0-d float`, 'binary', attrs, [X, f32([], 35)]]);
    c.push([`${name}: int64 constant`, 'binary', attrs, [X, i64(3)]]);
    c.push([`${name}: vector over the last dim`, 'binary', attrs, [f32([2, 9, 12], 36), f32([12], 37)]]);
    c.push([`${name}: [H, W] over the last two dims`, 'binary', attrs, [X, f32([5, 7], 38)]]);
    if (name !== 'div') {
      c.push([`${name}: small operand first (plane)`, 'binary', attrs, [f32([1, 6, 1, 1], 39), X]]);
      c.push([`${name}: small operand first (row)`, 'binary', attrs, [f32([7], 40), X]]);
    }
  }
  const parts = [f32([2, 3, 4, 5], 50), f32([2, 2, 4, 5], 51), f32([2, 5, 4, 5], 52)];
  c.push(['cat dim 1 (channels)', 'cat', { dim: 1 }, parts]);
  c.push(['cat dim 0', 'cat', { dim: 0 }, [f32([1, 3, 4], 53), f32([2, 3, 4], 54)]]);
  c.push(['cat dim 2', 'cat', { dim: 2 }, [f32([2, 3, 4, 5], 55), f32([2, 3, 1, 5], 56)]]);
  c.push(['cat last dim', 'cat', { dim: 3 }, [f32([2, 3, 4, 5], 57), f32([2, 3, 4, 2], 58), f32([2, 3, 4, 7], 59)]]);
  c.push(['cat of one', 'cat', { dim: 1 }, [f32([1, 4, 3], 60)]]);
  const up = (mode: InterpolateAttrs['mode'], size: number[], scales: (number | null)[], alignCorners = false): InterpolateAttrs => ({ mode, nd: size.length as 1 | 2 | 3, size, scales, alignCorners });
  const img = f32([2, 3, 5, 7], 70);
  c.push(['nearest x2 (scale given)', 'interpolate', up('nearest', [10, 14], [2, 2]), [img]]);
  c.push(['nearest x1.7 (PyTorch picks by 1/scale)', 'interpolate', up('nearest', [8, 11], [1.7, 1.7]), [img]]);
  c.push(['nearest to a size, downscale', 'interpolate', up('nearest', [3, 4], [null, null]), [img]]);
  c.push(['nearest-exact', 'interpolate', up('nearest-exact', [9, 12], [null, null]), [img]]);
  c.push(['bilinear', 'interpolate', up('linear', [11, 13], [null, null]), [img]]);
  c.push(['bilinear align_corners', 'interpolate', up('linear', [11, 13], [null, null], true), [img]]);
  c.push(['bilinear x2 (scale given)', 'interpolate', up('linear', [10, 14], [2, 2]), [img]]);
  c.push(['bicubic', 'interpolate', up('cubic', [9, 10], [null, null]), [img]]);
  c.push(['linear 1-D', 'interpolate', up('linear', [17], [null]), [f32([2, 3, 6], 71)]]);
  c.push(['trilinear', 'interpolate', up('linear', [6, 7, 9], [null, null, null]), [f32([1, 2, 3, 4, 5], 72)]]);
  c.push(['nearest 3-D', 'interpolate', up('nearest', [6, 8, 10], [2, 2, 2]), [f32([1, 2, 3, 4, 5], 73)]]);
  // Only the width changes: the height's 1/0 weights still apply and turn an infinity into NaN, as in PyTorch
  // (checked with torch 1.13: F.interpolate(x, size=(4, 12), mode='bilinear') of a [1, 2, 4, 6] map).
  const inf = f32([1, 2, 4, 6], 74);
  (inf.data as Float32Array)[3] = Infinity;
  c.push(['bilinear width only, with an infinity', 'interpolate', up('linear', [4, 12], [null, null]), [inf]]);
  c.push(['nearest width only, with an infinity', 'interpolate', up('nearest', [4, 12], [null, null]), [inf]]);
  const pad = (mode: PadAttrs['mode'], before: number[], after: number[], value = 0): PadAttrs => ({ mode, before, after, value });
  const map = f32([2, 3, 5, 7], 80);
  c.push(['pad constant 0.5 (H and W)', 'pad', pad('constant', [0, 0, 1, 2], [0, 0, 3, 1], 0.5), [map]]);
  c.push(['pad constant with crops', 'pad', pad('constant', [0, 0, -1, 2], [0, 0, 1, -3]), [map]]);
  c.push(['pad channels (a ResNet option-A shortcut)', 'pad', pad('constant', [0, 2, 0, 0], [0, 2, 0, 0]), [map]]);
  c.push(['pad reflect', 'pad', pad('reflect', [0, 0, 2, 3], [0, 0, 4, 6]), [map]]);
  c.push(['pad replicate', 'pad', pad('replicate', [0, 0, 3, 1], [0, 0, 0, 5]), [map]]);
  c.push(['pad circular', 'pad', pad('circular', [0, 0, 5, 7], [0, 0, 2, 3]), [map]]);
  c.push(['pad reflect 1-D', 'pad', pad('reflect', [0, 0, 4], [0, 0, 2]), [f32([2, 3, 9], 81)]]);
  c.push(['pad replicate 3-D', 'pad', pad('replicate', [0, 0, 1, 2, 0], [0, 0, 2, 0, 3]), [f32([1, 2, 3, 4, 5], 82)]]);
  const t4 = f32([2, 3, 5, 7], 90);
  c.push(['permute NCHW to NHWC', 'permute', { perm: [0, 2, 3, 1] }, [t4]]);
  c.push(['transpose the last two dims', 'permute', { perm: [0, 1, 3, 2] }, [t4]]);
  c.push(['permute that keeps the order', 'permute', { perm: [0, 1, 2, 3] }, [t4]]);
  c.push(['slice with steps', 'slice', { start: [0, 1, 0, 1], stop: [2, 3, 5, 7], step: [1, 1, 2, 3] }, [t4]]);
  c.push(['slice one column (x[..., 4])', 'slice', { start: [0, 0, 0, 4], stop: [2, 3, 5, 5], step: [1, 1, 1, 1] }, [t4]]);
  c.push(['slice an empty range', 'slice', { start: [0, 0, 2, 0], stop: [2, 3, 2, 7], step: [1, 1, 1, 1] }, [t4]]);
  c.push(['expand size-1 dims and a new leading dim', 'expand', { shape: [4, 2, 3, 5, 7] }, [f32([2, 1, 5, 1], 91)]]);
  c.push(['expand a scalar', 'expand', { shape: [3, 4] }, [f32([], 92)]]);
  c.push(['split channels unevenly', 'split', { dim: 1, sizes: [1, 2] }, [t4]]);
  c.push(['split the last dim in three', 'split', { dim: 3, sizes: [2, 0, 5] }, [t4]]);
  c.push(['pixel shuffle x2', 'pixel_shuffle', { upscale: 2 }, [f32([2, 12, 3, 5], 93)]]);
  c.push(['pixel shuffle x3, no batch', 'pixel_shuffle', { upscale: 3 }, [f32([9, 2, 4], 94)]]);
  c.push(['pixel unshuffle x2', 'pixel_unshuffle', { downscale: 2 }, [f32([2, 3, 6, 8], 95)]]);
  const big = f32([2, 3, 17, 19], 96, 4);
  (big.data as Float32Array).forEach((v, i, d) => (d[i] = v + 100));
  c.push(['mean over H, W (a global average pool by hand)', 'reduce', { fn: 'mean', dims: [2, 3], keepdim: false }, [big]]);
  c.push(['mean over H, W, keepdim', 'reduce', { fn: 'mean', dims: [2, 3], keepdim: true }, [big]]);
  c.push(['sum over the last dim', 'reduce', { fn: 'sum', dims: [3], keepdim: false }, [t4]]);
  c.push(['sum of everything', 'reduce', { fn: 'sum', dims: [0, 1, 2, 3], keepdim: false }, [t4]]);
  c.push(['unbiased var over C, H, W of data far from zero', 'reduce', { fn: 'var', dims: [1, 2, 3], keepdim: false, correction: 1 }, [big]]);
  c.push(['biased std over the last dim', 'reduce', { fn: 'std', dims: [3], keepdim: true, correction: 0 }, [t4]]);
  c.push(['std of one element per row (correction 1: n − 1 = 0)', 'reduce', { fn: 'std', dims: [1], keepdim: false, correction: 1 }, [f32([3, 1], 97)]]);
  const withInf = f32([2, 4, 5], 98);
  (withInf.data as Float32Array)[3] = Infinity;
  (withInf.data as Float32Array)[27] = NaN;
  c.push(['mean and sum with an infinity and a NaN', 'reduce', { fn: 'mean', dims: [2], keepdim: false }, [withInf]]);
  c.push(['var with an infinity and a NaN', 'reduce', { fn: 'var', dims: [2], keepdim: false, correction: 1 }, [withInf]]);
  const q = f32([2, 3, 5, 8], 100);
  const k = f32([2, 3, 7, 8], 101);
  const scores = f32([2, 3, 5, 7], 102);
  c.push(['einsum attention scores bhid,bhjd->bhij', 'einsum', { equation: 'bhid,bhjd->bhij' }, [q, k]]);
  c.push(['einsum attention output bhij,bhjd->bhid', 'einsum', { equation: 'bhij,bhjd->bhid' }, [scores, k]]);
  c.push(['einsum with the output reordered bhid,bhjd->bjhi', 'einsum', { equation: 'bhid,bhjd->bjhi' }, [q, k]]);
  c.push(['einsum matrix product ij,jk->ik', 'einsum', { equation: 'ij,jk->ik' }, [f32([5, 6], 103), f32([6, 9], 104)]]);
  c.push(['einsum outer product i,j->ij', 'einsum', { equation: 'i,j->ij' }, [f32([5], 105), f32([3], 106)]]);
  c.push(['einsum dot product i,i->', 'einsum', { equation: 'i,i->' }, [f32([11], 107), f32([11], 108)]]);
  c.push(['einsum channel mixing nchw,oc->nohw', 'einsum', { equation: 'nchw,oc->nohw' }, [f32([2, 4, 3, 5], 109), f32([6, 4], 110)]]);
  for (const log of [false, true]) {
    const name = log ? 'log_softmax' : 'softmax';
    // Last dim (rows, with a tail), a middle dim with a stride (4-column blocks and leftovers), the first dim, a vector.
    c.push([`${name} over the last dim`, 'softmax', { dim: 2, log }, [f32([2, 5, 1003], 61, 8)]]);
    c.push([`${name} over the channels of a map`, 'softmax', { dim: 1, log }, [f32([2, 7, 5, 9], 62, 8)]]);
    c.push([`${name} over dim 0`, 'softmax', { dim: 0, log }, [f32([3, 6], 63, 8)]]);
    c.push([`${name} of a vector`, 'softmax', { dim: 0, log }, [f32([10], 64, 30)]]);
    // A row at -inf but one element (a fully masked attention row is NaN, as in PyTorch, and stays out).
    const masked = f32([2, 9], 65);
    (masked.data as Float32Array).fill(-Infinity, 0, 8);
    (masked.data as Float32Array)[12] = NaN;
    c.push([`${name} with -inf and NaN`, 'softmax', { dim: 1, log }, [masked]]);
  }
  return c;
}

// The last: a plain memory and one thread, as in a browser page without cross-origin isolation,
// where every output is copied out of the kernels' memory (growing it would detach the views).
for (const cfg of [...CONFIGS, { threads: 1, relaxed: false, sharedMemory: false as const }]) {
  test(`activations, softmax, interpolation, pad, views, broadcasting arithmetic and cat on the fast path equal the reference (${describeConfig(cfg)})`, async () => {
    const wb = await backend(cfg);
    assert.equal(wb.shared, cfg.sharedMemory !== false, 'the memory kind under test');
    const fast = wasmExecBackend(wb);
    for (const [name, op, attrs, inputs] of cases()) {
      const { graph, wants } = nodeGraph(op, attrs, inputs);
      assert.ok(fast.supports(graph.nodes[0]!, graph), `${name}: the fast path takes it`);
      for (const detail of ['all', 'outputs'] as const) {
        const r = await runGraph(graph, new Map(), inputs, { seed: 0, backends: [fast, referenceBackend], detail });
        assert.equal(r.status, 'ok', `${name}: ${r.message}`);
        assert.equal(r.nodes[0]!.backend, 'wasm', name);
        wants.forEach((w, k) => assertClose(`${name} output ${k} (${detail})`, r.outputs[k]!, w));
        assert.equal(wb.keptCount, 0, `${name}: nothing left in the kernels' memory`);
      }
    }
  });
}

test('arithmetic the kernels do not cover stays on the reference', async () => {
  const fast = wasmExecBackend(await backend({ threads: 1, relaxed: false }));
  const X = f32([2, 6, 5, 7], 1);
  const refused: Array<[string, OpName, unknown, NDArray[]]> = [
    ['a scalar divided by a tensor', 'binary', div, [f32([1, 6, 1, 1], 2), X]],
    ['a per-pixel mask [N, 1, H, W]', 'binary', mul, [X, f32([2, 1, 5, 7], 3)]],
    ['floor division', 'binary', { fn: 'div', rounding: 'floor' }, [X, f32([2, 6, 5, 7], 4)]],
    ['maximum', 'binary', { fn: 'maximum' }, [X, f32([2, 6, 5, 7], 5)]],
    ['a function without a kernel', 'unary', { fn: 'mish' }, [X]],
    ['a reduction over leading dims', 'reduce', { fn: 'mean', dims: [0, 1], keepdim: false }, [X]],
    ['amax', 'reduce', { fn: 'amax', dims: [3], keepdim: false }, [X]],
    ['an einsum diagonal', 'einsum', { equation: 'ii,ij->ij' }, [f32([4, 4], 6), f32([4, 5], 7)]],
    ['an einsum summing a letter of one operand', 'einsum', { equation: 'ij,jk->k' }, [f32([3, 4], 8), f32([4, 5], 9)]],
    ['an einsum of three operands', 'einsum', { equation: 'i,i,i->' }, [f32([4], 10), f32([4], 11), f32([4], 12)]],
    ['reflect padding as wide as the dim (PyTorch refuses it)', 'pad', { mode: 'reflect', before: [0, 0, 0, 7], after: [0, 0, 0, 0], value: 0 }, [X]],
  ];
  for (const [name, op, attrs, inputs] of refused) {
    const { graph } = nodeGraph(op, attrs, inputs, op === 'pad' ? X : undefined);
    assert.equal(fast.supports(graph.nodes[0]!, graph), false, name);
  }
});

test('a fused ReLU after a gate or a bias add runs in the same kernel', async () => {
  const wb = await backend({ threads: 1, relaxed: false });
  const fast = wasmExecBackend(wb);
  const x = f32([1, 4, 6, 6], 70);
  const gate = f32([1, 4, 1, 1], 71);
  const { graph, want } = nodeGraph('binary', mul, [x, gate]);
  // Append a ReLU node reading the product.
  graph.values.push({ id: 3, shape: want.shape.slice(), dtype: 'float32' });
  graph.nodes.push({ op: 'unary', attrs: { fn: 'relu' }, inputs: [2], outputs: [3], path: 'relu', line: 2 });
  graph.outputs = [3];
  const r = await runGraph(graph, new Map(), [x, gate], { seed: 0, backends: [fast, referenceBackend], detail: 'outputs' });
  assert.equal(r.status, 'ok', r.message);
  const relu = Float32Array.from(want.data as Float32Array, (v) => Math.max(v, 0));
  assertClose('gate + ReLU', r.outputs[0]!, { shape: want.shape, dtype: 'float32', data: relu });
  assert.equal(r.nodes[1]!.backend, 'wasm');
});
