// The WebAssembly fast path's pooling, linear, matmul, batch norm, residual add and moments against the
// TypeScript reference on seeded inputs (ceil_mode, padding, dilation, divisor rules, odd sizes,
// batch > 1), with NaN-filled outputs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AvgPoolAttrs, MaxPoolAttrs } from '../../server/src/engine/graph/ir';
import { avgPool, maxPool } from '../../kernels/src/ref/pool';
import { linear } from '../../kernels/src/ref/linear';
import { matmul } from '../../kernels/src/ref/matmul';
import { batchNorm } from '../../kernels/src/ref/batchNorm';
import { binary } from '../../kernels/src/ref/binary';
import { assertClose, backend, disposeAll, randn, relu } from './wasmHelpers';
import { statsFromMoments, tensorStats } from '../../kernels/src/exec/stats';

after(disposeAll);

const mp = (k: number[], s: number[], p: number[], d: number[], ceilMode: boolean): MaxPoolAttrs => ({ nd: k.length as 1 | 2, kernel: k, stride: s, padding: p, dilation: d, ceilMode, returnIndices: false });
const ap = (k: number[], s: number[], p: number[], ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null = null): AvgPoolAttrs => ({ nd: k.length as 1 | 2, kernel: k, stride: s, padding: p, ceilMode, countIncludePad, divisorOverride });

test('max pooling equals the reference (padding, ceil_mode, dilation, stride > kernel, NaN propagation)', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const cases: Array<[number[], MaxPoolAttrs]> = [
    [[1, 3, 9, 9], mp([3, 3], [2, 2], [1, 1], [1, 1], false)],
    [[2, 5, 10, 11], mp([3, 3], [2, 2], [1, 1], [1, 1], true)],
    [[1, 4, 12, 13], mp([2, 2], [2, 2], [0, 0], [1, 1], true)],
    [[1, 2, 13, 12], mp([3, 2], [1, 3], [1, 1], [2, 3], false)],
    [[1, 3, 11, 7], mp([2, 2], [3, 3], [0, 0], [1, 1], false)],
    [[3, 20], mp([4], [3], [2], [1], true)],
    // 2x2 windows of stride 2 inside the input run in place (pool2x2): full blocks of 4, tails, odd sizes.
    [[2, 3, 28, 28], mp([2, 2], [2, 2], [0, 0], [1, 1], false)],
    [[1, 2, 9, 11], mp([2, 2], [2, 2], [0, 0], [1, 1], false)],
  ];
  for (const [shape, a] of cases) {
    const x = randn(shape, shape.length * 31 + shape[shape.length - 1]!);
    const want = maxPool([x], a)[0]!;
    assertClose(`max_pool ${JSON.stringify(a)} on [${shape}]`, await be.maxPool(x, a), want);
    assertClose(`max_pool + ReLU`, await be.maxPool(x, a, { relu: true }), relu(want));
  }
  const x = randn([1, 1, 4, 4], 5);
  (x.data as Float32Array)[5] = NaN;
  const a = mp([2, 2], [2, 2], [0, 0], [1, 1], false);
  assertClose('a NaN in a window makes that window NaN', await be.maxPool(x, a), maxPool([x], a)[0]!);
  // NaNs in the SIMD blocks of the in-place 2x2 path: an even and an odd column, top and bottom row.
  const w = randn([1, 1, 4, 16], 6);
  for (const i of [2, 19, 36, 61]) (w.data as Float32Array)[i] = NaN;
  assertClose('a NaN in a 2x2 block makes that window NaN', await be.maxPool(w, a), maxPool([w], a)[0]!);
  be.resetArena();
});

test('average pooling equals the reference (count_include_pad both ways, ceil_mode overhang, divisor_override, global)', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const cases: Array<[number[], AvgPoolAttrs]> = [
    [[1, 3, 9, 9], ap([3, 3], [2, 2], [1, 1], false, true)],
    [[1, 3, 9, 9], ap([3, 3], [2, 2], [1, 1], false, false)],
    [[2, 4, 10, 11], ap([3, 3], [2, 2], [1, 1], true, true)],
    [[2, 4, 10, 11], ap([3, 3], [2, 2], [1, 1], true, false)],
    [[1, 2, 8, 9], ap([2, 3], [2, 2], [1, 0], false, true, 5)],
    [[1, 16, 7, 7], ap([7, 7], [7, 7], [0, 0], false, true)],
    [[2, 3, 17], ap([5], [2], [2], true, false)],
    [[2, 3, 28, 28], ap([2, 2], [2, 2], [0, 0], false, true)],
    [[1, 2, 9, 11], ap([2, 2], [2, 2], [0, 0], false, false)],
    [[1, 2, 8, 8], ap([2, 2], [2, 2], [0, 0], false, true, 3)],
  ];
  for (const [shape, a] of cases) {
    const x = randn(shape, shape.reduce((s, d) => s + d, 0));
    assertClose(`avg_pool ${JSON.stringify(a)} on [${shape}]`, await be.avgPool(x, a), avgPool([x], a)[0]!);
  }
  be.resetArena();
});

test('linear equals the reference for batch 1, odd batches and sizes that are not multiples of 4', async () => {
  const be = await backend({ threads: 1, relaxed: true });
  for (const [lead, IN, OUT, withBias] of [[[1], 400, 120, true], [[3], 13, 7, true], [[2, 5], 9, 10, false], [[1], 1, 1, true], [[4], 84, 10, true], [[1], 13, 8, false]] as Array<[number[], number, number, boolean]>) {
    const x = randn([...lead, IN], IN);
    const w = randn([OUT, IN], OUT, 0.3);
    const b = withBias ? randn([OUT], 3) : null;
    const want = linear(b ? [x, w, b] : [x, w], { bias: withBias })[0]!;
    const h = be.prepareLinear(w, b);
    assertClose(`linear [${lead}, ${IN}] -> ${OUT}`, await be.linear(h, x), want);
    assertClose(`linear + ReLU`, await be.linear(h, x, { relu: true }), relu(want));
    be.release(h);
  }
  be.resetArena();
});

test('matmul equals the reference for 2-D, batched and broadcast right operands', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  for (const [as, bs] of [[[5, 7], [7, 3]], [[2, 6, 9], [2, 9, 5]], [[3, 4, 8], [8, 6]], [[1, 1], [1, 1]]]) {
    const a = randn(as!, 1);
    const b = randn(bs!, 2);
    assertClose(`matmul [${as}] @ [${bs}]`, await be.matmul(a, b), matmul([a, b], {} as never)[0]!);
  }
  be.resetArena();
});

test('batch norm (eval), residual add with ReLU and ReLU alone equal the reference', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const x = randn([2, 5, 6, 7], 1);
  const mean = randn([5], 2);
  const variance = randn([5], 3);
  variance.data.forEach((v, i) => ((variance.data as Float32Array)[i] = Math.abs(v) + 0.1));
  const weight = randn([5], 4);
  const bias = randn([5], 5);
  const want = batchNorm([x, mean, variance, weight, bias], { training: false, momentum: 0.1, eps: 1e-5, runningStats: true, weight: true, bias: true, numBatchesTracked: false })[0]!;
  assertClose('batch_norm eval', await be.batchNormEval(x, { mean, variance, weight, bias, eps: 1e-5 }), want);
  assertClose('batch_norm eval + ReLU', await be.batchNormEval(x, { mean, variance, weight, bias, eps: 1e-5 }, { relu: true }), relu(want));
  const y = randn([2, 5, 6, 7], 6);
  const sum = binary([x, y], { fn: 'add', alpha: 1 })[0]!;
  assertClose('add + ReLU', await be.add(x, y, { relu: true }), relu(sum));
  x.data[3] = NaN;
  assertClose('relu (NaN stays NaN)', await be.relu(x), relu(x));
  await assert.rejects(be.add(x, randn([2, 5, 6, 6], 7)), /same shape|one shape/);
  be.resetArena();
});

test('the moments pass gives the statistics tensorStats computes, and defers to it on NaN and Inf', async () => {
  for (const cfg of [{ threads: 1, relaxed: false }, { threads: 2, relaxed: false, parallel: 'always' as const }]) {
    const be = await backend(cfg);
    for (const [k, n] of [1, 7, 33, 4096, 32768 + 5, 100003].entries()) {
      const x = randn([n], 300 + k, 2);
      if (k === 4) (x.data as Float32Array).forEach((v, i, d) => (d[i] = v + 1000));
      const m = await be.moments(x);
      const got = statsFromMoments(m)!;
      const want = tensorStats(x);
      assert.ok(got, `n=${n}: finite`);
      assert.equal(got.min, want.min, `n=${n}: min`);
      assert.equal(got.max, want.max, `n=${n}: max`);
      assert.ok(Math.abs(got.mean - want.mean) <= 1e-6 * Math.max(1, Math.abs(want.mean)), `n=${n}: mean ${got.mean} vs ${want.mean}`);
      if (n > 1) assert.ok(Math.abs(got.std - want.std) <= 1e-4 * want.std, `n=${n}: std ${got.std} vs ${want.std}`);
      else assert.ok(Number.isNaN(got.std));
      be.resetArena();
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = randn([5000], 9);
      (x.data as Float32Array)[4321] = bad;
      const m = await be.moments(x);
      assert.equal(statsFromMoments(m), null, `${bad}: left to tensorStats`);
      be.resetArena();
    }
  }
});
