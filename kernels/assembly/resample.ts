// Interpolation along one axis: x viewed as [outer, L_in, inner] becomes y [outer, L_out, inner] with
// y[o, j, r] = Σ_t w[j, t] · x[o, idx[j, t], r] (t < taps: 1 nearest, 2 linear, 4 cubic). F.interpolate
// in nearest, linear and cubic modes is separable, so the TypeScript side runs one pass per spatial
// dim, the last first: PyTorch's own kernels sum the last dim's taps innermost, so the float32
// rounding of each pass is theirs. The taps come from the reference kernel (kernels/src/ref/interpolate.ts).
import { madd, p32, pptr } from './simd';
import { C_N, C_H, C_W, C_OH, C_K, C_X_PTR, C_OUT_PTR, C_PA_PTR, C_PB_PTR } from '../src/wasm/layout';

/**
 * Parallel job over outer index `tile`. C_N outer, C_H L_in, C_OH L_out, C_W inner, C_K taps per output
 * position; i32 indices at C_PA_PTR and f32 weights at C_PB_PTR, L_out · taps of each.
 */
export function resample(params: usize, tile: i32, thread: i32): void {
  const Lin = p32(params, C_H), Lout = p32(params, C_OH), inner = p32(params, C_W), n = p32(params, C_K);
  const idx = pptr(params, C_PA_PTR), wts = pptr(params, C_PB_PTR);
  const x = pptr(params, C_X_PTR) + ((<usize>tile * <usize>Lin * <usize>inner) << 2);
  const y = pptr(params, C_OUT_PTR) + ((<usize>tile * <usize>Lout * <usize>inner) << 2);
  const rowBytes = <usize>inner << 2;
  for (let j = 0; j < Lout; j++) {
    const dst = y + <usize>j * rowBytes;
    const tj = <usize>(j * n) << 2;
    if (inner == 1) {
      let acc: f32 = 0;
      for (let t = 0; t < n; t++) acc += load<f32>(wts + tj + (<usize>t << 2)) * load<f32>(x + (<usize>load<i32>(idx + tj + (<usize>t << 2)) << 2));
      store<f32>(dst, n == 1 ? load<f32>(x + (<usize>load<i32>(idx + tj) << 2)) : acc);
      continue;
    }
    let r = 0;
    for (; r + 4 <= inner; r += 4) {
      const ro = <usize>r << 2;
      let acc = f32x4.splat(0);
      if (n == 1) acc = v128.load(x + <usize>load<i32>(idx + tj) * rowBytes + ro);
      else {
        for (let t = 0; t < n; t++) {
          const to = <usize>t << 2;
          acc = madd(v128.load32_splat(wts + tj + to), v128.load(x + <usize>load<i32>(idx + tj + to) * rowBytes + ro), acc);
        }
      }
      v128.store(dst + ro, acc);
    }
    for (; r < inner; r++) {
      const ro = <usize>r << 2;
      let acc: f32 = 0;
      for (let t = 0; t < n; t++) {
        const to = <usize>t << 2;
        acc += load<f32>(wts + tj + to) * load<f32>(x + <usize>load<i32>(idx + tj + to) * rowBytes + ro);
      }
      store<f32>(dst + ro, n == 1 ? load<f32>(x + <usize>load<i32>(idx + tj) * rowBytes + ro) : acc);
    }
  }
}
