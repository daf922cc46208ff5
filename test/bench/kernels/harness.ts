// `npm run bench:kernels`: ShapeLens's kernels next to onnxruntime-web (WASM SIMD) and
// tfjs-backend-wasm (XNNPACK) on issue 5's workloads, in one run, 1 and 2 threads; every engine's
// output is checked against onnxruntime-web's before its time counts. Options: --only=id,id
// (workload ids from workloads.ts), --quick (few runs, for a smoke check, figures not meaningful).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs-core';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { ROOT } from '../../support/paths';
import type { Engine } from './engine';
import { AGREEMENT_TOLERANCE, DEFAULT_TIMING, relativeDiff, sampleRuns, sliceOf, summarize, type Slice, type TimingOptions } from './measure';
import { CHILD_FLAG, EngineChild, serveEngineChild } from './engineChild';
import { onnxWasmEngine } from './onnxEngine';
import { ORT, SHAPELENS, SHAPELENS_RELAXED, TFJS, jsonReport, markdownTable, targetSummary, type Cell, type Row } from './report';
import { shapelensEngine } from './shapelensEngine';
import { isPeakWorker, measurePeaks, servePeakWorker } from './peak';
import { tfjsWasmEngine } from './tfjsEngine';
import { WORKLOADS, workloadInput, type Workload } from './workloads';

/** Engines measured in a child process (see engineChild.ts), by the key the child is started with. */
const CHILD_ENGINES: Record<string, { make: () => Engine }> = {
  'onnxruntime-web:2': { make: () => onnxWasmEngine(2) },
};

const QUICK_TIMING: TimingOptions = { warmup: 1, rounds: 1, minRuns: 3, minMs: 0, maxRuns: 3 };

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An engine with a workload loaded, in this process or in the onnxruntime child, ready for timing rounds. */
interface Contender {
  cell: Cell;
  output: Float32Array;
  samples: number[];
  sample(warmup: number, slice: Slice): Promise<number[]>;
  dispose(): Promise<void>;
}

type Entry = { cell: Cell; contender?: Contender };

async function setupLocal(engine: Engine, w: Workload, input: Float32Array): Promise<Entry> {
  const cell: Cell = { engine: engine.name, threads: engine.threads };
  const reason = engine.unsupported(w);
  if (reason) return { cell: { ...cell, note: reason } };
  try {
    const run = await engine.setup(w, input);
    const sample = async (warmup: number, slice: Slice) => {
      for (let i = 0; i < warmup; i++) await run.run();
      return sampleRuns(() => run.run(), slice);
    };
    return { cell, contender: { cell, output: await run.output(), samples: [], sample, dispose: () => run.dispose() } };
  } catch (e) {
    return { cell: { ...cell, note: `failed: ${errorText(e)}` } };
  }
}

async function setupChild(child: EngineChild, w: Workload, input: Float32Array): Promise<Entry> {
  const cell: Cell = { engine: child.name, threads: child.threads };
  try {
    const output = await child.setup(w.id, input);
    return { cell, contender: { cell, output, samples: [], sample: (warmup, slice) => child.sample(warmup, slice), dispose: () => child.dispose() } };
  } catch (e) {
    return { cell: { ...cell, note: `failed: ${errorText(e)}` } };
  }
}

/** Interleaved rounds: every engine runs its slice, then the next round starts. */
async function timeRounds(contenders: Contender[], timing: TimingOptions): Promise<void> {
  const slice = sliceOf(timing);
  let live = contenders.slice();
  for (let round = 0; round < timing.rounds; round++) {
    for (const c of live) {
      try {
        c.samples.push(...(await c.sample(round === 0 ? timing.warmup : 0, slice)));
      } catch (e) {
        c.cell.note = `failed: ${errorText(e)}`;
        c.samples.length = 0;
      }
    }
    live = live.filter((c) => !c.cell.note);
  }
  for (const c of live) c.cell.timing = summarize(c.samples);
}

/** Compares every output with the reference engine's (onnxruntime-web, 1 thread) and says so when one disagrees. */
function checkAgreement(w: Workload, contenders: Contender[]): void {
  const ref = contenders.find((c) => c.cell.engine === ORT && c.cell.threads === 1) ?? contenders[0];
  if (!ref) return;
  for (const c of contenders) {
    if (c === ref) continue;
    c.cell.diff = relativeDiff(c.output, ref.output);
    if (!(c.cell.diff <= AGREEMENT_TOLERANCE)) {
      c.cell.disagrees = true;
      console.log(
        `DISAGREE ${w.id}: ${c.cell.engine} (${c.cell.threads} thr) vs ${ref.cell.engine} (${ref.cell.threads} thr): max|Δ|/max|ref| = ${c.cell.diff.toExponential(2)} > ${AGREEMENT_TOLERANCE}`,
      );
    }
  }
}

async function main(): Promise<void> {
  if (isPeakWorker()) return servePeakWorker();
  const childAt = process.argv.indexOf(CHILD_FLAG);
  if (childAt >= 0) {
    const spec = CHILD_ENGINES[process.argv[childAt + 1] ?? ''];
    if (!spec) throw new Error(`no child engine ${process.argv[childAt + 1]}`);
    return serveEngineChild(spec.make());
  }

  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const timing = process.argv.includes('--quick') ? QUICK_TIMING : DEFAULT_TIMING;
  const unknown = only?.filter((id) => !WORKLOADS.some((w) => w.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown workload(s) ${unknown.join(', ')}; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);

  const env = {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    loadavgAtStart: loadavg(),
    onnxruntimeWeb: ort.env.versions.web,
    tfjsCore: tf.version_core,
    tfjsBackendWasm: version_wasm,
    timing,
  };
  console.log(`kernel benchmark: node ${env.node}, ${env.cpus} cores (${env.cpu}), load ${env.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`onnxruntime-web ${env.onnxruntimeWeb} (wasm SIMD, 1 thread here, 2 threads in a child process); tfjs-backend-wasm ${env.tfjsBackendWasm} (SIMD, 1 thread: no threads in Node)`);

  const peaks = await measurePeaks();
  for (const p of peaks) console.log(`WASM peak (${p.label}), ${p.threads} thread(s): ${p.gflops.toFixed(1)} GFLOP/s`);

  const children = Object.entries(CHILD_ENGINES).map(([key, spec]) => {
    const e = spec.make();
    return EngineChild.start(key, e.name, e.threads);
  });
  const shapelens = [shapelensEngine(1, false), shapelensEngine(1, true), shapelensEngine(2, false), shapelensEngine(2, true)];
  const local: Engine[] = [shapelens[0]!, shapelens[1]!, onnxWasmEngine(1), tfjsWasmEngine, shapelens[2]!, shapelens[3]!];
  const rows: Row[] = [];
  try {
    for (const entry of WORKLOADS) {
      if (only && !only.includes(entry.id)) continue;
      const w = entry.build();
      const input = workloadInput(w);
      const entries: Entry[] = [];
      for (const engine of local) entries.push(await setupLocal(engine, w, input));
      for (const child of children) entries.push(await setupChild(child, w, input));
      const contenders = entries.flatMap((e) => (e.contender ? [e.contender] : []));
      checkAgreement(w, contenders);
      try {
        await timeRounds(contenders, timing);
      } finally {
        // A failed release cannot change a figure already taken; say so and go on to the next workload.
        for (const c of contenders) await c.dispose().catch((e: unknown) => console.log(`${c.cell.engine}/${c.cell.threads}: release failed: ${errorText(e)}`));
      }
      const row: Row = { workload: w.id, title: w.title, macs: w.macs, cells: entries.map((e) => e.cell) };
      rows.push(row);
      const brief = row.cells.map((c) => `${c.engine}/${c.threads}: ${c.timing ? `${c.timing.medianMs.toFixed(2)} ms` : c.note}`).join(', ');
      console.log(`${w.id}: ${brief}`);
    }
  } finally {
    for (const child of children) child.close();
    // Figures already taken stand if a backend fails to shut down; say so instead of losing the table.
    for (const e of shapelens) await e.close().catch((err: unknown) => console.log(`${e.name}/${e.threads}: dispose failed: ${errorText(err)}`));
  }

  console.log('');
  console.log(markdownTable(rows, peaks));
  console.log('');
  console.log('Against the targets (same run):');
  console.log(targetSummary(rows, peaks));
  console.log('');
  console.log(
    `MMAC: multiply-accumulates of the convs and linear layers; GFLOP/s = 2·MAC / median time; "pk" = % of the WASM peak at that thread count ` +
      `(SIMD128 mul+add; relaxed-SIMD FMA for the relaxed column). Speed ratios are the other engine's median over ${SHAPELENS} (SIMD128)'s ` +
      `(above 1: ${SHAPELENS} faster); "relaxed ÷ SIMD128" is ${SHAPELENS}'s own gain from relaxed SIMD. ResNet-18 has its BatchNorms folded ` +
      `into the convs for every engine. ${TFJS} cannot use threads in Node, so its 2-thread ratio is against its 1-thread time.`,
  );
  const outDir = join(ROOT, 'out', 'bench');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'kernels.json');
  writeFileSync(file, JSON.stringify(jsonReport(rows, peaks, { ...env, loadavgAtEnd: loadavg(), engines: [SHAPELENS, SHAPELENS_RELAXED, ORT, TFJS] }), null, 2) + '\n');
  console.log(`JSON: ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
