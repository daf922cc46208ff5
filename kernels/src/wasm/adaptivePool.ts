// Adaptive pooling on the fast path: where every output size divides its input size, PyTorch's
// adaptive windows (start ⌊i·L/out⌋, end ⌈(i+1)·L/out⌉) are exactly a plain pool's with kernel =
// stride = L/out, so the pooling kernels run them (ResNet's global average pool among them; 3-D ones
// through pool3d.ts).
import type { AdaptiveAvgPoolAttrs, AdaptiveMaxPoolAttrs, AvgPoolAttrs, MaxPoolAttrs } from '../../../server/src/engine/graph/ir';

type Adaptive = AdaptiveAvgPoolAttrs | AdaptiveMaxPoolAttrs;

/** Per attrs object (graph nodes keep theirs), the plain pool for the last input shape: the pool plans are keyed by attrs identity. */
const plain = new WeakMap<Adaptive, { spatial: string; attrs: AvgPoolAttrs | MaxPoolAttrs }>();

/** The equivalent plain pool for input `shape`, or null when some output size does not divide its input size. */
export function adaptiveAsPlain(kind: 'avg', a: AdaptiveAvgPoolAttrs, shape: readonly number[]): AvgPoolAttrs | null;
export function adaptiveAsPlain(kind: 'max', a: AdaptiveMaxPoolAttrs, shape: readonly number[]): MaxPoolAttrs | null;
export function adaptiveAsPlain(kind: 'avg' | 'max', a: Adaptive, shape: readonly number[]): AvgPoolAttrs | MaxPoolAttrs | null {
  if (('returnIndices' in a && a.returnIndices) || shape.length < a.nd + 1) return null;
  const inSizes = shape.slice(shape.length - a.nd);
  if (a.outSize.length !== a.nd || inSizes.some((L, i) => a.outSize[i]! < 1 || L % a.outSize[i]! !== 0)) return null;
  const spatial = inSizes.join('x');
  const hit = plain.get(a);
  if (hit && hit.spatial === spatial) return hit.attrs;
  const k = inSizes.map((L, i) => L / a.outSize[i]!);
  const zeros = k.map(() => 0);
  const attrs: AvgPoolAttrs | MaxPoolAttrs = kind === 'avg'
    ? { nd: a.nd, kernel: k, stride: k, padding: zeros, ceilMode: false, countIncludePad: true, divisorOverride: null }
    : { nd: a.nd, kernel: k, stride: k, padding: zeros, dilation: k.map(() => 1), ceilMode: false, returnIndices: false };
  plain.set(a, { spatial, attrs });
  return attrs;
}
