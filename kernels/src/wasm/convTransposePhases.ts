// The sub-pixel form of a strided 1-D/2-D transposed conv: outputs o with (o + p) mod s = φ (one
// "phase" per dim) only see the taps k with k·d ≡ φ (mod s), so each phase is a stride-1 conv of
// the original input with that sub-kernel, and no multiply-add is spent on stuffed zeros. Phases
// with the same sub-kernel geometry run as one conv with their output channels stacked; the results
// are scattered into the output with step s. Phases that no tap reaches hold the bias alone.
import type { ConvTransposeAttrs } from '../../../server/src/engine/graph/ir';
import type { NDArray } from '../ndarray';
import type { KernelContext } from './context';
import { disposeConv, prepareConv, runConvAt, type BatchNormFold, type ConvHandle } from './conv';
import { memF32 } from './planes';

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
  handle: ConvHandle;
  /** The phases of this group per dim ([H, W]; 1-D: H is the single phase of a height-1 plane). */
  dims: [DimGroup, DimGroup];
}

export interface PhaseSet {
  readonly kind: 'phases';
  readonly groups: PhaseGroup[];
  /** Output positions no tap reaches, as (H phase, W phase) pairs, filled with `shift` (the bias, BatchNorm folded). */
  readonly empty: [DimPhase, DimPhase][];
  readonly shift: Float32Array;
  readonly stride: [number, number];
  readonly OC: number;
  readonly groupsG: number;
  readonly CoutG: number;
}

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

/**
 * Packs a 1-D/2-D transposed conv with some stride > 1 in sub-pixel form, or returns null when a
 * phase would need negative padding. `weight` is PyTorch's [C_in, C_out/G, *k].
 */
export function preparePhases(ctx: KernelContext, weight: NDArray, bias: NDArray | null, a: ConvTransposeAttrs, bn?: BatchNormFold): PhaseSet | null {
  if (a.nd === 3) return null;
  const kernel = weight.shape.slice(2);
  const per = <T>(v: readonly T[], fill: T): [T, T] => (a.nd === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const [KH, KW] = per(kernel, 1);
  const [sH, sW] = per(a.stride, 1);
  const [pH, pW] = per(a.padding, 0);
  const [oH, oW] = per(a.outputPadding, 0);
  const [dH, dW] = per(a.dilation, 1);
  const phH = dimPhases(KH, sH, pH, oH, dH);
  const phW = dimPhases(KW, sW, pW, oW, dW);
  if (!phH || !phW) return null;
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
    for (const gh of groupDim(phH)) {
      for (const gw of groupDim(phW)) {
        const P = gh.phases.length * gw.phases.length;
        const [JH, JW] = [gh.phases[0]!.taps.length, gw.phases[0]!.taps.length];
        const OCs = G * P * CoutG;
        // Stacked channel (g·P + ph)·CoutG + o, ph = a·|W phases| + b, is output channel g·CoutG + o of phase (a, b):
        // conv groups stay contiguous, so grouped and depthwise layers keep their structure.
        const v = new Float32Array(OCs * CinG * JH * JW);
        const chan = (c: number) => Math.floor(c / (P * CoutG)) * CoutG + (c % CoutG);
        for (let g = 0; g < G; g++) {
          for (let ph = 0; ph < P; ph++) {
            const th = gh.phases[Math.floor(ph / gw.phases.length)]!.taps;
            const tw = gw.phases[ph % gw.phases.length]!.taps;
            for (let o = 0; o < CoutG; o++) {
              for (let i = 0; i < CinG; i++) {
                const src = ((g * CinG + i) * CoutG + o) * KH * KW;
                const dst = ((((g * P + ph) * CoutG + o) * CinG + i) * JH) * JW;
                // Conv tap m reads the input at offset m·dilation: the phase's taps in reverse order.
                for (let mh = 0; mh < JH; mh++) for (let mw = 0; mw < JW; mw++) v[dst + mh * JW + mw] = w[src + th[JH - 1 - mh]! * KW + tw[JW - 1 - mw]!]!;
              }
            }
          }
        }
        const stacked = (t: NDArray | null) => (t ? vec(Array.from({ length: OCs }, (_, c) => t.data[chan(c)]!)) : null);
        const bnS: BatchNormFold | undefined = bn && { mean: stacked(bn.mean)!, variance: stacked(bn.variance)!, weight: stacked(bn.weight), bias: stacked(bn.bias), eps: bn.eps };
        const [h0, w0] = [gh.phases[0]!, gw.phases[0]!];
        const handle = prepareConv(
          ctx,
          { shape: a.nd === 1 ? [OCs, CinG, JW] : [OCs, CinG, JH, JW], dtype: 'float32', data: v },
          stacked(bias),
          a.nd === 1
            ? { nd: 1, stride: [1], padBefore: [w0.padBefore], padAfter: [w0.padAfter], dilation: [w0.dilation], groups: G, bias: bias !== null }
            : { nd: 2, stride: [1, 1], padBefore: [h0.padBefore, w0.padBefore], padAfter: [h0.padAfter, w0.padAfter], dilation: [h0.dilation, w0.dilation], groups: G, bias: bias !== null },
          bnS,
        );
        groups.push({ handle, dims: [gh, gw] });
      }
    }
  } catch (e) {
    for (const g of groups) disposeConv(ctx, g.handle);
    throw e;
  }
  const empty: [DimPhase, DimPhase][] = [];
  for (const ph of phH) for (const pw of phW) if (ph.taps.length === 0 || pw.taps.length === 0) empty.push([ph, pw]);
  return { kind: 'phases', groups, empty, shift, stride: [sH, sW], OC, groupsG: G, CoutG };
}

export function disposePhases(ctx: KernelContext, set: PhaseSet): void {
  for (const g of set.groups) disposeConv(ctx, g.handle);
}

/**
 * Runs every phase group on x (at `xPtr`, [...lead, C_in, (H,) W]) and scatters the results into
 * `out` ([N, OC, OH, OW] at float index o0); the phases no tap reaches get the bias.
 */
export async function runPhases(
  ctx: KernelContext,
  set: PhaseSet,
  xPtr: number,
  lead: readonly number[],
  spatial: readonly number[],
  out: { ptr: number; OH: number; OW: number },
  relu: boolean,
): Promise<void> {
  const N = lead.reduce((a, b) => a * b, 1);
  const [sH, sW] = set.stride;
  const { OC, CoutG, groupsG: G } = set;
  const [OH, OW] = [out.OH, out.OW];
  const o0 = out.ptr >> 2;
  const sizes = set.groups.map((g) => {
    const [h, w] = [g.dims[0].phases[0]!, g.dims[1].phases[0]!];
    const Q = (len: number, ph: DimPhase) => len + ph.padBefore + ph.padAfter - ph.dilation * (ph.taps.length - 1);
    return [spatial.length === 1 ? 1 : Q(spatial[0]!, h), Q(spatial[spatial.length - 1]!, w)] as const;
  });
  const most = Math.max(0, ...set.groups.map((g, i) => N * G * g.dims[0].phases.length * g.dims[1].phases.length * CoutG * sizes[i]![0] * sizes[i]![1]));
  const tPtr = ctx.heap.alloc(Math.max(1, most) * 4);
  try {
    for (const [gi, grp] of set.groups.entries()) {
      const [QH, QW] = sizes[gi]!;
      if (QH < 1 || QW < 1) continue;
      const temp = (shape: readonly number[]) => {
        const data = new Float32Array(ctx.heap.memory.buffer, tPtr, shape.reduce((p, d) => p * d, 1));
        if (ctx.poisonOutputs) data.fill(NaN);
        return { ptr: tPtr, array: { shape: shape.slice(), dtype: 'float32' as const, data } };
      };
      await runConvAt(ctx, grp.handle, xPtr, lead, spatial, relu, temp);
      const m = memF32(ctx);
      const [phs, pws] = [grp.dims[0].phases, grp.dims[1].phases];
      const P = phs.length * pws.length;
      let src = tPtr >> 2;
      for (let n = 0; n < N; n++) {
        for (let g = 0; g < G; g++) {
          for (let ph = 0; ph < P; ph++) {
            const fh = phs[Math.floor(ph / pws.length)]!.first;
            const fw = pws[ph % pws.length]!.first;
            for (let o = 0; o < CoutG; o++, src += QH * QW) {
              const base = o0 + (n * OC + g * CoutG + o) * OH * OW + fh * OW + fw;
              for (let qh = 0; qh < QH; qh++) {
                const s = src + qh * QW;
                const d = base + qh * sH * OW;
                if (sW === 1) m.copyWithin(d, s, s + QW);
                else for (let qw = 0; qw < QW; qw++) m[d + qw * sW] = m[s + qw]!;
              }
            }
          }
        }
      }
    }
    if (set.empty.length > 0) {
      const m = memF32(ctx);
      for (let n = 0; n < N; n++) {
        for (let oc = 0; oc < OC; oc++) {
          const v = relu ? Math.max(0, set.shift[oc]!) : set.shift[oc]!;
          const plane = o0 + (n * OC + oc) * OH * OW;
          for (const [ph, pw] of set.empty) for (let oh = ph.first; oh < OH; oh += sH) for (let ow = pw.first; ow < OW; ow += sW) m[plane + oh * OW + ow] = v;
        }
      }
    }
  } finally {
    ctx.heap.release(tPtr);
  }
}
