// The abstract interpreter: runs the Python that model code uses (module body, __init__, forward)
// over the value domain of values.ts. Shape rules live in torch/; this file knows only Python.
import type { Arg, ClassDef, Expr, FunctionDef, PyModule, Range, Stmt } from '../syntax/ast';
import { Scope } from './scope';
import { BudgetExceeded, PyRaise, raise, type Fix } from './errors';
import {
  BoundMethod, Builtin, Namespace, PyClass, PyDict, PyExceptionValue, PyFloat, PyFunction, PyList, PyObject, PyRange,
  PySet, PySlice, PyTuple, SuperProxy, SymbolicRange, Unknown, repr, typeName, type CallArgs, type Value,
} from './values';
import { binop, compare, truthy, unaryop } from './operators';
import { getItem, setItem, delItem } from './items';
import { pyMethod } from './pyMethods';
import { makeBuiltins } from './builtins';
import { ModuleState } from '../torch/moduleState';
import { Tensor, dataTensor } from '../torch/tensor';
import { TooComplex } from '../torch/dim';
import { UnknownArg } from '../torch/args';
import type { Tracer } from '../trace/tracer';
import { tensorAttr, setTensorAttr } from '../torch/tensorMethods';
import { resolveImport } from '../torch/namespaces';
import { recordCall, type Usage } from '../declare/usage';
import { UserModules } from '../imports/userModules';
import type { SourceHost } from '../imports/host';

export interface EngineDiag {
  r: Range;
  /** The file the range is in (imported project files report into the same list). */
  file: string;
  severity: 'error' | 'warning' | 'information';
  code: string;
  message: string;
  related?: { r: Range; message: string; file?: string }[];
  fix?: Fix;
}

const enum Flow {
  Normal,
  Return,
  Break,
  Continue,
}

interface Frame {
  ret: Value;
}

export interface InterpOptions {
  maxSteps?: number;
  maxDepth?: number;
  /** Reads the project's other files; without it, imports of project files are unknown. */
  host?: SourceHost;
}

export class Interp {
  steps = 0;
  readonly maxSteps: number;
  depth = 0;
  readonly maxDepth: number;
  readonly diags: EngineDiag[] = [];
  private diagKeys = new Set<string>();
  readonly globals: Scope;
  readonly builtins: Map<string, Value>;
  tracer: Tracer | null = null;
  /** Loops over a symbolic count being traced (their one pass), innermost last; see PyList.symbolicCount. */
  readonly symbolicPasses: Array<{ id: number; count: import('../torch/dim').Dim }> = [];
  private passIds = 0;
  /** The innermost user-code call site being evaluated (errors inside builtins surface here). */
  site: Range | null = null;
  /** Module calls the file's own code makes outside any trace (its declared usage of a model). */
  readonly usages: Usage[] = [];
  /** Whether the main block and test functions have been run to find usages. */
  probedRegions = false;
  /** The file whose code is running (the analysed file, or one it imports). */
  curFile: string;
  /** The innermost call made from the analysed file's own code: where modules built elsewhere count as built. */
  private mainSite: Range | null = null;
  readonly userModules: UserModules | null;
  /** User functions being executed, innermost last (zero-argument super() reads it). */
  readonly fnStack: { fn: PyFunction; scope: Scope }[] = [];

  constructor(
    readonly mod: PyModule,
    readonly file: string,
    opts: InterpOptions = {},
  ) {
    this.curFile = file;
    this.userModules = opts.host ? new UserModules(this, opts.host) : null;
    this.maxSteps = opts.maxSteps ?? 3_000_000;
    this.maxDepth = opts.maxDepth ?? 100;
    this.builtins = makeBuiltins(this);
    this.globals = new Scope(null);
    this.globals.vars.set('__name__', '__shapelens__');
    this.globals.vars.set('__file__', file);
  }

  // ------------------------------------------------------------ diagnostics

  report(r: Range, severity: EngineDiag['severity'], code: string, message: string, related?: EngineDiag['related'], fix?: Fix): void {
    const key = `${this.curFile}:${r.sl}:${r.sc}:${code}:${message}`;
    if (this.diagKeys.has(key)) return;
    this.diagKeys.add(key);
    this.diags.push({ r, file: this.curFile, severity, code, message, related, ...(fix ? { fix } : {}) });
  }
  /** Forgets the diagnostics given since `mark` (a trace that is about to be redone). */
  rollbackDiagnostics(mark: number): void {
    this.diags.length = mark;
    this.diagKeys.clear();
    for (const d of this.diags) this.diagKeys.add(`${d.file}:${d.r.sl}:${d.r.sc}:${d.code}:${d.message}`);
  }
  /** Starts a new report section: diagnostics already given may be given again (one per model). */
  newSection(): number {
    this.diagKeys.clear();
    this.steps = 0;
    return this.diags.length;
  }
  /** Something the engine does not model: an information diagnostic and an Unknown value. */
  unsupported(r: Range, what: string): Unknown {
    this.report(r, 'information', 'unsupported', `ShapeLens does not understand ${what} yet; shapes that depend on it are unknown`);
    return new Unknown(what);
  }

  tick(r: Range): void {
    if (++this.steps > this.maxSteps) {
      throw new BudgetExceeded(`analysis stopped after ${this.maxSteps.toLocaleString('en-US')} steps (an endless loop, or a model too large to trace)`, r);
    }
  }

  // ------------------------------------------------------------ module

  /** Runs the file's top level. Errors in one statement are reported and the next one runs. */
  runModule(): void {
    for (const s of this.mod.body) {
      try {
        this.exec(s, this.globals, { ret: null });
      } catch (e) {
        if (e instanceof PyRaise) {
          this.report(e.site ?? s.r, 'error', e.code, `${e.excType}: ${e.message}`, e.related);
        } else if (e instanceof BudgetExceeded) {
          this.report(e.site ?? s.r, 'warning', 'budget', e.message);
        } else if (e instanceof TooComplex) {
          this.report(s.r, 'information', 'too-complex', `A symbolic size became too complex to write down (${e.message})`);
        } else if (e instanceof UnknownArg) {
          this.report(s.r, 'information', 'unknown-argument', `Not known statically: ${e.reason}`);
        } else throw e;
      }
    }
  }

  /** Runs an imported project file's top level into `members`; returns the problems it raised. */
  runImported(mod: PyModule, path: string, members: Map<string, Value>): string[] {
    const scope = new Scope(null, false, members);
    members.set('__name__', path);
    members.set('__file__', path);
    const saved = this.curFile;
    this.curFile = path;
    const problems: string[] = [];
    try {
      for (const s of mod.body) {
        try {
          this.exec(s, scope, { ret: null });
        } catch (e) {
          if (e instanceof PyRaise) problems.push(`line ${(e.site ?? s.r).sl + 1}: ${e.excType}: ${e.message}`);
          else if (e instanceof BudgetExceeded) problems.push(e.message);
          else throw e;
        }
      }
    } finally {
      this.curFile = saved;
    }
    if (mod.errors.length) problems.unshift(`syntax error on line ${mod.errors[0]!.r.sl + 1}`);
    return problems;
  }

  // ------------------------------------------------------------ statements

  execBlock(body: Stmt[], scope: Scope, frame: Frame): Flow {
    for (const s of body) {
      const f = this.exec(s, scope, frame);
      if (f !== Flow.Normal) return f;
    }
    return Flow.Normal;
  }

  exec(s: Stmt, scope: Scope, frame: Frame): Flow {
    this.tick(s.r);
    switch (s.k) {
      case 'expr':
        this.eval(s.e, scope);
        return Flow.Normal;
      case 'assign': {
        const v = this.eval(s.value, scope);
        this.tracer?.noteValue(s.r.sl, v);
        for (const t of s.targets) this.assign(t, v, scope);
        return Flow.Normal;
      }
      case 'aug': {
        const cur = this.eval(s.target, scope);
        const rhs = this.eval(s.value, scope);
        let v: Value;
        if (cur instanceof PyList && s.op === '+') {
          const items = this.iterate(rhs, s.value.r);
          if (items) cur.items.push(...items);
          v = cur;
        } else if (cur instanceof PyObject && cur.module && s.op === '+' && /^(ModuleList|Sequential)$/.test(cur.cls.builtinBase?.name ?? '')) {
          // `self.blocks += [block]` extends the container in place (ModuleList.__iadd__).
          this.call(this.getAttr(cur, 'extend', s.r), { pos: [rhs], kw: NO_KWARGS, site: s.r });
          v = cur;
        } else v = binop(this, s.op, cur, rhs, s.r);
        this.tracer?.noteValue(s.r.sl, v);
        this.assign(s.target, v, scope);
        return Flow.Normal;
      }
      case 'ann':
        if (s.value) this.assign(s.target, this.eval(s.value, scope), scope);
        return Flow.Normal;
      case 'if': {
        const c = this.cond(s.cond, scope);
        return this.execBlock(c ? s.body : s.orelse, scope, frame);
      }
      case 'for': {
        const iter = this.eval(s.iter, scope);
        const items = this.iterate(iter, s.iter.r);
        if (!items) return Flow.Normal;
        // One pass standing for a symbolic count: lists made before the loop and appended in it repeat.
        const pass = iter instanceof SymbolicRange && iter.count !== null ? { id: ++this.passIds, count: iter.count } : null;
        if (pass) this.symbolicPasses.push(pass);
        try {
          for (const it of items) {
            this.assign(s.target, it, scope);
            const f = this.execBlock(s.body, scope, frame);
            if (f === Flow.Break) return Flow.Normal;
            if (f === Flow.Return) return f;
          }
        } finally {
          if (pass) this.symbolicPasses.pop();
        }
        return this.execBlock(s.orelse, scope, frame);
      }
      case 'while': {
        while (this.cond(s.cond, scope)) {
          this.tick(s.r);
          const f = this.execBlock(s.body, scope, frame);
          if (f === Flow.Break) return Flow.Normal;
          if (f === Flow.Return) return f;
        }
        return this.execBlock(s.orelse, scope, frame);
      }
      case 'return':
        frame.ret = s.value ? this.eval(s.value, scope) : null;
        this.tracer?.noteValue(s.r.sl, frame.ret);
        return Flow.Return;
      case 'pass':
        return Flow.Normal;
      case 'break':
        return Flow.Break;
      case 'continue':
        return Flow.Continue;
      case 'def':
        scope.set(s.name, this.makeFunction(s, scope));
        return Flow.Normal;
      case 'class':
        scope.set(s.name, this.makeClass(s, scope));
        return Flow.Normal;
      case 'import':
        for (const n of s.names) {
          // `import a.b` loads a.b (making it an attribute of a) and binds a.
          const full = resolveImport(this, n.module, s.r);
          if (n.alias) scope.set(n.alias, full);
          else {
            const top = n.module.split('.')[0]!;
            scope.set(top, top === n.module ? full : resolveImport(this, top, s.r));
          }
        }
        return Flow.Normal;
      case 'from': {
        const mod = resolveImport(this, s.module, s.r, false, s.level);
        const shown = '.'.repeat(s.level) + s.module;
        for (const n of s.names) {
          if (n.name === '*') {
            if (mod instanceof Namespace) for (const [k, v] of mod.members) if (!k.startsWith('_')) scope.set(k, v);
            continue;
          }
          let v: Value;
          if (mod instanceof Namespace) {
            // A name that the package does not define may be a submodule (`from models import resnet`).
            v = mod.members.get(n.name) ?? resolveImport(this, s.module ? `${s.module}.${n.name}` : n.name, s.r, false, s.level);
          } else v = new Unknown(`${shown}.${n.name}`);
          scope.set(n.alias ?? n.name, v);
        }
        return Flow.Normal;
      }
      case 'with':
        for (const it of s.items) {
          const v = this.eval(it.ctx, scope);
          if (it.target) this.assign(it.target, v, scope);
        }
        return this.execBlock(s.body, scope, frame);
      case 'try': {
        let f: Flow;
        try {
          f = this.execBlock(s.body, scope, frame);
          if (f === Flow.Normal) f = this.execBlock(s.orelse, scope, frame);
        } catch (e) {
          if (!(e instanceof PyRaise)) throw e;
          const h = s.handlers.find((hd) => this.handlerMatches(hd.type, e, scope));
          if (!h) throw e;
          if (h.name) scope.set(h.name, new PyExceptionValue(e.excType, e.message));
          f = this.execBlock(h.body, scope, frame);
        } finally {
          // A finally block runs whatever happened; its own control flow wins.
        }
        const g = this.execBlock(s.fin, scope, frame);
        return g !== Flow.Normal ? g : f;
      }
      case 'raise': {
        if (!s.exc) raise('RuntimeError', 'No active exception to reraise', s.r, 'raise');
        const v = this.eval(s.exc, scope);
        if (v instanceof PyExceptionValue) raise(v.type, v.message, s.r, 'raise');
        if (v instanceof PyClass) raise(v.name, '', s.r, 'raise');
        if (v instanceof Unknown) raise('Exception', 'an exception the engine cannot name', s.r, 'raise');
        raise('Exception', repr(v), s.r, 'raise');
      }
      // falls through: raise() never returns
      case 'assert': {
        const t = this.eval(s.test, scope);
        const b = truthy(t);
        if (b === false) {
          const msg = s.msg ? repr(this.eval(s.msg, scope)) : '';
          raise('AssertionError', msg, s.r, 'assert');
        }
        return Flow.Normal;
      }
      case 'global':
        scope.globals ??= new Set();
        for (const n of s.names) scope.globals.add(n);
        return Flow.Normal;
      case 'del':
        for (const t of s.targets) {
          if (t.k === 'sub') delItem(this, this.eval(t.obj, scope), this.eval(t.index, scope), t.r);
          else if (t.k === 'name') scope.vars.delete(t.id);
        }
        return Flow.Normal;
      case 'error':
        return Flow.Normal;
    }
  }

  private handlerMatches(type: Expr | null, e: PyRaise, scope: Scope): boolean {
    if (!type) return true;
    const v = this.eval(type, scope);
    const names = v instanceof PyTuple ? v.items : [v];
    return names.some((n) => {
      if (!(n instanceof PyClass)) return true;
      return n.name === e.excType || n.name === 'Exception' || n.name === 'BaseException' ||
        (n.name === 'RuntimeError' && e.excType === 'NotImplementedError') || (n.name === 'LookupError' && (e.excType === 'KeyError' || e.excType === 'IndexError'));
    });
  }

  /** Evaluates a condition; an undecidable one is reported and taken as false. */
  private cond(e: Expr, scope: Scope): boolean {
    const v = this.eval(e, scope);
    const b = truthy(v);
    if (b === null) {
      this.report(e.r, 'information', 'undecidable', `ShapeLens cannot decide this condition statically (${v instanceof Unknown ? v.reason : typeName(v)}); it assumed False`);
      return false;
    }
    return b;
  }

  assign(t: Expr, v: Value, scope: Scope): void {
    switch (t.k) {
      case 'name':
        scope.set(t.id, v);
        return;
      case 'attr':
        this.setAttr(this.eval(t.obj, scope), t.name, v, t.r);
        return;
      case 'sub':
        setItem(this, this.eval(t.obj, scope), this.eval(t.index, scope), v, t.r);
        return;
      case 'tuple':
      case 'list': {
        const items = this.iterate(v, t.r);
        const starAt = t.elts.findIndex((e) => e.k === 'star');
        if (!items) {
          for (const e of t.elts) this.assign(e.k === 'star' ? e.e : e, new Unknown(v instanceof Unknown ? v.reason : 'unpacking'), scope);
          return;
        }
        if (starAt < 0) {
          if (items.length !== t.elts.length) {
            raise('ValueError', items.length > t.elts.length ? `too many values to unpack (expected ${t.elts.length})` : `not enough values to unpack (expected ${t.elts.length}, got ${items.length})`, t.r, 'unpack');
          }
          t.elts.forEach((e, i) => this.assign(e, items[i]!, scope));
          return;
        }
        const after = t.elts.length - starAt - 1;
        if (items.length < t.elts.length - 1) raise('ValueError', `not enough values to unpack (expected at least ${t.elts.length - 1}, got ${items.length})`, t.r, 'unpack');
        t.elts.slice(0, starAt).forEach((e, i) => this.assign(e, items[i]!, scope));
        this.assign((t.elts[starAt] as { e: Expr }).e, new PyList(items.slice(starAt, items.length - after)), scope);
        t.elts.slice(starAt + 1).forEach((e, i) => this.assign(e, items[items.length - after + i]!, scope));
        return;
      }
      case 'star':
        this.assign(t.e, v, scope);
        return;
      default:
        return;
    }
  }

  // ------------------------------------------------------------ expressions

  eval(e: Expr, scope: Scope): Value {
    switch (e.k) {
      case 'name': {
        const v = scope.lookup(e.id);
        if (v !== undefined) return v;
        const b = this.builtins.get(e.id);
        if (b !== undefined) return b;
        return raise('NameError', `name '${e.id}' is not defined`, e.r, 'name-error');
      }
      case 'num':
        return e.int ? e.v : new PyFloat(e.v);
      case 'str':
        return e.v;
      case 'fstr':
        return e.parts.map((p) => (typeof p === 'string' ? p : formatValue(this.eval(p.e, scope), p.spec))).join('');
      case 'const':
        return e.v === 'ellipsis' ? ELLIPSIS : e.v;
      case 'attr':
        return this.getAttr(this.eval(e.obj, scope), e.name, e.r);
      case 'call': {
        this.tick(e.r);
        const fn = this.eval(e.fn, scope);
        const a = this.evalArgs(e.args, scope, e.r);
        return this.call(fn, a);
      }
      case 'sub':
        return getItem(this, this.eval(e.obj, scope), this.eval(e.index, scope), e.r);
      case 'slice':
        return new PySlice(e.lo ? this.eval(e.lo, scope) : null, e.hi ? this.eval(e.hi, scope) : null, e.step ? this.eval(e.step, scope) : null);
      case 'bin':
        return binop(this, e.op, this.eval(e.l, scope), this.eval(e.rt, scope), e.r);
      case 'un':
        return unaryop(this, e.op, this.eval(e.e, scope), e.r);
      case 'not': {
        const b = truthy(this.eval(e.e, scope));
        return b === null ? new Unknown('not of an unknown value') : !b;
      }
      case 'bool': {
        const l = this.eval(e.l, scope);
        const b = truthy(l);
        if (b === null) return new Unknown('boolean of an unknown value');
        if (e.op === 'and') return b ? this.eval(e.rt, scope) : l;
        return b ? l : this.eval(e.rt, scope);
      }
      case 'cmp': {
        let left = this.eval(e.first, scope);
        let result: Value = true;
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.rest[i]!, scope);
          const r = compare(this, e.ops[i]!, left, right, e.r);
          if (r instanceof Unknown || r instanceof Tensor) return r;
          if (!r) return false;
          result = r;
          left = right;
        }
        return result;
      }
      case 'ifexp': {
        const c = this.cond(e.cond, scope);
        return this.eval(c ? e.a : e.b, scope);
      }
      case 'list': {
        const l = new PyList(this.evalElts(e.elts, scope));
        const pass = this.symbolicPasses[this.symbolicPasses.length - 1];
        if (pass) l.born = pass.id;
        return l;
      }
      case 'tuple':
        return new PyTuple(this.evalElts(e.elts, scope));
      case 'set':
        return new PySet(this.evalElts(e.elts, scope));
      case 'star':
        return this.eval(e.e, scope);
      case 'dict': {
        const d = new PyDict();
        for (const it of e.items) {
          if ('spread' in it) {
            const src = this.eval(it.spread, scope);
            if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
          } else d.set(this.eval(it.key, scope), this.eval(it.value, scope));
        }
        return d;
      }
      case 'comp':
        return this.comprehension(e, scope);
      case 'lambda': {
        const fn = new PyFunction('<lambda>', e.params, e.body, scope, null, null, this.curFile);
        this.bindDefaults(fn, scope);
        return fn;
      }
      case 'walrus': {
        const v = this.eval(e.value, scope);
        scope.set(e.target, v);
        return v;
      }
      case 'error':
        return new Unknown('code that does not parse');
    }
  }

  private evalElts(elts: Expr[], scope: Scope): Value[] {
    const out: Value[] = [];
    for (const x of elts) {
      if (x.k === 'star') {
        const items = this.iterate(this.eval(x.e, scope), x.r);
        if (items) out.push(...items);
        else out.push(new Unknown('unpacking of an unknown value'));
      } else out.push(this.eval(x, scope));
    }
    return out;
  }

  evalArgs(args: Arg[], scope: Scope, site: Range): CallArgs {
    const pos: Value[] = [];
    // Most calls pass no keywords: share one empty map instead of allocating one per call.
    let kw: Map<string, Value> = NO_KWARGS;
    const kwMap = (): Map<string, Value> => (kw === NO_KWARGS ? (kw = new Map()) : kw);
    for (const a of args) {
      if (a.kind === 'pos') pos.push(this.eval(a.value, scope));
      else if (a.kind === 'kw') kwMap().set(a.name!, this.eval(a.value, scope));
      else if (a.kind === 'star') {
        const v = this.eval(a.value, scope);
        const items = this.iterate(v, a.value.r);
        if (items) pos.push(...items);
        else return { pos: [new Unknown('*args of an unknown value')], kw, site, syntax: args };
      } else {
        const v = this.eval(a.value, scope);
        if (v instanceof PyDict) {
          for (const [k, val] of v.entries()) if (typeof k === 'string') kwMap().set(k, val);
        } else if (!(v instanceof Unknown)) raise('TypeError', `argument after ** must be a mapping, not ${typeName(v)}`, a.value.r, 'type-error');
      }
    }
    return { pos, kw, site, syntax: args };
  }

  private comprehension(e: Extract<Expr, { k: 'comp' }>, scope: Scope): Value {
    const inner = new Scope(scope);
    const out: Value[] = [];
    const dict = new PyDict();
    const loop = (gi: number): void => {
      if (gi === e.gens.length) {
        if (e.kind === 'dict') dict.set(this.eval(e.elt, inner), this.eval(e.val!, inner));
        else out.push(this.eval(e.elt, inner));
        return;
      }
      const g = e.gens[gi]!;
      const items = this.iterate(this.eval(g.iter, inner), g.iter.r);
      if (!items) return;
      for (const it of items) {
        this.tick(e.r);
        this.assign(g.target, it, inner);
        if (g.ifs.every((c) => this.cond(c, inner))) loop(gi + 1);
      }
    };
    loop(0);
    if (e.kind === 'dict') return dict;
    if (e.kind === 'set') return new PySet(out);
    return new PyList(out);
  }

  /** Items of an iterable, or null (after a diagnostic) when they cannot be known. */
  iterate(v: Value, r: Range): Value[] | null {
    if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items.slice();
    if (v instanceof PyRange) {
      const out: number[] = [];
      if (v.length > 1_000_000) throw new BudgetExceeded(`range of ${v.length} items is too long to trace`, r);
      for (let i = v.start; v.step > 0 ? i < v.stop : i > v.stop; i += v.step) out.push(i);
      return out;
    }
    if (v instanceof PyDict) return v.keys();
    if (typeof v === 'string') return [...v];
    if (v instanceof PyObject && v.module) {
      const base = v.cls.builtinBase?.name;
      if (base === 'ModuleDict') return [...v.module.children.keys()];
      if (base === 'Sequential' || base === 'ModuleList') return [...v.module.children.values()].filter((c): c is PyObject => c !== null);
      if (base === 'ParameterList') return [...v.module.params.values()].filter((c): c is Tensor => c !== null);
      const it = v.cls.lookup('__iter__');
      if (it) return this.iterate(this.call(it, { pos: [v], kw: new Map(), site: r }), r);
    }
    if (v instanceof Tensor) {
      if (v.rank === 0) raise('TypeError', 'iteration over a 0-d tensor', r, 'type-error');
      const n = v.shape[0]!;
      if (typeof n !== 'number') {
        this.report(r, 'information', 'unknown-iterable', `ShapeLens cannot iterate over a tensor whose first dim is symbolic (${repr(n)}); the loop was skipped`);
        return null;
      }
      if (n > 100_000) throw new BudgetExceeded(`iterating over ${n} tensor rows is too long to trace`, r);
      if (v.data && v.rank === 1) return v.data.map((x) => dataTensor([x], v.dtype, true));
      return Array.from({ length: n }, () => new Tensor(v.shape.slice(1), v.dtype, v.tags.slice(1), v.dep));
    }
    if (v instanceof SymbolicRange) {
      this.report(r, 'information', 'symbolic-loop', `This loop runs over ${v.reason.replace(/^range\(\) over /, '')}: ShapeLens traced one pass of it (index ${v.start}); shapes that change from pass to pass are not followed`);
      return [v.start];
    }
    if (v instanceof Unknown) {
      this.report(r, 'information', 'unknown-iterable', `ShapeLens cannot iterate over this value (${v.reason}); the loop was skipped`);
      return null;
    }
    if (v instanceof PyObject || v instanceof PyClass) {
      this.report(r, 'information', 'unknown-iterable', `ShapeLens cannot iterate over ${repr(v)}; the loop was skipped`);
      return null;
    }
    return raise('TypeError', `'${typeName(v)}' object is not iterable`, r, 'type-error');
  }

  // ------------------------------------------------------------ functions and classes

  makeFunction(s: FunctionDef, scope: Scope): PyFunction {
    const fn = new PyFunction(s.name, s.params, s.body, scope, s, null, this.curFile);
    fn.decorators = s.decorators.map((d) => (d.k === 'name' ? d.id : d.k === 'attr' ? d.name : d.k === 'call' && d.fn.k === 'name' ? d.fn.id : ''));
    this.bindDefaults(fn, scope);
    return fn;
  }

  private bindDefaults(fn: PyFunction, scope: Scope): void {
    defaultsOf.set(fn, fn.params.map((p) => (p.dflt ? this.eval(p.dflt, scope) : undefined)));
  }

  makeClass(s: ClassDef, scope: Scope): PyClass {
    const a = this.evalArgs(s.bases, scope, s.r);
    const bases: PyClass[] = [];
    let unknownBase: string | null = null;
    for (const b of a.pos) {
      if (b instanceof PyClass) bases.push(b);
      else if (b instanceof Unknown) unknownBase = b.reason;
    }
    const objectCls = this.builtins.get('object') as PyClass;
    const cls = new PyClass(s.name, bases.length ? bases : [objectCls], s);
    if (unknownBase) unknownBases.set(cls, unknownBase);
    const body = new Scope(scope, true);
    this.execBlock(s.body, body, { ret: null });
    for (const [k, v] of body.vars) {
      if (v instanceof PyFunction && !v.owner) v.owner = cls;
      cls.attrs.set(k, v);
    }
    return cls;
  }

  call(fn: Value, a: CallArgs): Value {
    if (this.curFile === this.file) this.mainSite = a.site;
    if (fn instanceof PyFunction) return this.callFunction(fn, a);
    if (fn instanceof Builtin) {
      const saved = this.site;
      this.site = a.site;
      try {
        return fn.call(a);
      } catch (e) {
        // A symbolic size that would need an enormous expression: unknown from here on.
        if (e instanceof TooComplex) {
          this.report(a.site, 'information', 'too-complex', `This shape is too complex to write down symbolically (${e.message}); give a concrete input size to see it`);
          return new Unknown('a shape too complex to write down');
        }
        throw e;
      } finally {
        this.site = saved;
      }
    }
    if (fn instanceof BoundMethod) {
      const b = { pos: [fn.self, ...a.pos], kw: a.kw, site: a.site };
      return fn.fn instanceof PyFunction ? this.callFunction(fn.fn, b) : this.call(fn.fn, b);
    }
    if (fn instanceof PyClass) return this.instantiate(fn, a);
    if (fn instanceof PyObject) {
      if (fn.module && this.tracer) return this.tracer.callModule(fn, a);
      if (fn.module) recordCall(this, fn, a);
      const c = fn.cls.lookup('__call__');
      if (c) return this.call(c, { pos: [fn, ...a.pos], kw: a.kw, site: a.site });
      if (fn.module) return this.callForward(fn, a);
    }
    if (fn instanceof Unknown) return new Unknown(fn.reason);
    return raise('TypeError', `'${typeName(fn)}' object is not callable`, a.site, 'type-error');
  }

  /** Runs a module's forward (user-defined, or the built-in layer's shape rule). */
  callForward(m: PyObject, a: CallArgs): Value {
    const ub0 = m.cls.mro.map((c) => unknownBases.get(c)).find((x) => x);
    const fwd = m.cls.lookup('forward');
    if (fwd instanceof PyFunction) return this.callFunction(fwd, { pos: [m, ...a.pos], kw: a.kw, site: a.site });
    if (ub0 && fwd instanceof Builtin && fwd.name === 'Module.forward') return new Unknown(`a module derived from ${ub0}`);
    if (fwd instanceof Builtin) return this.call(fwd, { pos: [m, ...a.pos], kw: a.kw, site: a.site });
    const ub = unknownBases.get(m.cls) ?? m.cls.mro.map((c) => unknownBases.get(c)).find((x) => x);
    if (ub) return new Unknown(`a module derived from ${ub}`);
    return raise('NotImplementedError', `Module [${m.cls.name}] is missing the required "forward" function`, a.site, 'no-forward');
  }

  callFunction(fn: PyFunction, a: CallArgs): Value {
    if (this.depth >= this.maxDepth) throw new BudgetExceeded(`recursion deeper than ${this.maxDepth} calls (in ${fn.name})`, a.site);
    const scope = new Scope(fn.closure);
    this.bindParams(fn, a, scope);
    this.depth++;
    this.fnStack.push({ fn, scope });
    const callerFile = this.curFile;
    this.curFile = fn.file;
    try {
      if (!Array.isArray(fn.body)) return this.eval(fn.body as Expr, scope);
      const frame: Frame = { ret: null };
      this.execBlock(fn.body as Stmt[], scope, frame);
      return frame.ret;
    } catch (e) {
      // An error leaving another file surfaces at the call in the caller's file; where it was raised
      // becomes related information.
      if (e instanceof PyRaise && fn.file !== callerFile && e.site) {
        e.related.unshift({ r: e.site, message: "raised here", file: fn.file });
        e.site = a.site;
      }
      throw e;
    } finally {
      this.depth--;
      this.fnStack.pop();
      this.curFile = callerFile;
    }
  }

  private bindParams(fn: PyFunction, a: CallArgs, scope: Scope): void {
    const defaults = defaultsOf.get(fn) ?? [];
    const kw = new Map(a.kw);
    let pi = 0;
    let kwOnly = false;
    let extra: PyDict | null = null;
    for (let i = 0; i < fn.params.length; i++) {
      const p = fn.params[i]!;
      if (p.kind === 'kwonlyMarker') {
        kwOnly = true;
        continue;
      }
      if (p.kind === 'varargs') {
        scope.vars.set(p.name, new PyTuple(a.pos.slice(pi)));
        pi = a.pos.length;
        kwOnly = true;
        continue;
      }
      if (p.kind === 'varkw') {
        extra = new PyDict();
        scope.vars.set(p.name, extra);
        continue;
      }
      if (!kwOnly && pi < a.pos.length) {
        if (kw.has(p.name)) raise('TypeError', `${fn.name}() got multiple values for argument '${p.name}'`, a.site, 'type-error');
        scope.vars.set(p.name, a.pos[pi++]!);
      } else if (kw.has(p.name)) {
        scope.vars.set(p.name, kw.get(p.name)!);
        kw.delete(p.name);
      } else if (defaults[i] !== undefined) scope.vars.set(p.name, defaults[i]!);
      else raise('TypeError', `${fn.name}() missing required argument: '${p.name}'`, a.site, 'type-error');
    }
    if (pi < a.pos.length && !a.pos.slice(pi).every((v) => v instanceof Unknown)) {
      raise('TypeError', `${fn.name}() takes ${pi} positional arguments but ${a.pos.length} were given`, a.site, 'type-error');
    }
    if (kw.size) {
      if (extra) for (const [k, v] of kw) extra.set(k, v);
      else raise('TypeError', `${fn.name}() got an unexpected keyword argument '${[...kw.keys()][0]}'`, a.site, 'type-error');
    }
  }

  instantiate(cls: PyClass, a: CallArgs): Value {
    const b = cls.builtin;
    if (b?.construct) return b.construct(a);
    const obj = new PyObject(cls);
    if (cls.isModule) {
      obj.module = new ModuleState(this.curFile === this.file ? a.site : this.mainSite);
      obj.module.ctorArgs = a;
      obj.module.builtInFile = this.curFile === this.file;
    }
    const init = cls.lookup('__init__');
    if (init instanceof PyFunction) this.callFunction(init, { pos: [obj, ...a.pos], kw: a.kw, site: a.site });
    else if (init instanceof Builtin) this.call(init, { pos: [obj, ...a.pos], kw: a.kw, site: a.site });
    return obj;
  }

  // ------------------------------------------------------------ attributes

  getAttr(o: Value, name: string, r: Range): Value {
    if (o instanceof PyObject) {
      const own = o.attrs.get(name);
      if (own !== undefined) return own;
      if (name === '__class__') return o.cls;
      const m = o.module;
      if (m) {
        if (m.children.has(name)) return m.children.get(name)!;
        if (m.params.has(name)) return m.params.get(name)!;
        if (m.buffers.has(name)) return m.buffers.get(name)!;
        if (name === 'training') return m.training;
        // The registries themselves, as older code iterates them (`self._modules.items()`).
        if (name === '_modules' || name === '_parameters' || name === '_buffers') {
          const d = new PyDict();
          for (const [k, v] of name === '_modules' ? m.children : name === '_parameters' ? m.params : m.buffers) d.set(k, v);
          return d;
        }
      }
      const c = o.cls.lookup(name);
      if (c !== undefined) return this.bindClassAttr(c, o);
      const ub = o.cls.mro.map((k) => unknownBases.get(k)).find((x) => x);
      if (ub) return new Unknown(`an attribute inherited from ${ub}`);
      return raise('AttributeError', `'${o.cls.name}' object has no attribute '${name}'`, r, 'attribute-error');
    }
    if (o instanceof SuperProxy) {
      const self = o.self;
      const cls = self instanceof PyObject ? self.cls : self instanceof PyClass ? self : null;
      const c = cls?.lookup(name, o.after);
      if (c !== undefined) return this.bindClassAttr(c, self);
      if (name === '__init__') return new Builtin('object.__init__', () => null);
      return raise('AttributeError', `'super' object has no attribute '${name}'`, r, 'attribute-error');
    }
    if (o instanceof PyClass) {
      if (name === '__name__') return o.name;
      const c = o.lookup(name);
      if (c !== undefined) {
        if (c instanceof PyFunction && c.decorators.includes('classmethod')) return new BoundMethod(o, c);
        return c;
      }
      return raise('AttributeError', `type object '${o.name}' has no attribute '${name}'`, r, 'attribute-error');
    }
    if (o instanceof Namespace) {
      const v = o.members.get(name);
      if (v !== undefined) return v;
      const sub = resolveImport(this, `${o.name}.${name}`, r, true);
      if (sub !== null) return sub;
      return this.unsupported(r, `${o.name}.${name}`);
    }
    if (o instanceof Tensor) return tensorAttr(this, o, name, r);
    if (o instanceof Unknown) return new Unknown(o.reason);
    if (o instanceof PyExceptionValue) return name === 'args' ? new PyTuple([o.message]) : new Unknown('exception attribute');
    if (o instanceof PyFunction) {
      if (name === '__name__') return o.name;
      return new Unknown(`attribute ${name} of a function`);
    }
    const m = pyMethod(this, o, name, r);
    if (m !== undefined) return m;
    return raise('AttributeError', `'${typeName(o)}' object has no attribute '${name}'`, r, 'attribute-error');
  }

  private bindClassAttr(c: Value, self: Value): Value {
    if (c instanceof PyFunction) {
      if (c.decorators.includes('staticmethod')) return c;
      if (c.decorators.includes('classmethod')) return new BoundMethod(self instanceof PyObject ? self.cls : self, c);
      if (c.decorators.includes('property')) return this.callFunction(c, { pos: [self], kw: new Map(), site: this.site ?? c.def!.r });
      return new BoundMethod(self, c);
    }
    if (c instanceof Builtin) return new BoundMethod(self, c);
    return c;
  }

  setAttr(o: Value, name: string, v: Value, r: Range): void {
    if (o instanceof PyObject) {
      const m = o.module;
      if (m) {
        if (v instanceof PyObject && v.module) {
          o.attrs.delete(name);
          m.params.delete(name);
          m.children.set(name, v);
          return;
        }
        if (v instanceof Tensor && v.param) {
          o.attrs.delete(name);
          m.children.delete(name);
          m.params.set(name, v);
          return;
        }
        if (m.params.has(name)) {
          if (v === null) m.params.set(name, null);
          else if (v instanceof Tensor) raise('TypeError', `cannot assign a plain tensor as parameter '${name}' (torch.nn.Parameter or None expected)`, r, 'type-error');
          return;
        }
        if (m.children.has(name)) {
          if (v === null) {
            m.children.set(name, null);
            return;
          }
          if (!(v instanceof Unknown)) raise('TypeError', `cannot assign '${typeName(v)}' as child module '${name}' (torch.nn.Module or None expected)`, r, 'type-error');
        }
        if (m.buffers.has(name)) {
          m.buffers.set(name, v instanceof Tensor ? v : null);
          return;
        }
        if (name === 'training' && typeof v === 'boolean') {
          m.training = v;
          return;
        }
      }
      o.attrs.set(name, v);
      return;
    }
    if (o instanceof Tensor) return setTensorAttr(this, o, name, v, r);
    if (o instanceof PyClass) {
      o.attrs.set(name, v);
      return;
    }
    if (o instanceof Unknown) return;
    if (o instanceof Namespace) {
      o.members.set(name, v);
      return;
    }
    raise('AttributeError', `'${typeName(o)}' object attribute '${name}' is read-only`, r, 'attribute-error');
  }
}

/** The shared keyword map of calls without keywords; never mutated. */
export const NO_KWARGS: Map<string, Value> = new Map();
Object.freeze(NO_KWARGS);

/** Defaults are evaluated once, when `def` runs (Python semantics), and kept beside the function. */
const defaultsOf = new WeakMap<PyFunction, (Value | undefined)[]>();
/** Classes whose base came from an unresolved import: their missing attributes are unknown, not errors. */
const unknownBases = new WeakMap<PyClass, string>();

export const ELLIPSIS = new Unknown('Ellipsis');

export function formatValue(v: Value, spec: string): string {
  if (spec && (typeof v === 'number' || v instanceof PyFloat)) {
    const n = typeof v === 'number' ? v : v.v;
    const m = /^(\d*)\.(\d+)f$/.exec(spec);
    if (m) return n.toFixed(Number(m[2]));
    const z = /^0(\d+)d?$/.exec(spec);
    if (z) return String(n).padStart(Number(z[1]), '0');
  }
  if (typeof v === 'string') return v;
  if (v instanceof PyExceptionValue) return v.message;
  return repr(v);
}
