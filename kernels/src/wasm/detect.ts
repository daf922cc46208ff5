// Feature detection for choosing the kernel variant: relaxed SIMD (fused multiply-add) and shared
// WebAssembly memory (needed by the worker pool; browsers only allow it when cross-origin isolated).

/** v128.const 0, three times, then f32x4.relaxed_madd (0xfd 0x105): valid only where relaxed SIMD is on. */
function relaxedProbe(): Uint8Array {
  const v128const = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...v128const, ...v128const, ...v128const, 0xfd, 0x85, 0x02, 0x0b];
  const code = [0x01, body.length, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // type section: one function type () -> v128
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
    // function section: one function of type 0
    0x03, 0x02, 0x01, 0x00,
    // code section
    0x0a, code.length, ...code,
  ]);
}

export function supportsRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(relaxedProbe());
  } catch {
    return false;
  }
}

export function supportsSharedMemory(): boolean {
  try {
    if (typeof SharedArrayBuffer === 'undefined') return false;
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
