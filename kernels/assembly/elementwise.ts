// Per-channel affine (batch norm in eval mode: y = x * scale[c] + shift[c]) with an optional fused
// ReLU; planes of one channel are contiguous in NCHW.
import { madd, p32, pptr } from './simd';
import { C_IC, C_H, C_W, C_X_PTR, C_OUT_PTR, C_RELU, C_SCALE_PTR, C_SHIFT_PTR } from '../src/wasm/layout';

@inline function relu1(x: f32): f32 {
  return x > 0 || x != x ? x : 0;
}

/** Parallel job: tile = n * C + c; the plane is C_H * C_W elements. */
export function affine(params: usize, tile: i32, thread: i32): void {
  const C = p32(params, C_IC), len = p32(params, C_H) * p32(params, C_W);
  const c = tile % C;
  const s = load<f32>(pptr(params, C_SCALE_PTR) + (<usize>c << 2));
  const t = load<f32>(pptr(params, C_SHIFT_PTR) + (<usize>c << 2));
  const x = pptr(params, C_X_PTR) + (<usize>(tile * len) << 2), y = pptr(params, C_OUT_PTR) + (<usize>(tile * len) << 2);
  const relu = p32(params, C_RELU) != 0;
  const sv = f32x4.splat(s), tv = f32x4.splat(t), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    let v = madd(v128.load(x + o), sv, tv);
    if (relu) v = f32x4.max(v, zero);
    v128.store(y + o, v);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o) * s + t;
    store<f32>(y + o, relu ? relu1(v) : v);
  }
}
