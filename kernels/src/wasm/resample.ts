// F.interpolate on the fast path (nearest, nearest-exact, linear/bilinear/trilinear, cubic): one
// `resample` pass per spatial dim, the last first, with the reference kernel's taps (PyTorch's float32
// coordinate arithmetic), so the fast path picks the same pixels and weights.
import type { InterpolateAttrs } from '../../../server/src/engine/graph/ir';
import { numel, type NDArray } from '../ndarray';
import { taps } from '../ref/interpolate';
import type { KernelContext } from './context';
import * as S from './layout';

/**
 * Whether a dim's taps leave it as it is: one tap per output, reading its own input. (A linear dim of
 * unchanged size is not skipped: its 1/0 weight pair turns an infinity into NaN, and PyTorch's does too.)
 */
function identity(t: { n: number; idx: Int32Array; w: Float64Array }, inSize: number, outSize: number): boolean {
  if (inSize !== outSize || t.n !== 1) return false;
  for (let j = 0; j < outSize; j++) if (t.idx[j] !== j || t.w[j] !== 1) return false;
  return true;
}

export async function runInterpolate(ctx: KernelContext, x: NDArray, a: InterpolateAttrs): Promise<NDArray> {
  const op = 'interpolate';
  const rank = x.shape.length;
  if (rank < a.nd + 1 || a.size.length !== a.nd || a.size.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${op}: size ${JSON.stringify(a.size)} does not fit [${x.shape.join(', ')}]`);
  }
  const outShape = [...x.shape.slice(0, rank - a.nd), ...a.size];
  let cur = ctx.input(x, op);
  let shape = x.shape.slice();
  // The passes that change something, last dim first.
  const passes: Array<{ axis: number; t: { n: number; idx: Int32Array; w: Float64Array } }> = [];
  for (let i = a.nd - 1; i >= 0; i--) {
    const axis = rank - a.nd + i;
    const t = taps(a, x.shape[axis]!, a.size[i]!, a.scales[i] ?? null);
    if (!identity(t, x.shape[axis]!, a.size[i]!)) passes.push({ axis, t });
  }
  const out = ctx.output(outShape);
  if (passes.length === 0) {
    out.array.data.set(ctx.heap.f32(cur, numel(outShape)));
    return out.array;
  }
  const params = ctx.params();
  try {
    for (const [k, { axis, t }] of passes.entries()) {
      const Lout = a.size[axis - (rank - a.nd)]!;
      const next = shape.slice();
      next[axis] = Lout;
      const dst = k === passes.length - 1 ? out.ptr : ctx.arena.alloc(numel(next) * 4);
      const idxPtr = ctx.arena.alloc(t.idx.length * 4);
      ctx.heap.i32(idxPtr, t.idx.length).set(t.idx);
      const wPtr = ctx.arena.alloc(t.w.length * 4);
      ctx.heap.f32(wPtr, t.w.length).set(t.w);
      const outer = numel(shape.slice(0, axis));
      ctx.setSlots(params, {
        [S.C_N]: outer, [S.C_H]: shape[axis]!, [S.C_OH]: Lout, [S.C_W]: numel(shape.slice(axis + 1)), [S.C_K]: t.n,
        [S.C_X_PTR]: cur, [S.C_OUT_PTR]: dst, [S.C_PA_PTR]: idxPtr, [S.C_PB_PTR]: wPtr,
      });
      if (outer > 0) await ctx.run('resample', params, outer, `${shape.join('x')}:${axis}:${Lout}:${t.n}`);
      cur = dst;
      shape = next;
    }
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}
