// Element-wise activations and same-shape arithmetic on the fast path (kernels/assembly/activation.ts):
// which unary functions run there, with what codes and parameters, and the runners.
import type { UnaryAttrs } from '../../../server/src/engine/graph/ir';
import type { NDArray } from '../ndarray';
import { f32bits, type KernelContext } from './context';
import * as S from './layout';

/** A kernel function code and its two float parameters. */
export interface Activation {
  fn: number;
  a: number;
  b: number;
}

/** torch.nn.SELU's constants (as the reference kernel uses them). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** The kernel for this unary function, or null when it has none (the reference runs it). ReLU is a clamp at 0. */
export function activationOf(u: UnaryAttrs): Activation | null {
  switch (u.fn) {
    case 'relu':
      return { fn: S.ACT_CLAMP, a: 0, b: Infinity };
    case 'relu6':
      return { fn: S.ACT_CLAMP, a: 0, b: 6 };
    case 'hardtanh':
      return { fn: S.ACT_CLAMP, a: u.min, b: u.max };
    case 'clamp':
      return { fn: S.ACT_CLAMP, a: u.min ?? -Infinity, b: u.max ?? Infinity };
    case 'leaky_relu':
      return { fn: S.ACT_LEAKY, a: u.negativeSlope, b: 0 };
    case 'hardswish':
      return { fn: S.ACT_HARDSWISH, a: 0, b: 0 };
    case 'hardsigmoid':
      return { fn: S.ACT_HARDSIGMOID, a: 0, b: 0 };
    case 'sigmoid':
      return { fn: S.ACT_SIGMOID, a: 0, b: 0 };
    case 'tanh':
      return { fn: S.ACT_TANH, a: 0, b: 0 };
    case 'silu':
      return { fn: S.ACT_SILU, a: 0, b: 0 };
    case 'gelu':
      return { fn: u.approximate === 'tanh' ? S.ACT_GELU_TANH : S.ACT_GELU, a: 0, b: 0 };
    case 'elu':
      return { fn: S.ACT_ELU, a: u.alpha, b: 1 };
    case 'selu':
      return { fn: S.ACT_ELU, a: SELU_ALPHA, b: SELU_SCALE };
    default:
      return null;
  }
}

/** Elements per parallel tile. */
const CHUNK = 16384;

/** y = f(x) element-wise. */
export async function runActivation(ctx: KernelContext, x: NDArray, act: Activation): Promise<NDArray> {
  const n = x.data.length;
  const xPtr = ctx.input(x, 'activation');
  const out = ctx.output(x.shape);
  if (n === 0) return out.array;
  const params = ctx.params();
  try {
    ctx.setSlots(params, {
      [S.C_H]: n, [S.C_W]: CHUNK, [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: out.ptr,
      [S.C_EW_FN]: act.fn, [S.C_EW_A]: f32bits(act.a), [S.C_EW_B]: f32bits(act.b),
    });
    await ctx.run('activation', params, Math.ceil(n / CHUNK), `${act.fn}:${n}`);
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}

/** The same-shape binary kernel's operations: a + alpha·b (sub is alpha < 0), a·b, a / b. */
export type BinaryOp = { op: 'add'; alpha: number } | { op: 'mul' } | { op: 'div' };

/** a op b for two float32 tensors of one shape, then ReLU when `relu`. */
export async function runBinary(ctx: KernelContext, a: NDArray, b: NDArray, op: BinaryOp, relu = false): Promise<NDArray> {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op.op}: the fast path combines tensors of one shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const n = a.data.length;
  const aPtr = ctx.input(a, op.op);
  const bPtr = ctx.input(b, op.op);
  const out = ctx.output(a.shape);
  if (n === 0) return out.array;
  const params = ctx.params();
  try {
    ctx.setSlots(params, {
      [S.C_H]: n, [S.C_W]: CHUNK, [S.C_X_PTR]: aPtr, [S.C_Q_PTR]: bPtr, [S.C_OUT_PTR]: out.ptr, [S.C_RELU]: relu ? 1 : 0,
      [S.C_EW_FN]: op.op === 'add' ? S.BIN_ADD : op.op === 'mul' ? S.BIN_MUL : S.BIN_DIV, [S.C_EW_A]: f32bits(op.op === 'add' ? op.alpha : 1),
    });
    await ctx.run('binary', params, Math.ceil(n / CHUNK), `${op.op}:${n}`);
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}
