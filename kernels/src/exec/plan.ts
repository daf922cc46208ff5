// Before a run: which backend runs each node, ops nothing can run (refused by name and line), and the
// memory plan (each value's last use, peak activation bytes) checked against a budget before allocating.
import { numel, type KDType, type NDArray } from '../ndarray';
import type { Graph, OpNode } from '../../../server/src/engine/graph/ir';
import { formatBytes } from '../weights/errors';
import type { Backend } from './backend';

/** Default activation-memory budget of a run: 1 GiB. */
export const DEFAULT_BUDGET_BYTES = 1024 ** 3;

/** Where a node comes from, for messages: its position, module path, source line and op. */
export interface NodeRef {
  index: number;
  path: string;
  line: number;
  op: string;
  /** The function of a unary/binary/reduce/arg_reduce node ("log", "add", "mean"). */
  fn?: string;
}

export type Refusal =
  | { kind: 'unsupported'; message: string; ops: { op: string; lines: number[] }[] }
  | { kind: 'budget'; message: string; peakBytes: number; budgetBytes: number; node: NodeRef }
  | { kind: 'invalid'; message: string }
  /** The given inputs or parameters do not fit the graph (checked by runGraph before anything runs). */
  | { kind: 'inputs' | 'params'; message: string };

export interface ExecPlan {
  readonly graph: Graph;
  readonly backends: readonly Backend[];
  /** Per node, the index in `backends` of the backend that runs it. */
  readonly backendOf: readonly number[];
  /** Per node, the activation value ids released once it has run (their last consumer, or never read). */
  readonly freeAfter: readonly (readonly number[])[];
  /** Largest total of live activations (graph inputs and node outputs) at any node, in bytes. */
  readonly peakBytes: number;
  /** The node at which the peak is reached. */
  readonly peakNode: NodeRef | null;
  /** Bytes of the parameters and buffers the graph reads (not part of the activation budget). */
  readonly weightBytes: number;
  /** The graph's literal constants, materialised once per plan. */
  readonly consts: ReadonlyMap<number, NDArray>;
}

export interface PlanOptions {
  /** Tried in order for each node; include referenceBackend last to run every op. */
  backends: readonly Backend[];
  /** Refuse when the peak activation memory would exceed this many bytes (default 1 GiB). */
  budgetBytes?: number;
}

export type PlanResult = { ok: true; plan: ExecPlan } | { ok: false; refusal: Refusal };

/** Bytes per element as the kernels store a dtype (int64 lives in a Float64Array). */
export function bytesPerElement(d: KDType): number {
  return d === 'float32' ? 4 : d === 'int64' ? 8 : 1;
}

export function nodeRef(graph: Graph, index: number): NodeRef {
  const n = graph.nodes[index]!;
  const fn = (n.attrs as { fn?: unknown }).fn;
  return typeof fn === 'string' ? { index, path: n.path, line: n.line, op: n.op, fn } : { index, path: n.path, line: n.line, op: n.op };
}

/** "layer1.0.conv1 (line 34, conv)"; a functional call at top level has no path: "log at line 12". */
export function describeNode(r: NodeRef): string {
  const what = r.fn ?? r.op;
  return r.path ? `${r.path} (line ${r.line}, ${what})` : `${what} at line ${r.line}`;
}

/** The message for ops no kernel implements, each with the source lines that use it. */
export function unsupportedMessage(ops: readonly { op: string; line: number }[]): { message: string; ops: { op: string; lines: number[] }[] } {
  const by = new Map<string, Set<number>>();
  for (const u of ops) {
    if (!by.has(u.op)) by.set(u.op, new Set());
    by.get(u.op)!.add(u.line);
  }
  const list = [...by].map(([op, lines]) => ({ op, lines: [...lines].sort((a, b) => a - b) }));
  const parts = list.map((u) => `'${u.op}' (line${u.lines.length > 1 ? 's' : ''} ${u.lines.join(', ')})`);
  return { message: `cannot run this model: no kernel for ${parts.join(', ')}`, ops: list };
}

/** Plans a run of `graph`; refuses (never throws) for unsupported ops, an invalid graph, or a peak over the budget. */
export function planGraph(graph: Graph, opts: PlanOptions): PlanResult {
  const invalid = checkGraph(graph);
  if (invalid) return { ok: false, refusal: { kind: 'invalid', message: `the graph cannot be executed: ${invalid}` } };

  const backendOf: number[] = [];
  const missing: { op: string; line: number }[] = [];
  graph.nodes.forEach((node) => {
    const b = opts.backends.findIndex((be) => supportsSafely(be, node, graph));
    backendOf.push(b);
    if (b < 0) missing.push({ op: node.op, line: node.line });
  });
  if (missing.length) return { ok: false, refusal: { kind: 'unsupported', ...unsupportedMessage(missing) } };

  // Last consumer of every value; graph outputs live to the end (they are the result).
  const END = graph.nodes.length;
  const lastUse = new Array<number>(graph.values.length).fill(-1);
  graph.nodes.forEach((n, i) => {
    for (const v of n.inputs) lastUse[v] = i;
  });
  for (const v of graph.outputs) lastUse[v] = END;

  const isActivation = (v: number) => graph.values[v]!.param === undefined && graph.values[v]!.const === undefined;
  const bytes = (v: number) => numel(graph.values[v]!.shape) * bytesPerElement(graph.values[v]!.dtype);
  const freeAfter: number[][] = graph.nodes.map(() => []);
  for (const v of new Set(graph.inputs)) if (lastUse[v]! >= 0 && lastUse[v]! < END) freeAfter[lastUse[v]!]!.push(v);
  graph.nodes.forEach((n, i) => {
    for (const v of n.outputs) {
      if (lastUse[v]! < 0) freeAfter[i]!.push(v);
      else if (lastUse[v]! < END) freeAfter[lastUse[v]!]!.push(v);
    }
  });

  const budget = opts.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  let live = 0;
  for (const v of new Set(graph.inputs)) live += bytes(v);
  let peak = live;
  let peakNode: NodeRef | null = null;
  let over: { node: NodeRef; live: number; out: number } | null = null;
  graph.nodes.forEach((n, i) => {
    let out = 0;
    for (const v of n.outputs) out += bytes(v);
    live += out;
    if (live > peak) {
      peak = live;
      peakNode = nodeRef(graph, i);
    }
    if (live > budget && !over) over = { node: nodeRef(graph, i), live, out };
    for (const v of freeAfter[i]!) if (isActivation(v)) live -= bytes(v);
  });
  if (over) {
    const o = over as { node: NodeRef; live: number; out: number };
    const shapes = graph.nodes[o.node.index]!.outputs.map((v) => `[${graph.values[v]!.shape.join(', ')}]`).join(', ');
    const message =
      `this run needs ${formatBytes(peak)} of activation memory, over the ${formatBytes(budget)} budget: ` +
      `${describeNode(o.node)} is where it is exceeded (${formatBytes(o.live)} live, of which its output ${shapes} is ${formatBytes(o.out)})`;
    return { ok: false, refusal: { kind: 'budget', message, peakBytes: peak, budgetBytes: budget, node: o.node } };
  }

  let weightBytes = 0;
  const consts = new Map<number, NDArray>();
  for (const v of graph.values) {
    if (v.param !== undefined && lastUse[v.id]! >= 0) weightBytes += bytes(v.id);
    if (v.const !== undefined) consts.set(v.id, constArray(v.shape, v.dtype, v.const));
  }
  return { ok: true, plan: { graph, backends: opts.backends, backendOf, freeAfter, peakBytes: peak, peakNode, weightBytes, consts } };
}

/** A backend's `supports` that throws counts as "no" (a backend bug must not crash the planner). */
function supportsSafely(b: Backend, node: OpNode, graph: Graph): boolean {
  try {
    return b.supports(node, graph);
  } catch {
    return false;
  }
}

function constArray(shape: number[], dtype: KDType, values: number[]): NDArray {
  const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int64' ? Float64Array.from(values) : Uint8Array.from(values, (x) => (x ? 1 : 0));
  return { shape: shape.slice(), dtype, data };
}

/** The structural checks a run relies on; a failure is an engine bug, reported rather than thrown. */
function checkGraph(g: Graph): string | null {
  const nv = g.values.length;
  const ok = (v: number) => Number.isInteger(v) && v >= 0 && v < nv;
  for (const v of g.values) {
    if (v.shape.some((d) => !Number.isInteger(d) || d < 0)) return `value ${v.id} has shape [${v.shape.join(', ')}], not a concrete shape`;
    if (v.const !== undefined && v.const.length !== numel(v.shape)) return `constant ${v.id} has ${v.const.length} elements for shape [${v.shape.join(', ')}]`;
  }
  const defined = new Uint8Array(nv);
  for (const v of g.values) if (v.param !== undefined || v.const !== undefined) defined[v.id] = 1;
  for (const v of g.inputs) {
    if (!ok(v)) return `graph input ${v} is not a value`;
    defined[v] = 1;
  }
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i]!;
    for (const v of n.inputs) if (!ok(v) || !defined[v]) return `node ${i} (${n.op}, line ${n.line}) reads value ${v} before it is produced`;
    for (const v of n.outputs) {
      if (!ok(v)) return `node ${i} (${n.op}, line ${n.line}) writes value ${v}, which does not exist`;
      if (defined[v]) return `node ${i} (${n.op}, line ${n.line}) writes value ${v}, which already has a value`;
      defined[v] = 1;
    }
  }
  for (const v of g.outputs) if (!ok(v) || !defined[v]) return `graph output ${v} is never produced`;
  return null;
}
