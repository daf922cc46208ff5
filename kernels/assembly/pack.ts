// Input packing: pads one input plane and splits it into stride phases, so that every kernel tap
// of a strided, dilated, padded window reads a contiguous run of the packed plane.
//
// Phase plane (a, b) holds P[i*SH + a][j*SW + b] for the zero- (or -inf-) padded input P, for
// i < PH, j < PW. Output (oh, ow) with tap (kh, kw) reads P[oh*SH + kh*DH][ow*SW + kw*DW]
// = plane((kh*DH) % SH, (kw*DW) % SW)[oh + (kh*DH) / SH][ow + (kw*DW) / SW], so over the flat
// index q = oh*PW + ow every tap is the same plane shifted by a constant: the GEMM's B matrix
// without an im2col copy. Columns ow >= OW of the flat grid are computed and thrown away.
import { p32, pptr, fillf, copyf } from './simd';
import {
  C_IC, C_H, C_W, C_SH, C_SW, C_PT, C_PL, C_PH, C_PW, C_NPA, C_NPB, C_PA_PTR, C_PB_PTR,
  C_X_PTR, C_Q_PTR, C_Q_IMG, C_Q_IC, C_PADVAL,
} from '../src/wasm/layout';

/** Packs the phase planes of input plane `x` (H x W) into `q` (NPA x NPB planes of PH x PW). */
export function packPlane(params: usize, x: usize, q: usize): void {
  const H = p32(params, C_H), W = p32(params, C_W);
  const SH = p32(params, C_SH), SW = p32(params, C_SW);
  const PT = p32(params, C_PT), PL = p32(params, C_PL);
  const PH = p32(params, C_PH), PW = p32(params, C_PW);
  const NPA = p32(params, C_NPA), NPB = p32(params, C_NPB);
  const paPtr = pptr(params, C_PA_PTR), pbPtr = pptr(params, C_PB_PTR);
  const padval = reinterpret<f32>(p32(params, C_PADVAL));
  const planeBytes = <usize>(PH * PW) << 2;
  for (let ia = 0; ia < NPA; ia++) {
    const a = load<i32>(paPtr + (<usize>ia << 2));
    for (let ib = 0; ib < NPB; ib++) {
      const b = load<i32>(pbPtr + (<usize>ib << 2));
      const dst = q + <usize>(ia * NPB + ib) * planeBytes;
      for (let i = 0; i < PH; i++) {
        const r = i * SH + a - PT;
        const row = dst + (<usize>(i * PW) << 2);
        if (r < 0 || r >= H) {
          fillf(row, PW, padval);
          continue;
        }
        const src = x + (<usize>(r * W) << 2);
        if (SW == 1) {
          // Valid columns j: 0 <= j + b - PL < W.
          let j0 = PL - b;
          if (j0 < 0) j0 = 0;
          let j1 = W + PL - b;
          if (j1 > PW) j1 = PW;
          if (j1 < j0) j1 = j0;
          if (j0 > PW) j0 = PW;
          if (j0 > 0) fillf(row, j0, padval);
          if (j1 > j0) copyf(row + (<usize>j0 << 2), src + (<usize>(j0 + b - PL) << 2), j1 - j0);
          if (PW > j1) fillf(row + (<usize>j1 << 2), PW - j1, padval);
        } else {
          for (let j = 0; j < PW; j++) {
            const c = j * SW + b - PL;
            store<f32>(row + (<usize>j << 2), c >= 0 && c < W ? load<f32>(src + (<usize>c << 2)) : padval);
          }
        }
      }
    }
  }
}

/** Parallel job: tile = n * IC + ic packs that input plane into the shared packed buffer. */
export function conv_pack(params: usize, tile: i32, thread: i32): void {
  const IC = p32(params, C_IC), H = p32(params, C_H), W = p32(params, C_W);
  const n = tile / IC, ic = tile - n * IC;
  const x = pptr(params, C_X_PTR) + (<usize>(tile * H * W) << 2);
  const q = pptr(params, C_Q_PTR) + <usize>n * <usize>p32(params, C_Q_IMG) + <usize>ic * <usize>p32(params, C_Q_IC);
  packPlane(params, x, q);
}
