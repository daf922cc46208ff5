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

/**
 * The issue's speed targets read off this run, each by the run's medians and by its best times: on
 * a shared machine the medians carry other processes' load (the peak itself is a best), the best
 * times show what the kernels do on a quiet core. Workloads missing from a partial run are skipped.
 */
export function targetSummary(rows: readonly Row[], peaks: readonly Peak[]): string {
  const cell = (id: string, engine: string, threads: number) => rows.find((r) => r.workload === id)?.cells.find((c) => c.engine === engine && c.threads === threads)?.timing;
  const macsOf = (id: string) => rows.find((r) => r.workload === id)?.macs ?? 0;
  const both = (f: (t: 'medianMs' | 'minMs') => number | undefined, fmt: (v: number) => string) => {
    const [m, b] = [f('medianMs'), f('minMs')];
    return m === undefined || b === undefined ? 'n/a' : `${fmt(m)} (best times: ${fmt(b)})`;
  };
  const x = (v: number) => `${v.toFixed(2)}x`;
  const lines: string[] = [];
  const peak1 = peaks.find((p) => p.threads === 1 && !p.label.startsWith('relaxed'))?.gflops;
  for (const id of ['conv3x3-64-56', 'conv3x3-128-28']) {
    if (!rows.some((r) => r.workload === id)) continue;
    lines.push(`- ${id}: ${both((t) => { const c = cell(id, SHAPELENS, 1); return c && peak1 ? (100 * gflops(macsOf(id), c[t])) / peak1 : undefined; }, (v) => `${v.toFixed(0)}%`)} of the SIMD128 peak (target ≥ 75%); ` +
      `relaxed ÷ SIMD128 ${both((t) => { const [a, b] = [cell(id, SHAPELENS, 1), cell(id, SHAPELENS_RELAXED, 1)]; return a && b ? a[t] / b[t] : undefined; }, x)} (target ≥ 1.3x)`);
  }
  if (rows.some((r) => r.workload === 'resnet18')) {
    for (const engine of [SHAPELENS, SHAPELENS_RELAXED]) {
      lines.push(`- resnet18, ${engine}: 1 thread ${both((t) => cell('resnet18', engine, 1)?.[t], (v) => `${v.toFixed(1)} ms`)}, ` +
        `2 threads ${both((t) => cell('resnet18', engine, 2)?.[t], (v) => `${v.toFixed(1)} ms`)}, ` +
        `speed-up ${both((t) => { const [a, b] = [cell('resnet18', engine, 1), cell('resnet18', engine, 2)]; return a && b ? a[t] / b[t] : undefined; }, x)} (targets < 180 ms, < 110 ms, ≥ 1.7x)`);
    }
  }
  for (const r of rows) {
    for (const threads of [1, 2]) {
      const mine = cell(r.workload, SHAPELENS, threads);
      const others = [cell(r.workload, ORT, threads), cell(r.workload, TFJS, 1)].filter((t) => t !== undefined);
      if (!mine || others.length === 0) continue;
      lines.push(`- ${r.workload}, ${threads} thread(s): ${SHAPELENS} (SIMD128) over the faster runtime ${both((t) => Math.min(...others.map((o) => o![t])) / mine[t], x)}`);
    }
  }
  return lines.join('\n');
}
