// torch.cat on the fast path: each input's blocks copied into place inside the kernels' memory (a
// U-Net's skip connections and a DenseNet's growing stacks stay there between the convs around them).
import { numel, type NDArray } from '../ndarray';
import type { KernelContext } from './context';

export function runCat(ctx: KernelContext, xs: readonly NDArray[], dim: number): NDArray {
  const op = 'cat';
  if (xs.length === 0) throw new Error(`${op}: no tensors`);
  const rank = xs[0]!.shape.length;
  if (dim < 0 || dim >= rank) throw new Error(`${op}: dim ${dim} out of range for rank ${rank}`);
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== dim && d !== xs[0]!.shape[i])) {
      throw new Error(`${op}: [${x.shape.join(', ')}] does not match [${xs[0]!.shape.join(', ')}] outside dim ${dim}`);
    }
  }
  const ptrs = xs.map((x) => ctx.input(x, op));
  const shape = xs[0]!.shape.slice();
  shape[dim] = xs.reduce((a, x) => a + x.shape[dim]!, 0);
  const out = ctx.output(shape);
  const outer = numel(shape.slice(0, dim));
  const inners = xs.map((x) => numel(x.shape.slice(dim)));
  const innerOut = inners.reduce((a, b) => a + b, 0);
  // One view of the whole memory, made after the last allocation (which may have grown it).
  const m = new Float32Array(ctx.heap.memory.buffer);
  const o0 = out.ptr >> 2;
  let offset = 0;
  xs.forEach((_, k) => {
    const src0 = ptrs[k]! >> 2;
    const len = inners[k]!;
    for (let o = 0; o < outer; o++) m.copyWithin(o0 + o * innerOut + offset, src0 + o * len, src0 + (o + 1) * len);
    offset += len;
  });
  return out.array;
}
