// Element-wise activations on f32x4 lanes (clamp/relu6/hardtanh, leaky ReLU, hardswish, hardsigmoid,
// sigmoid, tanh, SiLU, GELU exact and tanh-approximated, ELU/SELU) and same-shape arithmetic of two
// tensors. exp is Cephes' single-precision polynomial (about 1 ulp on the reduced range), erf
// Abramowitz & Stegun 7.1.26 (absolute error 1.5e-7): well inside the executor's 1e-4 of PyTorch.
import { madd, p32, pptr } from './simd';
import {
  C_H, C_W, C_X_PTR, C_Q_PTR, C_OUT_PTR, C_RELU, C_EW_FN, C_EW_A, C_EW_B, ACT_CLAMP as CLAMP, ACT_LEAKY as LEAKY, ACT_HARDSWISH as HARDSWISH,
  ACT_HARDSIGMOID as HARDSIGMOID, ACT_SIGMOID as SIGMOID, ACT_TANH as TANH, ACT_SILU as SILU, ACT_GELU as GELU, ACT_GELU_TANH as GELU_TANH,
  BIN_ADD as ADD, BIN_MUL as MUL,
} from '../src/wasm/layout';

/** e^x for each lane; saturates to about 1e-38 below −87.3 and 2e38 above 88.3 (no Inf from finite x), NaN stays NaN. */
@inline export function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = madd(n, f32x4.splat(-0.693359375), x);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  // 2^n through the exponent bits; NaN lanes convert to 0 here and stay NaN through p.
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

/** 1 / (1 + e^(−x)). */
@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

/**
 * tanh via 1 − 2/(e^(2|x|) + 1) with the sign of x; below |x| = 1/16, where that difference loses
 * digits, its Taylor series x − x³/3 + 2x⁵/15 − 17x⁷/315 (next term under 1e-10 relative).
 */
@inline function tanh4(x: v128): v128 {
  const one = f32x4.splat(1);
  const ax = f32x4.abs(x);
  const t = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(ax, ax)), one)));
  // Copy x's sign bit onto t (tanh is odd); NaN keeps NaN.
  const big = v128.or(v128.and(t, i32x4.splat(0x7fffffff)), v128.and(x, i32x4.splat(0x80000000)));
  const x2 = f32x4.mul(x, x);
  let p = madd(x2, f32x4.splat(-0.053968254), f32x4.splat(0.13333334));
  p = madd(p, x2, f32x4.splat(-0.33333334));
  const small = madd(f32x4.mul(p, x2), x, x);
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.0625)));
}

/** e^x − 1 without the cancellation near 0: its Taylor series below |x| = 1/16 (to x⁵, under 1e-9 relative). */
@inline function expm1_4(x: v128): v128 {
  let p = madd(x, f32x4.splat(0.008333334), f32x4.splat(0.041666668));
  p = madd(p, x, f32x4.splat(0.16666667));
  p = madd(p, x, f32x4.splat(0.5));
  const small = madd(f32x4.mul(p, x), x, x);
  return v128.bitselect(small, f32x4.sub(exp4(x), f32x4.splat(1)), f32x4.lt(f32x4.abs(x), f32x4.splat(0.0625)));
}

/** erf(x), odd, from A&S 7.1.26 on |x|. */
@inline function erf4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1), madd(ax, f32x4.splat(0.3275911), f32x4.splat(1)));
  let p = f32x4.splat(1.061405429);
  p = madd(p, t, f32x4.splat(-1.453152027));
  p = madd(p, t, f32x4.splat(1.421413741));
  p = madd(p, t, f32x4.splat(-0.284496736));
  p = madd(p, t, f32x4.splat(0.254829592));
  p = f32x4.mul(p, t);
  const y = f32x4.sub(f32x4.splat(1), f32x4.mul(p, exp4(f32x4.neg(f32x4.mul(ax, ax)))));
  return v128.or(v128.and(y, i32x4.splat(0x7fffffff)), v128.and(x, i32x4.splat(0x80000000)));
}

@inline function act4(fn: i32, x: v128, a: v128, b: v128): v128 {
  const zero = f32x4.splat(0);
  if (fn == CLAMP) return f32x4.min(f32x4.max(x, a), b);
  if (fn == LEAKY) return v128.bitselect(x, f32x4.mul(x, a), f32x4.gt(x, zero));
  if (fn == HARDSWISH || fn == HARDSIGMOID) {
    const h = f32x4.div(f32x4.min(f32x4.max(f32x4.add(x, f32x4.splat(3)), zero), f32x4.splat(6)), f32x4.splat(6));
    return fn == HARDSWISH ? f32x4.mul(x, h) : h;
  }
  if (fn == SIGMOID) return sigmoid4(x);
  if (fn == TANH) return tanh4(x);
  if (fn == SILU) return f32x4.mul(x, sigmoid4(x));
  if (fn == GELU) return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), erf4(f32x4.mul(x, f32x4.splat(0.70710678118654752)))));
  if (fn == GELU_TANH) {
    const inner = f32x4.mul(f32x4.splat(0.7978845608028654), madd(f32x4.mul(f32x4.mul(x, x), x), f32x4.splat(0.044715), x));
    return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), tanh4(inner)));
  }
  // ELU (a = alpha, b = scale: 1, or SELU's λ): x > 0 ? x : alpha·(e^x − 1), times scale. NaN takes the negative branch and stays NaN.
  const neg = f32x4.mul(a, expm1_4(x));
  return f32x4.mul(b, v128.bitselect(x, neg, f32x4.gt(x, zero)));
}

/**
 * Parallel job: y = fn(x) over chunk `tile` (C_W elements of C_H), fn = C_EW_FN with f32 parameters
 * C_EW_A, C_EW_B (clamp: min, max; leaky: slope; ELU: alpha, scale). The tail is padded to a full vector
 * in a stack buffer, so every element goes through the same vector code.
 */
export function activation(params: usize, tile: i32, thread: i32): void {
  const total = p32(params, C_H), chunk = p32(params, C_W);
  const i0 = tile * chunk;
  let i1 = i0 + chunk;
  if (i1 > total) i1 = total;
  const fn = p32(params, C_EW_FN);
  const a = f32x4.splat(reinterpret<f32>(p32(params, C_EW_A))), b = f32x4.splat(reinterpret<f32>(p32(params, C_EW_B)));
  const x = pptr(params, C_X_PTR), y = pptr(params, C_OUT_PTR);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, act4(fn, v128.load(x + o), a, b));
  }
  if (i < i1) {
    // The last 1-3 elements: lanes built one by one, results stored one by one.
    let v = f32x4.splat(0);
    const n = i1 - i;
    v = f32x4.replace_lane(v, 0, load<f32>(x + (<usize>i << 2)));
    if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + (<usize>(i + 1) << 2)));
    if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + (<usize>(i + 2) << 2)));
    const r = act4(fn, v, a, b);
    store<f32>(y + (<usize>i << 2), f32x4.extract_lane(r, 0));
    if (n > 1) store<f32>(y + (<usize>(i + 1) << 2), f32x4.extract_lane(r, 1));
    if (n > 2) store<f32>(y + (<usize>(i + 2) << 2), f32x4.extract_lane(r, 2));
  }
}

@inline function relu1(x: f32): f32 {
  return x > 0 || x != x ? x : 0;
}

/**
 * Parallel job: y = a op b for two tensors of one shape, over chunk `tile` (C_W elements of C_H); a
 * at C_X_PTR, b at C_Q_PTR; op C_EW_FN: add (a + alpha·b, alpha = C_EW_A; sub is alpha < 0), mul, div;
 * then ReLU when C_RELU (a residual block's add + ReLU in one pass).
 */
export function binary(params: usize, tile: i32, thread: i32): void {
  const total = p32(params, C_H), chunk = p32(params, C_W);
  const i0 = tile * chunk;
  let i1 = i0 + chunk;
  if (i1 > total) i1 = total;
  const fn = p32(params, C_EW_FN);
  const alpha = reinterpret<f32>(p32(params, C_EW_A));
  const av = f32x4.splat(alpha);
  const xa = pptr(params, C_X_PTR), xb = pptr(params, C_Q_PTR), y = pptr(params, C_OUT_PTR);
  const relu = p32(params, C_RELU) != 0;
  const zero = f32x4.splat(0);
  // alpha = 1 (a residual add) skips the multiply.
  const plain = fn == ADD && alpha == 1;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const u = v128.load(xa + o), v = v128.load(xb + o);
    let r = plain ? f32x4.add(u, v) : fn == ADD ? f32x4.add(u, f32x4.mul(av, v)) : fn == MUL ? f32x4.mul(u, v) : f32x4.div(u, v);
    if (relu) r = f32x4.max(r, zero);
    v128.store(y + o, r);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const u = load<f32>(xa + o), v = load<f32>(xb + o);
    const r: f32 = fn == ADD ? u + alpha * v : fn == MUL ? u * v : u / v;
    store<f32>(y + o, relu ? relu1(r) : r);
  }
}
