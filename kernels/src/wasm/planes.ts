// Input and output planes that the 3-D and transposed convs move in the kernels' memory around the
// 2-D conv kernels: zero-stuffed planes (element i lands at i·s), plain copies and strided scatters.
import type { KernelContext } from './context';

/** A dim's length after zero-stuffing with step s (s − 1 zeros between neighbours): (L − 1)·s + 1. */
export function stuffedSize(len: number, step: number): number {
  return (len - 1) * step + 1;
}

/**
 * The whole memory as float32, made after the last allocation: growing the memory detaches a
 * non-shared buffer, and an older view of a shared one does not reach the new pages.
 */
export function memF32(ctx: KernelContext): Float32Array {
  return new Float32Array(ctx.heap.memory.buffer);
}

/**
 * Writes the H x W plane at float index `src` into the ((H−1)·uh+1) x ((W−1)·uw+1) plane at `dst`,
 * element (h, w) at (h·uh, w·uw) and zeros between them (uh = uw = 1: a plain copy).
 */
export function stuffPlane(m: Float32Array, src: number, dst: number, H: number, W: number, uh: number, uw: number): void {
  if (uh === 1 && uw === 1) {
    m.copyWithin(dst, src, src + H * W);
    return;
  }
  const Ws = stuffedSize(W, uw);
  m.fill(0, dst, dst + stuffedSize(H, uh) * Ws);
  for (let h = 0; h < H; h++) {
    const s = src + h * W;
    const d = dst + h * uh * Ws;
    if (uw === 1) m.copyWithin(d, s, s + W);
    else for (let w = 0; w < W; w++) m[d + w * uw] = m[s + w]!;
  }
}

/**
 * Copies the QH x QW plane at float index `src` to `dst`, its rows `rowStep` floats apart and its
 * elements `colStep` apart (the sub-pixel form's scatter into every s-th output; rowStep = QW and
 * colStep = 1: a plain copy).
 */
export function placePlane(m: Float32Array, src: number, dst: number, QH: number, QW: number, rowStep: number, colStep: number): void {
  if (colStep === 1 && rowStep === QW) {
    m.copyWithin(dst, src, src + QH * QW);
    return;
  }
  const c = colStep;
  for (let qh = 0; qh < QH; qh++) {
    let s = src + qh * QW;
    let d = dst + qh * rowStep;
    if (c === 1) {
      m.copyWithin(d, s, s + QW);
      continue;
    }
    // Four elements per iteration: twice as fast in V8 as one (the loop overhead dominates a scalar copy).
    const end = s + QW;
    for (const end4 = s + (QW & ~3); s < end4; s += 4, d += 4 * c) {
      const v0 = m[s]!;
      const v1 = m[s + 1]!;
      const v2 = m[s + 2]!;
      const v3 = m[s + 3]!;
      m[d] = v0;
      m[d + c] = v1;
      m[d + 2 * c] = v2;
      m[d + 3 * c] = v3;
    }
    for (; s < end; s++, d += c) m[d] = m[s]!;
  }
}
