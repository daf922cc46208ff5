// The sub-pixel form of a strided transposed conv (1-D/2-D/3-D): outputs o with (o + p) mod s = φ
// (one "phase" per dim) only see the taps k with k·d ≡ φ (mod s), so each phase is a stride-1 conv
// of the original input with that sub-kernel, and no multiply-add is spent on stuffed zeros. Phases
// with the same sub-kernel geometry run as one conv (2-D, or 3-D through conv3d.ts) with their output
// channels stacked; the results are scattered into the output with step s. Phases that no tap
// reaches hold the bias alone.
import type { ConvTransposeAttrs } from '../../../server/src/engine/graph/ir';
import type { NDArray } from '../ndarray';
import type { KernelContext } from './context';
import { disposeConv, prepareConv, runConvAt, type BatchNormFold, type ConvHandle } from './conv';
import { conv3dOutSize, disposeConv3d, prepareConv3d, runConv3dAt, type Conv3dHandle } from './conv3d';
import { memF32, placePlane } from './planes';

/** One phase of one spatial dim: which kernel taps it sees and how its outputs sit in the result. */
interface DimPhase {
  /** Kernel taps (ascending) that reach this phase; none: the phase holds the bias only. */
  taps: number[];
  /** Spacing of those taps over the input (the sub-kernel's dilation). */
  dilation: number;
  /** Padding of the phase's stride-1 conv, before and after (both independent of the input length). */
  padBefore: number;
  padAfter: number;
  /** Output index of the phase's first output (its later ones follow every `stride`). */
  first: number;
}

/** Phases of one dim sharing a sub-kernel geometry (they run as one conv). */
interface DimGroup {
  phases: DimPhase[];
}

interface PhaseGroup {
  /** A 2-D conv (1-D/2-D layers) or a 3-D one. */
  handle: ConvHandle | Conv3dHandle;
  /** The phases of this group per dim [D, H, W]; dims the layer lacks have the single phase `TRIVIAL`. */
  dims: [DimGroup, DimGroup, DimGroup];
}

export interface PhaseSet {
  readonly kind: 'phases';
  readonly groups: PhaseGroup[];
  /** Output positions no tap reaches, as (D, H, W) phase triples, filled with `shift` (the bias, BatchNorm folded). */
  readonly empty: [DimPhase, DimPhase, DimPhase][];
  readonly shift: Float32Array;
  /** Per dim [D, H, W] (1 for dims the layer lacks). */
  readonly stride: [number, number, number];
  readonly OC: number;
  readonly CoutG: number;
}

/** The one phase of a dim the layer lacks (a 2-D layer's depth, a 1-D layer's height): length 1, tap 0. */
const TRIVIAL: DimPhase = { taps: [0], dilation: 1, padBefore: 0, padAfter: 0, first: 0 };

/**
 * The phases of one dim of a transposed conv (kernel K, stride s, padding p, output_padding op,
 * dilation d), or null when one would need negative padding (a crop): then the stuffed form runs.
 */
function dimPhases(K: number, s: number, p: number, op: number, d: number): DimPhase[] | null {
  const out: DimPhase[] = [];
  for (let phi = 0; phi < s; phi++) {
    const taps: number[] = [];
    for (let k = 0; k < K; k++) if ((((k * d - phi) % s) + s) % s === 0) taps.push(k);
    // Output o = q·s + φ − p for integer q ≥ qMin (o ≥ 0); q's input window starts at q − t(k), t(k) = (k·d − φ)/s.
    const qMin = Math.ceil((p - phi) / s) | 0;
    const first = qMin * s + phi - p;
    if (taps.length === 0) {
      out.push({ taps, dilation: 1, padBefore: 0, padAfter: 0, first });
      continue;
    }
    const J = taps.length;
    const dil = J > 1 ? ((taps[1]! - taps[0]!) * d) / s : 1;
    const t0 = (taps[0]! * d - phi) / s;
    const padBefore = t0 + (J - 1) * dil - qMin;
    // The phase has L + c outputs for an input of length L (c from the output size formula).
    const c = Math.floor((d * (K - 1) - p + op - phi) / s) - qMin;
    const padAfter = c + (J - 1) * dil - padBefore;
    if (padBefore < 0 || padAfter < 0) return null;
    out.push({ taps, dilation: dil, padBefore, padAfter, first });
  }
  return out;
}

/** Phases with the same tap count, dilation and padding, grouped. */
function groupDim(phases: DimPhase[]): DimGroup[] {
  const by = new Map<string, DimGroup>();
  for (const ph of phases) {
    if (ph.taps.length === 0) continue;
    const key = `${ph.taps.length}:${ph.dilation}:${ph.padBefore}:${ph.padAfter}`;
    const g = by.get(key);
    if (g) g.phases.push(ph);
    else by.set(key, { phases: [ph] });
  }
  return [...by.values()];
}

/** An NDArray of `values` (float32). */
const vec = (values: ArrayLike<number>): NDArray => ({ shape: [values.length], dtype: 'float32', data: Float32Array.from(values) });

/** The (D, H, W) phases of stacked phase `ph` of a group: the a-th, b-th and c-th of its dims, ph = (a·|H| + b)·|W| + c. */
function phaseAt(dims: [DimGroup, DimGroup, DimGroup], ph: number): [DimPhase, DimPhase, DimPhase] {
  const [nH, nW] = [dims[1].phases.length, dims[2].phases.length];
  return [dims[0].phases[Math.floor(ph / (nH * nW))]!, dims[1].phases[Math.floor(ph / nW) % nH]!, dims[2].phases[ph % nW]!];
}

/**
 * Packs a transposed conv with some stride > 1 in sub-pixel form, or returns null when a phase would
 * need negative padding. `weight` is PyTorch's [C_in, C_out/G, *k].
 */
export function preparePhases(ctx: KernelContext, weight: NDArray, bias: NDArray | null, a: ConvTransposeAttrs, bn?: BatchNormFold): PhaseSet | null {
  const kernel = weight.shape.slice(2);
  // Per dim [D, H, W]: a 2-D layer has no depth, a 1-D one neither depth nor height.
  const per = <T>(v: readonly T[], fill: T): [T, T, T] => (a.nd === 1 ? [fill, fill, v[0]!] : a.nd === 2 ? [fill, v[0]!, v[1]!] : [v[0]!, v[1]!, v[2]!]);
  const K = per(kernel, 1);
  const s = per(a.stride, 1);
  const pad = per(a.padding, 0);
  const opad = per(a.outputPadding, 0);
  const dil = per(a.dilation, 1);
  const ph: DimPhase[][] = [];
  for (let i = 0; i < 3; i++) {
    const present = i >= 3 - a.nd;
    const dp = present ? dimPhases(K[i]!, s[i]!, pad[i]!, opad[i]!, dil[i]!) : [TRIVIAL];
    if (!dp) return null;
    ph.push(dp);
  }
  const [KD, KH, KW] = K;
  const [Cin, CoutG] = [weight.shape[0]!, weight.shape[1]!];
  const G = a.groups;
  const CinG = Cin / G;
  const OC = CoutG * G;
  const w = weight.data as Float32Array;
  // The bias with the BatchNorm folded, for the phases no tap reaches (prepareConv folds the same way).
  const shift = new Float32Array(OC);
  for (let o = 0; o < OC; o++) {
    let v = bias ? bias.data[o]! : 0;
    if (bn) v = (v - bn.mean.data[o]!) * ((bn.weight ? bn.weight.data[o]! : 1) / Math.sqrt(bn.variance.data[o]! + bn.eps)) + (bn.bias ? bn.bias.data[o]! : 0);
    shift[o] = v;
  }
  const groups: PhaseGroup[] = [];
  try {
    for (const gd of groupDim(ph[0]!)) {
      for (const gh of groupDim(ph[1]!)) {
        for (const gw of groupDim(ph[2]!)) {
          const dims: [DimGroup, DimGroup, DimGroup] = [gd, gh, gw];
          const P = gd.phases.length * gh.phases.length * gw.phases.length;
          const [JD, JH, JW] = [gd.phases[0]!.taps.length, gh.phases[0]!.taps.length, gw.phases[0]!.taps.length];
          const OCs = G * P * CoutG;
          // Stacked channel (g·P + ph)·CoutG + o is output channel g·CoutG + o of phase ph (phaseAt):
          // conv groups stay contiguous, so grouped and depthwise layers keep their structure.
          const v = new Float32Array(OCs * CinG * JD * JH * JW);
          const chan = (c: number) => Math.floor(c / (P * CoutG)) * CoutG + (c % CoutG);
          for (let g = 0; g < G; g++) {
            for (let p = 0; p < P; p++) {
              const [td, th, tw] = phaseAt(dims, p).map((x) => x.taps) as [number[], number[], number[]];
              for (let o = 0; o < CoutG; o++) {
                for (let i = 0; i < CinG; i++) {
                  const src = ((g * CinG + i) * CoutG + o) * KD * KH * KW;
                  let dst = ((((g * P + p) * CoutG + o) * CinG + i) * JD * JH) * JW;
                  // Conv tap m reads the input at offset m·dilation: the phase's taps in reverse order.
                  for (let md = 0; md < JD; md++) {
                    for (let mh = 0; mh < JH; mh++) {
                      const row = src + (td[JD - 1 - md]! * KH + th[JH - 1 - mh]!) * KW;
                      for (let mw = 0; mw < JW; mw++) v[dst++] = w[row + tw[JW - 1 - mw]!]!;
                    }
                  }
                }
              }
            }
          }
          const stacked = (t: NDArray | null) => (t ? vec(Array.from({ length: OCs }, (_, c) => t.data[chan(c)]!)) : null);
          const bnS: BatchNormFold | undefined = bn && { mean: stacked(bn.mean)!, variance: stacked(bn.variance)!, weight: stacked(bn.weight), bias: stacked(bn.bias), eps: bn.eps };
          const [d0, h0, w0] = [gd.phases[0]!, gh.phases[0]!, gw.phases[0]!];
          const geo = (dims: DimPhase[]) => ({
            stride: dims.map(() => 1),
            padBefore: dims.map((x) => x.padBefore),
            padAfter: dims.map((x) => x.padAfter),
            dilation: dims.map((x) => x.dilation),
            groups: G,
            bias: bias !== null,
          });
          const handle =
            a.nd === 3
              ? prepareConv3d(ctx, { shape: [OCs, CinG, JD, JH, JW], dtype: 'float32', data: v }, stacked(bias), { nd: 3, ...geo([d0, h0, w0]) }, bnS)
              : a.nd === 2
                ? prepareConv(ctx, { shape: [OCs, CinG, JH, JW], dtype: 'float32', data: v }, stacked(bias), { nd: 2, ...geo([h0, w0]) }, bnS)
                : prepareConv(ctx, { shape: [OCs, CinG, JW], dtype: 'float32', data: v }, stacked(bias), { nd: 1, ...geo([w0]) }, bnS);
          groups.push({ handle, dims });
        }
      }
    }
  } catch (e) {
    for (const g of groups) disposeGroup(ctx, g);
    throw e;
  }
  const empty: [DimPhase, DimPhase, DimPhase][] = [];
  for (const pd of ph[0]!) for (const phh of ph[1]!) for (const pw of ph[2]!) if (pd.taps.length === 0 || phh.taps.length === 0 || pw.taps.length === 0) empty.push([pd, phh, pw]);
  return { kind: 'phases', groups, empty, shift, stride: s, OC, CoutG };
}

function disposeGroup(ctx: KernelContext, g: PhaseGroup): void {
  if (g.handle.kind === 'conv3d') disposeConv3d(ctx, g.handle);
  else disposeConv(ctx, g.handle);
}

export function disposePhases(ctx: KernelContext, set: PhaseSet): void {
  for (const g of set.groups) disposeGroup(ctx, g);
}

/** A phase's output count along one dim for an input of length `len` (the same for every phase of its group). */
const phaseLen = (len: number, ph: DimPhase) => len + ph.padBefore + ph.padAfter - ph.dilation * (ph.taps.length - 1);

/**
 * Runs every phase group on x (at `xPtr`, [...lead, C_in, *spatial]) and scatters the results into
 * `out` ([N, OC, OD, OH, OW] at byte offset `ptr`, OD = 1 and OH = 1 for the dims a layer lacks);
 * the phases no tap reaches get the bias.
 */
export async function runPhases(
  ctx: KernelContext,
  set: PhaseSet,
  xPtr: number,
  lead: readonly number[],
  spatial: readonly number[],
  out: { ptr: number; OD: number; OH: number; OW: number },
  relu: boolean,
): Promise<void> {
  const N = lead.reduce((a, b) => a * b, 1);
  const [sD, sH, sW] = set.stride;
  const { OC, CoutG } = set;
  const { OD, OH, OW } = out;
  const o0 = out.ptr >> 2;
  // The input's [D, H, W] with 1 for the dims the layer lacks.
  const in3 = [...Array<number>(3 - spatial.length).fill(1), ...spatial];
  const sizes = set.groups.map((g) => g.dims.map((d, i) => phaseLen(in3[i]!, d.phases[0]!)) as [number, number, number]);
  /**
   * Where stacked channel c = (g·P + ph)·CoutG + o of a group's output plane (image n, phase depth
   * qd) goes: output channel g·CoutG + o at the phase's first position, then every (sD, sH, sW)-th.
   */
  const planeOf = (grp: PhaseGroup) => {
    const P = grp.dims[0].phases.length * grp.dims[1].phases.length * grp.dims[2].phases.length;
    const at = Array.from({ length: P }, (_, p) => phaseAt(grp.dims, p));
    return (n: number, qd: number, c: number): number => {
      const [fd, fh, fw] = at[Math.floor(c / CoutG) % P]!;
      const oc = Math.floor(c / (P * CoutG)) * CoutG + (c % CoutG);
      return o0 + ((n * OC + oc) * OD + fd.first + qd * sD) * OH * OW + fh.first * OW + fw.first;
    };
  };
  // 1-D/2-D groups write a temporary [N, OCs, QH, QW] (the largest group's size) that is then
  // scattered; 3-D groups scatter from conv3d.ts's own per-chunk temporary.
  const most = Math.max(0, ...set.groups.map((g, i) => (g.handle.kind === 'conv' ? N * g.handle.OC * sizes[i]![1] * sizes[i]![2] : 0)));
  const tPtr = set.groups.some((g) => g.handle.kind === 'conv') ? ctx.heap.alloc(Math.max(1, most) * 4) : -1;
  try {
    for (const [gi, grp] of set.groups.entries()) {
      const [QD, QH, QW] = sizes[gi]!;
      if (QD < 1 || QH < 1 || QW < 1) continue;
      const plane = planeOf(grp);
      const h = grp.handle;
      if (h.kind === 'conv3d') {
        const q = conv3dOutSize(h, spatial);
        if (q[0] !== QD || q[1] !== QH || q[2] !== QW) throw new Error(`conv_transpose3d: internal error: a phase conv gives [${q.join(', ')}], expected [${QD}, ${QH}, ${QW}]`);
        await runConv3dAt(ctx, h, xPtr, N, spatial, relu, { plane, rowStep: sH * OW, colStep: sW });
        continue;
      }
      const temp = (shape: readonly number[]) => {
        const data = new Float32Array(ctx.heap.memory.buffer, tPtr, shape.reduce((p, d) => p * d, 1));
        if (ctx.poisonOutputs) data.fill(NaN);
        return { ptr: tPtr, array: { shape: shape.slice(), dtype: 'float32' as const, data } };
      };
      await runConvAt(ctx, h, xPtr, lead, spatial, relu, temp);
      const m = memF32(ctx);
      let src = tPtr >> 2;
      for (let n = 0; n < N; n++) for (let c = 0; c < h.OC; c++, src += QH * QW) placePlane(m, src, plane(n, 0, c), QH, QW, sH * OW, sW);
    }
    if (set.empty.length > 0) {
      const m = memF32(ctx);
      for (let n = 0; n < N; n++) {
        for (let oc = 0; oc < OC; oc++) {
          const v = relu ? Math.max(0, set.shift[oc]!) : set.shift[oc]!;
          const vol = o0 + (n * OC + oc) * OD * OH * OW;
          for (const [pd, ph, pw] of set.empty) {
            for (let od = pd.first; od < OD; od += sD) {
              for (let oh = ph.first; oh < OH; oh += sH) {
                const row = vol + (od * OH + oh) * OW;
                for (let ow = pw.first; ow < OW; ow += sW) m[row + ow] = v;
              }
            }
          }
        }
      }
    }
  } finally {
    if (tPtr >= 0) ctx.heap.release(tPtr);
  }
}
