// Linear layers and matrix products on the fast path: Y = X W^T + b with W kept in PyTorch's
// [out, in] layout (copied into the kernels' memory once per layer), split over output features.
import type { NDArray } from '../ndarray';
import { stridedInto } from './views';
import { KernelContext } from './context';
import * as S from './layout';

export interface LinearHandle {
  readonly kind: 'linear';
  readonly id: number;
  readonly IN: number;
  readonly OUT: number;
  readonly wPtr: number;
  readonly biasPtr: number;
  readonly params: number;
  disposed: boolean;
  /** The batch size of the last call and what it implies (chunking, the pool's plan key): reused while N repeats. */
  lastN: number;
  chunk: number;
  nchunk: number;
  runKey: string;
}

let nextId = 1;

export function prepareLinear(ctx: KernelContext, weight: NDArray, bias: NDArray | null): LinearHandle {
  if (weight.dtype !== 'float32' || weight.shape.length !== 2) throw new Error(`linear: weight must be a 2-D float32 tensor, got [${weight.shape.join(', ')}] ${weight.dtype}`);
  const [OUT, IN] = weight.shape as [number, number];
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== OUT)) throw new Error(`linear: bias must be [${OUT}], got [${bias.shape.join(', ')}]`);
  const h: LinearHandle = {
    kind: 'linear', id: nextId++, IN, OUT,
    wPtr: ctx.persistF32(weight.data),
    biasPtr: bias ? ctx.persistF32(bias.data) : 0,
    params: ctx.params(),
    disposed: false,
    lastN: -1, chunk: 0, nchunk: 0, runKey: '',
  };
  // The slots that never change for this layer; each call writes only the batch and pointers.
  ctx.setSlots(h.params, {
    [S.L_IN]: IN, [S.L_OUT]: OUT, [S.L_W_PTR]: h.wPtr, [S.L_BIAS_PTR]: h.biasPtr, [S.L_BATCH]: 1,
    [S.L_XB]: 0, [S.L_WB]: 0, [S.L_YB]: 0,
  });
  return h;
}

export function disposeLinear(ctx: KernelContext, h: LinearHandle): void {
  if (h.disposed) return;
  h.disposed = true;
  ctx.heap.release(h.wPtr);
  if (h.biasPtr) ctx.heap.release(h.biasPtr);
  ctx.heap.release(h.params);
}

/** x [..., IN] -> [..., OUT]. */
export async function runLinear(ctx: KernelContext, h: LinearHandle, x: NDArray, relu: boolean): Promise<NDArray> {
  if (h.disposed) throw new Error('linear: the layer\'s prepared weights were disposed');
  const IN = x.shape[x.shape.length - 1];
  if (x.shape.length < 1 || IN !== h.IN) throw new Error(`linear: input [${x.shape.join(', ')}] must end in ${h.IN} features`);
  const N = x.data.length / h.IN;
  const xPtr = ctx.input(x, 'linear');
  const out = ctx.output(outShape(x.shape, h.OUT));
  if (N !== h.lastN) {
    const { chunk, nchunk } = chunking(N, h.IN, h.OUT);
    h.lastN = N;
    h.chunk = chunk;
    h.nchunk = nchunk;
    h.runKey = `linear:${h.id}:${N}`;
  }
  const m = ctx.mem32();
  const b = h.params >> 2;
  m[b + S.L_N] = N;
  m[b + S.L_X_PTR] = xPtr;
  m[b + S.L_Y_PTR] = out.ptr;
  m[b + S.L_RELU] = relu ? 1 : 0;
  m[b + S.L_CHUNK] = h.chunk;
  m[b + S.L_NCHUNK] = h.nchunk;
  await ctx.runKeyed('linear', h.params, h.nchunk, h.runKey);
  return out.array;
}

/** x's shape with the last dim replaced by `out`. */
function outShape(x: readonly number[], out: number): number[] {
  const s = x.slice();
  s[s.length - 1] = out;
  return s;
}

/** Whether the fast path multiplies these shapes: a [..., M, K] @ b [K, N] or b [..., K, N] with the same batch dims. */
export function matmulSupported(a: readonly number[], b: readonly number[]): boolean {
  if (a.length < 2 || b.length < 2) return false;
  if (a[a.length - 1] !== b[b.length - 2]) return false;
  if (b.length === 2) return true;
  return a.length === b.length && a.slice(0, -2).every((d, i) => d === b[i]);
}

export async function runMatmul(ctx: KernelContext, a: NDArray, b: NDArray): Promise<NDArray> {
  if (!matmulSupported(a.shape, b.shape)) throw new Error(`matmul: the fast path does not take [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]; use the reference kernel`);
  const K = a.shape[a.shape.length - 1]!;
  const M = a.shape[a.shape.length - 2]!;
  const Nn = b.shape[b.shape.length - 1]!;
  const batch = b.shape.length === 2 ? 1 : b.data.length / (K * Nn);
  const rows = b.shape.length === 2 ? a.data.length / K : M;
  // The kernel wants the right operand as [N][K] rows: b transposed into the arena by the strided kernel.
  const bPtr = ctx.input(b, 'matmul');
  const bt = ctx.arena.alloc(Math.max(1, b.data.length) * 4);
  await stridedInto(ctx, bPtr, { shape: [batch, Nn, K], strides: [K * Nn, 1, Nn], offset: 0 }, bt);
  const aPtr = ctx.input(a, 'matmul');
  const out = ctx.output([...a.shape.slice(0, -1), Nn]);
  await runMatmulNT(ctx, aPtr, bt, out.ptr, batch, rows, K, Nn, b.shape.length === 2);
  return out.array;
}

/**
 * Y[s] = A[s] · B[s]ᵀ for s < batch, all in the kernels' memory: A [batch][rows][K], B given as
 * [batch][N][K] rows (the layout the linear kernel streams; `sharedB`: one B for every s), Y
 * [batch][rows][N].
 */
export async function runMatmulNT(ctx: KernelContext, aPtr: number, bPtr: number, yPtr: number, batch: number, rows: number, K: number, N: number, sharedB = false): Promise<void> {
  const { chunk, nchunk } = chunking(rows, K, N);
  const params = ctx.params();
  try {
    ctx.setSlots(params, {
      [S.L_N]: rows, [S.L_IN]: K, [S.L_OUT]: N, [S.L_X_PTR]: aPtr, [S.L_W_PTR]: bPtr, [S.L_BIAS_PTR]: 0,
      [S.L_Y_PTR]: yPtr, [S.L_RELU]: 0, [S.L_CHUNK]: chunk, [S.L_NCHUNK]: nchunk, [S.L_BATCH]: batch,
      [S.L_XB]: rows * K, [S.L_WB]: sharedB ? 0 : K * N, [S.L_YB]: rows * N,
    });
    await ctx.run('linear', params, batch * nchunk, `matmul:${batch}x${rows}x${K}x${N}`);
  } finally {
    ctx.heap.release(params);
  }
}

/** Output-feature chunks (multiples of 4) of roughly half a million multiply-adds each. */
function chunking(N: number, IN: number, OUT: number): { chunk: number; nchunk: number } {
  const target = Math.max(1, Math.min(Math.ceil(OUT / 4), Math.ceil((N * IN * OUT) / 5e5), 64));
  const chunk = Math.ceil(OUT / target / 4) * 4;
  return { chunk, nchunk: Math.ceil(OUT / chunk) };
}
