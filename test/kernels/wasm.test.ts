// The WebAssembly fast path's convolutions against the TypeScript reference on seeded inputs:
// odd sizes, stride > kernel, dilation, groups, depthwise, asymmetric padding, batch 2, 1x1,
// channel counts that are not multiples of the tile, fused ReLU and folded batch norm, in both
// builds (SIMD128 and relaxed SIMD), with NaN-filled outputs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConvAttrs } from '../../server/src/engine/graph/ir';
import { conv } from '../../kernels/src/ref/conv';
import { batchNorm } from '../../kernels/src/ref/batchNorm';
import { assertClose, backend, copy, disposeAll, randn, relu } from './wasmHelpers';

after(disposeAll);

interface ConvCase {
  name: string;
  x: number[];
  /** [C_out, C_in / groups, ...kernel] */
  w: number[];
  stride: number[];
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
  groups: number;
  bias?: boolean;
}

const c2 = (name: string, x: number[], w: number[], s: number, p: number, d = 1, groups = 1): ConvCase => ({
  name, x, w, stride: [s, s], padBefore: [p, p], padAfter: [p, p], dilation: [d, d], groups,
});

const CASES: ConvCase[] = [
  c2('3x3 same, odd sizes', [1, 3, 7, 9], [5, 3, 3, 3], 1, 1),
  c2('3x3 no padding (input read in place)', [1, 4, 9, 11], [6, 4, 3, 3], 1, 0),
  c2('stride 3 > kernel 2', [1, 3, 11, 10], [7, 3, 2, 2], 3, 0),
  c2('dilation 2', [1, 5, 13, 12], [9, 5, 3, 3], 1, 2, 2),
  c2('stride 2, dilation 3, padding 2', [1, 3, 17, 15], [4, 3, 3, 3], 2, 2, 3),
  c2('groups 2, 6 -> 10 channels', [1, 6, 8, 7], [10, 3, 3, 3], 1, 1, 1, 2),
  c2('groups 3, 9 -> 3 channels', [1, 9, 6, 6], [3, 3, 3, 3], 1, 1, 1, 3),
  c2('batch 2, 13 -> 17 channels', [2, 13, 6, 5], [17, 13, 3, 3], 1, 1),
  c2('1x1 stride 1', [2, 7, 5, 6], [11, 7, 1, 1], 1, 0),
  c2('1x1 stride 2', [1, 8, 9, 9], [5, 8, 1, 1], 2, 0),
  c2('7x7 stride 2 padding 3 (a stem)', [1, 3, 23, 21], [8, 3, 7, 7], 2, 3),
  c2('kernel wider than the input', [1, 2, 3, 4], [3, 2, 5, 5], 1, 2),
  c2('one output channel', [1, 3, 5, 5], [1, 3, 3, 3], 1, 1),
  // Output widths that are multiples of 4: the GEMM's tiles then span output rows (last tile half full).
  c2('3x3 same, width 12, 6 output channels', [1, 5, 5, 12], [6, 5, 3, 3], 1, 1),
  c2('groups 2, stride 2, width 12', [1, 4, 9, 24], [6, 2, 3, 3], 2, 1, 1, 2),
  c2('3x3 same, width 20, several chunks', [1, 16, 20, 20], [21, 16, 3, 3], 1, 1),
  c2('depthwise 3x3', [1, 5, 11, 9], [5, 1, 3, 3], 1, 1, 1, 5),
  c2('depthwise 3x3 stride 2', [2, 6, 12, 13], [6, 1, 3, 3], 2, 1, 1, 6),
  c2('depthwise 5x5 dilation 2', [1, 4, 15, 14], [4, 1, 5, 5], 1, 4, 2, 4),
  c2('depthwise channel multiplier 2', [1, 3, 8, 8], [6, 1, 3, 3], 1, 1, 1, 3),
  { name: 'asymmetric padding (1,2 before, 0,3 after)', x: [1, 3, 8, 9], w: [6, 3, 3, 2], stride: [1, 2], padBefore: [1, 2], padAfter: [0, 3], dilation: [1, 1], groups: 1 },
  { name: 'no bias, rectangular kernel and stride', x: [1, 4, 10, 12], w: [5, 4, 2, 4], stride: [2, 1], padBefore: [1, 0], padAfter: [1, 0], dilation: [2, 1], groups: 1, bias: false },
  { name: 'asymmetric padding, depthwise', x: [1, 4, 7, 9], w: [4, 1, 3, 3], stride: [1, 1], padBefore: [0, 2], padAfter: [2, 0], dilation: [1, 1], groups: 4 },
];

function attrsOf(c: ConvCase): ConvAttrs {
  const nd = (c.w.length - 2) as 1 | 2;
  return { nd, stride: c.stride, padBefore: c.padBefore, padAfter: c.padAfter, dilation: c.dilation, groups: c.groups, bias: c.bias !== false };
}

for (const relaxed of [false, true]) {
  const build = relaxed ? 'relaxed SIMD' : 'SIMD128';
  test(`conv2d, ${build}: fast path equals the reference on ${CASES.length} shapes, with and without ReLU`, async () => {
    const be = await backend({ threads: 1, relaxed });
    assert.equal(be.variant, relaxed ? 'relaxed' : 'simd128');
    for (const [i, c] of CASES.entries()) {
      const x = randn(c.x, 100 + i);
      const w = randn(c.w, 200 + i, 0.5);
      const b = c.bias === false ? null : randn([c.w[0]!], 300 + i);
      const a = attrsOf(c);
      const want = conv(b ? [x, w, b] : [x, w], a)[0]!;
      const h = be.prepareConv(w, b, a);
      assertClose(`${c.name}`, await be.conv(h, x), want);
      assertClose(`${c.name}, ReLU`, await be.conv(h, x, { relu: true }), relu(want));
      be.release(h);
      be.resetArena();
    }
  });
}

test('conv1d runs as a 2-D conv of height 1, unbatched input allowed', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const a: ConvAttrs = { nd: 1, stride: [2], padBefore: [3], padAfter: [1], dilation: [2], groups: 1, bias: true };
  for (const xs of [[2, 5, 31], [5, 17]]) {
    const x = randn(xs, 7);
    const w = randn([6, 5, 4], 8);
    const b = randn([6], 9);
    const h = be.prepareConv(w, b, a);
    assertClose(`conv1d [${xs}]`, await be.conv(h, x), conv([x, w, b], a)[0]!);
  }
  be.resetArena();
});

test('a batch norm folded into the conv at prepare time equals conv then batch norm', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const a: ConvAttrs = { nd: 2, stride: [1, 1], padBefore: [1, 1], padAfter: [1, 1], dilation: [1, 1], groups: 1, bias: true };
  const x = randn([1, 4, 6, 7], 1);
  const w = randn([6, 4, 3, 3], 2);
  const b = randn([6], 3);
  const mean = randn([6], 4);
  const variance = randn([6], 5);
  variance.data.forEach((v, i) => ((variance.data as Float32Array)[i] = Math.abs(v) + 0.5));
  const gamma = randn([6], 6);
  const beta = randn([6], 7);
  const eps = 1e-5;
  const h = be.prepareConv(w, b, a, { mean, variance, weight: gamma, bias: beta, eps });
  const y = conv([x, w, b], a)[0]!;
  const want = batchNorm([y, mean, variance, gamma, beta], { training: false, momentum: 0.1, eps, runningStats: true, weight: true, bias: true, numBatchesTracked: false })[0]!;
  assertClose('conv + folded batch norm', await be.conv(h, x), want);
  be.resetArena();
});

test('the relaxed-SIMD and SIMD128 builds agree within float32 rounding on a 64-channel 3x3 conv', async () => {
  const plain = await backend({ threads: 1, relaxed: false });
  const fused = await backend({ threads: 1, relaxed: true });
  const a: ConvAttrs = { nd: 2, stride: [1, 1], padBefore: [1, 1], padAfter: [1, 1], dilation: [1, 1], groups: 1, bias: true };
  const x = randn([1, 64, 14, 14], 11);
  const w = randn([64, 64, 3, 3], 12, 0.1);
  const b = randn([64], 13);
  const y1 = copy(await plain.conv(plain.prepareConv(w, b, a), x));
  const y2 = await fused.conv(fused.prepareConv(w, b, a), x);
  // Fused multiply-add rounds once per tap instead of twice (where the CPU has FMA; V8 falls back
  // to multiply then add elsewhere): over 576 taps the results differ by ~1e-6 relative.
  assertClose('relaxed vs plain', y2, y1, 1e-5);
  plain.resetArena();
  fused.resetArena();
});

test('a conv input that already lives in the kernels\' memory is read in place, and arena outputs chain', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const a: ConvAttrs = { nd: 2, stride: [1, 1], padBefore: [1, 1], padAfter: [1, 1], dilation: [1, 1], groups: 1, bias: true };
  const x = randn([1, 3, 8, 8], 21);
  const w1 = randn([4, 3, 3, 3], 22);
  const w2 = randn([5, 4, 3, 3], 23);
  const b1 = randn([4], 24);
  const b2 = randn([5], 25);
  const y1 = await be.conv(be.prepareConv(w1, b1, a), be.upload(x), { relu: true });
  const y2 = await be.conv(be.prepareConv(w2, b2, a), y1);
  assertClose('two chained convs', y2, conv([relu(conv([x, w1, b1], a)[0]!), w2, b2], a)[0]!);
  // Growing the memory (a large allocation) must not invalidate outputs handed out before.
  const kept = Float32Array.from(y2.data);
  be.reserve(64 * 1024 * 1024);
  assert.deepEqual(Float32Array.from(y2.data), kept);
  const before = be.bytesInUse;
  be.resetArena();
  assert.ok(be.bytesInUse < before, 'resetArena frees the run\'s activations');
});
