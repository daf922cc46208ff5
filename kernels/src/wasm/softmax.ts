// softmax / log_softmax along one dim on the fast path (kernels/assembly/softmax.ts): x as
// [outer, size, inner] around the dim; rows when the dim is the last, columns of four otherwise.
import { numel, type NDArray } from '../ndarray';
import type { KernelContext } from './context';
import * as S from './layout';

/** Elements per parallel tile. */
const CHUNK = 16384;

export async function runSoftmax(ctx: KernelContext, x: NDArray, dim: number, log: boolean): Promise<NDArray> {
  const op = log ? 'log_softmax' : 'softmax';
  const rank = x.shape.length;
  if (rank === 0 || dim < 0 || dim >= rank) throw new Error(`${op}: dim ${dim} out of range for [${x.shape.join(', ')}]`);
  const outer = numel(x.shape.slice(0, dim));
  const size = x.shape[dim]!;
  const inner = numel(x.shape.slice(dim + 1));
  const xPtr = ctx.input(x, op);
  const out = ctx.output(x.shape);
  if (outer * size * inner === 0) return out.array;
  // Rows per tile (inner = 1) or columns per tile, a multiple of 4 (inner > 1), about CHUNK elements each.
  const per = inner === 1 ? Math.max(1, Math.floor(CHUNK / size)) : Math.max(4, Math.floor(CHUNK / size / 4) * 4);
  const ntiles = inner === 1 ? Math.ceil(outer / per) : outer * Math.ceil(inner / per);
  const params = ctx.params();
  try {
    ctx.setSlots(params, {
      [S.C_N]: outer, [S.C_H]: size, [S.C_W]: inner, [S.C_KH]: per, [S.C_EW_FN]: log ? 1 : 0, [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: out.ptr,
    });
    await ctx.run('softmax', params, ntiles, `${outer}x${size}x${inner}`);
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}
