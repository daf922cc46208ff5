// Timing and agreement helpers of the kernel benchmark. Engines are timed in interleaved rounds
// (each engine a slice of runs per round, round after round) so that load from other processes on
// this shared 2-core machine falls on every engine alike; the median of all runs is the figure.
import { performance } from 'node:perf_hooks';

export interface TimingOptions {
  warmup: number;
  rounds: number;
  /** Totals over all rounds: at least this many timed runs and at least this much time per engine. */
  minRuns: number;
  minMs: number;
  /** Stops a slow engine from holding the run for minutes on a big workload. */
  maxRuns: number;
}

export const DEFAULT_TIMING: TimingOptions = { warmup: 3, rounds: 5, minRuns: 10, minMs: 1000, maxRuns: 500 };

/** One round's share of the totals. */
export interface Slice {
  minRuns: number;
  minMs: number;
  maxRuns: number;
}

export function sliceOf(o: TimingOptions): Slice {
  return { minRuns: Math.ceil(o.minRuns / o.rounds), minMs: o.minMs / o.rounds, maxRuns: Math.ceil(o.maxRuns / o.rounds) };
}

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

export function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarize(samples: readonly number[]): Timing {
  return { medianMs: median(samples), minMs: Math.min(...samples), runs: samples.length };
}

/** Times runs until the slice's run count and duration are both reached (or its cap). */
export async function sampleRuns(run: () => Promise<void>, s: Slice): Promise<number[]> {
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < s.maxRuns && (ts.length < s.minRuns || performance.now() - start < s.minMs)) {
    const t0 = performance.now();
    await run();
    ts.push(performance.now() - t0);
  }
  return ts;
}

/**
 * max |a − b| over max |b|: the engines accumulate in different orders (Winograd, im2col, direct),
 * so float32 results differ in the last bits; relative to the output's scale that stays far
 * below the 1e-3 the harness accepts, while a wrong layout or padding gives O(1).
 */
export function relativeDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return NaN; // an unwritten or poisoned element is a disagreement
    if (d > diff) diff = d;
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale > 0 ? diff / scale : diff;
}

export const AGREEMENT_TOLERANCE = 1e-3;
