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

/**
 * Parallel job: 2x2 windows of stride 2 that lie inside the input (no padding, no ceil overhang),
 * the pools of LeNet-style nets, read straight from the input plane: no packed copy, even and odd
 * columns split with a shuffle. tile = one plane. C_DIV_PTR = 0: max pooling, else average (/4).
 */
export function pool2x2(params: usize, tile: i32, thread: i32): void {
  const H = p32(params, C_H), W = p32(params, C_W);
  const OH = p32(params, C_OH), OW = p32(params, C_OW);
  const relu = p32(params, C_RELU) != 0;
  const avg = p32(params, C_DIV_PTR) != 0;
  const x = pptr(params, C_X_PTR) + (<usize>(tile * H * W) << 2);
  const out = pptr(params, C_OUT_PTR) + (<usize>(tile * OH * OW) << 2);
  const rowBytes = <usize>W << 2;
  const z = f32x4.splat(0);
  const q = f32x4.splat(0.25);
  for (let oh = 0; oh < OH; oh++) {
    const r0 = x + (<usize>(2 * oh * W) << 2);
    const r1 = r0 + rowBytes;
    const d = out + (<usize>(oh * OW) << 2);
    let ow = 0;
    // Four outputs read columns 2ow .. 2ow+7, all inside the row while ow + 4 <= OW (2 OW <= W).
    for (; ow + 4 <= OW; ow += 4) {
      const o = <usize>ow << 3;
      const a0 = v128.load(r0 + o), a1 = v128.load(r0 + o, 16);
      const b0 = v128.load(r1 + o), b1 = v128.load(r1 + o, 16);
      const ea = f32x4.shuffle(a0, a1, 0, 2, 4, 6), oa = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
      const eb = f32x4.shuffle(b0, b1, 0, 2, 4, 6), ob = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
      let v: v128;
      // The average sums the taps in PyTorch's order (row by row, left to right); 0.25 is exact.
      if (avg) v = f32x4.mul(f32x4.add(f32x4.add(f32x4.add(ea, oa), eb), ob), q);
      else v = f32x4.max(f32x4.max(ea, oa), f32x4.max(eb, ob));
      if (relu) v = f32x4.max(v, z);
      v128.store(d + (<usize>ow << 2), v);
    }
    for (; ow < OW; ow++) {
      const o = <usize>ow << 3;
      const a = load<f32>(r0 + o), b = load<f32>(r0 + o, 4), c = load<f32>(r1 + o), e = load<f32>(r1 + o, 4);
      let v: f32 = avg ? (((a + b) + c) + e) * 0.25 : max<f32>(max<f32>(a, b), max<f32>(c, e));
      if (relu) v = max<f32>(v, 0);
      store<f32>(d + (<usize>ow << 2), v);
    }
  }
}
