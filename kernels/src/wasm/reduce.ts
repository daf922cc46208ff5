// sum, mean, var and std over the trailing dims on the fast path (x.mean((2, 3)), a global average
// pool written by hand; a per-sample variance): each output is one contiguous segment, whose moments
// norm.ts's two-pass SIMD `moments` kernel already computes in float64.
import type { ReduceAttrs } from '../../../server/src/engine/graph/ir';
import { numel, type NDArray } from '../ndarray';
import type { KernelContext } from './context';
import { segmentMoments } from './norm';

/** Whether these dims are the last dims of a tensor of this rank, and the function one the moments give. */
export function trailingReduction(a: ReduceAttrs, shape: readonly number[]): boolean {
  const rank = shape.length;
  const k = a.dims.length;
  if (!['sum', 'mean', 'var', 'std'].includes(a.fn) || k === 0 || k > rank) return false;
  if (!a.dims.every((d, i) => d === rank - k + i)) return false;
  // Empty segments: PyTorch's own rules for empty sums and means stay with the reference.
  return numel(shape.slice(rank - k)) > 0;
}

export async function runReduce(ctx: KernelContext, x: NDArray, a: ReduceAttrs): Promise<NDArray> {
  if (!trailingReduction(a, x.shape)) throw new Error(`reduce: the fast path reduces trailing dims only, got ${a.fn} over ${JSON.stringify(a.dims)} of [${x.shape.join(', ')}]`);
  const rank = x.shape.length;
  const k = a.dims.length;
  const len = numel(x.shape.slice(rank - k));
  const segments = numel(x.shape.slice(0, rank - k));
  const outShape = a.keepdim ? x.shape.map((d, i) => (i >= rank - k ? 1 : d)) : x.shape.slice(0, rank - k);
  const xPtr = ctx.input(x, 'reduce');
  const st = segments > 0 ? await segmentMoments(ctx, xPtr, segments, len) : { mean: new Float64Array(0), m2: new Float64Array(0) };
  const out = ctx.output(outShape);
  const y = out.array.data as Float32Array;
  for (let s = 0; s < segments; s++) {
    const mean = st.mean[s]!;
    if (a.fn === 'sum') y[s] = mean * len;
    else if (a.fn === 'mean') y[s] = mean;
    else {
      // As the reference: Σ(x − mean)² / max(0, n − correction).
      const v = st.m2[s]! / Math.max(0, len - (a.fn === 'var' || a.fn === 'std' ? a.correction : 0));
      y[s] = a.fn === 'std' ? Math.sqrt(v) : v;
    }
  }
  return out.array;
}
