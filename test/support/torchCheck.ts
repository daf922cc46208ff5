// The check every kernel result meets against a PyTorch fixture tensor (reference kernels, fast path).
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';

/**
 * Same dtype and shape; non-float outputs exactly equal; float outputs within
 * max|a − b| / max(1, max|b|) <= tol (1e-4), NaN where and only where PyTorch has NaN, infinities
 * equal. Why that tolerance: test/kernels/reference.test.ts.
 */
export function assertMatchesTorch(what: string, got: NDArray | undefined, want: NDArray, tol = 1e-4): void {
  assert.ok(got, `${what}: no output`);
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  assert.equal(got.data.length, want.data.length, `${what}: element count`);
  if (want.dtype !== 'float32') {
    for (let i = 0; i < want.data.length; i++) assert.equal(got.data[i], want.data[i], `${what}: element ${i} is ${got.data[i]}, PyTorch has ${want.data[i]}`);
    return;
  }
  let scale = 1;
  for (const v of want.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.data.length; i++) {
    const a: number = got.data[i]!;
    const b: number = want.data[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(b), `${what}: element ${i} is ${a}, PyTorch has ${b}`);
      continue;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      assert.equal(a, b, `${what}: element ${i}`);
      continue;
    }
    const e = Math.abs(a - b) / scale;
    if (e > worst) {
      worst = e;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: relative error ${worst.toExponential(2)} at element ${at} (${got.data[at]} vs PyTorch ${want.data[at]})`);
}
