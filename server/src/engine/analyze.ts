// The engine's entry point: parse a file, run its top level, find its models, build one, trace its
// forward over the given input shapes, and turn the trace into a ModelReport. Never throws on user code.
import { TooComplex, symbol } from './torch/dim';
import { UnknownArg } from './torch/args';
import { collecting, type Constraint } from './torch/assume';
import { solve } from './declare/solve';
import { dimStr } from './torch/dim';
import type { Expr, PyModule, Range } from './syntax/ast';
import { parseModule } from './syntax/module';
import { Interp, type EngineDiag } from './interp/interpreter';
import { BudgetExceeded, PyRaise } from './interp/errors';
import { Builtin, PyClass, PyDict, PyFloat, PyFunction, PyList, PyObject, PyTuple, Unknown, type Value } from './interp/values';
import { Tensor, inputTensor, upsampledMerges } from './torch/tensor';
import { countParams, namedModules, paramCounter } from './torch/moduleState';
import { Tracer, type CallRecord } from './trace/tracer';
import { fieldOf } from './trace/receptiveField';
import { findUsage } from './declare/usage';
import { runLints } from './trace/lints';
import { explainCall } from './trace/explain';
import type { SourceHost } from './imports/host';
import type { Fix } from './interp/errors';
import type { Diagnostic, InputSpec, LayerRow, ModelInfo, ModelReport, OutputShape } from './report';
import { specText } from './declare/inputSpec';
import { commentColumn } from './syntax/lineText';
import { GraphRecorder } from './graph/recorder';
import type { TracedGraph } from './graph/api';
import { modelKeys, type ModelReportCache } from './modelCache';

export interface AnalyzeOptions {
  file: string;
  /** Reads the project's other files for imports; without it they are unknown. */
  host?: SourceHost;
  /** Class, factory or module-level variable; all listable models when absent. */
  model?: string;
  kwargs?: Record<string, unknown>;
  /** Overrides the input the file declares. */
  inputs?: InputSpec[];
  /** Inputs by model name from the user's settings, used when the file declares none. */
  defaultInputs?: Record<string, InputSpec[]>;
  /** Re-trace with symbolic sizes to find merges that only work for some input sizes (default on). */
  sizeLints?: boolean;
  /** Module mode for the trace (PyTorch's model.eval() / model.train()); eval by default. */
  mode?: 'eval' | 'train';
  /** Name of the batch dim when nothing declares the input (default N). */
  batchSymbol?: string;
  /** Also record each model's op graph for the kernels (FileAnalysis.graphs). */
  graph?: boolean;
  /** Parses the text (an IncrementalParser's, to reuse work across versions of one file). */
  parse?: (text: string) => PyModule;
  /** Reports of this file's previous analysis: a model nothing of which changed is not traced again. */
  reuse?: ModelReportCache;
}

export interface FileAnalysis {
  models: ModelInfo[];
  reports: ModelReport[];
  /** Diagnostics about the file itself (syntax errors, top-level errors). */
  diagnostics: Diagnostic[];
  /** With the `graph` option: per report, the op graph the kernels execute. */
  graphs?: TracedGraph[];
}

/** A parsed and executed file: what every model analysis of it starts from. */
interface Loaded {
  mod: PyModule;
  ip: Interp;
  models: ModelInfo[];
}

function load(text: string, file: string, host?: SourceHost, parse: (text: string) => PyModule = parseModule): Loaded {
  const mod = parse(text);
  const ip = new Interp(mod, file, { host });
  ip.runModule();
  return { mod, ip, models: findModels(mod, ip) };
}

/** Models a user can pick: module classes and factories callable without arguments, and module-level instances. */
function findModels(mod: PyModule, ip: Interp): ModelInfo[] {
  const out: ModelInfo[] = [];
  for (const s of mod.body) {
    if (s.k === 'class') {
      const c = ip.globals.vars.get(s.name);
      if (c instanceof PyClass && c.isModule && c.def === s) out.push({ name: s.name, kind: 'class', line: s.r.sl + 1, endLine: s.r.el + 1 });
    } else if (s.k === 'def') {
      const f = ip.globals.vars.get(s.name);
      if (f instanceof PyFunction && returnsModule(ip, s.body as never, new Set([s.name]))) out.push({ name: s.name, kind: 'factory', line: s.r.sl + 1, endLine: s.r.el + 1 });
    } else if (s.k === 'assign') {
      for (const t of s.targets) {
        if (t.k !== 'name') continue;
        const v = ip.globals.vars.get(t.id);
        if (v instanceof PyObject && v.module && !out.some((m) => m.name === t.id)) out.push({ name: t.id, kind: 'variable', line: s.r.sl + 1, endLine: s.r.el + 1 });
      }
    }
  }
  return out;
}

/** Whether a function body returns a module: `return ResNet(...)`, `return nn.Sequential(...)`, or another factory. */
function returnsModule(ip: Interp, body: import('./syntax/ast').Stmt[], seen: Set<string>): boolean {
  const callee = (e: Expr): Value | undefined => {
    if (e.k === 'name') return ip.globals.vars.get(e.id);
    if (e.k === 'attr') {
      const o = callee(e.obj);
      return o && 'members' in (o as object) ? (o as { members: Map<string, Value> }).members.get(e.name) : undefined;
    }
    return undefined;
  };
  const visit = (stmts: import('./syntax/ast').Stmt[]): boolean =>
    stmts.some((s) => {
      if (s.k === 'return' && s.value?.k === 'call') {
        const c = callee(s.value.fn);
        if (c instanceof PyClass && c.isModule) return true;
        if (c instanceof PyFunction && c.def && !seen.has(c.name)) {
          seen.add(c.name);
          return returnsModule(ip, c.def.body, seen);
        }
      }
      if (s.k === 'if') return visit(s.body) || visit(s.orelse);
      if (s.k === 'with' || s.k === 'for' || s.k === 'while') return visit(s.body);
      if (s.k === 'try') return visit(s.body);
      return false;
    });
  return visit(body);
}

function constructibleWithoutArgs(ip: Interp, m: ModelInfo): boolean {
  const v = ip.globals.vars.get(m.name);
  if (m.kind === 'variable') return true;
  const params = v instanceof PyFunction ? v.params : v instanceof PyClass ? ((v.lookup('__init__') as PyFunction | undefined)?.params?.slice(1) ?? []) : [];
  return params.every((p) => p.kind !== 'normal' || p.dflt !== null);
}

/** Each model's op graph at its (declared or given) concrete input, for the kernels to execute. */
export function traceGraph(text: string, opts: AnalyzeOptions): TracedGraph[] {
  return analyzeSource(text, { ...opts, graph: true, sizeLints: false }).graphs ?? [];
}

export function listModels(text: string, file: string, host?: SourceHost): { models: ModelInfo[]; diagnostics: Diagnostic[] } {
  const l = load(text, file, host);
  return { models: l.models, diagnostics: fileDiagnostics(l) };
}

export function analyzeSource(text: string, opts: AnalyzeOptions): FileAnalysis {
  const l = load(text, opts.file, opts.host, opts.parse);
  const diagnostics = fileDiagnostics(l);
  let chosen: ModelInfo[];
  if (opts.model) {
    const found = l.models.find((m) => m.name === opts.model);
    const v = l.ip.globals.vars.get(opts.model);
    if (found) chosen = [found];
    else if (v instanceof PyFunction) chosen = [{ name: opts.model, kind: 'factory', line: (v.def?.r.sl ?? 0) + 1, endLine: (v.def?.r.el ?? 0) + 1 }];
    // `net_w16 = partial(Net, 16)`: a module-level callable that builds a model.
    else if (v instanceof Builtin) chosen = [{ name: opts.model, kind: 'factory', line: 1, endLine: 1 }];
    else {
      diagnostics.push(diag({ sl: 0, sc: 0, el: 0, ec: 1 }, 'error', 'no-model', `No model named '${opts.model}' in ${opts.file}; models here: ${l.models.map((m) => m.name).join(', ') || 'none'}`));
      return { models: l.models, reports: [], diagnostics };
    }
  } else {
    chosen = l.models.filter((m) => constructibleWithoutArgs(l.ip, m));
    // `net = Net()` beside `class Net`: the class already stands for it.
    const classes = new Set(chosen.filter((m) => m.kind === 'class').map((m) => l.ip.globals.vars.get(m.name)));
    chosen = chosen.filter((m) => m.kind !== 'variable' || !classes.has((l.ip.globals.vars.get(m.name) as PyObject).cls));
  }
  // Models are built and traced one after another in the same interpreter: each construction
  // makes its own module objects, so they do not share state (module-level instances aside).
  const recorded = new Map<string, GraphRecorder>();
  const cache = opts.graph ? undefined : opts.reuse;
  cache?.begin();
  const keyOf = cache ? modelKeys(l.mod, text, JSON.stringify([opts.file, opts.kwargs, opts.inputs, opts.defaultInputs, opts.sizeLints, opts.mode, opts.batchSymbol])) : null;
  const reports = chosen.map((m) => {
    const key = keyOf ? keyOf(m) : null;
    const hit = key !== null ? cache!.get(key) : undefined;
    const r = hit ?? traceModel(text, opts, m, l, recorded);
    if (key !== null) cache!.set(key, r);
    return r;
  });
  cache?.end();
  if (!opts.graph) return { models: l.models, reports, diagnostics };
  const graphs = reports.map((r): TracedGraph => {
    const rec = recorded.get(r.model);
    const failed = r.diagnostics.some((d) => d.severity === 'error') || !rec;
    return {
      model: r.model,
      graph: failed ? null : rec.graph,
      params: rec?.params ?? [],
      unsupported: rec?.unsupported ?? [],
      diagnostics: [...diagnostics.filter((d) => d.severity === 'error'), ...r.diagnostics],
    };
  });
  return { models: l.models, reports, diagnostics, graphs };
}

function fileDiagnostics(l: Loaded): Diagnostic[] {
  const out: Diagnostic[] = l.mod.errors.slice(0, 20).map((e) => diag(e.r, 'error', 'syntax', e.message));
  for (const d of l.ip.diags) if (d.file === l.ip.file) out.push(toDiag(d));
  return out;
}

function diag(r: Range, severity: Diagnostic['severity'], code: string, message: string): Diagnostic {
  return { line: r.sl + 1, column: r.sc + 1, endLine: r.el + 1, endColumn: r.ec + 1, severity, code, message };
}
function toDiag(d: EngineDiag): Diagnostic {
  const out = diag(d.r, d.severity, d.code, d.message);
  if (d.fix) out.fix = { title: d.fix.title, line: d.fix.r.sl + 1, column: d.fix.r.sc + 1, endLine: d.fix.r.el + 1, endColumn: d.fix.r.ec + 1, newText: d.fix.newText };
  if (d.related?.length) out.related = d.related.map((x) => ({ line: x.r.sl + 1, column: x.r.sc + 1, endLine: x.r.el + 1, endColumn: x.r.ec + 1, message: x.message, ...(x.file && x.file !== d.file ? { file: x.file } : {}) }));
  return out;
}

/** Python value from the CLI's --kwargs JSON (lists stand for tuples, as PyTorch accepts either). */
function fromJson(v: unknown): Value {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new PyFloat(v);
  if (Array.isArray(v)) return new PyList(v.map(fromJson));
  if (typeof v === 'object') {
    const d = new PyDict();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) d.set(k, fromJson(x));
    return d;
  }
  return new Unknown('a JSON value');
}

function model0Class(root: Value): string {
  return root instanceof PyObject ? root.cls.name : '';
}

/** The input a model's first rank-fixing layer implies: [N, C, H, W] for a Conv2d, [N, L] token ids for an Embedding, ... */
function defaultInput(model: PyObject, N = 'N'): { spec: InputSpec; from: string } | null {
  const spatialNames = (n: number): string[] => (n === 1 ? ['L'] : n === 2 ? ['H', 'W'] : ['D', 'H', 'W']);
  for (const [path, m] of namedModules(model)) {
    const name = m.cls.builtinBase?.name ?? '';
    const from = `${path || m.cls.name} (${m.cls.name})`;
    const conv = /^(?:Lazy)?Conv(?:Transpose)?([123])d$|^(?:Max|Avg)Pool([123])d$|^BatchNorm([23])d$|^InstanceNorm([23])d$/.exec(name);
    if (conv) {
      const n = Number(conv[1] ?? conv[2] ?? conv[3] ?? conv[4]);
      return { spec: { shape: [N, 'C', ...spatialNames(n)], dtype: 'float32' }, from };
    }
    if (name === 'Embedding') return { spec: { shape: [N, 'L'], dtype: 'int64' }, from };
    if (name === 'Linear' || name === 'LazyLinear') return { spec: { shape: [N, 'F'], dtype: 'float32' }, from };
  }
  return null;
}

/** A jaxtyping annotation (`Float[Tensor, "batch 3 32 32"]`) or `Annotated[Tensor, Shape("B", 3, 32, 32)]`. */
function annotationSpec(e: Expr | null): InputSpec | null {
  if (!e || e.k !== 'sub') return null;
  const head = e.obj.k === 'name' ? e.obj.id : e.obj.k === 'attr' ? e.obj.name : '';
  const args = e.index.k === 'tuple' ? e.index.elts : [e.index];
  if (head === 'Annotated') {
    const shape = args.find((a): a is Extract<Expr, { k: 'call' }> => a.k === 'call' && ((a.fn.k === 'name' && a.fn.id === 'Shape') || (a.fn.k === 'attr' && a.fn.name === 'Shape')));
    if (!shape) return null;
    const dims = shape.args.map((a) => (a.value.k === 'num' && a.value.int ? a.value.v : a.value.k === 'str' ? a.value.v : null));
    return dims.every((d) => d !== null) && dims.length ? { shape: dims as (number | string)[], dtype: 'float32' } : null;
  }
  if (!/^(Float|Float32|Float16|Float64|Shaped|Int|Int64|Int32|Integer|Long|Real|Num|Bool|UInt8)$/.test(head)) return null;
  const desc = args[1];
  if (!desc || desc.k !== 'str') return null;
  const dims: (number | string)[] = [];
  for (const tok of desc.v.trim().split(/\s+/)) {
    if (/^\d+$/.test(tok)) dims.push(Number(tok));
    else if (tok === '...' || tok === '*' || tok === '_') dims.push(dims.length ? `d${dims.length}` : 'batch');
    else {
      const name = tok.replace(/^[*#]+/, '').replace(/=.*$/, '');
      if (!/^[A-Za-z_]\w*$/.test(name)) return null;
      dims.push(name);
    }
  }
  return dims.length ? { shape: dims, dtype: /^(Int|Int64|Int32|Integer|Long)$/.test(head) ? 'int64' : 'float32' } : null;
}

/** `# x: [1, 3, 32, 32]` on the forward line or the line after it, or typed forward parameters. */
export function declaredInputs(mod: PyModule, cls: PyClass | null): InputSpec[] | null {
  const fwd = cls?.lookup('forward');
  if (!(fwd instanceof PyFunction) || !fwd.def) return null;
  const line = fwd.def.r.sl;
  const tensorParams = fwd.params.filter((p) => p.kind === 'normal').slice(1);
  const typed = tensorParams.map((p) => annotationSpec(p.annotation));
  if (typed.length && typed.every((t) => t)) return typed as InputSpec[];
  const names = tensorParams.map((p) => p.name);
  for (const l of [line, line + 1]) {
    const c = mod.comments.get(l);
    if (!c) continue;
    const found = new Map<string, InputSpec>();
    for (const m of c.matchAll(/(\w+)\s*:\s*(int64\s*)?[[(]([^\])]*)[\])]/g)) {
      const dims = m[3]!.split(',').map((s) => s.trim()).filter((s) => s);
      // Numbers and names (symbolic dims: N, B, H, W, batch).
      if (dims.length && dims.every((d) => /^(\d+|[A-Za-z_]\w*)$/.test(d))) found.set(m[1]!, { shape: dims.map((d) => (/^\d+$/.test(d) ? Number(d) : d)), dtype: m[2] ? 'int64' : 'float32' });
    }
    if (found.size && names.every((n) => found.has(n))) return names.map((n) => found.get(n)!);
  }
  return null;
}

function traceModel(text: string, opts: AnalyzeOptions, m: ModelInfo, l: Loaded, recorded: Map<string, GraphRecorder>): ModelReport {
  const { ip, mod } = l;
  const report: ModelReport = { model: m.name, file: opts.file, input: [], output: null, params: { total: 0, trainable: 0 }, macs: 0, layers: [], values: [], diagnostics: [] };
  const diagsBefore = ip.newSection();
  const modelSite: Range = { sl: m.line - 1, sc: 0, el: m.line - 1, ec: 1 };
  const finish = (): ModelReport => {
    report.diagnostics = ip.diags.slice(diagsBefore).filter((d) => d.file === ip.file).map(toDiag);
    return report;
  };
  // Build the model.
  let root: Value;
  try {
    const v = ip.globals.vars.get(m.name);
    const kw = new Map<string, Value>(Object.entries(opts.kwargs ?? {}).map(([k, x]) => [k, fromJson(x)]));
    if (m.kind === 'variable') root = v ?? null;
    else root = ip.call(v ?? null, { pos: [], kw, site: modelSite });
  } catch (e) {
    reportThrow(ip, e, modelSite);
    return finish();
  }
  if (!(root instanceof PyObject && root.module)) {
    ip.report(modelSite, 'information', 'not-a-module', `${m.name} did not produce an nn.Module${root instanceof Unknown ? ` (${root.reason})` : ''}`);
    return finish();
  }
  // The input: the caller's, else what the file declares on forward, else how the file calls the model.
  let specs = opts.inputs ?? declaredInputs(mod, root.cls);
  let assumed: string | null = null;
  if (!specs) {
    const u = findUsage(ip, mod, { cls: m.kind === 'variable' ? null : root.cls, obj: m.kind === 'variable' ? root : null });
    if (u) {
      specs = u.inputs;
      // The object the file built there carries its own constructor arguments (`Net(num_classes=10)`).
      if (!opts.kwargs && u.model instanceof PyObject && u.model.module) root = u.model;
      ip.report(modelSite, 'information', 'declared-input', `Input ${specs.map((x) => '[' + x.shape.join(', ') + ']').join(', ')} taken from ${u.how}`);
    }
  }
  const model = root as PyObject;
  for (const [p, mm] of namedModules(model)) {
    mm.module!.path = p;
    mm.module!.training = opts.mode === 'train';
  }
  report.params = countParams(model);
  // The user's setting for this model name, after everything the file says.
  if (!specs) {
    const d = opts.defaultInputs?.[m.name] ?? opts.defaultInputs?.[model0Class(root)];
    if (d) specs = d;
  }
  if (!specs) {
    // Nothing declared: a symbolic input whose rank comes from the first layer that fixes it.
    const guess = defaultInput(model, opts.batchSymbol && /^[A-Za-z_]\w*$/.test(opts.batchSymbol) ? opts.batchSymbol : 'N');
    if (!guess) {
      ip.report(modelSite, 'information', 'no-input', `No input shape for ${m.name}: pass --input (e.g. --input 1x3x32x32) or declare it on the forward line: def forward(self, x):  # x: [1, 3, 32, 32]`);
      return finish();
    }
    // One per tensor argument of forward (a Siamese net takes two images of the same layout).
    const fwdFn = model.cls.lookup('forward');
    const arity = fwdFn instanceof PyFunction ? fwdFn.params.filter((p) => p.kind === 'normal' && p.dflt === null).length - 1 : 1;
    specs = Array.from({ length: Math.max(1, arity) }, () => guess.spec);
    assumed = guess.from;
  }
  const fwd = model.cls.lookup('forward');
  const callSite: Range = fwd instanceof PyFunction && fwd.def ? fwd.def.nameR : modelSite;
  // Symbolic dims (N, H, W) trace as expressions; the equalities the trace had to assume are
  // solved for, and a solution makes the trace concrete.
  const symbols = [...new Set(specs.flatMap((s) => s.shape.filter((d): d is string => typeof d === 'string')))];
  const batch = new Set(specs.map((s) => s.shape[0]).filter((d): d is string => typeof d === 'string'));
  const run = (bind: Map<string, number>, with_ = specs!) => {
    const inputs = with_.map((s, i) => inputTensor(s.shape.map((d) => (typeof d === 'string' ? (bind.get(d) ?? symbol(d)) : d)), s.dtype, i === 0));
    const tracer = new Tracer(ip);
    if (opts.graph) {
      tracer.graph = new GraphRecorder(model);
      for (const t of inputs) tracer.graph.addInput(t);
    }
    const constraints: Constraint[] = [];
    const mark = ip.diags.length;
    ip.tracer = tracer;
    let out: Value | undefined;
    let error: unknown = null;
    try {
      out = collecting(constraints, () => tracer.callModule(model, { pos: inputs, kw: new Map(), site: callSite }));
    } catch (e) {
      error = e;
    } finally {
      ip.tracer = null;
    }
    if (tracer.graph && !error) tracer.graph.close(out, callSite);
    return { tracer, out, error, constraints, mark };
  };
  const mergesBefore = upsampledMerges;
  let trace = run(new Map());
  let bound = new Map<string, number>();
  if (symbols.length) {
    const sol = solve(trace.constraints, symbols, batch);
    if (sol.bindings.size) {
      ip.rollbackDiagnostics(trace.mark);
      trace = run(sol.bindings);
      bound = sol.bindings;
    }
    report.input = specs.map((s) => s.shape.map((d) => (typeof d === 'string' ? (bound.get(d) ?? d) : d)));
    if (sol.note) ip.report(sol.note.constraint.site, sol.note.severity, sol.note.code, sol.note.message.replace('{input}', report.input.map((s) => `[${s.join(', ')}]`).join(', ')), undefined, sol.note.code === 'input-solved' ? declareFix(text, fwd, report.input) : undefined);
  } else report.input = specs.map((s) => s.shape.slice());
  if (assumed) ip.report(modelSite, 'information', 'assumed-input', `No input declared for ${m.name}: assuming ${report.input.map((s) => `[${s.join(', ')}]`).join(', ')} from ${assumed}; declare it with  # x: [...]  on the forward line`);
  const tracer = trace.tracer;
  if (tracer.graph) recorded.set(m.name, tracer.graph);
  if (trace.error) reportThrow(ip, trace.error, callSite);
  else {
    report.output = outputShape(trace.out);
    if (trace.out instanceof Unknown) ip.report(callSite, 'information', 'unknown-output', `The output of ${m.name} is unknown: ${trace.out.reason}`);
  }
  runLints(ip, tracer, report.input[0] ? { shape: report.input[0], dtype: specs[0]!.dtype } : undefined);
  // Paths that meet (a skip connection's add or cat) with sizes that match for this input but not
  // for every input size: the U-Net odd-size bug. Found by re-tracing with symbolic spatial sizes.
  const first0 = specs[0]!;
  if (upsampledMerges > mergesBefore && !symbols.length && !trace.error && opts.sizeLints !== false && first0.dtype === 'float32' && first0.shape.length >= 3 && tracer.calls.length <= 3000) {
    const nsp0 = first0.shape.length - 2;
    const names = nsp0 === 1 ? ['L'] : nsp0 === 2 ? ['H', 'W'] : ['D', 'H', 'W'];
    const symSpecs = specs.map((s, i) => (i === 0 || (s.dtype === 'float32' && s.shape.length === first0.shape.length) ? { ...s, shape: [...s.shape.slice(0, 2), ...names] } : s));
    const mark = ip.diags.length;
    const sym = run(new Map(), symSpecs);
    ip.rollbackDiagnostics(mark);
    if (!sym.error) {
      const seen = new Set<string>();
      for (const c of sym.constraints) {
        if (!/^(torch\.cat|broadcasting|torch\.stack)/.test(c.what) || seen.has(`${c.site.sl}:${c.site.sc}`)) continue;
        seen.add(`${c.site.sl}:${c.site.sc}`);
        const sol = solve([c], names, new Set());
        if (sol.note?.code === 'input-divisibility') {
          const rule = sol.note.message.replace(/ for .*$/, '');
          ip.report(c.site, 'information', 'size-dependent-merge', `These paths meet with equal sizes for this input, but not for every size: ${rule} (${c.what.replace(/ \(dim.*$/, '')} fails otherwise)`);
        }
      }
    }
  }
  const first = specs[0]!;
  const nsp = first.dtype === 'float32' ? Math.max(0, first.shape.length - 2) : 0;
  // Lazy layers get their parameters during the trace: count after it.
  report.params = countParams(model);
  const paramsOf = paramCounter(model);
  report.layers = tracer.calls.map((c) => row(c, first.shape.length, nsp, paramsOf));
  for (const [line, v] of [...tracer.values].sort((a, b) => a[0] - b[0])) {
    const shape = outputShape(v);
    if (shape === null) continue;
    const f = v instanceof Tensor ? fieldOf(v, first.shape.length, nsp) : { rf: null, jump: null };
    report.values.push({ line: line + 1, shape, rf: f.rf, jump: f.jump });
  }
  // A symbolic batch: count the MACs of one sample (a quiet re-run with the batch set to 1).
  const left = symbols.filter((s) => !bound.has(s));
  if (left.length && left.every((s) => batch.has(s)) && !trace.error) {
    const mark = ip.diags.length;
    const one = run(new Map([...bound, ...left.map((s) => [s, 1] as [string, number])]));
    ip.rollbackDiagnostics(mark);
    if (one.tracer.calls.length === tracer.calls.length) {
      one.tracer.calls.forEach((c, i) => (report.layers[i]!.macs = c.macs));
      tracer.calls.forEach((c, i) => (c.macs = one.tracer.calls[i]!.macs));
      report.macsPerSample = true;
    }
  }
  report.macs = tracer.calls.filter((c) => c.module.module!.layer).reduce((s, c) => s + c.macs, 0);
  return finish();
}

/** Writes the (solved) input as the forward line's declaration comment, when that line has none. */
function declareFix(text: string, fwd: Value | undefined, input: (number | string)[][]): Fix | undefined {
  if (!(fwd instanceof PyFunction) || !fwd.def) return undefined;
  const src = text.split('\n')[fwd.def.r.sl] ?? '';
  if (src.includes('#') || !src.trimEnd().endsWith(':')) return undefined;
  const e = declarationEdit(text, fwd, input.map((shape) => ({ shape, dtype: 'float32' })));
  return typeof e === 'string' ? undefined : e;
}

/**
 * The edit that declares `inputs` for forward: replaces an existing declaration comment (on the def
 * line or the line after it) or appends one to the def line. A message when it can't be written.
 */
function declarationEdit(text: string, fwd: PyFunction, inputs: InputSpec[]): Fix | string {
  if (!fwd.def) return 'its forward is not written in Python source';
  const names = fwd.params.filter((p) => p.kind === 'normal').slice(1).map((p) => p.name);
  if (names.length !== inputs.length) return `forward takes ${names.length} tensor argument${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}), but ${inputs.length} shape${inputs.length === 1 ? ' was' : 's were'} given`;
  const decl = names.map((n, i) => `${n}: ${specText(inputs[i]!)}`).join(', ');
  const title = `Declare the input: # ${decl}`;
  const lines = text.split('\n');
  const defLine = fwd.def.r.sl;
  for (const l of [defLine, defLine + 1]) {
    const src = lines[l] ?? '';
    const hash = commentColumn(src);
    if (hash < 0) continue;
    const body = src.slice(hash + 1);
    // Each `name: [..]` or `name: (..)` of the comment that names a forward argument is replaced.
    const found = [...body.matchAll(/(\w+)\s*:\s*(?:int64\s*)?[[(][^\])]*[\])]/g)].filter((m) => names.includes(m[1]!));
    if (!found.length) continue;
    const first = hash + 1 + found[0]!.index!;
    const lastM = found[found.length - 1]!;
    const last = hash + 1 + lastM.index! + lastM[0].length;
    return { title, r: { sl: l, sc: first, el: l, ec: last }, newText: decl };
  }
  const src = lines[defLine] ?? '';
  if (!src.trimEnd().endsWith(':') && commentColumn(src) < 0) return 'the forward signature spans several lines; declare the input in a comment on the line after it';
  const hash = commentColumn(src);
  if (hash >= 0) return { title, r: { sl: defLine, sc: src.length, el: defLine, ec: src.length }, newText: `; ${decl}` };
  const col = src.trimEnd().length;
  return { title, r: { sl: defLine, sc: col, el: defLine, ec: col }, newText: `  # ${decl}` };
}

/**
 * "Set input shape": the edit that declares `inputs` for the model `opts.model` in this file, or a
 * message saying why it can't (the model's forward lives in another file, a signature mismatch).
 */
export function inputDeclaration(text: string, opts: { file: string; host?: SourceHost; model: string; inputs: InputSpec[] }): NonNullable<Diagnostic['fix']> | { error: string } {
  const l = load(text, opts.file, opts.host);
  const m = l.models.find((x) => x.name === opts.model);
  if (!m) return { error: `No model named '${opts.model}' in this file` };
  let cls: PyClass | null = null;
  const v = l.ip.globals.vars.get(m.name);
  if (v instanceof PyClass) cls = v;
  else if (v instanceof PyObject) cls = v.cls;
  else {
    try {
      const built = l.ip.call(v ?? null, { pos: [], kw: new Map(), site: { sl: m.line - 1, sc: 0, el: m.line - 1, ec: 1 } });
      if (built instanceof PyObject) cls = built.cls;
    } catch {
      // a factory that needs arguments or fails: no class to write into
    }
  }
  const fwd = cls?.lookup('forward');
  if (!(fwd instanceof PyFunction) || !fwd.def) return { error: `${opts.model}'s forward is not defined in Python source ShapeLens can see` };
  if (fwd.file && fwd.file !== opts.file) return { error: `${opts.model}'s forward is defined in ${fwd.file}; set the input there, or in the setting shapelens.defaultInputs` };
  const e = declarationEdit(text, fwd, opts.inputs);
  if (typeof e === 'string') return { error: `Cannot declare the input of ${opts.model}: ${e}` };
  return { title: e.title, line: e.r.sl + 1, column: e.r.sc + 1, endLine: e.r.el + 1, endColumn: e.r.ec + 1, newText: e.newText };
}

function reportThrow(ip: Interp, e: unknown, fallback: Range): void {
  if (e instanceof PyRaise) ip.report(e.site ?? fallback, 'error', e.code, `${e.excType}: ${e.message}`, e.related, e.fix);
  else if (e instanceof BudgetExceeded) ip.report(e.site ?? fallback, 'warning', 'budget', e.message);
  else if (e instanceof RangeError) ip.report(fallback, 'warning', 'budget', 'analysis stopped: the model nests too deeply to trace');
  else if (e instanceof UnknownArg) ip.report(fallback, 'information', 'unknown-argument', `The model could not be traced further: ${e.reason}`);
  else if (e instanceof TooComplex) ip.report(fallback, 'information', 'too-complex', `A shape became too complex to write down symbolically (${e.message}); give a concrete input size to see it`);
  else throw e;
}

function outputShape(v: Value | undefined): OutputShape {
  if (v instanceof Tensor) return v.shape.map((d) => (typeof d === 'number' ? d : dimStr(d, 'ascii')));
  if ((v instanceof PyTuple || v instanceof PyList) && v.items.length && v.items.every((x) => x instanceof Tensor || x instanceof PyTuple || x instanceof PyList)) {
    const inner = v.items.map(outputShape);
    return inner.some((x) => x === null) ? null : inner;
  }
  return null;
}

function row(c: CallRecord, inputRank: number, nsp: number, paramsOf: (m: PyObject) => number): LayerRow {
  const m = c.module;
  const out = c.output;
  const f = out instanceof Tensor ? fieldOf(out, inputRank, nsp) : { rf: null, jump: null };
  return {
    path: c.path,
    type: m.cls.name,
    output: out === undefined ? null : outputShape(out),
    params: paramsOf(m),
    rf: f.rf,
    jump: f.jump,
    macs: c.macs,
    line: m.module!.ctor ? m.module!.ctor.sl + 1 : 0,
    callLine: c.callLine,
    depth: c.depth,
    ...(c.module.module!.layer ? { explain: explainCall(c) } : {}),
  };
}
