// Two-operand torch.einsum on the fast path as a batched matrix product between strided views
// (attention's "bhid,bhjd->bhij", "bhij,bhjd->bhid"): each letter is a batch letter (both operands and
// the output), contracted (both operands, not the output), or free on one side (one operand and the
// output). A is laid out as [batch, left, contracted], B as [batch, right, contracted] (the rows the
// linear kernel streams), the product is [batch, left, right], and a last view puts the output's
// letters in order. Diagonals, letters summed within one operand and size-1 broadcasting between
// operands stay with the reference.
import type { NDArray } from '../ndarray';
import { numel, stridesOf } from '../ndarray';
import type { KernelContext } from './context';
import { runMatmulNT } from './linear';
import { stridedInto, type View } from './views';

export interface EinsumPlan {
  /** A and B as [batch, left, contracted] / [batch, right, contracted] views. */
  a: View;
  b: View;
  batch: number;
  M: number;
  N: number;
  K: number;
  /** The product [batch, left, right] as the output's order; null when it already is. */
  out: View | null;
  outShape: number[];
}

/** The plan for this equation and these operand shapes, or null when the reference must run it. */
export function einsumPlan(equation: string, aShape: readonly number[], bShape: readonly number[]): EinsumPlan | null {
  const m = /^([A-Za-z]*),([A-Za-z]*)->([A-Za-z]*)$/.exec(equation);
  if (!m) return null;
  const [ta, tb, to] = [m[1]!, m[2]!, m[3]!];
  if (ta.length !== aShape.length || tb.length !== bShape.length) return null;
  for (const t of [ta, tb, to]) if (new Set(t).size !== t.length) return null;
  const size = new Map<string, number>();
  for (const [t, shape] of [[ta, aShape], [tb, bShape]] as const) {
    for (let i = 0; i < t.length; i++) {
      const had = size.get(t[i]!);
      if (had !== undefined && had !== shape[i]) return null;
      size.set(t[i]!, shape[i]!);
    }
  }
  const inA = (c: string) => ta.includes(c);
  const inB = (c: string) => tb.includes(c);
  if ([...to].some((c) => !inA(c) && !inB(c))) return null;
  // A letter in one operand only and not in the output would be summed there first: not this path.
  if ([...ta].some((c) => !inB(c) && !to.includes(c)) || [...tb].some((c) => !inA(c) && !to.includes(c))) return null;
  const batch = [...to].filter((c) => inA(c) && inB(c));
  const left = [...to].filter((c) => inA(c) && !inB(c));
  const right = [...to].filter((c) => inB(c) && !inA(c));
  const contracted = [...ta].filter((c) => inB(c) && !to.includes(c));
  const n = (cs: string[]) => cs.reduce((p, c) => p * size.get(c)!, 1);
  const viewOf = (t: string, shape: readonly number[], order: string[]): View => {
    const st = stridesOf(shape);
    return { shape: order.map((c) => size.get(c)!), strides: order.map((c) => st[t.indexOf(c)]!), offset: 0 };
  };
  const mid = [...batch, ...left, ...right];
  const midStrides = stridesOf(mid.map((c) => size.get(c)!));
  const identity = mid.join('') === to;
  return {
    a: viewOf(ta, aShape, [...batch, ...left, ...contracted]),
    b: viewOf(tb, bShape, [...batch, ...right, ...contracted]),
    batch: n(batch),
    M: n(left),
    N: n(right),
    K: n(contracted),
    out: identity ? null : { shape: [...to].map((c) => size.get(c)!), strides: [...to].map((c) => midStrides[mid.indexOf(c)]!), offset: 0 },
    outShape: [...to].map((c) => size.get(c)!),
  };
}

/** Whether a view reads its source in row-major order (then it needs no copy). */
function contiguous(v: View): boolean {
  const st = stridesOf(v.shape);
  return v.offset === 0 && v.shape.every((d, i) => d === 1 || v.strides[i] === st[i]);
}

export async function runEinsum(ctx: KernelContext, a: NDArray, b: NDArray, plan: EinsumPlan): Promise<NDArray> {
  const op = 'einsum';
  const aPtr0 = ctx.input(a, op);
  const bPtr0 = ctx.input(b, op);
  const { batch, M, N, K } = plan;
  const aPtr = contiguous(plan.a) ? aPtr0 : ctx.arena.alloc(batch * M * K * 4);
  if (aPtr !== aPtr0) await stridedInto(ctx, aPtr0, plan.a, aPtr);
  const bPtr = contiguous(plan.b) ? bPtr0 : ctx.arena.alloc(batch * N * K * 4);
  if (bPtr !== bPtr0) await stridedInto(ctx, bPtr0, plan.b, bPtr);
  const out = ctx.output(plan.outShape);
  if (numel(plan.outShape) === 0) return out.array;
  const mid = plan.out ? ctx.arena.alloc(batch * M * N * 4) : out.ptr;
  if (K === 0) ctx.heap.f32(mid, batch * M * N).fill(0);
  else await runMatmulNT(ctx, aPtr, bPtr, mid, batch, M, K, N);
  if (plan.out) await stridedInto(ctx, mid, plan.out, out.ptr);
  return out.array;
}
