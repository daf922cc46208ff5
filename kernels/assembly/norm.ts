// Normalisation kernels: the moments of contiguous segments (the statistics of batch, instance,
// group and layer norm) and the row-wise normalise-then-affine of layer norm. Per-channel affines
// (batch/instance/group norm once their statistics are known) run on elementwise.ts's `affine`.
import { madd, p32, pptr } from './simd';
import { C_N, C_H, C_W, C_X_PTR, C_OUT_PTR, C_RELU, C_SCALE_PTR, C_W_PTR, C_BIAS_PTR } from '../src/wasm/layout';

/**
 * Elements summed in float32 lanes before the partial sum moves into a float64 total: each lane
 * then adds at most BLOCK/8 terms in float32, so a segment of millions of elements keeps float64-like
 * accuracy at the speed of float32 SIMD.
 */
const BLOCK = 512;

/**
 * Parallel job: for segments tile*C_W .. +C_W (of C_N, each C_H contiguous floats at C_X_PTR) writes
 * sum(x - c) and sum((x - c)^2) as two f64 at C_OUT_PTR + 16*segment, c being the segment's f32 at
 * C_SCALE_PTR (0 when that pointer is 0). The caller makes two passes: c = 0 for the mean, then c =
 * the mean for the variance (the shifted sum corrects the mean's rounding: var = (q - d^2/L) / L).
 */
export function moments(params: usize, tile: i32, thread: i32): void {
  const nseg = p32(params, C_N), per = p32(params, C_W), len = p32(params, C_H);
  const x0 = pptr(params, C_X_PTR), out = pptr(params, C_OUT_PTR), centers = pptr(params, C_SCALE_PTR);
  const s0 = tile * per;
  let s1 = s0 + per;
  if (s1 > nseg) s1 = nseg;
  for (let s = s0; s < s1; s++) {
    const x = x0 + ((<usize>s * <usize>len) << 2);
    const c: f32 = centers ? load<f32>(centers + (<usize>s << 2)) : 0;
    const cv = f32x4.splat(c);
    let sum: f64 = 0, sq: f64 = 0;
    let i = 0;
    while (i < len) {
      let end = i + BLOCK;
      if (end > len) end = len;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
      for (; i + 8 <= end; i += 8) {
        const o = <usize>i << 2;
        const d0 = f32x4.sub(v128.load(x + o), cv);
        const d1 = f32x4.sub(v128.load(x + o, 16), cv);
        a0 = f32x4.add(a0, d0);
        a1 = f32x4.add(a1, d1);
        q0 = madd(d0, d0, q0);
        q1 = madd(d1, d1, q1);
      }
      let ps: f32 = 0, pq: f32 = 0;
      for (; i < end; i++) {
        const d = load<f32>(x + (<usize>i << 2)) - c;
        ps += d;
        pq += d * d;
      }
      const a = f32x4.add(a0, a1), q = f32x4.add(q0, q1);
      sum += <f64>(f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + <f64>(f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3)) + <f64>ps;
      sq += <f64>(f32x4.extract_lane(q, 0) + f32x4.extract_lane(q, 1)) + <f64>(f32x4.extract_lane(q, 2) + f32x4.extract_lane(q, 3)) + <f64>pq;
    }
    store<f64>(out + (<usize>s << 4), sum);
    store<f64>(out + (<usize>s << 4), sq, 8);
  }
}

@inline function relu1(x: f32): f32 {
  return x > 0 || x != x ? x : 0;
}

/**
 * Parallel job (layer norm): rows tile*C_W .. +C_W of C_N rows of C_H floats:
 * y = (x * s_r + t_r) * gamma[i] + beta[i] (+ ReLU), with (s_r, t_r) f32 pairs at C_SCALE_PTR
 * (s = 1/sqrt(var + eps), t = -mean * s; 0 = s 1, t 0: broadcasting arithmetic with a vector) and
 * gamma at C_W_PTR, beta at C_BIAS_PTR (0 = absent).
 */
export function row_affine(params: usize, tile: i32, thread: i32): void {
  const rows = p32(params, C_N), per = p32(params, C_W), len = p32(params, C_H);
  const x0 = pptr(params, C_X_PTR), y0 = pptr(params, C_OUT_PTR), st = pptr(params, C_SCALE_PTR);
  const gamma = pptr(params, C_W_PTR), beta = pptr(params, C_BIAS_PTR);
  const relu = p32(params, C_RELU) != 0;
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  const r0 = tile * per;
  let r1 = r0 + per;
  if (r1 > rows) r1 = rows;
  for (let r = r0; r < r1; r++) {
    const base = (<usize>r * <usize>len) << 2;
    const x = x0 + base, y = y0 + base;
    const s: f32 = st ? load<f32>(st + (<usize>r << 3)) : 1, t: f32 = st ? load<f32>(st + (<usize>r << 3), 4) : 0;
    const sv = f32x4.splat(s), tv = f32x4.splat(t);
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      let v = madd(v128.load(x + o), sv, tv);
      v = madd(v, gamma ? v128.load(gamma + o) : one, beta ? v128.load(beta + o) : zero);
      if (relu) v = f32x4.max(v, zero);
      v128.store(y + o, v);
    }
    for (; i < len; i++) {
      const o = <usize>i << 2;
      let v = load<f32>(x + o) * s + t;
      v = v * (gamma ? load<f32>(gamma + o) : 1) + (beta ? load<f32>(beta + o) : 0);
      store<f32>(y + o, relu ? relu1(v) : v);
    }
  }
}
