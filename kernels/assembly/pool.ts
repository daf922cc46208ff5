// Max and average pooling over NCHW planes: each plane is packed with its padding value (-inf for
// max, 0 for average: pack.ts) into this thread's scratch, then every window is a fixed set of
// shifted reads of the packed rows, 16 positions (four f32x4) at a time, stored straight into the
// output; a row's last partial block goes through a small buffer.
import { p32, pptr } from './simd';
import { packPlane } from './pack';
import {
  C_H, C_W, C_OH, C_OW, C_PW, C_X_PTR, C_OUT_PTR, C_KOFF_PTR, C_K, C_RELU, C_TILEBUF,
  C_TILEBUF_STRIDE, C_Q_IC, C_DIV_PTR,
} from '../src/wasm/layout';

/** dst[0..16): max over taps (NaN-propagating, as PyTorch), or sum over taps / div[0..16). */
@inline function block16(src: usize, dst: usize, deltas: usize, kend: usize, div: usize, relu: bool): void {
  let c0: v128, c1: v128, c2: v128, c3: v128;
  let p = src;
  if (div == 0) {
    c0 = f32x4.splat(-Infinity); c1 = c0; c2 = c0; c3 = c0;
    for (let d = deltas; d < kend; d += 4) {
      p += <usize>load<i32>(d);
      c0 = f32x4.max(c0, v128.load(p));
      c1 = f32x4.max(c1, v128.load(p, 16));
      c2 = f32x4.max(c2, v128.load(p, 32));
      c3 = f32x4.max(c3, v128.load(p, 48));
    }
  } else {
    c0 = f32x4.splat(0); c1 = c0; c2 = c0; c3 = c0;
    for (let d = deltas; d < kend; d += 4) {
      p += <usize>load<i32>(d);
      c0 = f32x4.add(c0, v128.load(p));
      c1 = f32x4.add(c1, v128.load(p, 16));
      c2 = f32x4.add(c2, v128.load(p, 32));
      c3 = f32x4.add(c3, v128.load(p, 48));
    }
    c0 = f32x4.div(c0, v128.load(div)); c1 = f32x4.div(c1, v128.load(div, 16));
    c2 = f32x4.div(c2, v128.load(div, 32)); c3 = f32x4.div(c3, v128.load(div, 48));
  }
  if (relu) {
    const z = f32x4.splat(0);
    c0 = f32x4.max(c0, z); c1 = f32x4.max(c1, z); c2 = f32x4.max(c2, z); c3 = f32x4.max(c3, z);
  }
  v128.store(dst, c0); v128.store(dst, c1, 16); v128.store(dst, c2, 32); v128.store(dst, c3, 48);
}

/** Parallel job: tile = n * C + c pools one plane. C_DIV_PTR = 0 selects max pooling, else the divisor map (OH x PW). */
export function pool2d(params: usize, tile: i32, thread: i32): void {
  const H = p32(params, C_H), W = p32(params, C_W);
  const OH = p32(params, C_OH), OW = p32(params, C_OW), PW = p32(params, C_PW);
  const relu = p32(params, C_RELU) != 0;
  const scratch = pptr(params, C_TILEBUF) + <usize>thread * <usize>p32(params, C_TILEBUF_STRIDE);
  const tmp = scratch + <usize>p32(params, C_Q_IC);
  packPlane(params, pptr(params, C_X_PTR) + (<usize>(tile * H * W) << 2), scratch);
  const deltas = pptr(params, C_KOFF_PTR);
  const kend = deltas + (<usize>p32(params, C_K) << 2);
  const divBase = pptr(params, C_DIV_PTR);
  const out = pptr(params, C_OUT_PTR) + (<usize>(tile * OH * OW) << 2);
  for (let oh = 0; oh < OH; oh++) {
    const s = scratch + (<usize>(oh * PW) << 2);
    const d = out + (<usize>(oh * OW) << 2);
    const dv = divBase == 0 ? <usize>0 : divBase + (<usize>(oh * PW) << 2);
    let ow = 0;
    for (; ow + 16 <= OW; ow += 16) block16(s + (<usize>ow << 2), d + (<usize>ow << 2), deltas, kend, dv == 0 ? 0 : dv + (<usize>ow << 2), relu);
    if (ow < OW) {
      block16(s + (<usize>ow << 2), tmp, deltas, kend, dv == 0 ? 0 : dv + (<usize>ow << 2), relu);
      for (let j = 0; ow + j < OW; j++) store<f32>(d + (<usize>(ow + j) << 2), load<f32>(tmp + (<usize>j << 2)));
    }
  }
}
