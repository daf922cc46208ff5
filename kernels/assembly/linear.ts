// Linear layers and matrix products as dot products: Y[n][o] = b[o] + sum_i X[n][i] * W[o][i], with
// W in PyTorch's [out, in] layout as is. A 4 x 2 block (four weight rows, two input rows) keeps eight
// f32x4 accumulators over the inner dimension, so each loaded vector feeds two or four multiply-adds.
import { madd, p32, pptr } from './simd';
import {
  L_N, L_IN, L_OUT, L_X_PTR, L_W_PTR, L_BIAS_PTR, L_Y_PTR, L_RELU, L_CHUNK, L_NCHUNK, L_XB, L_WB, L_YB,
} from '../src/wasm/layout';

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function finish(y: usize, v: f32, relu: bool): void {
  store<f32>(y, relu && !(v > 0) && v == v ? 0 : v);
}

/** Four weight rows against two input rows. */
function block4x2(x0: usize, x1: usize, w: usize, IN: i32, b: usize, y0: usize, y1: usize, rowBytes: usize, relu: bool): void {
  const z = f32x4.splat(0);
  let a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
  const w1 = w + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  const vend = IN & ~3;
  for (let i = 0; i < vend; i += 4) {
    const o = <usize>i << 2;
    const u0 = v128.load(x0 + o), u1 = v128.load(x1 + o);
    let v = v128.load(w + o);
    a00 = madd(v, u0, a00); a01 = madd(v, u1, a01);
    v = v128.load(w1 + o);
    a10 = madd(v, u0, a10); a11 = madd(v, u1, a11);
    v = v128.load(w2 + o);
    a20 = madd(v, u0, a20); a21 = madd(v, u1, a21);
    v = v128.load(w3 + o);
    a30 = madd(v, u0, a30); a31 = madd(v, u1, a31);
  }
  let s00 = hsum(a00), s01 = hsum(a01), s10 = hsum(a10), s11 = hsum(a11);
  let s20 = hsum(a20), s21 = hsum(a21), s30 = hsum(a30), s31 = hsum(a31);
  for (let i = vend; i < IN; i++) {
    const o = <usize>i << 2;
    const u0 = load<f32>(x0 + o), u1 = load<f32>(x1 + o);
    s00 += load<f32>(w + o) * u0; s01 += load<f32>(w + o) * u1;
    s10 += load<f32>(w1 + o) * u0; s11 += load<f32>(w1 + o) * u1;
    s20 += load<f32>(w2 + o) * u0; s21 += load<f32>(w2 + o) * u1;
    s30 += load<f32>(w3 + o) * u0; s31 += load<f32>(w3 + o) * u1;
  }
  const b0 = b == 0 ? <f32>0 : load<f32>(b), b1 = b == 0 ? <f32>0 : load<f32>(b, 4);
  const b2 = b == 0 ? <f32>0 : load<f32>(b, 8), b3 = b == 0 ? <f32>0 : load<f32>(b, 12);
  finish(y0, s00 + b0, relu); finish(y0 + 4, s10 + b1, relu); finish(y0 + 8, s20 + b2, relu); finish(y0 + 12, s30 + b3, relu);
  finish(y1, s01 + b0, relu); finish(y1 + 4, s11 + b1, relu); finish(y1 + 8, s21 + b2, relu); finish(y1 + 12, s31 + b3, relu);
}

/** One weight row against one input row. */
function block1x1(x0: usize, w: usize, IN: i32, b: usize, y0: usize, relu: bool): void {
  let a0 = f32x4.splat(0), a1 = a0;
  let i = 0;
  for (; i + 8 <= IN; i += 8) {
    const o = <usize>i << 2;
    a0 = madd(v128.load(w + o), v128.load(x0 + o), a0);
    a1 = madd(v128.load(w + o, 16), v128.load(x0 + o, 16), a1);
  }
  for (; i + 4 <= IN; i += 4) {
    const o = <usize>i << 2;
    a0 = madd(v128.load(w + o), v128.load(x0 + o), a0);
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; i < IN; i++) s += load<f32>(w + (<usize>i << 2)) * load<f32>(x0 + (<usize>i << 2));
  finish(y0, s + (b == 0 ? <f32>0 : load<f32>(b)), relu);
}

/**
 * Four weight rows against one input row (batch 1, the classifier heads): the same sums as four
 * block1x1 calls, bit for bit, but with eight independent accumulator chains instead of two, so
 * the loop runs at load throughput instead of the multiply-add latency.
 */
function block4x1(x0: usize, w: usize, IN: i32, b: usize, y0: usize, rowBytes: usize, relu: bool): void {
  const z = f32x4.splat(0);
  let a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
  const w1 = w + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  let i = 0;
  for (; i + 8 <= IN; i += 8) {
    const o = <usize>i << 2;
    const u0 = v128.load(x0 + o), u1 = v128.load(x0 + o, 16);
    a00 = madd(v128.load(w + o), u0, a00); a01 = madd(v128.load(w + o, 16), u1, a01);
    a10 = madd(v128.load(w1 + o), u0, a10); a11 = madd(v128.load(w1 + o, 16), u1, a11);
    a20 = madd(v128.load(w2 + o), u0, a20); a21 = madd(v128.load(w2 + o, 16), u1, a21);
    a30 = madd(v128.load(w3 + o), u0, a30); a31 = madd(v128.load(w3 + o, 16), u1, a31);
  }
  for (; i + 4 <= IN; i += 4) {
    const o = <usize>i << 2;
    const u0 = v128.load(x0 + o);
    a00 = madd(v128.load(w + o), u0, a00);
    a10 = madd(v128.load(w1 + o), u0, a10);
    a20 = madd(v128.load(w2 + o), u0, a20);
    a30 = madd(v128.load(w3 + o), u0, a30);
  }
  let s0 = hsum(f32x4.add(a00, a01)), s1 = hsum(f32x4.add(a10, a11));
  let s2 = hsum(f32x4.add(a20, a21)), s3 = hsum(f32x4.add(a30, a31));
  for (; i < IN; i++) {
    const o = <usize>i << 2;
    const u = load<f32>(x0 + o);
    s0 += load<f32>(w + o) * u; s1 += load<f32>(w1 + o) * u;
    s2 += load<f32>(w2 + o) * u; s3 += load<f32>(w3 + o) * u;
  }
  const b0 = b == 0 ? <f32>0 : load<f32>(b), b1 = b == 0 ? <f32>0 : load<f32>(b, 4);
  const b2 = b == 0 ? <f32>0 : load<f32>(b, 8), b3 = b == 0 ? <f32>0 : load<f32>(b, 12);
  finish(y0, s0 + b0, relu); finish(y0 + 4, s1 + b1, relu); finish(y0 + 8, s2 + b2, relu); finish(y0 + 12, s3 + b3, relu);
}

/** Parallel job: tile = batch * NCHUNK + chunk computes output features [chunk*CHUNK, ...) for every row n. */
export function linear(params: usize, tile: i32, thread: i32): void {
  const N = p32(params, L_N), IN = p32(params, L_IN), OUT = p32(params, L_OUT);
  const NCHUNK = p32(params, L_NCHUNK), CHUNK = p32(params, L_CHUNK);
  const relu = p32(params, L_RELU) != 0;
  const batch = tile / NCHUNK, chunk = tile - batch * NCHUNK;
  const X = pptr(params, L_X_PTR) + (<usize>(batch * p32(params, L_XB)) << 2);
  const Wt = pptr(params, L_W_PTR) + (<usize>(batch * p32(params, L_WB)) << 2);
  const Y = pptr(params, L_Y_PTR) + (<usize>(batch * p32(params, L_YB)) << 2);
  const bias = pptr(params, L_BIAS_PTR);
  const rowBytes = <usize>IN << 2;
  const o0 = chunk * CHUNK;
  let o1 = o0 + CHUNK;
  if (o1 > OUT) o1 = OUT;
  let o = o0;
  for (; o + 4 <= o1; o += 4) {
    const w = Wt + <usize>o * rowBytes;
    const b: usize = bias == 0 ? 0 : bias + (<usize>o << 2);
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      block4x2(X + <usize>n * rowBytes, X + <usize>(n + 1) * rowBytes, w, IN, b,
        Y + (<usize>(n * OUT + o) << 2), Y + (<usize>((n + 1) * OUT + o) << 2), rowBytes, relu);
    }
    for (; n < N; n++) block4x1(X + <usize>n * rowBytes, w, IN, b, Y + (<usize>(n * OUT + o) << 2), rowBytes, relu);
  }
  for (; o < o1; o++) {
    const w = Wt + <usize>o * rowBytes;
    const b: usize = bias == 0 ? 0 : bias + (<usize>o << 2);
    for (let n = 0; n < N; n++) block1x1(X + <usize>n * rowBytes, w, IN, b, Y + (<usize>(n * OUT + o) << 2), relu);
  }
}
