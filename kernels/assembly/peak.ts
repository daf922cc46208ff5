// The machine's SIMD128 multiply-add peak: twelve independent accumulator chains and nothing else
// that competes for the floating-point pipes, so the benchmark can report each kernel as a
// fraction of what this core can do (measured in the same run).
import { madd } from './simd';

/**
 * Runs `iters` x 12 multiply-adds on f32x4 (96 flops per iteration); returns a value so nothing is
 * dead. `xy` points at two f32x4 vectors x < 1 and a small y written by the caller, which keep every
 * chain near y / (1 - x): no overflow, no denormals. They are re-read from memory every iteration
 * on purpose: as constants or splats V8 rematerialises them inside the loop with vector
 * instructions, which would make this "peak" slower than a real kernel.
 */
export function peak_madd(iters: i32, xy: usize): f32 {
  let a0 = f32x4.splat(0.0), a1 = f32x4.splat(0.1), a2 = f32x4.splat(0.2), a3 = f32x4.splat(0.3);
  let a4 = f32x4.splat(0.4), a5 = f32x4.splat(0.5), a6 = f32x4.splat(0.6), a7 = f32x4.splat(0.7);
  let a8 = f32x4.splat(0.8), a9 = f32x4.splat(0.9), a10 = f32x4.splat(1.0), a11 = f32x4.splat(1.1);
  for (let i = 0; i < iters; i++) {
    const x = v128.load(xy), y = v128.load(xy, 16);
    a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y);
    a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y);
    a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 3);
}
