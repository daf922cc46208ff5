// Summary statistics of a tensor for the executor's per-node report (the feature-map panel,
// `--stats`): sum, sum of squares, min and max of one chunk per parallel tile, in one SIMD pass.
import { p32, pptr } from './simd';
import { C_H, C_W, C_X_PTR, C_OUT_PTR } from '../src/wasm/layout';

/** Elements summed in float32 lanes before moving into the float64 totals (as in norm.ts's moments). */
const BLOCK = 512;

/**
 * Parallel job: elements tile*C_W .. +C_W (of C_H at C_X_PTR) give five f64 at C_OUT_PTR + 40*tile:
 * the sum and the sum of squares of x − c, min, max, and c, the chunk's first element. Summing
 * deviations from a value of the data keeps the squares near the variance's scale, so data far from
 * zero (a mean 1000 times its spread) keeps its digits in float32 lanes. A NaN makes the sums NaN
 * and an infinity makes them non-finite: the caller then counts those in JavaScript, which is rare.
 */
export function stats(params: usize, tile: i32, thread: i32): void {
  const total = p32(params, C_H), chunk = p32(params, C_W);
  const i0 = tile * chunk;
  let i1 = i0 + chunk;
  if (i1 > total) i1 = total;
  const x = pptr(params, C_X_PTR);
  const c = load<f32>(x + (<usize>i0 << 2));
  const cv = f32x4.splat(c);
  let sum: f64 = 0, sq: f64 = 0;
  let lo = f32x4.splat(Infinity), hi = f32x4.splat(-Infinity);
  let slo: f32 = Infinity, shi: f32 = -Infinity;
  let i = i0;
  while (i < i1) {
    let end = i + BLOCK;
    if (end > i1) end = i1;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const o = <usize>i << 2;
      const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
      const d0 = f32x4.sub(v0, cv), d1 = f32x4.sub(v1, cv);
      a0 = f32x4.add(a0, d0);
      a1 = f32x4.add(a1, d1);
      q0 = f32x4.add(q0, f32x4.mul(d0, d0));
      q1 = f32x4.add(q1, f32x4.mul(d1, d1));
      lo = f32x4.min(lo, f32x4.min(v0, v1));
      hi = f32x4.max(hi, f32x4.max(v0, v1));
    }
    let ps: f32 = 0, pq: f32 = 0;
    for (; i < end; i++) {
      const v = load<f32>(x + (<usize>i << 2));
      const d = v - c;
      ps += d;
      pq += d * d;
      slo = v < slo || v != v ? v : slo;
      shi = v > shi || v != v ? v : shi;
    }
    const a = f32x4.add(a0, a1), q = f32x4.add(q0, q1);
    sum += <f64>(f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + <f64>(f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3)) + <f64>ps;
    sq += <f64>(f32x4.extract_lane(q, 0) + f32x4.extract_lane(q, 1)) + <f64>(f32x4.extract_lane(q, 2) + f32x4.extract_lane(q, 3)) + <f64>pq;
  }
  const mn = Mathf.min(Mathf.min(Mathf.min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), Mathf.min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3))), slo);
  const mx = Mathf.max(Mathf.max(Mathf.max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), Mathf.max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3))), shi);
  const out = pptr(params, C_OUT_PTR) + <usize>tile * 40;
  store<f64>(out, sum);
  store<f64>(out, sq, 8);
  store<f64>(out, <f64>mn, 16);
  store<f64>(out, <f64>mx, 24);
  store<f64>(out, <f64>c, 32);
}
