// 3-D max and average pooling on the fast path as two 2-D pools: over (H, W) for every depth slice,
// then over D with a (kd x 1) window. Both pools are separable in PyTorch's definitions: a max over
// a box is the max over D of maxes over H x W; padding (−inf or zero), dilation, stride and ceil_mode
// act per dim; an average's divisor is the product of per-dim window extents (clipped to the padded
// input with count_include_pad, to the input without), so averaging per dim in turn divides by
// exactly that product. divisor_override is a constant: sum first (override 1), divide once at the end.
import type { AvgPoolAttrs, MaxPoolAttrs } from '../../../server/src/engine/graph/ir';
import type { NDArray } from '../ndarray';

export interface Pool3dStages<A> {
  /** Over the last two dims of x viewed as [N·C, D, H, W]. */
  hw: A;
  /** Over D of the first stage's output viewed as [N·C, 1, D, OH·OW]. */
  d: A;
}

const stages = new WeakMap<object, Pool3dStages<MaxPoolAttrs | AvgPoolAttrs>>();

/** Whether the two-stage form applies: 3-D, no indices. */
export function pool3dSupported(a: MaxPoolAttrs | AvgPoolAttrs): boolean {
  return a.nd === 3 && !('returnIndices' in a && a.returnIndices);
}

/** The two 2-D pools of a 3-D pool, made once per attrs object (the pool plans are found by attrs identity). */
export function pool3dStages(kind: 'max', a: MaxPoolAttrs): Pool3dStages<MaxPoolAttrs>;
export function pool3dStages(kind: 'avg', a: AvgPoolAttrs): Pool3dStages<AvgPoolAttrs>;
export function pool3dStages(kind: 'max' | 'avg', a: MaxPoolAttrs | AvgPoolAttrs): Pool3dStages<MaxPoolAttrs | AvgPoolAttrs> {
  const hit = stages.get(a);
  if (hit) return hit;
  const pick = (v: readonly number[], d: boolean, fill: number): number[] => (d ? [v[0]!, fill] : [v[1]!, v[2]!]);
  let s: Pool3dStages<MaxPoolAttrs | AvgPoolAttrs>;
  if (kind === 'max') {
    const m = a as MaxPoolAttrs;
    const of = (d: boolean): MaxPoolAttrs => ({
      nd: 2, kernel: pick(m.kernel, d, 1), stride: pick(m.stride, d, 1), padding: pick(m.padding, d, 0),
      dilation: pick(m.dilation, d, 1), ceilMode: m.ceilMode, returnIndices: false,
    });
    s = { hw: of(false), d: of(true) };
  } else {
    const v = a as AvgPoolAttrs;
    const of = (d: boolean): AvgPoolAttrs => ({
      nd: 2, kernel: pick(v.kernel, d, 1), stride: pick(v.stride, d, 1), padding: pick(v.padding, d, 0), ceilMode: v.ceilMode,
      countIncludePad: v.countIncludePad, divisorOverride: v.divisorOverride === null ? null : d ? v.divisorOverride : 1,
    });
    s = { hw: of(false), d: of(true) };
  }
  stages.set(a, s);
  return s;
}

/** x [*batch, C, D, H, W] as the first stage's input [N·C, D, H, W] (same data). */
export function asDepthSlices(x: NDArray): NDArray {
  const s = x.shape;
  const nc = s.slice(0, s.length - 3).reduce((p, q) => p * q, 1);
  return { shape: [nc, s[s.length - 3]!, s[s.length - 2]!, s[s.length - 1]!], dtype: x.dtype, data: x.data };
}

/** The first stage's output [N·C, D, OH, OW] as the second stage's input [N·C, 1, D, OH·OW] (same data). */
export function asDepthColumns(y: NDArray): NDArray {
  const [nc, D, OH, OW] = y.shape as [number, number, number, number];
  return { shape: [nc, 1, D, OH * OW], dtype: y.dtype, data: y.data };
}

/** The second stage's output [N·C, 1, OD, OH·OW] under the 3-D pool's shape [*batch, C, OD, OH, OW]. */
export function asPooled3d(z: NDArray, x: NDArray, OH: number, OW: number): NDArray {
  const lead = x.shape.slice(0, x.shape.length - 3);
  return { shape: [...lead, z.shape[2]!, OH, OW], dtype: z.dtype, data: z.data };
}
