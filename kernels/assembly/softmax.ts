// softmax and log_softmax along one dim of x viewed as [outer, size, inner]: the max, the sum of
// exp(x − max), then exp(x − max)/sum (or x − max − log(sum)). Contiguous rows (inner = 1: a
// classifier's logits, attention scores) run along the row in f32x4; a dim with a stride (the
// classes of a segmentation map, inner = H·W) runs four positions at once across it.
import { p32, pptr } from './simd';
import { exp4 } from './activation';
import { C_N, C_H, C_W, C_KH, C_X_PTR, C_OUT_PTR, C_EW_FN } from '../src/wasm/layout';

@inline function hmax(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/** One contiguous row of n floats. */
function row(x: usize, y: usize, n: i32, log: bool): void {
  let mv = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) mv = f32x4.max(mv, v128.load(x + (<usize>i << 2)));
  let m = hmax(mv);
  for (; i < n; i++) m = Mathf.max(m, load<f32>(x + (<usize>i << 2)));
  const mm = f32x4.splat(m);
  let sv = f32x4.splat(0);
  let s: f32 = 0;
  i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = exp4(f32x4.sub(v128.load(x + (<usize>i << 2)), mm));
    if (!log) v128.store(y + (<usize>i << 2), e);
    sv = f32x4.add(sv, e);
  }
  for (; i < n; i++) {
    const e = exp1(load<f32>(x + (<usize>i << 2)) - m);
    if (!log) store<f32>(y + (<usize>i << 2), e);
    s += e;
  }
  s += hsum(sv);
  if (log) {
    const t = f32x4.splat(m + Mathf.log(s));
    i = 0;
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.sub(v128.load(x + (<usize>i << 2)), t));
    const ts = m + Mathf.log(s);
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) - ts);
  } else {
    const r = f32x4.splat(1 / s);
    const rs: f32 = 1 / s;
    i = 0;
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.mul(v128.load(y + (<usize>i << 2)), r));
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * rs);
  }
}

/** Four columns at x, x+4, ... of `size` elements `stride` bytes apart, one per lane. */
function columns4(x: usize, y: usize, size: i32, stride: usize, log: bool): void {
  let m = f32x4.splat(-Infinity);
  for (let i = 0; i < size; i++) m = f32x4.max(m, v128.load(x + <usize>i * stride));
  let s = f32x4.splat(0);
  for (let i = 0; i < size; i++) {
    const e = exp4(f32x4.sub(v128.load(x + <usize>i * stride), m));
    if (!log) v128.store(y + <usize>i * stride, e);
    s = f32x4.add(s, e);
  }
  if (log) {
    // log of each lane's sum: four scalar logs per four columns.
    const t = f32x4.add(m, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(Mathf.log(f32x4.extract_lane(s, 0))), 1,
      Mathf.log(f32x4.extract_lane(s, 1))), 2, Mathf.log(f32x4.extract_lane(s, 2))), 3, Mathf.log(f32x4.extract_lane(s, 3))));
    for (let i = 0; i < size; i++) v128.store(y + <usize>i * stride, f32x4.sub(v128.load(x + <usize>i * stride), t));
  } else {
    const r = f32x4.div(f32x4.splat(1), s);
    for (let i = 0; i < size; i++) v128.store(y + <usize>i * stride, f32x4.mul(v128.load(y + <usize>i * stride), r));
  }
}

/** One column of `size` elements `stride` bytes apart (the inner positions left over after the blocks of four). */
function column1(x: usize, y: usize, size: i32, stride: usize, log: bool): void {
  let m: f32 = -Infinity;
  for (let i = 0; i < size; i++) m = Mathf.max(m, load<f32>(x + <usize>i * stride));
  let s: f32 = 0;
  for (let i = 0; i < size; i++) {
    const e = exp1(load<f32>(x + <usize>i * stride) - m);
    if (!log) store<f32>(y + <usize>i * stride, e);
    s += e;
  }
  const t = m + Mathf.log(s);
  for (let i = 0; i < size; i++) {
    const o = <usize>i * stride;
    store<f32>(y + o, log ? load<f32>(x + o) - t : load<f32>(y + o) / s);
  }
}

/**
 * Parallel job. inner = 1: tile covers rows tile·C_KH .. of C_N rows of C_H. inner > 1: tile =
 * o·blocks + b covers columns b·C_KH .. (a multiple of 4) of outer index o. C_EW_FN = 1: log_softmax.
 */
export function softmax(params: usize, tile: i32, thread: i32): void {
  const outer = p32(params, C_N), size = p32(params, C_H), inner = p32(params, C_W), per = p32(params, C_KH);
  const log = p32(params, C_EW_FN) != 0;
  const x = pptr(params, C_X_PTR), y = pptr(params, C_OUT_PTR);
  if (inner == 1) {
    const r0 = tile * per;
    let r1 = r0 + per;
    if (r1 > outer) r1 = outer;
    for (let r = r0; r < r1; r++) {
      const o = (<usize>r * <usize>size) << 2;
      row(x + o, y + o, size, log);
    }
    return;
  }
  const blocks = (inner + per - 1) / per;
  const o = tile / blocks, b = tile - o * blocks;
  const c0 = b * per;
  let c1 = c0 + per;
  if (c1 > inner) c1 = inner;
  const stride = <usize>inner << 2;
  const base = (<usize>o * <usize>size * <usize>inner) << 2;
  let c = c0;
  for (; c + 4 <= c1; c += 4) columns4(x + base + (<usize>c << 2), y + base + (<usize>c << 2), size, stride, log);
  for (; c < c1; c++) column1(x + base + (<usize>c << 2), y + base + (<usize>c << 2), size, stride, log);
}
