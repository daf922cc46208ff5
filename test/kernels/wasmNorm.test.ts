// The fast path's normalisation layers (batch norm in training, instance, group and layer norm)
// against the TypeScript reference on seeded inputs: odd sizes, batch > 1, affine on and off,
// running-statistic updates, inputs far from zero mean, fused ReLU, 1 and 2 threads, both SIMD builds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';
import { batchNorm } from '../../kernels/src/ref/batchNorm';
import { instanceNorm } from '../../kernels/src/ref/instanceNorm';
import { groupNorm } from '../../kernels/src/ref/groupNorm';
import { layerNorm } from '../../kernels/src/ref/layerNorm';
import { assertClose, backend, copy, disposeAll, randn, relu } from './wasmHelpers';

after(disposeAll);

const CONFIGS = [
  { threads: 1, relaxed: false },
  { threads: 2, relaxed: false },
  { threads: 2, relaxed: 'auto' as const },
];

/** Seeded values with mean `offset`: statistics of data far from zero are where one-pass formulas lose digits. */
function shifted(shape: number[], seed: number, offset: number, scale = 1): NDArray {
  const t = randn(shape, seed, scale);
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i]! += offset;
  return t;
}

function positive(shape: number[], seed: number): NDArray {
  const t = randn(shape, seed);
  (t.data as Float32Array).forEach((v, i, a) => (a[i] = Math.abs(v) + 0.2));
  return t;
}

for (const cfg of CONFIGS) {
  const name = `${cfg.threads} thread${cfg.threads > 1 ? 's' : ''}, ${cfg.relaxed === false ? 'SIMD128' : 'relaxed where present'}`;

  test(`batch norm with batch statistics equals the reference, running statistics included (${name})`, async () => {
    const be = await backend(cfg);
    const shapes = [[2, 5, 6, 7], [1, 3, 33, 17], [4, 6, 10], [3, 7], [2, 3, 4, 5, 3]];
    for (const [k, shape] of shapes.entries()) {
      const C = shape[1]!;
      const x = shifted(shape, 10 + k, k === 1 ? 50 : 0.5, 2);
      const [rm, rv, w, b] = [randn([C], 20 + k), positive([C], 30 + k), randn([C], 40 + k), randn([C], 50 + k)];
      const nbt: NDArray = { shape: [], dtype: 'int64', data: new Float64Array([7]) };
      for (const momentum of [0.1, null]) {
        const attrs = { training: true, momentum, eps: 1e-5, runningStats: true, weight: true, bias: true, numBatchesTracked: true };
        const want = batchNorm([x, rm, rv, w, b, nbt], attrs);
        const got = await be.batchNormTrain(x, { runningMean: rm, runningVar: rv, weight: w, bias: b, eps: 1e-5, momentum, numBatchesTracked: nbt });
        assert.equal(got.length, 4, 'y, running mean, running var, num_batches_tracked');
        assertClose(`bn train y [${shape}] momentum ${momentum}`, copy(got[0]!), want[0]!);
        assertClose(`bn train running mean [${shape}]`, got[1]!, want[1]!);
        assertClose(`bn train running var [${shape}]`, got[2]!, want[2]!);
        assert.deepEqual([...got[3]!.data], [8]);
        be.resetArena();
      }
      // No affine, no running statistics (track_running_stats=False), fused ReLU.
      const plain = { training: true, momentum: 0.1, eps: 1e-3, runningStats: false, weight: false, bias: false, numBatchesTracked: false };
      const got = await be.batchNormTrain(x, { runningMean: null, runningVar: null, weight: null, bias: null, eps: 1e-3, momentum: 0.1, numBatchesTracked: null }, { relu: true });
      assert.equal(got.length, 1);
      assertClose(`bn train no stats + ReLU [${shape}]`, copy(got[0]!), relu(batchNorm([x], plain)[0]!));
      be.resetArena();
    }
    await assert.rejects(be.batchNormTrain(randn([1, 4], 1), { runningMean: null, runningVar: null, weight: null, bias: null, eps: 1e-5, momentum: 0.1, numBatchesTracked: null }), /more than 1 value per channel/);
  });

  test(`instance norm equals the reference with input statistics, running statistics and both updates (${name})`, async () => {
    const be = await backend(cfg);
    for (const [k, shape] of [[2, 5, 6, 7], [1, 4, 31], [3, 2, 3, 4, 5], [1, 16, 64, 64]].entries()) {
      const C = shape[1]!;
      const x = shifted(shape, 60 + k, k === 1 ? -30 : 0, 3);
      const [rm, rv, w, b] = [randn([C], 70 + k), positive([C], 80 + k), randn([C], 90 + k), randn([C], 100 + k)];
      for (const useInputStats of [true, false]) {
        const attrs = { useInputStats, momentum: 0.1, eps: 1e-5, runningStats: true, weight: true, bias: true };
        const want = instanceNorm([x, rm, rv, w, b], attrs);
        const got = await be.instanceNorm(x, { useInputStats, runningMean: rm, runningVar: rv, momentum: 0.1, weight: w, bias: b, eps: 1e-5 });
        assert.equal(got.length, want.length);
        want.forEach((t, i) => assertClose(`instance norm [${shape}] input stats ${useInputStats} output ${i}`, copy(got[i]!), t));
        be.resetArena();
      }
      const want = instanceNorm([x], { useInputStats: true, momentum: 0.1, eps: 1e-5, runningStats: false, weight: false, bias: false });
      const got = await be.instanceNorm(x, { useInputStats: true, runningMean: null, runningVar: null, momentum: 0.1, weight: null, bias: null, eps: 1e-5 }, { relu: true });
      assertClose(`instance norm [${shape}] plain + ReLU`, copy(got[0]!), relu(want[0]!));
      be.resetArena();
    }
  });

  test(`group norm equals the reference (1, several and one-channel groups, odd sizes) (${name})`, async () => {
    const be = await backend(cfg);
    const cases: Array<[number[], number]> = [[[2, 6, 5, 7], 3], [[1, 32, 28, 28], 8], [[3, 4, 9], 1], [[2, 6, 3, 3, 3], 6], [[1, 5, 1, 1], 5], [[4, 10], 2]];
    for (const [k, [shape, G]] of cases.entries()) {
      const C = shape[1]!;
      const x = shifted(shape, 110 + k, k === 0 ? 20 : 0, 2);
      const [w, b] = [randn([C], 120 + k), randn([C], 130 + k)];
      const want = groupNorm([x, w, b], { groups: G, eps: 1e-5, weight: true, bias: true })[0]!;
      assertClose(`group norm [${shape}] G=${G}`, copy(await be.groupNorm(x, G, { weight: w, bias: b, eps: 1e-5 })), want);
      const plain = groupNorm([x], { groups: G, eps: 1e-5, weight: false, bias: false })[0]!;
      assertClose(`group norm [${shape}] G=${G} no affine + ReLU`, copy(await be.groupNorm(x, G, { weight: null, bias: null, eps: 1e-5 }, { relu: true })), relu(plain));
      be.resetArena();
    }
    await assert.rejects(be.groupNorm(randn([1, 6, 2], 1), 4, { weight: null, bias: null, eps: 1e-5 }), /divisible by num_groups=4/);
  });

  test(`layer norm equals the reference (last dim, last three dims, sizes not a multiple of 4) (${name})`, async () => {
    const be = await backend(cfg);
    const cases: Array<[number[], number[]]> = [[[2, 7, 10], [10]], [[3, 64], [64]], [[2, 6, 5, 5], [6, 5, 5]], [[1, 197, 768], [768]], [[5, 3], [3]], [[2, 3, 1], [1]]];
    for (const [k, [shape, norm]] of cases.entries()) {
      const x = shifted(shape, 140 + k, k === 2 ? 40 : 0.3, 2);
      const len = norm.reduce((a, b) => a * b, 1);
      const [w, b] = [randn(norm, 150 + k), randn(norm, 160 + k)];
      const want = layerNorm([x, w, b], { normalizedShape: norm, eps: 1e-5, weight: true, bias: true })[0]!;
      assertClose(`layer norm [${shape}] over [${norm}]`, copy(await be.layerNorm(x, len, { weight: w, bias: b, eps: 1e-5 })), want);
      const onlyW = layerNorm([x, w], { normalizedShape: norm, eps: 1e-6, weight: true, bias: false })[0]!;
      assertClose(`layer norm [${shape}] weight only + ReLU`, copy(await be.layerNorm(x, len, { weight: w, bias: null, eps: 1e-6 }, { relu: true })), relu(onlyW));
      be.resetArena();
    }
  });
}
