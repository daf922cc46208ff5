// Depthwise convolution (groups == input channels, any channel multiplier): each input plane is
// packed (padded, phase-split: pack.ts) into this thread's scratch, then every output row is a sum
// of shifted rows of it, 24 positions (six f32x4 accumulators) at a time, stored straight into the
// output; a row's last partial block goes through a small buffer.
import { madd, p32, pptr } from './simd';
import { packPlane } from './pack';
import {
  C_IC, C_H, C_W, C_OH, C_OW, C_PW, C_X_PTR, C_OUT_PTR, C_W_PTR, C_BIAS_PTR, C_KOFF_PTR, C_K, C_RELU,
  C_TILEBUF, C_TILEBUF_STRIDE, C_Q_IC, C_MULT,
} from '../src/wasm/layout';

/** dst[0..24) = relu?(bias + sum_k w[k] * src[off_k + 0..24)), taps as byte deltas from `src`. */
@inline function block24(src: usize, dst: usize, w: usize, b: v128, deltas: usize, kend: usize, relu: bool): void {
  let c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b;
  let p = src;
  let wk = w;
  for (let d = deltas; d < kend; d += 4) {
    p += <usize>load<i32>(d);
    const s = v128.load32_splat(wk);
    c0 = madd(s, v128.load(p), c0);
    c1 = madd(s, v128.load(p, 16), c1);
    c2 = madd(s, v128.load(p, 32), c2);
    c3 = madd(s, v128.load(p, 48), c3);
    c4 = madd(s, v128.load(p, 64), c4);
    c5 = madd(s, v128.load(p, 80), c5);
    wk += 4;
  }
  if (relu) {
    const z = f32x4.splat(0);
    c0 = f32x4.max(c0, z); c1 = f32x4.max(c1, z); c2 = f32x4.max(c2, z);
    c3 = f32x4.max(c3, z); c4 = f32x4.max(c4, z); c5 = f32x4.max(c5, z);
  }
  v128.store(dst, c0); v128.store(dst, c1, 16); v128.store(dst, c2, 32);
  v128.store(dst, c3, 48); v128.store(dst, c4, 64); v128.store(dst, c5, 80);
}

/** One output plane: OH rows of OW from the packed plane `src` (row pitch PW). */
function dwPlane(src: usize, out: usize, OH: i32, OW: i32, PW: i32, w: usize, bias: f32, deltas: usize, K: i32, relu: bool, tmp: usize): void {
  const b = f32x4.splat(bias);
  const kend = deltas + (<usize>K << 2);
  for (let oh = 0; oh < OH; oh++) {
    const s = src + (<usize>(oh * PW) << 2);
    const d = out + (<usize>(oh * OW) << 2);
    let ow = 0;
    for (; ow + 24 <= OW; ow += 24) block24(s + (<usize>ow << 2), d + (<usize>ow << 2), w, b, deltas, kend, relu);
    if (ow < OW) {
      // The packed row has at least PW - OW >= 0 padding columns and the plane read slack after
      // it, so the full block may be computed; only its valid part is copied out.
      block24(s + (<usize>ow << 2), tmp, w, b, deltas, kend, relu);
      for (let j = 0; ow + j < OW; j++) store<f32>(d + (<usize>(ow + j) << 2), load<f32>(tmp + (<usize>j << 2)));
    }
  }
}

/**
 * Parallel job: tile = n * IC + c. Thread scratch holds the packed plane (C_Q_IC bytes) and a
 * 24-float buffer. Weights are [OC][K] (OC = IC * MULT), bias [OC].
 */
export function dw_conv(params: usize, tile: i32, thread: i32): void {
  const IC = p32(params, C_IC), H = p32(params, C_H), W = p32(params, C_W);
  const OH = p32(params, C_OH), OW = p32(params, C_OW), PW = p32(params, C_PW);
  const K = p32(params, C_K), M = p32(params, C_MULT);
  const relu = p32(params, C_RELU) != 0;
  const n = tile / IC, c = tile - n * IC;
  const scratch = pptr(params, C_TILEBUF) + <usize>thread * <usize>p32(params, C_TILEBUF_STRIDE);
  const tmp = scratch + <usize>p32(params, C_Q_IC);
  packPlane(params, pptr(params, C_X_PTR) + (<usize>(tile * H * W) << 2), scratch);
  const deltas = pptr(params, C_KOFF_PTR);
  const wBase = pptr(params, C_W_PTR), biasBase = pptr(params, C_BIAS_PTR);
  const planeOut = <usize>(OH * OW) << 2;
  for (let m = 0; m < M; m++) {
    const oc = c * M + m;
    const out = pptr(params, C_OUT_PTR) + <usize>(n * IC * M + oc) * planeOut;
    dwPlane(scratch, out, OH, OW, PW, wBase + (<usize>(oc * K) << 2), load<f32>(biasBase + (<usize>oc << 2)), deltas, K, relu, tmp);
  }
}
