// Per-channel (or per-plane) scale and shift on the fast path: batch norm in eval mode, and the
// normalising step of the other norms and of per-channel broadcasting, with an optional fused ReLU.
import { numel, type NDArray } from '../ndarray';
import { KernelContext } from './context';
import * as S from './layout';

export interface BatchNormEval {
  mean: NDArray;
  variance: NDArray;
  weight: NDArray | null;
  bias: NDArray | null;
  eps: number;
}

/** y = (x - mean) / sqrt(var + eps) * weight + bias over channel dim 1 of x [N, C, ...]. */
export async function runBatchNormEval(ctx: KernelContext, x: NDArray, bn: BatchNormEval, relu: boolean): Promise<NDArray> {
  if (x.shape.length < 2) throw new Error(`batch_norm: input [${x.shape.join(', ')}] needs a channel dim`);
  const C = x.shape[1]!;
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const s = (bn.weight ? bn.weight.data[c]! : 1) / Math.sqrt(bn.variance.data[c]! + bn.eps);
    scale[c] = s;
    shift[c] = (bn.bias ? bn.bias.data[c]! : 0) - bn.mean.data[c]! * s;
  }
  return runAffine(ctx, x, scale, shift, relu);
}

/**
 * y = x * scale[c] + shift[c] over channel dim 1 of x [N, C, ...]; with `perPlane`, scale and shift
 * hold one value per (n, c) plane instead (instance and group norm, whose statistics differ per sample).
 */
export async function runAffine(ctx: KernelContext, x: NDArray, scale: Float32Array, shift: Float32Array, relu: boolean, perPlane = false): Promise<NDArray> {
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const period = perPlane ? N * C : C;
  if (scale.length !== period || shift.length !== period) throw new Error(`affine: ${scale.length} scales for ${period} ${perPlane ? 'planes' : 'channels'}`);
  const plane = numel(x.shape.slice(2));
  const xPtr = ctx.input(x, 'affine');
  const out = ctx.output(x.shape);
  const tmp = ctx.arena.alloc(period * 8);
  ctx.heap.f32(tmp, period).set(scale);
  ctx.heap.f32(tmp + period * 4, period).set(shift);
  const params = ctx.params();
  try {
    ctx.setSlots(params, {
      [S.C_IC]: period, [S.C_H]: 1, [S.C_W]: plane, [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: out.ptr, [S.C_RELU]: relu ? 1 : 0,
      [S.C_SCALE_PTR]: tmp, [S.C_SHIFT_PTR]: tmp + period * 4,
    });
    await ctx.run('affine', params, N * C, `affine:${x.shape.join('x')}`);
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}
