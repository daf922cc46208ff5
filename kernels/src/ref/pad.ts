// Reference padding: constant (negative amounts crop), reflect, replicate and circular, on any dims.
import { numel, stridesOf, type NDArray } from '../ndarray';
import type { PadAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, fail, shapeStr } from './util';

/** Input index that output index o (in padded coordinates, o − before) reads in this mode, or −1 for the fill value. */
export function padSource(mode: PadAttrs['mode'], i: number, len: number): number {
  if (i >= 0 && i < len) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'replicate':
      return i < 0 ? 0 : len - 1;
    case 'reflect': {
      // Mirror about the edge elements without repeating them: period 2(len−1).
      if (len === 1) return 0;
      const period = 2 * (len - 1);
      let m = ((i % period) + period) % period;
      if (m >= len) m = period - m;
      return m;
    }
    case 'circular':
      return ((i % len) + len) % len;
  }
}

/** What PyTorch would refuse about padding a tensor of this shape (null: nothing); the fast path leaves those to this kernel. */
export function padProblem(shape: readonly number[], a: PadAttrs): string | null {
  const rank = shape.length;
  if (a.before.length !== rank || a.after.length !== rank) return `before/after need one entry per dim of ${shapeStr(shape)}`;
  const outShape = shape.map((d, i) => d + a.before[i]! + a.after[i]!);
  if (outShape.some((d) => d < 0)) return `padding ${JSON.stringify([a.before, a.after])} leaves a negative size for ${shapeStr(shape)}`;
  for (let i = 0; i < rank; i++) {
    const [b, e, len] = [a.before[i]!, a.after[i]!, shape[i]!];
    if ((b < 0 || e < 0) && a.mode !== 'constant') return `negative padding is only allowed in constant mode`;
    if (a.mode === 'reflect' && (b >= len || e >= len) && (b > 0 || e > 0)) return `reflect padding (${b}, ${e}) must be less than the size ${len} of dim ${i}`;
    if (a.mode === 'circular' && (b > len || e > len)) return `circular padding (${b}, ${e}) may not exceed the size ${len} of dim ${i}`;
    if ((a.mode === 'replicate' || a.mode === 'circular') && len === 0 && outShape[i]! > 0) return `cannot ${a.mode}-pad an empty dim ${i}`;
  }
  return null;
}

export function pad(inputs: readonly NDArray[], a: PadAttrs): NDArray[] {
  const op = 'pad';
  const x = arg(op, inputs, 0, 'x');
  const problem = padProblem(x.shape, a);
  if (problem) fail(op, problem);
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d + a.before[i] + a.after[i]);
  const y = alloc(x.dtype, outShape);
  const n = numel(outShape);
  const inStrides = stridesOf(x.shape);
  // Per dim, the input offset each output coordinate reads (−1: the fill value).
  const maps = outShape.map((len, d) => {
    const m = new Int32Array(len);
    for (let o = 0; o < len; o++) {
      const s = padSource(a.mode, o - a.before[d], x.shape[d]);
      m[o] = s < 0 ? -1 : s * inStrides[d];
    }
    return m;
  });
  const ctr = new Array<number>(rank).fill(0);
  for (let e = 0; e < n; e++) {
    let off = 0;
    let fill = false;
    for (let d = 0; d < rank; d++) {
      const m = maps[d][ctr[d]];
      if (m < 0) {
        fill = true;
        break;
      }
      off += m;
    }
    y.data[e] = fill ? a.value : x.data[off];
    for (let d = rank - 1; d >= 0; d--) {
      if (++ctr[d] < outShape[d]) break;
      ctr[d] = 0;
    }
  }
  return [y];
}
