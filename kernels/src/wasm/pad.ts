// F.pad and nn.*Pad*d on the fast path, inside the kernels' memory: per output row (every dim but the
// last), the input row it reads (or the fill value), its interior copied as one block and its edges
// element by element, with the reference kernel's index rule (reflect without repeating the edge,
// replicate, circular, constant with crops).
import type { PadAttrs } from '../../../server/src/engine/graph/ir';
import { numel, stridesOf, type NDArray } from '../ndarray';
import { padProblem, padSource } from '../ref/pad';
import type { KernelContext } from './context';

export function runPad(ctx: KernelContext, x: NDArray, a: PadAttrs): NDArray {
  const op = 'pad';
  const problem = padProblem(x.shape, a);
  if (problem) throw new Error(`${op}: ${problem}`);
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d + a.before[i]! + a.after[i]!);
  const xPtr = ctx.input(x, op);
  const out = ctx.output(outShape);
  const n = numel(outShape);
  if (n === 0) return out.array;
  const inStrides = stridesOf(x.shape);
  // Per dim, the input offset (in elements) each output coordinate reads, −1 for the fill value.
  const maps = outShape.map((len, d) => Int32Array.from({ length: len }, (_, o) => {
    const s = padSource(a.mode, o - a.before[d]!, x.shape[d]!);
    return s < 0 ? -1 : s * inStrides[d]!;
  }));
  // A view of the whole memory made after the last allocation (which may have grown it).
  const m = new Float32Array(ctx.heap.memory.buffer);
  const x0 = xPtr >> 2;
  let y = out.ptr >> 2;
  if (rank === 0) {
    m[y] = m[x0]!;
    return out.array;
  }
  const last = maps[rank - 1]!;
  const W = outShape[rank - 1]!;
  // The last dim's interior: output columns [c0, c1) read input columns c − before, contiguous.
  const c0 = Math.max(0, a.before[rank - 1]!);
  const c1 = Math.min(W, a.before[rank - 1]! + x.shape[rank - 1]!);
  const rows = n / W;
  const ctr = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++, y += W) {
    let base = 0;
    let fill = false;
    for (let d = 0; d < rank - 1; d++) {
      const off = maps[d]![ctr[d]!]!;
      if (off < 0) {
        fill = true;
        break;
      }
      base += off;
    }
    if (fill) m.fill(a.value, y, y + W);
    else {
      const src = x0 + base;
      for (let c = 0; c < c0; c++) m[y + c] = last[c]! < 0 ? a.value : m[src + last[c]!]!;
      if (c1 > c0) m.copyWithin(y + c0, src + last[c0]!, src + last[c0]! + (c1 - c0));
      for (let c = Math.max(c0, c1); c < W; c++) m[y + c] = last[c]! < 0 ? a.value : m[src + last[c]!]!;
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++ctr[d]! < outShape[d]!) break;
      ctr[d] = 0;
    }
  }
  return out.array;
}
