// The kernel benchmark's results as a markdown table (one row per workload and thread count) and
// as JSON for out/bench/kernels.json.
import type { Timing } from './measure';

export interface Cell {
  engine: string;
  threads: number;
  timing?: Timing;
  /** Why there is no timing (engine cannot run the workload, or it failed). */
  note?: string;
  /** relativeDiff against the reference engine's output; undefined for the reference itself. */
  diff?: number;
  disagrees?: boolean;
}

export interface Row {
  workload: string;
  title: string;
  macs: number;
  cells: Cell[];
}

export interface Peak {
  threads: number;
  gflops: number;
  /** What the microbenchmark measured, e.g. "f32x4 mul+add" or "relaxed f32x4 fma". */
  label: string;
}

export const SHAPELENS = 'ShapeLens';
export const SHAPELENS_RELAXED = 'ShapeLens relaxed-SIMD';
export const ORT = 'onnxruntime-web';
export const TFJS = 'tfjs-wasm';

export function gflops(macs: number, ms: number): number {
  return (2 * macs) / (ms * 1e6);
}

/** The peak an engine's cell is a fraction of: the relaxed FMA peak for ShapeLens's relaxed build, else SIMD128 mul+add. */
function peakFor(peaks: readonly Peak[], threads: number, engine: string): Peak | undefined {
  const relaxed = engine === SHAPELENS_RELAXED;
  return peaks.find((p) => p.threads === threads && p.label.startsWith('relaxed') === relaxed);
}

function cellText(c: Cell | undefined, macs: number, peaks: readonly Peak[]): string {
  if (!c) return '—';
  if (!c.timing) return c.note ?? '—';
  const g = gflops(macs, c.timing.medianMs);
  const parts = [`${c.timing.medianMs.toFixed(c.timing.medianMs < 10 ? 2 : 1)} ms`, `${g.toFixed(1)} GFLOP/s`];
  const peak = peakFor(peaks, c.threads, c.engine);
  if (peak) parts.push(`${((100 * g) / peak.gflops).toFixed(0)}% pk`);
  return parts.join(' · ') + (c.disagrees ? ' ⚠ DISAGREES' : '');
}

/** The other cell's time over this one's: above 1 means `mine` is faster. */
function ratio(mine: Cell | undefined, other: Cell | undefined): string {
  if (!mine?.timing || !other?.timing) return 'n/a';
  return `${(other.timing.medianMs / mine.timing.medianMs).toFixed(2)}x`;
}

export function markdownTable(rows: readonly Row[], peaks: readonly Peak[]): string {
  const out = [
    `| workload | MMAC | threads | ${SHAPELENS} (SIMD128) | ${SHAPELENS_RELAXED} | ${ORT} | ${TFJS} | ${SHAPELENS} speed ÷ ORT | ÷ tfjs | relaxed ÷ SIMD128 |`,
    '|---|---:|---:|---|---|---|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    for (const threads of [1, 2]) {
      const find = (engine: string, t = threads) => r.cells.find((c) => c.engine === engine && c.threads === t);
      const sl = find(SHAPELENS);
      const relaxed = find(SHAPELENS_RELAXED);
      // tfjs-wasm has no threads in Node: the 2-thread row compares against its 1-thread time.
      const tfjs = find(TFJS, 1);
      const tfjsCell = threads === 1 ? cellText(tfjs, r.macs, peaks) : 'no threads in Node';
      const tfjsRatio = threads === 1 ? ratio(sl, tfjs) : `${ratio(sl, tfjs)} (vs 1 thr)`;
      const cells = [r.title, (r.macs / 1e6).toFixed(1), String(threads), cellText(sl, r.macs, peaks), cellText(relaxed, r.macs, peaks), cellText(find(ORT), r.macs, peaks), tfjsCell];
      out.push(`| ${[...cells, ratio(sl, find(ORT)), tfjsRatio, ratio(relaxed, sl)].join(' | ')} |`);
    }
  }
  return out.join('\n');
}

export function jsonReport(rows: readonly Row[], peaks: readonly Peak[], env: Record<string, unknown>): unknown {
  return {
    env,
    peaks,
    rows: rows.map((r) => ({
      workload: r.workload,
      title: r.title,
      macs: r.macs,
      results: r.cells.map((c) => {
        const peak = peakFor(peaks, c.threads, c.engine);
        const g = c.timing ? gflops(r.macs, c.timing.medianMs) : undefined;
        return {
          engine: c.engine,
          threads: c.threads,
          ...(c.timing ? { medianMs: c.timing.medianMs, minMs: c.timing.minMs, runs: c.timing.runs, gflops: g } : {}),
          ...(g !== undefined && peak ? { percentOfPeak: (100 * g) / peak.gflops } : {}),
          ...(c.note ? { note: c.note } : {}),
          ...(c.diff !== undefined ? { relDiffToReference: c.diff, disagrees: !!c.disagrees } : {}),
        };
      }),
    })),
  };
}
