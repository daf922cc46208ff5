// Normalisation layers on the fast path: batch norm with batch statistics (training), instance norm,
// group norm and layer norm. Statistics come from the `moments` kernel (two passes over contiguous
// segments, float64 totals); the normalisation itself is the per-channel/per-plane `affine` kernel,
// or `row_affine` for layer norm's element-wise weight. Results follow PyTorch's formulas exactly as
// the reference kernels (kernels/src/ref) state them, running-statistic updates included.
import { numel, type NDArray } from '../ndarray';
import { KernelContext } from './context';
import { runAffine, runBatchNormEval } from './elementwise';
import * as S from './layout';

/** The optional affine parameters and epsilon every norm takes. */
export interface NormAffine {
  weight: NDArray | null;
  bias: NDArray | null;
  eps: number;
}

/** Segments per parallel tile: enough that a tile has ~16K elements (claiming a tile costs an atomic). */
function perTile(len: number): number {
  return Math.max(1, Math.ceil(16384 / Math.max(1, len)));
}

/**
 * Mean and sum of squared deviations of `nseg` contiguous segments of `len` floats at xPtr, in float64.
 * Two passes: plain sums give a first mean c (rounded to float32); the second pass sums d = x − c and
 * d², and Σ(x − m)² = Σd² − (Σd)²/len with m = c + Σd/len, which is exact in real arithmetic and
 * keeps the rounding of c out of the result. Segments are then combined by the caller (batch norm
 * adds the planes of one channel: pass `groupOf`, segment -> statistic index, and `groups`).
 * Exported for reduce.ts (sum/mean/var/std over trailing dims).
 */
export async function segmentMoments(
  ctx: KernelContext, xPtr: number, nseg: number, len: number, groups = nseg, groupOf: (s: number) => number = (s) => s,
): Promise<{ mean: Float64Array; m2: Float64Array; count: number }> {
  const per = perTile(len);
  const ntiles = Math.ceil(nseg / per);
  const outPtr = ctx.arena.alloc(nseg * 16);
  const centerPtr = ctx.arena.alloc(nseg * 4);
  const params = ctx.params();
  const count = (len * nseg) / groups;
  try {
    const key = `${nseg}x${len}`;
    const pass = async (centered: boolean): Promise<Float64Array> => {
      ctx.setSlots(params, {
        [S.C_N]: nseg, [S.C_W]: per, [S.C_H]: len, [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: outPtr, [S.C_SCALE_PTR]: centered ? centerPtr : 0,
      });
      await ctx.run('moments', params, ntiles, key);
      return new Float64Array(ctx.heap.memory.buffer, outPtr, nseg * 2).slice();
    };
    const first = await pass(false);
    const c = new Float64Array(groups);
    for (let s = 0; s < nseg; s++) c[groupOf(s)]! += first[2 * s]!;
    const center = Float32Array.from(c, (v) => v / count);
    const centers = ctx.heap.f32(centerPtr, nseg);
    for (let s = 0; s < nseg; s++) centers[s] = center[groupOf(s)]!;
    const second = await pass(true);
    const d = new Float64Array(groups);
    const q = new Float64Array(groups);
    for (let s = 0; s < nseg; s++) {
      const g = groupOf(s);
      d[g]! += second[2 * s]!;
      q[g]! += second[2 * s + 1]!;
    }
    const mean = new Float64Array(groups);
    const m2 = new Float64Array(groups);
    for (let g = 0; g < groups; g++) {
      if (!Number.isFinite(c[g]!)) {
        // An infinity (or NaN) in the segment: its mean is what the plain sum says (±Inf or NaN, as
        // PyTorch's), its spread NaN; the centred pass would turn ±Inf into NaN.
        mean[g] = c[g]! / count;
        m2[g] = NaN;
        continue;
      }
      mean[g] = center[g]! + d[g]! / count;
      m2[g] = Math.max(0, q[g]! - (d[g]! * d[g]!) / count);
    }
    return { mean, m2, count };
  } finally {
    ctx.heap.release(params);
  }
}

/**
 * Per-plane (or per-channel) scale and shift of a normalisation: plane i has channel channel(i) and
 * statistic stat(i) (mean and Σ(x − mean)² over `count` values): s = weight[c]/√(var + eps),
 * t = bias[c] − mean·s, PyTorch's x·s + t form.
 */
function scaleShift(
  planes: number, channel: (i: number) => number, stat: (i: number) => number,
  st: { mean: Float64Array; m2: Float64Array }, count: number, p: NormAffine,
): { scale: Float32Array; shift: Float32Array } {
  const scale = new Float32Array(planes);
  const shift = new Float32Array(planes);
  for (let i = 0; i < planes; i++) {
    const [c, k] = [channel(i), stat(i)];
    const s = (p.weight ? p.weight.data[c]! : 1) / Math.sqrt(st.m2[k]! / count + p.eps);
    scale[i] = s;
    shift[i] = (p.bias ? p.bias.data[c]! : 0) - st.mean[k]! * s;
  }
  return { scale, shift };
}

function checkChannels(op: string, C: number, ...ts: Array<[NDArray | null, string]>): void {
  for (const [t, name] of ts) {
    if (t && (t.shape.length !== 1 || t.shape[0] !== C)) throw new Error(`${op}: ${name} must be [${C}], got [${t.shape.join(', ')}]`);
  }
}

function spatial(x: NDArray): number {
  return numel(x.shape.slice(2));
}

export interface BatchNormTrain extends NormAffine {
  /** Running statistics to update (both or neither). */
  runningMean: NDArray | null;
  runningVar: NDArray | null;
  /** Weight of the batch statistic; null = cumulative average over numBatchesTracked + 1 batches. */
  momentum: number | null;
  numBatchesTracked: NDArray | null;
}

/**
 * Batch norm with batch statistics over [N, C, *]: y, then (with running statistics) the updated
 * running mean and variance (unbiased batch variance), then num_batches_tracked + 1 when given.
 */
export async function runBatchNormTrain(ctx: KernelContext, x: NDArray, bn: BatchNormTrain, relu: boolean): Promise<NDArray[]> {
  const op = 'batch_norm';
  if (x.shape.length < 2) throw new Error(`${op}: expects [N, C, *], got [${x.shape.join(', ')}]`);
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const L = spatial(x);
  checkChannels(op, C, [bn.weight, 'weight'], [bn.bias, 'bias'], [bn.runningMean, 'running_mean'], [bn.runningVar, 'running_var']);
  if (N * L <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input [${x.shape.join(', ')}]`);
  const xPtr = ctx.input(x, op);
  const st = await segmentMoments(ctx, xPtr, N * C, L, C, (s) => s % C);
  const { scale, shift } = scaleShift(C, (c) => c, (c) => c, st, st.count, bn);
  const y = await runAffine(ctx, x, scale, shift, relu);
  if (!bn.runningMean || !bn.runningVar) return [y];
  let f: number;
  if (bn.momentum === null) {
    if (!bn.numBatchesTracked) throw new Error(`${op}: momentum=None (cumulative average) needs num_batches_tracked`);
    f = 1 / (Number(bn.numBatchesTracked.data[0]) + 1);
  } else f = bn.momentum;
  const newMean = new Float32Array(C);
  const newVar = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    newMean[c] = (1 - f) * bn.runningMean.data[c]! + f * st.mean[c]!;
    newVar[c] = (1 - f) * bn.runningVar.data[c]! + (f * st.m2[c]!) / (st.count - 1);
  }
  const outs: NDArray[] = [y, { shape: [C], dtype: 'float32', data: newMean }, { shape: [C], dtype: 'float32', data: newVar }];
  if (bn.numBatchesTracked) {
    const t = bn.numBatchesTracked;
    outs.push({ shape: t.shape.slice(), dtype: t.dtype, data: Float64Array.from(t.data, (v) => v + 1) });
  }
  return outs;
}

export interface InstanceNormParams extends NormAffine {
  /** PyTorch's use_input_stats: normalise each (sample, channel) by its own statistics. */
  useInputStats: boolean;
  runningMean: NDArray | null;
  runningVar: NDArray | null;
  momentum: number;
}

/** Instance norm over x [N, C, *spatial]: y, then with input statistics and running statistics the updated running mean and variance. */
export async function runInstanceNorm(ctx: KernelContext, x: NDArray, p: InstanceNormParams, relu: boolean): Promise<NDArray[]> {
  const op = 'instance_norm';
  if (x.shape.length < 2) throw new Error(`${op}: expects [N, C, *spatial], got [${x.shape.join(', ')}]`);
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const L = spatial(x);
  checkChannels(op, C, [p.weight, 'weight'], [p.bias, 'bias'], [p.runningMean, 'running_mean'], [p.runningVar, 'running_var']);
  if (!p.useInputStats) {
    if (!p.runningMean || !p.runningVar) throw new Error(`${op}: use_input_stats=False needs running statistics`);
    // Normalising with running statistics is batch norm in eval mode.
    return [await runBatchNormEval(ctx, x, { mean: p.runningMean, variance: p.runningVar, weight: p.weight, bias: p.bias, eps: p.eps }, relu)];
  }
  if (L <= 1) throw new Error(`${op}: expected more than 1 spatial element when training, got input [${x.shape.join(', ')}]`);
  const xPtr = ctx.input(x, op);
  const st = await segmentMoments(ctx, xPtr, N * C, L);
  const { scale, shift } = scaleShift(N * C, (i) => i % C, (i) => i, st, L, p);
  const y = await runAffine(ctx, x, scale, shift, relu, true);
  if (!p.runningMean || !p.runningVar) return [y];
  const newMean = new Float32Array(C);
  const newVar = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let ms = 0;
    let vs = 0;
    for (let n = 0; n < N; n++) {
      ms += st.mean[n * C + c]!;
      vs += st.m2[n * C + c]! / (L - 1);
    }
    newMean[c] = (1 - p.momentum) * p.runningMean.data[c]! + (p.momentum * ms) / N;
    newVar[c] = (1 - p.momentum) * p.runningVar.data[c]! + (p.momentum * vs) / N;
  }
  return [y, { shape: [C], dtype: 'float32', data: newMean }, { shape: [C], dtype: 'float32', data: newVar }];
}

/** Group norm over x [N, C, *]: statistics per (sample, group of C/groups channels), affine per channel. */
export async function runGroupNorm(ctx: KernelContext, x: NDArray, groups: number, p: NormAffine, relu: boolean): Promise<NDArray> {
  const op = 'group_norm';
  if (x.shape.length < 2) throw new Error(`${op}: expects [N, C, *], got [${x.shape.join(', ')}]`);
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) throw new Error(`${op}: expected the number of channels ${C} to be divisible by num_groups=${groups}`);
  checkChannels(op, C, [p.weight, 'weight'], [p.bias, 'bias']);
  const L = spatial(x);
  const cg = C / groups;
  const xPtr = ctx.input(x, op);
  const st = await segmentMoments(ctx, xPtr, N * groups, cg * L);
  const { scale, shift } = scaleShift(N * C, (i) => i % C, (i) => Math.floor(i / C) * groups + Math.floor((i % C) / cg), st, cg * L, p);
  return runAffine(ctx, x, scale, shift, relu, true);
}

/** Layer norm over the trailing dims of x whose sizes multiply to `len`; weight and bias hold `len` values. */
export async function runLayerNorm(ctx: KernelContext, x: NDArray, len: number, p: NormAffine, relu: boolean): Promise<NDArray> {
  const op = 'layer_norm';
  const total = x.data.length;
  if (len < 1 || total % len !== 0) throw new Error(`${op}: rows of ${len} do not divide [${x.shape.join(', ')}]`);
  for (const [t, name] of [[p.weight, 'weight'], [p.bias, 'bias']] as const) {
    if (t && t.data.length !== len) throw new Error(`${op}: ${name} must have ${len} values, got [${t.shape.join(', ')}]`);
  }
  const rows = total / len;
  const xPtr = ctx.input(x, op);
  const gPtr = p.weight ? ctx.input(p.weight, op) : 0;
  const bPtr = p.bias ? ctx.input(p.bias, op) : 0;
  const st = await segmentMoments(ctx, xPtr, rows, len);
  const stPtr = ctx.arena.alloc(rows * 8);
  const pairs = ctx.heap.f32(stPtr, rows * 2);
  for (let r = 0; r < rows; r++) {
    const s = 1 / Math.sqrt(st.m2[r]! / len + p.eps);
    pairs[2 * r] = s;
    pairs[2 * r + 1] = -st.mean[r]! * s;
  }
  return rowAffine(ctx, xPtr, x.shape, len, stPtr, gPtr, bPtr, relu);
}

/**
 * y = x·g + h with g, h vectors over the trailing `len` elements of x (broadcasting arithmetic with a
 * vector: a bias or scale over the last dims); g null = 1.
 */
export function runRowAffine(ctx: KernelContext, x: NDArray, len: number, g: Float32Array | null, h: Float32Array, relu: boolean): Promise<NDArray> {
  const op = 'row_affine';
  if (len < 1 || x.data.length % len !== 0 || h.length !== len || (g && g.length !== len)) throw new Error(`${op}: vectors of ${len} do not fit [${x.shape.join(', ')}]`);
  const xPtr = ctx.input(x, op);
  const gPtr = g ? ctx.arena.alloc(len * 4) : 0;
  if (g) ctx.heap.f32(gPtr, len).set(g);
  const hPtr = ctx.arena.alloc(len * 4);
  ctx.heap.f32(hPtr, len).set(h);
  return rowAffine(ctx, xPtr, x.shape, len, 0, gPtr, hPtr, relu);
}

/** The row_affine kernel over x (at xPtr) in rows of `len`: per-row pairs at stPtr (0: identity), vectors at gPtr/hPtr (0: absent). */
async function rowAffine(ctx: KernelContext, xPtr: number, shape: readonly number[], len: number, stPtr: number, gPtr: number, hPtr: number, relu: boolean): Promise<NDArray> {
  const rows = numel(shape) / len;
  const out = ctx.output(shape);
  if (rows === 0) return out.array;
  const params = ctx.params();
  try {
    const per = perTile(len);
    ctx.setSlots(params, {
      [S.C_N]: rows, [S.C_W]: per, [S.C_H]: len, [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: out.ptr, [S.C_SCALE_PTR]: stPtr,
      [S.C_W_PTR]: gPtr, [S.C_BIAS_PTR]: hPtr, [S.C_RELU]: relu ? 1 : 0,
    });
    await ctx.run('row_affine', params, Math.ceil(rows / per), `${rows}x${len}`);
  } finally {
    ctx.heap.release(params);
  }
  return out.array;
}
