// Element-wise ops on the fast path: batch norm in eval mode as a per-channel scale and shift, and
// residual addition, each with an optional fused ReLU.
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

/** max(x, 0) (NaN stays NaN) over x [N, C, ...]: the affine kernel with scale 1 and shift 0, which is exact. */
export function runRelu(ctx: KernelContext, x: NDArray): Promise<NDArray> {
  if (x.shape.length < 2) throw new Error(`relu: the fast path takes [N, C, ...], got [${x.shape.join(', ')}]`);
  const C = x.shape[1]!;
  return runAffine(ctx, x, new Float32Array(C).fill(1), new Float32Array(C), true);
}

/** a + b for tensors of the same shape. */
export async function runAdd(ctx: KernelContext, a: NDArray, b: NDArray, relu: boolean): Promise<NDArray> {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`add: the fast path adds tensors of one shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const n = a.data.length;
  const aPtr = ctx.input(a, 'add');
  const bPtr = ctx.input(b, 'add');
  const out = ctx.output(a.shape);
  const chunk = Math.max(4096, Math.ceil(n / 16 / 4) * 4);
  const params = ctx.params();
  try {
    ctx.setSlots(params, { [S.C_H]: n, [S.C_W]: chunk, [S.C_X_PTR]: aPtr, [S.C_Q_PTR]: bPtr, [S.C_OUT_PTR]: out.ptr, [S.C_RELU]: relu ? 1 : 0 });
    await ctx.run('add', params, Math.ceil(n / chunk), `add:${n}`);
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}
