// Dropout's seeded masks: keep-or-zero with 1/(1−p) scaling, the rate, whole feature maps for dropout2d, and reproducibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';
import { dropout, dropoutNodeSeed, dropoutUniform } from '../../kernels/src/ref/dropout';
import { rng } from '../support/rng';

function input(shape: number[], seed: number): NDArray {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, dtype: 'float32', data: Float32Array.from({ length: n }, () => r() + 0.5) };
}

test('training mode keeps an element scaled by 1/(1−p) or zeroes it, at rate p', () => {
  const x = input([4, 8, 32, 32], 1);
  for (const p of [0.1, 0.5, 0.8]) {
    const [y] = dropout([x], { p, training: true, featureDims: 0, seed: 12345 });
    let dropped = 0;
    for (let i = 0; i < x.data.length; i++) {
      if (y.data[i] === 0) dropped++;
      else assert.ok(Math.abs(y.data[i] - x.data[i] / (1 - p)) < 1e-6 * y.data[i], `element ${i}`);
    }
    const rate = dropped / x.data.length;
    // 32768 Bernoulli draws: 4 standard deviations is under 0.012.
    assert.ok(Math.abs(rate - p) < 0.012, `p=${p}: dropped ${rate}`);
  }
});

test('dropout2d zeroes whole feature maps, and some maps survive', () => {
  const x = input([3, 40, 5, 6], 2);
  const [y] = dropout([x], { p: 0.5, training: true, featureDims: 2, seed: 99 });
  let zeroMaps = 0;
  for (let m = 0; m < 120; m++) {
    const plane = Array.from(y.data.subarray(m * 30, (m + 1) * 30));
    const zeros = plane.filter((v) => v === 0).length;
    assert.ok(zeros === 0 || zeros === 30, `map ${m} is partly dropped`);
    if (zeros === 30) zeroMaps++;
  }
  assert.ok(zeroMaps > 30 && zeroMaps < 90, `${zeroMaps} of 120 maps dropped`);
});

test('the mask depends on the seed only: same seed same mask, another seed or node another mask', () => {
  const x = input([2, 3, 16, 16], 3);
  const a = dropout([x], { p: 0.5, training: true, featureDims: 0, seed: 7 })[0];
  const b = dropout([x], { p: 0.5, training: true, featureDims: 0, seed: 7 })[0];
  const c = dropout([x], { p: 0.5, training: true, featureDims: 0, seed: 8 })[0];
  assert.deepEqual(a.data, b.data);
  const same = Array.from(a.data).filter((v, i) => (v === 0) === (c.data[i] === 0)).length / a.data.length;
  assert.ok(same > 0.4 && same < 0.6, `masks of seeds 7 and 8 agree on ${same} of the elements`);
  assert.notEqual(dropoutNodeSeed(1, 0), dropoutNodeSeed(1, 1));
  assert.notEqual(dropoutNodeSeed(1, 0), dropoutNodeSeed(2, 0));
  assert.equal(dropoutNodeSeed(1, 5), dropoutNodeSeed(1, 5));
  const u = dropoutUniform(123, 456);
  assert.ok(u >= 0 && u < 1);
});

test('eval mode and p=0 are the identity, p=1 zeroes everything, p outside [0, 1] is refused', () => {
  const x = input([2, 5], 4);
  assert.deepEqual(dropout([x], { p: 0.9, training: false, featureDims: 0, seed: 1 })[0].data, x.data);
  assert.deepEqual(dropout([x], { p: 0, training: true, featureDims: 0, seed: 1 })[0].data, x.data);
  assert.ok(dropout([x], { p: 1, training: true, featureDims: 0, seed: 1 })[0].data.every((v) => v === 0));
  assert.throws(() => dropout([x], { p: 1.5, training: true, featureDims: 0, seed: 1 }), /between 0 and 1/);
});
