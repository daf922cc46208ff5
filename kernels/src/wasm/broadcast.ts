// Broadcasting arithmetic (add, sub, mul, true div) on the fast path for the patterns models use:
// tensors of one shape (the `binary` kernel); one operand constant over every spatial position, i.e.
// per (sample, channel) (squeeze-and-excitation gates, per-channel biases, scalars: the per-plane
// `affine` kernel); one operand constant over the leading dims, i.e. a vector over the trailing dims
// (a transformer's bias or scale: `row_affine`). Anything else stays on the reference.
import type { BinaryAttrs } from '../../../server/src/engine/graph/ir';
import { numel, type NDArray } from '../ndarray';
import type { KernelContext } from './context';
import { runBinary } from './activation';
import { runAffine } from './elementwise';
import { runRowAffine } from './norm';

type Arith = Extract<BinaryAttrs, { fn: 'add' | 'sub' | 'mul' | 'div' }>;

export type BroadcastPlan =
  | { kind: 'same' }
  /** The smaller operand (index `small`) varies only over the first two dims of the larger's shape. */
  | { kind: 'plane'; small: 0 | 1 }
  /** The smaller operand varies only over the larger's last `k` dims, and holds all of them. */
  | { kind: 'row'; small: 0 | 1; k: number };

/** Whether the fast path takes this arithmetic node's operation (true division only). */
export function arithmetic(a: BinaryAttrs): a is Arith {
  return a.fn === 'add' || a.fn === 'sub' || a.fn === 'mul' || (a.fn === 'div' && a.rounding === 'none');
}

/** How a op b runs on the fast path for these shapes, or null. */
export function broadcastPlan(a: BinaryAttrs, as: readonly number[], bs: readonly number[]): BroadcastPlan | null {
  if (!arithmetic(a)) return null;
  if (as.length === bs.length && as.every((d, i) => d === bs[i])) return { kind: 'same' };
  const na = numel(as);
  const nb = numel(bs);
  if (na === nb) return null;
  const small: 0 | 1 = na > nb ? 1 : 0;
  const big = small === 1 ? as : bs;
  const sm = small === 1 ? bs : as;
  if (sm.length > big.length) return null;
  // Division by the larger operand is not an affine map of it.
  if (a.fn === 'div' && small === 0) return null;
  const padded = [...Array(big.length - sm.length).fill(1), ...sm] as number[];
  if (padded.some((d, i) => d !== 1 && d !== big[i])) return null;
  // Per (sample, channel): every dim from 2 on is 1 in the small operand.
  if (big.length >= 2 && padded.every((d, i) => i < 2 || d === 1)) return { kind: 'plane', small };
  // A vector over the trailing dims: leading dims 1, the trailing k equal to the big operand's.
  let k = 0;
  while (k < big.length && padded[big.length - 1 - k] === big[big.length - 1 - k]) k++;
  if (k > 0 && padded.every((d, i) => i >= big.length - k || d === 1)) return { kind: 'row', small, k };
  return null;
}

/** Values of the small operand as float32 (it may be an int64 constant such as the 2 of `x * 2`). */
function values(t: NDArray): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

/** y = scale·big + shift, element-wise from the small operand's value v, for the node's operation and operand order. */
function affineOf(a: Arith, small: 0 | 1): (v: number) => [scale: number, shift: number] {
  switch (a.fn) {
    case 'mul':
      return (v) => [v, 0];
    case 'div':
      return (v) => [1 / v, 0];
    case 'add':
      return small === 1 ? (v) => [1, a.alpha * v] : (v) => [a.alpha, v];
    case 'sub':
      return small === 1 ? (v) => [1, -a.alpha * v] : (v) => [-a.alpha, v];
  }
}

export async function runBroadcast(ctx: KernelContext, a: NDArray, b: NDArray, attrs: BinaryAttrs, relu: boolean): Promise<NDArray> {
  const plan = broadcastPlan(attrs, a.shape, b.shape);
  if (!plan || !arithmetic(attrs)) throw new Error(`${attrs.fn}: the fast path has no kernel for [${a.shape.join(', ')}] ${attrs.fn} [${b.shape.join(', ')}]`);
  if (plan.kind === 'same') {
    const op = attrs.fn === 'mul' ? { op: 'mul' as const } : attrs.fn === 'div' ? { op: 'div' as const } : { op: 'add' as const, alpha: attrs.fn === 'sub' ? -attrs.alpha : attrs.alpha };
    return runBinary(ctx, a, b, op, relu);
  }
  const big = plan.small === 1 ? a : b;
  const sm = plan.small === 1 ? b : a;
  const f = affineOf(attrs, plan.small);
  const v = values(sm);
  if (plan.kind === 'plane') {
    // The small operand indexed per (n, c) plane of the big one: [N or 1, C or 1] after left-padding.
    const [N, C] = [big.shape[0]!, big.shape[1]!];
    const padded = [...Array(big.shape.length - sm.shape.length).fill(1), ...sm.shape] as number[];
    const [sn, sc] = [padded[0]!, padded[1]!];
    const scale = new Float32Array(N * C);
    const shift = new Float32Array(N * C);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const [s, t] = f(v[(sn === 1 ? 0 : n) * sc + (sc === 1 ? 0 : c)]!);
        scale[n * C + c] = s;
        shift[n * C + c] = t;
      }
    }
    return runAffine(ctx, big, scale, shift, relu, true);
  }
  // Row pattern: y = big·g + h per trailing index, the same for every leading index.
  const len = numel(big.shape.slice(big.shape.length - plan.k));
  const g = new Float32Array(len);
  const h = new Float32Array(len);
  for (let i = 0; i < len; i++) [g[i], h[i]] = f(v[i]!);
  return runRowAffine(ctx, big, len, g, h, relu);
}
