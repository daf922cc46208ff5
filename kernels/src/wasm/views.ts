// Data-movement ops as strided views of their input, materialised by the `strided` kernel inside the
// kernels' memory: permute, slicing, expand, split and pixel (un)shuffle. Each view function returns
// null for attributes PyTorch refuses, so those nodes stay with the reference and its message.
import type { ExpandAttrs, PermuteAttrs, PixelShuffleAttrs, PixelUnshuffleAttrs, SliceAttrs, SplitAttrs } from '../../../server/src/engine/graph/ir';
import { numel, stridesOf, type NDArray } from '../ndarray';
import type { KernelContext } from './context';
import * as S from './layout';

/** y = x[offset + Σ i_d · strides[d]] over the output shape, all in elements. */
export interface View {
  shape: number[];
  strides: number[];
  offset: number;
}

export function permuteView(shape: readonly number[], a: PermuteAttrs): View | null {
  const rank = shape.length;
  if (a.perm.length !== rank || new Set(a.perm).size !== rank || a.perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) return null;
  const st = stridesOf(shape);
  return { shape: a.perm.map((p) => shape[p]!), strides: a.perm.map((p) => st[p]!), offset: 0 };
}

export function sliceView(shape: readonly number[], a: SliceAttrs): View | null {
  const rank = shape.length;
  if (a.start.length !== rank || a.stop.length !== rank || a.step.length !== rank) return null;
  const st = stridesOf(shape);
  const out: number[] = [];
  let offset = 0;
  for (let d = 0; d < rank; d++) {
    const [b, e, s] = [a.start[d]!, a.stop[d]!, a.step[d]!];
    if (!(s >= 1) || b < 0 || e > shape[d]! || b > e) return null;
    out.push(Math.ceil((e - b) / s));
    offset += b * st[d]!;
  }
  return { shape: out, strides: st.map((v, d) => v * a.step[d]!), offset };
}

export function expandView(shape: readonly number[], a: ExpandAttrs): View | null {
  const k = a.shape.length - shape.length;
  if (k < 0 || shape.some((d, i) => d !== 1 && d !== a.shape[k + i])) return null;
  const st = stridesOf(shape);
  // New leading dims and size-1 dims that grow repeat: stride 0.
  return { shape: a.shape.slice(), strides: a.shape.map((n, i) => (i < k || (shape[i - k] === 1 && n !== 1) ? 0 : st[i - k]!)), offset: 0 };
}

/** One view per output of a split along `dim`. */
export function splitViews(shape: readonly number[], a: SplitAttrs): View[] | null {
  const rank = shape.length;
  if (a.dim < 0 || a.dim >= rank || a.sizes.some((n) => !Number.isInteger(n) || n < 0) || a.sizes.reduce((p, q) => p + q, 0) !== shape[a.dim]) return null;
  const st = stridesOf(shape);
  let at = 0;
  return a.sizes.map((n) => {
    const v = { shape: shape.map((d, i) => (i === a.dim ? n : d)), strides: st.slice(), offset: at * st[a.dim]! };
    at += n;
    return v;
  });
}

/**
 * [*, C·r², H, W] → [*, C, H·r, W·r] as the 6-D view [B, C, H, r, W, r] (row-major, the same
 * elements as the output) reading input channel c·r² + i·r + j at (h, w).
 */
export function pixelShuffleView(shape: readonly number[], a: PixelShuffleAttrs): View | null {
  const r = a.upscale;
  if (shape.length < 3 || !Number.isInteger(r) || r < 1) return null;
  const [C, H, W] = shape.slice(-3) as [number, number, number];
  if (C % (r * r) !== 0) return null;
  const B = numel(shape.slice(0, -3));
  const Co = C / (r * r);
  return { shape: [B, Co, H, r, W, r], strides: [C * H * W, r * r * H * W, W, r * H * W, 1, H * W], offset: 0 };
}

/** [*, C, H·r, W·r] → [*, C·r², H, W] as the 6-D view [B, C, r, r, H, W] reading (h·r + i, w·r + j). */
export function pixelUnshuffleView(shape: readonly number[], a: PixelUnshuffleAttrs): View | null {
  const r = a.downscale;
  if (shape.length < 3 || !Number.isInteger(r) || r < 1) return null;
  const [C, H, W] = shape.slice(-3) as [number, number, number];
  if (H % r !== 0 || W % r !== 0) return null;
  const B = numel(shape.slice(0, -3));
  return { shape: [B, C, r, r, H / r, W / r], strides: [C * H * W, H * W, W, 1, r * W, r], offset: 0 };
}

/** Rows per parallel tile: about 16K elements each. */
const CHUNK = 16384;

/** Materialises `v` of x into a new tensor of shape `outShape` (same element count as the view). */
export async function runStrided(ctx: KernelContext, x: NDArray, v: View, outShape: readonly number[]): Promise<NDArray> {
  const op = 'view';
  const n = numel(v.shape);
  if (n !== numel(outShape)) throw new Error(`${op}: a view of ${n} elements cannot fill [${outShape.join(', ')}]`);
  const xPtr = ctx.input(x, op);
  const out = ctx.output(outShape);
  await stridedInto(ctx, xPtr, v, out.ptr);
  return out.array;
}

/** Copies view `v` of the tensor at xPtr into the contiguous block at dstPtr (both in the kernels' memory). */
export async function stridedInto(ctx: KernelContext, xPtr: number, v: View, dstPtr: number): Promise<void> {
  const n = numel(v.shape);
  if (n === 0) return;
  // A 0-d view is a single element: one row of one.
  const shape = v.shape.length ? v.shape : [1];
  const strides = v.shape.length ? v.strides : [0];
  const rank = shape.length;
  const W = shape[rank - 1]!;
  const rows = n / W;
  const tab = ctx.arena.alloc(rank * 8);
  ctx.heap.i32(tab, 2 * rank).set([...shape, ...strides]);
  const per = Math.max(1, Math.floor(CHUNK / W));
  const params = ctx.params();
  try {
    ctx.setSlots(params, { [S.C_N]: rank, [S.C_H]: rows, [S.C_W]: per, [S.C_X_PTR]: xPtr + v.offset * 4, [S.C_OUT_PTR]: dstPtr, [S.C_PA_PTR]: tab });
    await ctx.run('strided', params, Math.ceil(rows / per), `${shape.join('x')}:${strides.join(',')}`);
  } finally {
    ctx.heap.release(params);
  }
}
