// `shapelens run`: trace a model's graph with the engine, fill its weights (checkpoint or seeded default
// init), run it with the kernels, and write the output (.npy), per-module statistics or per-layer times.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadParser, listModels, traceGraph, type Diagnostic, type InputSpec } from '../engine';
import type { Graph } from '../engine/graph/ir';
import { nodeHost } from '../engine/imports/nodeHost';
import type { NDArray } from '../../../kernels/src/ndarray';
import { NpyError, readNpy, writeNpy } from '../../../kernels/src/npy';
import { CheckpointError } from '../../../kernels/src/weights/errors';
import { readCheckpointBytes } from '../../../kernels/src/weights/nodeFile';
import {
  loadWeights,
  moduleCalls,
  prepareWeights,
  randomInputs,
  referenceBackend,
  runGraph,
  unsupportedMessage,
  wasmExecBackend,
  WeightsError,
  type Backend,
  type NodeResult,
  type RunResult,
} from '../../../kernels/src/exec/index';
import { createNodeBackend, type WasmBackend } from '../../../kernels/src/node/index';
import { UsageError, type RunArgs } from './args';
import { renderDiagnostic } from './table';

/** Exit codes beyond summary's 0/1/2 (documented in the help text and README). */
export const EXIT_CANNOT_RUN = 3;
export const EXIT_NON_FINITE = 4;

const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
const BENCH_RUNS = 5;

/** A failure with its exit code and message (printed as `shapelens: message`). */
class RunFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function readSource(file: string): string {
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`${file} is not a file`);
    if (st.size > MAX_SOURCE_BYTES) throw new UsageError(`${file} is ${Math.round(st.size / 1024 / 1024)} MiB; ShapeLens reads model files up to 8 MiB`);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function readInputFile(path: string): NDArray {
  try {
    const b = readFileSync(path);
    return readNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  } catch (e) {
    if (e instanceof NpyError) throw new UsageError(`${path}: not a .npy file ShapeLens reads: ${e.message}`);
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function specOf(path: string, a: NDArray): InputSpec {
  if (a.dtype === 'bool') throw new UsageError(`${path}: bool arrays are not model inputs (float32 or int64)`);
  return { shape: a.shape.slice(), dtype: a.dtype };
}

/** The one traced model to run, or a clear error (unknown model, several models, shape errors, unsupported ops). */
function traceOne(args: RunArgs, text: string, inputs: InputSpec[] | undefined): { graph: Graph; params: Parameters<typeof prepareWeights>[0]; model: string } {
  const host = nodeHost();
  const traced = traceGraph(text, { file: args.file, host, model: args.model, kwargs: args.kwargs, inputs, mode: args.mode });
  if (!traced.length) {
    const names = listModels(text, args.file, host).models.map((m) => m.name);
    if (args.model) throw new UsageError(`no model named '${args.model}' in ${args.file}; models here: ${names.join(', ') || 'none'}`);
    throw new UsageError(`no nn.Module model found in ${args.file}`);
  }
  if (traced.length > 1) throw new UsageError(`${args.file} has several models (${traced.map((t) => t.model).join(', ')}): choose one with --model`);
  const t = traced[0]!;
  const errors = t.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new RunFailure(1, `${t.model} has shape errors:\n${errors.map((d: Diagnostic) => renderDiagnostic(args.file, d)).join('\n')}`);
  if (t.unsupported.length) {
    // The engine's entries name what its trace could not record (a layer, a symbolic size), grouped by line.
    const list = unsupportedMessage(t.unsupported).ops.map((u) => `${u.op} (line${u.lines.length > 1 ? 's' : ''} ${u.lines.join(', ')})`);
    throw new RunFailure(EXIT_CANNOT_RUN, `${t.model} cannot be run: ${list.join('; ')}`);
  }
  if (!t.graph) {
    throw new RunFailure(EXIT_CANNOT_RUN, `${t.model} could not be traced at a concrete input: give its input with --input (e.g. 1x3x32x32) or --input-file`);
  }
  return { graph: t.graph, params: t.params, model: t.model };
}

export async function runCommand(args: RunArgs): Promise<number> {
  try {
    return await runChecked(args);
  } catch (e) {
    if (e instanceof RunFailure) {
      process.stderr.write(`shapelens: ${e.message}\n`);
      return e.code;
    }
    throw e;
  }
}

async function runChecked(args: RunArgs): Promise<number> {
  const given = args.inputFiles.map((p) => ({ path: p, array: readInputFile(p) }));
  const specs = given.length ? given.map((g) => specOf(g.path, g.array)) : args.inputs;
  await loadParser();
  const text = readSource(args.file);
  const { graph, params, model } = traceOne(args, text, specs);

  let checkpoint;
  if (args.weights) {
    try {
      checkpoint = loadWeights(readCheckpointBytes(args.weights), params, { strict: !args.nonStrict, modelName: model });
    } catch (e) {
      if (e instanceof CheckpointError) throw new UsageError(`${args.weights}: ${e.message}`);
      throw e;
    }
  }
  let prepared;
  try {
    prepared = prepareWeights(params, { seed: args.seed, checkpoint });
  } catch (e) {
    if (e instanceof WeightsError) throw new UsageError(e.message);
    throw e;
  }
  for (const m of prepared.messages) process.stderr.write(`shapelens: note: ${m}\n`);

  const inputs = given.length ? given.map((g) => g.array) : randomInputs(graph, args.seed);
  const fast = await fastPath(args.threads);
  try {
    return await execute(args, graph, model, prepared.values, inputs, fast ? [wasmExecBackend(fast), referenceBackend] : [referenceBackend]);
  } finally {
    // The run's result is final; a failure to shut the worker pool down must not turn it into an error.
    await fast?.dispose().catch((e: unknown) => {
      if (process.env.SHAPELENS_DEBUG) process.stderr.write(`shapelens: debug: disposing the kernels failed: ${(e as Error)?.message ?? e}\n`);
    });
  }
}

/** The WebAssembly kernels on `threads` threads (default: every core), or null with a note when they cannot load. */
async function fastPath(threads: number | undefined): Promise<WasmBackend | null> {
  try {
    return await createNodeBackend({ threads });
  } catch (e) {
    process.stderr.write(`shapelens: note: the WebAssembly kernels did not load (${(e as Error).message}); running the TypeScript reference kernels\n`);
    return null;
  }
}

async function execute(args: RunArgs, graph: Graph, model: string, values: Map<string, NDArray>, inputs: NDArray[], backends: Backend[]): Promise<number> {
  // Per-layer figures (--stats, --bench) need every node's output; a plain run only the model's, so
  // the kernels may fuse conv + BatchNorm + ReLU. NaN/Inf in a plain run's output is traced to its
  // first layer by running again with every output kept.
  const detail: 'all' | 'outputs' = args.stats || args.bench ? 'all' : 'outputs';
  const opts = { seed: args.seed, backends, budgetBytes: args.budgetBytes, detail };

  // A train-mode run updates running statistics; bench repetitions each start from the loaded state.
  let result = await runGraph(graph, new Map(values), inputs, opts);
  failIfNotOk(result, args.file);
  if (result.nonFinite && detail === 'outputs') {
    const again = await runGraph(graph, new Map(values), inputs, { ...opts, detail: 'all' });
    failIfNotOk(again, args.file);
    result = { ...result, nonFinite: again.nonFinite ?? result.nonFinite };
  }
  const timings: NodeResult[][] = [];
  if (args.bench) {
    for (let i = 0; i < BENCH_RUNS; i++) {
      const r = await runGraph(graph, new Map(values), inputs, opts);
      failIfNotOk(r, args.file);
      timings.push(r.nodes);
    }
  }

  if (args.out) writeOutputs(args.out, result.outputs);
  if (args.stats) for (const line of callStats(graph, result)) process.stdout.write(JSON.stringify(line) + '\n');
  if (args.bench) process.stdout.write(benchTable(graph, timings) + '\n');
  if (!args.stats && !args.bench) {
    process.stdout.write(`${model}: ${describeOutputs(result)} in ${result.ms.toFixed(1)} ms${args.out ? `; written to ${args.out}` : ''}\n`);
  }
  if (result.nonFinite) {
    process.stderr.write(`shapelens: warning: ${result.nonFinite.message}\n`);
    return EXIT_NON_FINITE;
  }
  return 0;
}

function failIfNotOk(r: RunResult, file: string): void {
  if (r.status === 'ok') return;
  const at = r.node ? ` (${file}:${r.node.line})` : '';
  if (r.status === 'refused' && r.refusal?.kind === 'inputs') throw new UsageError(r.message!);
  throw new RunFailure(EXIT_CANNOT_RUN, `${r.message}${r.status === 'failed' ? at : ''}`);
}

function writeOutputs(out: string, outputs: readonly NDArray[]): void {
  const stem = out.replace(/\.npy$/, '');
  outputs.forEach((y, k) => {
    const path = k === 0 ? out : `${stem}.${k}.npy`;
    try {
      writeFileSync(path, writeNpy(y));
    } catch (e) {
      throw new UsageError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
}

function describeOutputs(r: RunResult): string {
  const parts = r.outputs.map((y) => `[${y.shape.join(', ')}]`);
  return `output ${parts.join(', ')}`;
}

/** Per module call (forward-hook order, root first): path, output shape and statistics. */
function callStats(graph: Graph, r: RunResult): { path: string; shape: number[]; mean: number; std: number; min: number; max: number }[] {
  const byValue = new Map<number, { shape: number[]; s: NodeResult['stats'][number] }>();
  for (const n of r.nodes) graph.nodes[n.index]!.outputs.forEach((v, k) => byValue.set(v, { shape: n.shapes[k]!, s: n.stats[k]! }));
  const out = [];
  for (const c of moduleCalls(graph)) {
    const v = byValue.get(c.output);
    if (!v) continue;
    out.push({ path: c.path, shape: v.shape, mean: v.s.mean, std: v.s.std, min: v.s.min, max: v.s.max });
  }
  return out;
}

/** Per node: median time over the bench runs and its share of the total. */
function benchTable(graph: Graph, runs: NodeResult[][]): string {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const rows = graph.nodes.map((n, i) => ({ i, n, ms: median(runs.map((r) => r[i]?.ms ?? 0)) }));
  const total = median(runs.map((r) => r.reduce((a, n) => a + n.ms, 0)));
  const head = ['#', 'layer', 'op', 'line', 'output', 'ms', '%', 'kernel'];
  const body = rows.map(({ i, n, ms }) => [
    String(i),
    n.path || '(forward)',
    n.op === 'unary' || n.op === 'binary' || n.op === 'reduce' ? `${n.op}:${(n.attrs as { fn: string }).fn}` : n.op,
    String(n.line),
    `[${graph.values[n.outputs[0]!]?.shape.join(', ') ?? ''}]`,
    ms.toFixed(3),
    total > 0 ? ((100 * ms) / total).toFixed(1) : '0.0',
    runs[0]?.[i]?.backend ?? '',
  ]);
  const all = [head, ...body];
  const width = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const right = (c: number) => c === 0 || c === 3 || c === 5 || c === 6;
  const fmt = (r: string[]) => r.map((cell, c) => (right(c) ? cell.padStart(width[c]!) : cell.padEnd(width[c]!))).join('  ').trimEnd();
  const kernels = [...new Set(runs.flatMap((r) => r.map((n) => n.backend)))].join(', ');
  return [fmt(head), ...body.map(fmt), `total ${total.toFixed(3)} ms (median of ${runs.length} runs after a warm-up; kernels: ${kernels})`].join('\n');
}
