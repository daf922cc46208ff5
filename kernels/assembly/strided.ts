// Materialises a strided view: y (row-major, shape out[0..rank)) = x[Σ i_d · stride_d]. Permute,
// slicing, expand (stride 0), split and pixel (un)shuffle are all such views of their input.
import { copyf, p32, pptr } from './simd';
import { C_N, C_H, C_W, C_X_PTR, C_OUT_PTR, C_PA_PTR } from '../src/wasm/layout';

/**
 * Parallel job: output rows tile·C_W .. (of C_H rows; a row is the last output dim). C_N = rank ≥ 1;
 * at C_PA_PTR, i32 out[rank] then stride[rank] (input elements per step of each output dim).
 */
export function strided(params: usize, tile: i32, thread: i32): void {
  const rank = p32(params, C_N), rows = p32(params, C_H), per = p32(params, C_W);
  const tab = pptr(params, C_PA_PTR);
  const x = pptr(params, C_X_PTR), y = pptr(params, C_OUT_PTR);
  const W = load<i32>(tab + (<usize>(rank - 1) << 2));
  const sW = load<i32>(tab + (<usize>(2 * rank - 1) << 2));
  const r0 = tile * per;
  let r1 = r0 + per;
  if (r1 > rows) r1 = rows;
  for (let r = r0; r < r1; r++) {
    // The row's input offset from its index digits, last row dim first.
    let rem = r, off = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const n = load<i32>(tab + (<usize>d << 2));
      const q = rem / n;
      off += (rem - q * n) * load<i32>(tab + (<usize>(rank + d) << 2));
      rem = q;
    }
    const src = x + (<usize>off << 2), dst = y + (<usize>r * <usize>W << 2);
    if (sW == 1) copyf(dst, src, W);
    else if (sW == 0) {
      const v = load<f32>(src);
      for (let j = 0; j < W; j++) store<f32>(dst + (<usize>j << 2), v);
    } else {
      for (let j = 0; j < W; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + ((<usize>j * <usize>sW) << 2)));
    }
  }
}
