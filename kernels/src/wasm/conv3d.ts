// 3-D convolution on the 2-D conv kernels: per output depth, the KD input depth slices the window
// reads are gathered into one 2-D input of C_in·KD channels (zero planes outside the input), the
// (image, output depth) pairs run as the batch of one 2-D conv, and the result is permuted into
// [N, C_out, OD, OH, OW] (or scattered where a sink says). Transposed 3-D convs use the same path,
// per sub-pixel phase or with zero-stuffed input dims.
import type { ConvAttrs } from '../../../server/src/engine/graph/ir';
import { convOutSize } from '../../../server/src/engine/torch/window';
import type { NDArray } from '../ndarray';
import { KernelContext, splitLayout } from './context';
import { disposeConv, prepareConv, runConvAt, type BatchNormFold, type ConvHandle } from './conv';
import { memF32, placePlane, stuffPlane, stuffedSize } from './planes';

export interface Conv3dHandle {
  readonly kind: 'conv3d';
  /**
   * The 2-D conv over the gathered planes: channel c·KD + kd holds input channel c at tap kd, so
   * the weight [C_out, C_in/G, KD, KH, KW] read as [C_out, (C_in/G)·KD, KH, KW] matches it group by
   * group (depthwise 3-D is then a grouped dense conv, or a 2-D depthwise one when KD = 1).
   */
  readonly inner: ConvHandle;
  readonly IC: number;
  readonly OC: number;
  readonly KD: number;
  readonly strideD: number;
  readonly padFront: number;
  readonly padBack: number;
  readonly dilationD: number;
  /** Zero-stuffing step of the input per spatial dim (D, H, W): the transposed convs' stride; 1 = none. */
  readonly upsample: readonly [number, number, number];
  disposed: boolean;
}

/**
 * Bytes of gathered input per 2-D conv run: (image, depth) pairs beyond it run in further chunks,
 * so a large volume needs a bounded temporary instead of KD/stride copies of the whole input.
 */
const CHUNK_BYTES = 16 * 1048576;

export function prepareConv3d(
  ctx: KernelContext,
  weight: NDArray,
  bias: NDArray | null,
  a: ConvAttrs,
  bn?: BatchNormFold,
  upsample: readonly [number, number, number] = [1, 1, 1],
): Conv3dHandle {
  const op = 'conv3d';
  if (a.nd !== 3) throw new Error(`${op}: attributes for a ${a.nd}-D convolution`);
  if (weight.dtype !== 'float32') throw new Error(`${op}: weight must be float32`);
  if (weight.shape.length !== 5) throw new Error(`${op}: weight must be 5-D, got [${weight.shape.join(', ')}]`);
  const [OC, ICg, KD, KH, KW] = weight.shape as [number, number, number, number, number];
  const G = a.groups;
  if (!Number.isInteger(G) || G < 1 || OC % G !== 0) throw new Error(`${op}: groups=${G} must divide C_out=${OC}`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== OC)) throw new Error(`${op}: bias must be [${OC}], got [${bias.shape.join(', ')}]`);
  // Row-major [OC, ICg, KD, KH, KW] is [OC, ICg·KD, KH, KW]: a view, no copy.
  const view: NDArray = { shape: [OC, ICg * KD, KH, KW], dtype: 'float32', data: weight.data };
  const inner = prepareConv(
    ctx,
    view,
    bias,
    { nd: 2, stride: a.stride.slice(1), padBefore: a.padBefore.slice(1), padAfter: a.padAfter.slice(1), dilation: a.dilation.slice(1), groups: G, bias: a.bias },
    bn,
  );
  return {
    kind: 'conv3d',
    inner,
    IC: ICg * G,
    OC,
    KD,
    strideD: a.stride[0]!,
    padFront: a.padBefore[0]!,
    padBack: a.padAfter[0]!,
    dilationD: a.dilation[0]!,
    upsample: [upsample[0], upsample[1], upsample[2]],
    disposed: false,
  };
}

export function disposeConv3d(ctx: KernelContext, h: Conv3dHandle): void {
  if (h.disposed) return;
  h.disposed = true;
  disposeConv(ctx, h.inner);
}

/**
 * Where the output planes go: plane (image n, output depth od, channel c) of OH x OW starts at float
 * index `plane(n, od, c)`, its rows `rowStep` floats apart and its elements `colStep` apart (the
 * transposed convs' sub-pixel form scatters every phase straight into its strided places).
 */
export interface Conv3dSink {
  plane(n: number, od: number, c: number): number;
  rowStep: number;
  colStep: number;
}

/** Output size [OD, OH, OW] of a prepared 3-D conv for an input of D x H x W. */
export function conv3dOutSize(h: Conv3dHandle, spatial: readonly number[]): [number, number, number] {
  const [D, H, W] = spatial as [number, number, number];
  const [uD, uH, uW] = h.upsample;
  const c = h.inner;
  return [
    convOutSize(stuffedSize(D, uD), h.KD, h.strideD, h.padFront, h.padBack, h.dilationD),
    convOutSize(stuffedSize(H, uH), c.KH, c.stride[0], c.padBefore[0], c.padAfter[0], c.dilation[0]),
    convOutSize(stuffedSize(W, uW), c.KW, c.stride[1], c.padBefore[1], c.padAfter[1], c.dilation[1]),
  ];
}

export async function runConv3d(ctx: KernelContext, h: Conv3dHandle, x: NDArray, relu: boolean): Promise<NDArray> {
  const op = 'conv3d';
  if (h.disposed) throw new Error(`${op}: the layer's prepared weights were disposed`);
  const L = splitLayout(op, x.shape, 3);
  if (L.C !== h.IC) throw new Error(`${op}: input [${x.shape.join(', ')}] has ${L.C} channels, the weight expects ${h.IC}`);
  const [D, H, W] = L.spatial as [number, number, number];
  const [OD, OH, OW] = conv3dOutSize(h, L.spatial);
  if (OD < 1 || OH < 1 || OW < 1) throw new Error(`${op}: input ${D}x${H}x${W} is smaller than the dilated kernel (output ${OD}x${OH}x${OW})`);
  const xPtr = ctx.input(x, op);
  const out = ctx.output([...L.lead, h.OC, OD, OH, OW]);
  const [o0, OC, oPlane] = [out.ptr >> 2, h.OC, OH * OW];
  await runConv3dAt(ctx, h, xPtr, L.N, L.spatial, relu, { plane: (n, od, c) => o0 + ((n * OC + c) * OD + od) * oPlane, rowStep: OW, colStep: 1 });
  return out.array;
}

/**
 * Runs the 3-D conv on the N images at `xPtr` ([N, C_in, D, H, W], output size from
 * conv3dOutSize, at least 1 in every dim) and writes every output plane where `sink` says.
 */
export async function runConv3dAt(ctx: KernelContext, h: Conv3dHandle, xPtr: number, N: number, spatial: readonly number[], relu: boolean, sink: Conv3dSink): Promise<void> {
  if (h.disposed) throw new Error("conv3d: the layer's prepared weights were disposed");
  const [D, H, W] = spatial as [number, number, number];
  const [uD, uH, uW] = h.upsample;
  const [Ds, Hs, Ws] = [stuffedSize(D, uD), stuffedSize(H, uH), stuffedSize(W, uW)];
  const c = h.inner;
  const [OD, OH, OW] = conv3dOutSize(h, spatial);
  const { IC, OC, KD } = h;
  const inPlane = H * W;
  const gPlane = Hs * Ws;
  const oPlane = OH * OW;
  const pairs = N * OD;
  const perPair = IC * KD * gPlane;
  const chunks = Math.ceil(pairs / Math.max(1, Math.min(pairs, Math.floor(CHUNK_BYTES / 4 / perPair))));
  const B = Math.ceil(pairs / chunks);
  const gPtr = ctx.heap.alloc(B * perPair * 4);
  let yPtr = -1;
  try {
    yPtr = ctx.heap.alloc(B * OC * oPlane * 4);
    const y = yPtr;
    const temp = (shape: readonly number[]) => {
      const data = new Float32Array(ctx.heap.memory.buffer, y, shape.reduce((p, d) => p * d, 1));
      if (ctx.poisonOutputs) data.fill(NaN);
      return { ptr: y, array: { shape: shape.slice(), dtype: 'float32' as const, data } };
    };
    const [x0, g0, y0] = [xPtr >> 2, gPtr >> 2, y >> 2];
    for (let p0 = 0; p0 < pairs; p0 += B) {
      const nb = Math.min(B, pairs - p0);
      let m = memF32(ctx);
      for (let b = 0; b < nb; b++) {
        const n = Math.floor((p0 + b) / OD);
        const od = (p0 + b) % OD;
        for (let ic = 0; ic < IC; ic++) {
          for (let kd = 0; kd < KD; kd++) {
            const dst = g0 + ((b * IC + ic) * KD + kd) * gPlane;
            // Depth z of the (stuffed) input this tap reads; a stuffed zero plane or padding reads zeros.
            const z = od * h.strideD - h.padFront + kd * h.dilationD;
            if (z < 0 || z >= Ds || z % uD !== 0) m.fill(0, dst, dst + gPlane);
            else stuffPlane(m, x0 + ((n * IC + ic) * D + z / uD) * inPlane, dst, H, W, uH, uW);
          }
        }
      }
      await runConvAt(ctx, c, gPtr, [nb], [Hs, Ws], relu, temp);
      m = memF32(ctx);
      for (let b = 0; b < nb; b++) {
        const n = Math.floor((p0 + b) / OD);
        const od = (p0 + b) % OD;
        for (let oc = 0; oc < OC; oc++) placePlane(m, y0 + (b * OC + oc) * oPlane, sink.plane(n, od, oc), OH, OW, sink.rowStep, sink.colStep);
      }
    }
  } finally {
    ctx.heap.release(gPtr);
    if (yPtr >= 0) ctx.heap.release(yPtr);
  }
}
