// Runs a graph node by node: each on the first backend that supports it, intermediates released after
// their last consumer, per-node statistics and timings, the first NaN/Inf located, train-mode running
// statistics written back, cancellation between nodes. Outputs a backend keeps in its own memory stay
// there between its nodes and are freed after their last use. User input never makes it throw.
import type { NDArray } from '../ndarray';
import type { Graph, OpNode } from '../../../server/src/engine/graph/ir';
import { dropoutNodeSeed } from '../ref/dropout';
import { referenceBackend, type Backend } from './backend';
import { describeNode, nodeRef, planGraph, type ExecPlan, type NodeRef, type Refusal } from './plan';
import { checkInputs } from './inputs';
import { tensorStats, type TensorStats } from './stats';

export interface RunOptions {
  /** Tried in order per node (default: the reference kernels only). */
  backends?: readonly Backend[];
  /** Run seed: each dropout node's mask seed is dropoutNodeSeed(seed, nodeIndex). */
  seed: number;
  /** Activation-memory budget in bytes (default 1 GiB); a run that would exceed it is refused before it starts. */
  budgetBytes?: number;
  /** Checked before every node; set it (e.g. on a new edit) to stop the run within one node. */
  signal?: { readonly aborted: boolean };
  /** Called after every node. `outputs` are plain arrays the callback may keep (never views of a backend's memory). */
  onNode?: (info: NodeInfo) => void;
  /**
   * Write train-mode running statistics (BatchNorm/InstanceNorm running_mean, running_var,
   * num_batches_tracked) back into `params`, so the next run sees them as PyTorch's module would
   * (default true).
   */
  updateState?: boolean;
  /** A plan from planGraph for this graph and these backends (else made here). */
  plan?: ExecPlan;
  /**
   * 'all' (default): every node's output is computed and described (statistics, first NaN/Inf), as the
   * feature-map panel and `--stats` need. 'outputs': only the graph's outputs matter: backends may fuse
   * chains (conv + BatchNorm + ReLU), per-node statistics are not computed, and NaN/Inf is reported
   * for the outputs only (run again with 'all' to find the layer that made it).
   */
  detail?: 'all' | 'outputs';
}

export interface NodeResult extends TensorStats {
  index: number;
  path: string;
  line: number;
  op: string;
  backend: string;
  /** Output shapes, in the node's output order; the top-level statistics describe the first output. */
  shapes: number[][];
  /** Statistics of every output. */
  stats: TensorStats[];
  /** Wall time of the kernel, in milliseconds. */
  ms: number;
}

export interface NodeInfo extends NodeResult {
  outputs: readonly NDArray[];
}

/** Where NaN/Inf first appeared: a node that made it from finite inputs, or an input/parameter/constant that held it. */
export interface NonFinite {
  /** The node that produced it, or that first read a non-finite input/parameter/constant. */
  node: NodeRef;
  /** 'node' when the node produced it; otherwise what held it ("input 0", "parameter 'fc.weight'", "a constant"). */
  source: string;
  nan: number;
  inf: number;
  message: string;
}

export interface RunResult {
  status: 'ok' | 'refused' | 'failed' | 'cancelled';
  /** Why the run did not finish (refused, failed, cancelled). */
  message?: string;
  refusal?: Refusal;
  /** The failing node (a kernel error), or the node before which a cancelled run stopped. */
  node?: NodeRef;
  /** The graph's outputs, in order (empty unless ok). */
  outputs: NDArray[];
  /** One entry per node that ran, in order. */
  nodes: NodeResult[];
  /** Set when any node's output held NaN or Inf: a warning, the run still completes. */
  nonFinite?: NonFinite;
  peakBytes: number;
  /** state_dict keys written back into `params` (train-mode running statistics). */
  updatedState: string[];
  ms: number;
}

/** The last plan made for each graph, with what it was made for. */
const plans = new WeakMap<Graph, { backends: readonly Backend[]; budget: number | undefined; plan: ExecPlan }>();

/**
 * Runs `graph` on `inputs` with `params` (state_dict key → tensor, see weights.ts). Resolves, never
 * rejects, for anything the user controls: unsupported ops, budget, mismatched inputs or params are a
 * `refused` result before anything is allocated; a kernel error is a `failed` result naming the node.
 */
export async function runGraph(graph: Graph, params: Map<string, NDArray>, inputs: readonly NDArray[], opts: RunOptions): Promise<RunResult> {
  const t0 = now();
  const empty = (status: RunResult['status'], message: string, extra: Partial<RunResult> = {}): RunResult => ({
    status,
    message,
    outputs: [],
    nodes: [],
    peakBytes: 0,
    updatedState: [],
    ms: now() - t0,
    ...extra,
  });
  const backends = opts.backends ?? [referenceBackend];
  let plan = opts.plan;
  if (!plan || plan.graph !== graph) {
    // The plan depends on the graph, the backends and the budget only: a preview re-running the same
    // model reuses it (planning costs about as much as running a small network).
    const cached = plans.get(graph);
    if (cached && cached.budget === opts.budgetBytes && cached.backends.length === backends.length && cached.backends.every((b, i) => b === backends[i])) plan = cached.plan;
    else {
      const p = planGraph(graph, { backends, budgetBytes: opts.budgetBytes });
      if (!p.ok) return empty('refused', p.refusal.message, { refusal: p.refusal });
      plan = p.plan;
      plans.set(graph, { backends: backends.slice(), budget: opts.budgetBytes, plan });
    }
  }
  const badInputs = checkInputs(graph, inputs);
  if (badInputs) return empty('refused', badInputs, { refusal: { kind: 'inputs', message: badInputs } });
  const badParams = checkParams(graph, params);
  if (badParams) return empty('refused', badParams, { refusal: { kind: 'params', message: badParams } });

  let complete = false;
  try {
    const r = await execute(graph, plan, params, inputs, opts, t0);
    complete = r.status === 'ok';
    return r;
  } finally {
    for (const b of plan.backends) {
      try {
        b.endRun?.(complete);
      } catch {
        // Housekeeping only (dropping stale packed weights): the run's result stands.
      }
    }
  }
}

/** The statistics of a node whose output was not measured ('outputs' detail): no NaN/Inf claimed, NaN figures. */
/** Each output's statistics: by the backend that holds it where it offers them, else in JavaScript. */
async function statsOf(backend: Backend, outs: readonly NDArray[]): Promise<TensorStats[]> {
  const r: TensorStats[] = [];
  for (const o of outs) r.push((backend.stats && backend.owns?.(o) ? await backend.stats(o) : null) ?? tensorStats(o));
  return r;
}

function unmeasured(): TensorStats {
  return { mean: NaN, std: NaN, min: NaN, max: NaN, nan: 0, inf: 0 };
}

async function execute(graph: Graph, plan: ExecPlan, params: Map<string, NDArray>, inputs: readonly NDArray[], opts: RunOptions, t0: number): Promise<RunResult> {
  const env: (NDArray | undefined)[] = new Array(graph.values.length);
  /** Per value: 1 when it holds NaN/Inf (2 = not yet scanned, for inputs, params and constants). */
  const bad = new Uint8Array(graph.values.length);
  /** Per value: the state_dict key of the running statistic it is (a param, or a train-mode update of one). */
  const stateKey: (string | undefined)[] = new Array(graph.values.length);
  for (const v of graph.values) {
    if (v.param !== undefined) {
      env[v.id] = params.get(v.param);
      stateKey[v.id] = v.param;
      bad[v.id] = 2;
    } else if (v.const !== undefined) {
      env[v.id] = plan.consts.get(v.id);
      bad[v.id] = 2;
    }
  }
  graph.inputs.forEach((v, i) => {
    env[v] = inputs[i];
    bad[v] = 2;
  });

  const nodes: NodeResult[] = [];
  const updatedState: string[] = [];
  const mem = new BackendMemory(env);
  try {
    return await runNodes(graph, plan, params, opts, t0, env, bad, stateKey, nodes, updatedState, mem);
  } finally {
    mem.releaseAll();
  }
}

/**
 * The outputs that live in a backend's own memory (Backend.owns): how many graph values hold each, so
 * it is released when the last is dropped, and plain copies of them for callers and other backends.
 */
class BackendMemory {
  private readonly held = new Map<NDArray, { backend: Backend; refs: number }>();
  /** The plain copy made of a held array (one per array, so a fused chain's nodes share it as they share the array). */
  private readonly copies = new Map<NDArray, NDArray>();

  constructor(private readonly env: (NDArray | undefined)[]) {}

  /** Takes note of a node's outputs that `backend` owns (before anything can fail, so they are released). */
  adopt(backend: Backend, outs: readonly NDArray[]): void {
    if (!backend.owns) return;
    for (const o of outs) if (!this.held.has(o) && backend.owns(o)) this.held.set(o, { backend, refs: 0 });
  }

  /** env[v] = a. */
  set(v: number, a: NDArray): void {
    this.env[v] = a;
    const h = this.held.get(a);
    if (h) h.refs++;
  }

  /** env[v] = undefined, releasing its array when no other value holds it. */
  drop(v: number): void {
    const a = this.env[v];
    this.env[v] = undefined;
    const h = a && this.held.get(a);
    if (!h || --h.refs > 0) return;
    this.held.delete(a);
    this.copies.delete(a);
    h.backend.release?.(a);
  }

  /** `a` itself when it is a plain array, else its plain copy. */
  plain(a: NDArray): NDArray {
    if (!this.held.has(a)) return a;
    let c = this.copies.get(a);
    if (!c) {
      c = { shape: a.shape.slice(), dtype: a.dtype, data: a.data.slice() };
      this.copies.set(a, c);
    }
    return c;
  }

  /** The value as `backend` may read it: another backend's memory is replaced by a plain copy for good. */
  arg(v: number, backend: Backend): NDArray {
    const a = this.env[v]!;
    const h = this.held.get(a);
    if (!h || h.backend === backend) return a;
    const c = this.plain(a);
    this.drop(v);
    this.set(v, c);
    return c;
  }

  releaseAll(): void {
    for (const [a, h] of this.held) {
      try {
        h.backend.release?.(a);
      } catch {
        // Freeing is housekeeping: the run's result stands.
      }
    }
    this.held.clear();
    this.copies.clear();
  }
}

async function runNodes(
  graph: Graph,
  plan: ExecPlan,
  params: Map<string, NDArray>,
  opts: RunOptions,
  t0: number,
  env: (NDArray | undefined)[],
  bad: Uint8Array,
  stateKey: (string | undefined)[],
  nodes: NodeResult[],
  updatedState: string[],
  mem: BackendMemory,
): Promise<RunResult> {
  let nonFinite: NonFinite | undefined;
  const stop = (status: 'failed' | 'cancelled', message: string, node: NodeRef): RunResult => ({
    status,
    message,
    node,
    outputs: [],
    nodes,
    nonFinite,
    peakBytes: plan.peakBytes,
    updatedState,
    ms: now() - t0,
  });

  const detailed = opts.detail !== 'outputs';
  for (let i = 0; i < graph.nodes.length; i++) {
    const node = graph.nodes[i]!;
    const ref = nodeRef(graph, i);
    if (opts.signal?.aborted) return stop('cancelled', `cancelled before ${describeNode(ref)}`, ref);
    const backend = plan.backends[plan.backendOf[i]!]!;
    const args = node.inputs.map((v) => mem.arg(v, backend));
    const runnable = withRunSeed(node, opts.seed, i);
    let outs: NDArray[];
    let ms: number;
    let stats: TensorStats[];
    try {
      const k0 = now();
      const r = backend.run(runnable, args, { index: i, graph, fuse: !detailed, value: (v) => env[v] });
      outs = r instanceof Promise ? await r : r;
      ms = now() - k0;
      if (Array.isArray(outs)) mem.adopt(backend, outs);
      const wrong = checkOutputs(graph, node, outs);
      if (wrong) throw new Error(`the ${backend.name} kernel returned ${wrong}`);
      stats = detailed || graph.outputs.some((v) => node.outputs.includes(v)) ? await statsOf(backend, outs) : outs.map(unmeasured);
    } catch (e) {
      const why = e instanceof RangeError ? `ran out of memory (${e.message})` : e instanceof Error ? e.message : String(e);
      return stop('failed', `${describeNode(ref)} failed: ${why}`, ref);
    }
    node.outputs.forEach((v, k) => mem.set(v, outs[k]!));

    // NaN/Inf: the first node that makes it from finite inputs, or the first to read a source holding it.
    if (!nonFinite) {
      const src = node.inputs.find((v) => flagged(v, env, bad));
      const nan = stats.reduce((a, s) => a + s.nan, 0);
      const inf = stats.reduce((a, s) => a + s.inf, 0);
      if (src !== undefined) nonFinite = sourceReport(graph, src, ref, env[src]!);
      else if (nan || inf) nonFinite = { node: ref, source: 'node', nan, inf, message: `NaN/Inf first produced by ${describeNode(ref)}: ${nan} NaN, ${inf} Inf` };
    }
    outs.forEach((o, k) => (bad[node.outputs[k]!] = stats[k]!.nan || stats[k]!.inf ? 1 : 0));

    for (const [inIdx, outIdx] of stateUpdates(node)) {
      const key = stateKey[node.inputs[inIdx]!];
      const v = node.outputs[outIdx]!;
      if (key === undefined) continue;
      stateKey[v] = key;
      if (opts.updateState !== false) {
        params.set(key, mem.plain(outs[outIdx]!));
        if (!updatedState.includes(key)) updatedState.push(key);
      }
    }

    const res: NodeResult = { index: i, path: node.path, line: node.line, op: node.op, backend: backend.name, shapes: outs.map((o) => o.shape.slice()), stats, ms, ...stats[0]! };
    nodes.push(res);
    if (opts.onNode) {
      try {
        opts.onNode({ ...res, outputs: outs.map((o) => mem.plain(o)) });
      } catch (e) {
        return stop('failed', `the onNode callback failed after ${describeNode(ref)}: ${(e as Error)?.message ?? e}`, ref);
      }
    }
    for (const v of plan.freeAfter[i]!) mem.drop(v);
    // Let a cancellation arrive (a message event sets the signal) before the next node.
    if (opts.signal && i + 1 < graph.nodes.length) await macrotask();
  }
  const outputs = graph.outputs.map((v) => mem.plain(env[v]!));
  return { status: 'ok', outputs, nodes, nonFinite, peakBytes: plan.peakBytes, updatedState, ms: now() - t0 };
}

/** Dropout nodes get their mask seed from the run seed and their position; other nodes run as recorded. */
function withRunSeed(node: OpNode, seed: number, index: number): OpNode {
  if (node.op !== 'dropout') return node;
  return { ...node, attrs: { ...node.attrs, seed: dropoutNodeSeed(seed >>> 0, index) } };
}

/** (input index, output index) pairs: the running statistics a train-mode norm node outputs, and which input they update. */
function stateUpdates(node: OpNode): [number, number][] {
  if (node.op === 'batch_norm') {
    const a = node.attrs;
    if (!a.training || !a.runningStats) return [];
    const pairs: [number, number][] = [
      [1, 1],
      [2, 2],
    ];
    if (a.numBatchesTracked) pairs.push([3 + (a.weight ? 1 : 0) + (a.bias ? 1 : 0), 3]);
    return pairs;
  }
  if (node.op === 'instance_norm' && node.attrs.useInputStats && node.attrs.runningStats) {
    return [
      [1, 1],
      [2, 2],
    ];
  }
  return [];
}

/** Whether `v` is an input, parameter or constant holding NaN/Inf (scanned on first read; node outputs never count: they propagate). */
/**
 * Whether each source tensor (parameter, constant, input) held NaN/Inf when first scanned. Parameter
 * tensors keep their identity across runs while unchanged and are never written (weights.ts), so a
 * model's 10M weights are scanned once, not on every run of the preview.
 */
const scanned = new WeakMap<NDArray, boolean>();

function flagged(v: number, env: (NDArray | undefined)[], bad: Uint8Array): boolean {
  if (bad[v] !== 2) return false;
  const t = env[v]!;
  let nonFinite = scanned.get(t);
  if (nonFinite === undefined) {
    const s = tensorStats(t);
    nonFinite = s.nan > 0 || s.inf > 0;
    scanned.set(t, nonFinite);
  }
  bad[v] = nonFinite ? 1 : 0;
  return nonFinite;
}

function sourceReport(graph: Graph, v: number, ref: NodeRef, t: NDArray): NonFinite {
  const gv = graph.values[v]!;
  const idx = graph.inputs.indexOf(v);
  const source = idx >= 0 ? `input ${idx}` : gv.param !== undefined ? `parameter '${gv.param}'` : 'a constant';
  const s = tensorStats(t);
  return { node: ref, source, nan: s.nan, inf: s.inf, message: `${source} holds ${s.nan} NaN and ${s.inf} Inf values (first read by ${describeNode(ref)})` };
}

function checkParams(graph: Graph, params: ReadonlyMap<string, NDArray>): string | null {
  const missing: string[] = [];
  for (const v of graph.values) {
    if (v.param === undefined) continue;
    const t = params.get(v.param);
    if (!t) {
      missing.push(`'${v.param}'`);
      continue;
    }
    if (t.dtype !== v.dtype || t.shape.length !== v.shape.length || t.shape.some((d, k) => d !== v.shape[k])) {
      return `parameter '${v.param}' is ${t.dtype} [${t.shape.join(', ')}], but the model needs ${v.dtype} [${v.shape.join(', ')}]`;
    }
  }
  return missing.length ? `no value for ${missing.join(', ')}` : null;
}

function checkOutputs(graph: Graph, node: OpNode, outs: unknown): string | null {
  if (!Array.isArray(outs) || outs.length !== node.outputs.length) return `${Array.isArray(outs) ? outs.length : 'no'} outputs, expected ${node.outputs.length}`;
  for (let k = 0; k < outs.length; k++) {
    const o = outs[k] as NDArray;
    const want = graph.values[node.outputs[k]!]!;
    if (o.dtype !== want.dtype || o.shape.length !== want.shape.length || o.shape.some((d, j) => d !== want.shape[j]) || o.data.length !== want.shape.reduce((a, b) => a * b, 1)) {
      return `${o.dtype} [${o.shape.join(', ')}] for output ${k}, where the trace has ${want.dtype} [${want.shape.join(', ')}]`;
    }
  }
  return null;
}

const now: () => number = () => performance.now();

/** Yields to the event loop (not just the microtask queue), so a message that cancels the run is handled. */
const macrotask: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((r) => setImmediate(r))
    : typeof MessageChannel === 'function'
      ? () =>
          new Promise((r) => {
            // Browser worker: a MessagePort's onmessage (typed here for Node's lib, which spells it differently).
            const ch = new MessageChannel();
            const port = ch.port1 as unknown as { onmessage: (() => void) | null; close(): void };
            port.onmessage = () => {
              port.close();
              r();
            };
            ch.port2.postMessage(0);
          })
      : () => new Promise((r) => setTimeout(r, 0));
