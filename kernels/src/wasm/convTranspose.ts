// Transposed convolution (1-D/2-D/3-D) as a regular convolution on the fast path: the weight is
// transposed per group and flipped in every spatial dim once per layer, the input is zero-stuffed
// (element i at i·stride), and a stride-1 conv with padding d(K−1) − p before and
// d(K−1) − p + output_padding after computes the result. Strided layers run in sub-pixel form
// instead where they can (convTransposePhases.ts): the same sums without the stuffed zeros.
import type { ConvAttrs, ConvTransposeAttrs } from '../../../server/src/engine/graph/ir';
import { convTransposeOutSize } from '../../../server/src/engine/torch/window';
import type { NDArray } from '../ndarray';
import { KernelContext, splitLayout } from './context';
import { disposeConv, prepareConv, runConv, runConvAt, type BatchNormFold, type ConvHandle } from './conv';
import { disposeConv3d, prepareConv3d, runConv3d, type Conv3dHandle } from './conv3d';
import { memF32, stuffPlane, stuffedSize } from './planes';
import { disposePhases, preparePhases, runPhases, type PhaseSet } from './convTransposePhases';

export interface ConvTransposeHandle {
  readonly kind: 'convTranspose';
  readonly nd: 1 | 2 | 3;
  readonly IC: number;
  readonly OC: number;
  /** The layer's attributes and kernel size (the output size comes from window.ts with them). */
  readonly attrs: ConvTransposeAttrs;
  readonly kernel: readonly number[];
  /**
   * The equivalent stride-1 conv over the stuffed input (the 3-D one stuffs while it gathers), or the
   * per-phase convs of the sub-pixel form.
   */
  readonly inner: ConvHandle | Conv3dHandle | PhaseSet;
  /**
   * How it runs (any nd): sub-pixel phases, a conv over the zero-stuffed input (a strided layer where
   * a phase would need a crop, or forced), or a plain conv (stride 1).
   */
  readonly method: 'phases' | 'stuffed' | 'stride1';
  disposed: boolean;
}

export interface ConvTransposeOptions {
  /** Tests and benchmarks: run strided layers on the stuffed input even where the sub-pixel form applies. */
  stuffed?: boolean;
}

/**
 * Whether the fast path runs a transposed conv with this kernel size: the equivalent conv's padding
 * d(K−1) − p must not be negative (a crop, which the 2-D conv kernels do not do).
 */
export function convTransposeSupported(a: ConvTransposeAttrs, kernel: readonly number[]): boolean {
  if (kernel.length !== a.nd || a.stride.length !== a.nd || a.padding.length !== a.nd || a.dilation.length !== a.nd || a.outputPadding.length !== a.nd) return false;
  return kernel.every((k, i) => a.dilation[i]! * (k - 1) - a.padding[i]! >= 0 && a.stride[i]! >= 1 && a.outputPadding[i]! >= 0);
}

/** The stride-1 conv that a transposed conv equals on its zero-stuffed input. */
export function equivalentConv(a: ConvTransposeAttrs, kernel: readonly number[]): ConvAttrs {
  const before = kernel.map((k, i) => a.dilation[i]! * (k - 1) - a.padding[i]!);
  return {
    nd: a.nd,
    stride: kernel.map(() => 1),
    padBefore: before,
    padAfter: before.map((p, i) => p + a.outputPadding[i]!),
    dilation: a.dilation.slice(),
    groups: a.groups,
    bias: a.bias,
  };
}

/**
 * [C_in, C_out/G, *k] → [C_out, C_in/G, *k] flipped in every spatial dim:
 * W'[g·CoutG + o, i, k] = W[g·CinG + i, o, K − 1 − k]. Flipping every dim of a row-major kernel
 * reverses its flat index, so one reversed loop over the taps does all dims.
 */
export function flipTransposedWeight(w: NDArray, groups: number): NDArray {
  const [Cin, CoutG] = [w.shape[0]!, w.shape[1]!];
  const kernel = w.shape.slice(2);
  const K = kernel.reduce((a, b) => a * b, 1);
  const CinG = Cin / groups;
  const src = w.data as Float32Array;
  const dst = new Float32Array(src.length);
  for (let g = 0; g < groups; g++) {
    for (let o = 0; o < CoutG; o++) {
      for (let i = 0; i < CinG; i++) {
        const s = ((g * CinG + i) * CoutG + o) * K;
        const d = ((g * CoutG + o) * CinG + i) * K;
        for (let k = 0; k < K; k++) dst[d + k] = src[s + K - 1 - k]!;
      }
    }
  }
  return { shape: [CoutG * groups, CinG, ...kernel], dtype: 'float32', data: dst };
}

export function prepareConvTranspose(ctx: KernelContext, weight: NDArray, bias: NDArray | null, a: ConvTransposeAttrs, bn?: BatchNormFold, opts: ConvTransposeOptions = {}): ConvTransposeHandle {
  const op = `conv_transpose${a.nd}d`;
  if (weight.dtype !== 'float32') throw new Error(`${op}: weight must be float32`);
  if (weight.shape.length !== a.nd + 2) throw new Error(`${op}: weight must be ${a.nd + 2}-D, got [${weight.shape.join(', ')}]`);
  const [Cin, CoutG] = [weight.shape[0]!, weight.shape[1]!];
  const G = a.groups;
  if (!Number.isInteger(G) || G < 1 || Cin % G !== 0) throw new Error(`${op}: groups=${G} must divide C_in=${Cin}`);
  const kernel = weight.shape.slice(2);
  if (!convTransposeSupported(a, kernel)) {
    throw new Error(`${op}: the fast path needs dilation·(kernel − 1) ≥ padding in every dim (kernel [${kernel.join(', ')}], padding [${a.padding.join(', ')}]); use the reference kernel`);
  }
  const OC = CoutG * G;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== OC)) throw new Error(`${op}: bias must be [${OC}], got [${bias.shape.join(', ')}]`);
  const base = { kind: 'convTranspose', nd: a.nd, IC: Cin, OC, attrs: a, kernel, disposed: false } as const;
  const strided = a.stride.some((s) => s > 1);
  if (strided && !opts.stuffed) {
    const phases = preparePhases(ctx, weight, bias, a, bn);
    if (phases) return { ...base, inner: phases, method: 'phases' };
  }
  const w = flipTransposedWeight(weight, G);
  const conv = equivalentConv(a, kernel);
  const method = strided ? 'stuffed' : 'stride1';
  if (a.nd === 3) return { ...base, inner: prepareConv3d(ctx, w, bias, conv, bn, [a.stride[0]!, a.stride[1]!, a.stride[2]!]), method };
  return { ...base, inner: prepareConv(ctx, w, bias, conv, bn), method };
}

export function disposeConvTranspose(ctx: KernelContext, h: ConvTransposeHandle): void {
  if (h.disposed) return;
  h.disposed = true;
  if (h.inner.kind === 'conv3d') disposeConv3d(ctx, h.inner);
  else if (h.inner.kind === 'phases') disposePhases(ctx, h.inner);
  else disposeConv(ctx, h.inner);
}

export async function runConvTranspose(ctx: KernelContext, h: ConvTransposeHandle, x: NDArray, relu: boolean): Promise<NDArray> {
  const op = `conv_transpose${h.nd}d`;
  if (h.disposed) throw new Error(`${op}: the layer's prepared weights were disposed`);
  const L = splitLayout(op, x.shape, h.nd);
  if (L.C !== h.IC) throw new Error(`${op}: input [${x.shape.join(', ')}] has ${L.C} channels, the weight expects ${h.IC}`);
  const a = h.attrs;
  const outSpatial = L.spatial.map((len, i) => convTransposeOutSize(len, h.kernel[i]!, a.stride[i]!, a.padding[i]!, a.outputPadding[i]!, a.dilation[i]!));
  if (outSpatial.some((o) => o < 1)) throw new Error(`${op}: output size would be [${outSpatial.join(', ')}]`);
  if (h.inner.kind === 'phases') {
    const xPtr = ctx.input(x, op);
    const out = ctx.output([...L.lead, h.OC, ...outSpatial]);
    const [OD, OH, OW] = [...Array<number>(3 - h.nd).fill(1), ...outSpatial];
    await runPhases(ctx, h.inner, xPtr, L.lead, L.spatial, { ptr: out.ptr, OD: OD!, OH: OH!, OW: OW! }, relu);
    return out.array;
  }
  let y: NDArray;
  if (h.inner.kind === 'conv3d') y = await runConv3d(ctx, h.inner, x, relu);
  else if (a.stride.every((s) => s === 1)) y = await runConv(ctx, h.inner, x, relu);
  else y = await runStuffed(ctx, h.inner, x, L.lead, L.N, L.spatial, a.stride, relu, op);
  const got = y.shape.slice(y.shape.length - h.nd);
  if (got.some((d, i) => d !== outSpatial[i])) throw new Error(`${op}: internal error: the equivalent conv gives [${got.join(', ')}], expected [${outSpatial.join(', ')}]`);
  return y;
}

/** 1-D/2-D with stride > 1: the zero-stuffed input in a temporary heap block, then the conv over it. */
async function runStuffed(
  ctx: KernelContext,
  inner: ConvHandle,
  x: NDArray,
  lead: readonly number[],
  N: number,
  spatial: readonly number[],
  stride: readonly number[],
  relu: boolean,
  op: string,
): Promise<NDArray> {
  const [H, W] = spatial.length === 1 ? [1, spatial[0]!] : [spatial[0]!, spatial[1]!];
  const [uH, uW] = stride.length === 1 ? [1, stride[0]!] : [stride[0]!, stride[1]!];
  const [Hs, Ws] = [stuffedSize(H, uH), stuffedSize(W, uW)];
  const C = inner.IC;
  const xPtr = ctx.input(x, op);
  const sPtr = ctx.heap.alloc(N * C * Hs * Ws * 4);
  try {
    const m = memF32(ctx);
    const [x0, s0] = [xPtr >> 2, sPtr >> 2];
    for (let p = 0; p < N * C; p++) stuffPlane(m, x0 + p * H * W, s0 + p * Hs * Ws, H, W, uH, uW);
    return await runConvAt(ctx, inner, sPtr, lead, spatial.length === 1 ? [Ws] : [Hs, Ws], relu);
  } finally {
    ctx.heap.release(sPtr);
  }
}
