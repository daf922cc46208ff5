// Convolution on the fast path: weights packed once per layer (GEMM panels of MR output channels,
// or per-channel taps for depthwise), a plan per input shape (packed-input layout, tap table,
// parameter block), and the run: pack the input, then the GEMM (or the depthwise job) over the pool.
import type { ConvAttrs } from '../../../server/src/engine/graph/ir';
import { convOutSize } from '../../../server/src/engine/torch/window';
import type { NDArray } from '../ndarray';
import { KernelContext, splitLayout } from './context';
import { byteDeltas, packedLayout, readSlack, type PackedLayout } from './windowPlan';
import * as S from './layout';

/** Batch-norm statistics to fold into the convolution at prepare time (eval mode). */
export interface BatchNormFold {
  mean: NDArray;
  variance: NDArray;
  weight: NDArray | null;
  bias: NDArray | null;
  eps: number;
}

export interface ConvHandle {
  readonly kind: 'conv';
  readonly id: number;
  /** 1 or 2 (conv1d runs as a 2-D conv of height 1). */
  readonly nd: 1 | 2;
  readonly IC: number;
  readonly OC: number;
  readonly KH: number;
  readonly KW: number;
  readonly groups: number;
  readonly depthwise: boolean;
  readonly stride: [number, number];
  readonly padBefore: [number, number];
  readonly padAfter: [number, number];
  readonly dilation: [number, number];
  /** Packed weights and bias (heap pointers). */
  readonly wPtr: number;
  readonly biasPtr: number;
  readonly plans: Map<string, ConvPlan>;
  disposed: boolean;
}

interface ConvPlan {
  params: number;
  layout: PackedLayout;
  tablePtrs: number[];
  OH: number;
  OW: number;
  N: number;
  /** Dense: bytes of packed input (all images); depthwise: per-thread scratch bytes. */
  scratchBytes: number;
  /** Dense: per-thread scratch (tile buffer and B panel). */
  threadBytes: number;
  packTiles: number;
  jobTiles: number;
  key: string;
}

let nextId = 1;

/** Whether `prepareConv` takes these attributes: 1-D and 2-D (3-D convs go through conv3d.ts, which runs this one). */
export function convSupported(a: ConvAttrs): boolean {
  return a.nd === 1 || a.nd === 2;
}

export function prepareConv(ctx: KernelContext, weight: NDArray, bias: NDArray | null, a: ConvAttrs, bn?: BatchNormFold): ConvHandle {
  const op = `conv${a.nd}d`;
  if (!convSupported(a)) throw new Error(`${op}: prepareConv takes 1-D and 2-D convolutions; 3-D ones go through prepareConv3d`);
  if (weight.dtype !== 'float32') throw new Error(`${op}: weight must be float32`);
  if (weight.shape.length !== a.nd + 2) throw new Error(`${op}: weight must be ${a.nd + 2}-D, got [${weight.shape.join(', ')}]`);
  const two = <T>(v: readonly T[], fill: T): [T, T] => (a.nd === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const [OC, ICg] = [weight.shape[0]!, weight.shape[1]!];
  const KH = a.nd === 1 ? 1 : weight.shape[2]!;
  const KW = weight.shape[weight.shape.length - 1]!;
  const G = a.groups;
  if (!Number.isInteger(G) || G < 1 || OC % G !== 0) throw new Error(`${op}: groups=${G} must divide C_out=${OC}`);
  const IC = ICg * G;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== OC)) throw new Error(`${op}: bias must be [${OC}], got [${bias.shape.join(', ')}]`);
  const K = ICg * KH * KW;
  const w = weight.data as Float32Array;
  // Fold batch norm: w' = w * s, b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps).
  const scale = new Float64Array(OC).fill(1);
  const shift = new Float64Array(OC);
  for (let o = 0; o < OC; o++) shift[o] = bias ? bias.data[o]! : 0;
  if (bn) {
    for (let o = 0; o < OC; o++) {
      const s = (bn.weight ? bn.weight.data[o]! : 1) / Math.sqrt(bn.variance.data[o]! + bn.eps);
      scale[o] = s;
      shift[o] = (shift[o]! - bn.mean.data[o]!) * s + (bn.bias ? bn.bias.data[o]! : 0);
    }
  }
  const depthwise = G === IC && ICg === 1;
  let wPtr: number;
  let biasPtr: number;
  if (depthwise) {
    // [OC][KH*KW] as PyTorch stores it, scaled.
    const packed = new Float32Array(OC * K);
    for (let o = 0; o < OC; o++) for (let k = 0; k < K; k++) packed[o * K + k] = w[o * K + k]! * scale[o]!;
    wPtr = ctx.persistF32(packed);
    biasPtr = ctx.persistF32(Float32Array.from(shift));
  } else {
    // Panels [g][ocb][k][MR]: the micro-kernel reads MR consecutive weights per tap. Missing
    // output channels of the last panel are zero (their rows are computed and not stored).
    const OCG = OC / G;
    const OCB = Math.ceil(OCG / S.MR);
    const packed = new Float32Array(G * OCB * K * S.MR);
    const pb = new Float32Array(G * OCB * S.MR);
    for (let g = 0; g < G; g++) {
      for (let ob = 0; ob < OCB; ob++) {
        for (let r = 0; r < S.MR; r++) {
          const oc = ob * S.MR + r;
          if (oc >= OCG) continue;
          const o = g * OCG + oc;
          pb[(g * OCB + ob) * S.MR + r] = shift[o]!;
          const dst = ((g * OCB + ob) * K) * S.MR + r;
          for (let k = 0; k < K; k++) packed[dst + k * S.MR] = w[o * K + k]! * scale[o]!;
        }
      }
    }
    wPtr = ctx.persistF32(packed);
    biasPtr = ctx.persistF32(pb);
  }
  return {
    kind: 'conv',
    id: nextId++,
    nd: a.nd as 1 | 2,
    IC,
    OC,
    KH,
    KW,
    groups: G,
    depthwise,
    stride: two(a.stride, 1),
    padBefore: two(a.padBefore, 0),
    padAfter: two(a.padAfter, 0),
    dilation: two(a.dilation, 1),
    wPtr,
    biasPtr,
    plans: new Map(),
    disposed: false,
  };
}

export function disposeConv(ctx: KernelContext, h: ConvHandle): void {
  if (h.disposed) return;
  h.disposed = true;
  ctx.heap.release(h.wPtr);
  ctx.heap.release(h.biasPtr);
  for (const p of h.plans.values()) for (const t of [p.params, ...p.tablePtrs]) ctx.heap.release(t);
  h.plans.clear();
}

export async function runConv(ctx: KernelContext, h: ConvHandle, x: NDArray, relu: boolean): Promise<NDArray> {
  const op = `conv${h.nd}d`;
  if (h.disposed) throw new Error(`${op}: the layer's prepared weights were disposed`);
  const L = splitLayout(op, x.shape, h.nd);
  if (L.C !== h.IC) throw new Error(`${op}: input [${x.shape.join(', ')}] has ${L.C} channels, the weight expects ${h.IC}`);
  const xPtr = ctx.input(x, op);
  return runConvAt(ctx, h, xPtr, L.lead, L.spatial, relu);
}

/** Where a conv writes its output: a fresh tensor of `shape` in the kernels' memory. */
export type OutputAlloc = (shape: readonly number[]) => { ptr: number; array: NDArray };

/**
 * The conv of an input already in the kernels' memory at `xPtr` ([...lead, IC, ...spatial], checked
 * by the caller), written where `alloc` says (default: the op's output). The 3-D and transposed
 * convs build their input planes in the memory themselves and run the 2-D conv on them through this.
 */
export async function runConvAt(ctx: KernelContext, h: ConvHandle, xPtr: number, lead: readonly number[], spatial: readonly number[], relu: boolean, alloc?: OutputAlloc): Promise<NDArray> {
  const op = `conv${h.nd}d`;
  if (h.disposed) throw new Error(`${op}: the layer's prepared weights were disposed`);
  const [H, W] = h.nd === 1 ? [1, spatial[0]!] : [spatial[0]!, spatial[1]!];
  const plan = convPlan(ctx, h, lead.reduce((a, b) => a * b, 1), H, W, op);
  const outShape = [...lead, h.OC, ...(h.nd === 1 ? [plan.OW] : [plan.OH, plan.OW])];
  const out = alloc ? alloc(outShape) : ctx.output(outShape);
  const slots: Record<number, number> = { [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: out.ptr, [S.C_RELU]: relu ? 1 : 0 };
  if (h.depthwise) {
    slots[S.C_TILEBUF] = ctx.scratch(plan.scratchBytes * ctx.maxThreads);
    ctx.setSlots(plan.params, slots);
    await ctx.run('dw_conv', plan.params, plan.jobTiles, plan.key);
    return out.array;
  }
  // Per thread: the register tile's spill area and the B panel of one tile (K rows of NR floats).
  const threadBytes = plan.threadBytes;
  const qBytes = plan.layout.direct ? 0 : plan.scratchBytes;
  const scratch = ctx.scratch(qBytes + threadBytes * ctx.maxThreads);
  slots[S.C_Q_PTR] = plan.layout.direct ? xPtr : scratch;
  slots[S.C_TILEBUF] = scratch + qBytes;
  ctx.setSlots(plan.params, slots);
  if (!plan.layout.direct) await ctx.run('conv_pack', plan.params, plan.packTiles, plan.key);
  await ctx.run('conv_gemm', plan.params, plan.jobTiles, plan.key);
  return out.array;
}

function convPlan(ctx: KernelContext, h: ConvHandle, N: number, H: number, W: number, op: string): ConvPlan {
  const cacheKey = `${N}x${H}x${W}`;
  const cached = h.plans.get(cacheKey);
  if (cached) return cached;
  const [SH, SW] = h.stride;
  const [PT, PL] = h.padBefore;
  const [DH, DW] = h.dilation;
  const OH = convOutSize(H, h.KH, SH, PT, h.padAfter[0], DH);
  const OW = convOutSize(W, h.KW, SW, PL, h.padAfter[1], DW);
  if (OH < 1 || OW < 1) throw new Error(`${op}: input ${H}x${W} is smaller than the dilated kernel (output ${OH}x${OW})`);
  const layout = packedLayout({ H, W, KH: h.KH, KW: h.KW, SH, SW, DH, DW, PT, PL, OH, OW });
  const G = h.groups;
  const ICG = h.IC / G;
  const OCG = h.OC / G;
  const key = `${h.id}:${cacheKey}`;
  const tables: number[] = [ctx.persistI32(layout.pa), ctx.persistI32(layout.pb)];
  const params = ctx.params();
  const common: Record<number, number> = {
    [S.C_N]: N, [S.C_IC]: h.IC, [S.C_H]: H, [S.C_W]: W, [S.C_OC]: h.OC, [S.C_OH]: OH, [S.C_OW]: OW,
    [S.C_G]: G, [S.C_ICG]: ICG, [S.C_OCG]: OCG, [S.C_SH]: SH, [S.C_SW]: SW, [S.C_PT]: PT, [S.C_PL]: PL,
    [S.C_PH]: layout.PH, [S.C_PW]: layout.PW, [S.C_NPA]: layout.pa.length, [S.C_NPB]: layout.pb.length,
    [S.C_PA_PTR]: tables[0]!, [S.C_PB_PTR]: tables[1]!, [S.C_W_PTR]: h.wPtr, [S.C_BIAS_PTR]: h.biasPtr,
    [S.C_PADVAL]: 0, [S.C_KH]: h.KH, [S.C_KW]: h.KW, [S.C_DH]: DH, [S.C_DW]: DW,
  };
  let plan: ConvPlan;
  if (h.depthwise) {
    // Per thread: the packed plane (with the slack the last block of a row reads) and a 24-float buffer.
    const chanBytes = (layout.chanFloats + readSlack(layout.PW)) * 4;
    const tmpBytes = 128;
    const koff = ctx.persistI32(byteDeltas(layout.taps));
    tables.push(koff);
    ctx.setSlots(params, {
      ...common, [S.C_K]: h.KH * h.KW, [S.C_KOFF_PTR]: koff, [S.C_Q_IC]: chanBytes,
      [S.C_TILEBUF_STRIDE]: chanBytes + tmpBytes, [S.C_MULT]: h.OC / h.IC,
    });
    plan = { params, layout, tablePtrs: tables, OH, OW, N, scratchBytes: chanBytes + tmpBytes, threadBytes: 0, packTiles: 0, jobTiles: N * h.IC, key };
  } else {
    const planeFloats = layout.direct ? H * W : layout.chanFloats;
    const qIC = planeFloats * 4;
    const qImg = h.IC * qIC;
    const offsets: number[] = [];
    for (let ic = 0; ic < ICG; ic++) for (const t of layout.taps) offsets.push(ic * planeFloats + t);
    const koff = ctx.persistI32(byteDeltas(offsets));
    tables.push(koff);
    // Chunks of the real output positions q = oh * OW + ow: enough of them to balance threads
    // dynamically, each still big enough (about a million multiply-adds) that claiming it costs
    // nothing in comparison.
    const qAll = OH * OW;
    const macsPerQ = OCG * ICG * h.KH * h.KW;
    const byWork = Math.ceil((qAll * macsPerQ) / 1e6);
    const chunks = Math.max(1, Math.min(Math.ceil(qAll / S.NR), byWork, 256));
    const chunkQ = Math.ceil(qAll / chunks / S.NR) * S.NR;
    const nchunk = Math.ceil(qAll / chunkQ);
    // Late layers have few positions (7x7 = 7 chunks: 4 + 3 on two threads): split the output
    // channels too, until there are ~8 jobs per thread or a part would fall under ~0.5M multiply-adds.
    const OCB = Math.ceil(OCG / S.MR);
    const jobs = N * G * nchunk;
    const macsPerPart = (q: number) => (chunkQ * macsPerQ) / q;
    let nocs = 1;
    while (jobs * nocs < 8 * ctx.maxThreads && nocs * 2 <= OCB && macsPerPart(nocs * 2) >= 5e5) nocs *= 2;
    const K = ICG * h.KH * h.KW;
    const threadBytes = Math.ceil((S.MR * S.NR + K * S.NR) / 16) * 64;
    ctx.setSlots(params, {
      ...common, [S.C_K]: K, [S.C_KOFF_PTR]: koff, [S.C_Q_IC]: qIC, [S.C_Q_IMG]: qImg,
      [S.C_CHUNK_Q]: chunkQ, [S.C_NCHUNK]: nchunk, [S.C_OCB]: OCB, [S.C_NOCS]: nocs, [S.C_TILEBUF_STRIDE]: threadBytes,
    });
    plan = {
      params, layout, tablePtrs: tables, OH, OW, N, threadBytes,
      scratchBytes: N * qImg + readSlack(layout.PW) * 4,
      packTiles: N * h.IC, jobTiles: jobs * nocs, key,
    };
  }
  h.plans.set(cacheKey, plan);
  return plan;
}
