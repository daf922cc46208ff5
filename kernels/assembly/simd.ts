// SIMD helpers shared by the kernels: multiply-add (fused in the relaxed build) and parameter reads.

/** a * b + c on four f32 lanes: one fused op where relaxed SIMD is compiled in, mul then add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Slot `i` of an i32 parameter block written by kernels/src/wasm (slot numbers in layout.ts). */
@inline export function p32(params: usize, i: i32): i32 {
  return load<i32>(params + (<usize>i << 2));
}

@inline export function pptr(params: usize, i: i32): usize {
  return <usize>load<u32>(params + (<usize>i << 2));
}

/**
 * Fills `count` floats at `dst` with `value`. A vector loop rather than memory.fill: on shared
 * memory V8 implements the bulk-memory ops as calls that cost ~100 ns each, and rows are short.
 */
export function fillf(dst: usize, count: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), value);
}

/** Copies `count` floats (non-overlapping), for the same reason as fillf. */
export function copyf(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const o = <usize>i << 2;
    v128.store(dst + o, v128.load(src + o));
    v128.store(dst + o, v128.load(src + o, 16), 16);
  }
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}
