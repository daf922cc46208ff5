// Summary statistics of a tensor for the panel and `--stats`, in one pass, plus its NaN/Inf counts.
import type { NDArray } from '../ndarray';

export interface TensorStats {
  /** As torch's x.mean(), x.std() (unbiased, n − 1), x.min(), x.max(): NaN when any element is NaN (and for std of one element). */
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Number of NaN and of ±Inf elements. */
  nan: number;
  inf: number;
}

/**
 * One pass accumulating sum, sum of squares (float64), min and max; the variance is
 * (Σx² − Σx·mean)/(n − 1), exact enough in float64 for float32 data and twice as fast as two passes,
 * which matters because every node of every run is summarised. A non-finite sum is the cheap signal
 * that some element is NaN or Inf; only then are they counted.
 */
export function tensorStats(a: NDArray): TensorStats {
  const d = a.data;
  const n = d.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, nan: 0, inf: 0 };
  let s = 0;
  let q = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = d[i]!;
    s += x;
    q += x * x;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  let nan = 0;
  let inf = 0;
  if (!Number.isFinite(s) || !Number.isFinite(q)) {
    for (let i = 0; i < n; i++) {
      const x = d[i]!;
      if (x !== x) nan++;
      else if (x === Infinity || x === -Infinity) inf++;
    }
  }
  const mean = s / n;
  if (nan) return { mean: NaN, std: NaN, min: NaN, max: NaN, nan, inf };
  return { mean, std: inf ? NaN : stdOf(n, q - s * mean), min: lo, max: hi, nan, inf };
}

/**
 * The statistics of n values from their mean, sum of squared deviations Σ(x − mean)², min and max
 * (computed elsewhere, e.g. by the fast path's SIMD pass), or null when they are not finite: then
 * some value was NaN or infinite, and tensorStats must count them.
 */
export function statsFromMoments(m: { n: number; mean: number; m2: number; min: number; max: number }): TensorStats | null {
  if (m.n === 0 || !Number.isFinite(m.mean) || !Number.isFinite(m.m2)) return null;
  return { mean: m.mean, std: stdOf(m.n, m.m2), min: m.min, max: m.max, nan: 0, inf: 0 };
}

/** torch.std's unbiased estimate from Σ(x − mean)² (NaN for one value, as torch gives). */
function stdOf(n: number, m2: number): number {
  return n > 1 ? Math.sqrt(Math.max(0, m2 / (n - 1))) : NaN;
}
