// The interpreter's value domain: Python values the model code computes with, plus Unknown for
// anything the engine cannot know. Ints are JS numbers (always integral), floats are PyFloat.
import type { ClassDef, Expr, FunctionDef, Param, Range } from '../syntax/ast';
import type { Tensor } from '../torch/tensor';
import { Sym, dimStr } from '../torch/dim';
import type { ModuleState } from '../torch/moduleState';
import type { Scope } from './scope';

export class PyFloat {
  constructor(readonly v: number) {}
}
export class PyTuple {
  /** `fields` makes it a named tuple (torch.max(x, dim) returns (values, indices)). */
  constructor(
    readonly items: Value[],
    readonly fields: string[] | null = null,
  ) {}
}
export class PyList {
  /**
   * Set when a loop traced once for a symbolic count appended to this list (made before the loop):
   * the list stands for that many items like its one (`outputs.append(h)` per time step), so
   * torch.stack/cat and len() give the symbolic size instead of 1.
   */
  symbolicCount?: import('../torch/dim').Dim;
  /** The symbolic loop pass a list literal was made in (its appends inside that pass are not repeats). */
  born?: number;
  constructor(public items: Value[]) {}
}
export class PySet {
  constructor(public items: Value[]) {}
}
export class PySlice {
  constructor(readonly lo: Value, readonly hi: Value, readonly step: Value) {}
}
export class PyRange {
  constructor(readonly start: number, readonly stop: number, readonly step: number) {}
  get length(): number {
    const n = Math.ceil((this.stop - this.start) / this.step);
    return n > 0 ? n : 0;
  }
}
/** Insertion-ordered dict; keys hashed by hashKey(). */
export class PyDict {
  readonly map = new Map<string, { k: Value; v: Value }>();
  get(k: Value): Value | undefined {
    return this.map.get(hashKey(k))?.v;
  }
  set(k: Value, v: Value): void {
    const h = hashKey(k);
    const e = this.map.get(h);
    if (e) e.v = v;
    else this.map.set(h, { k, v });
  }
  has(k: Value): boolean {
    return this.map.has(hashKey(k));
  }
  delete(k: Value): boolean {
    return this.map.delete(hashKey(k));
  }
  keys(): Value[] {
    return [...this.map.values()].map((e) => e.k);
  }
  values(): Value[] {
    return [...this.map.values()].map((e) => e.v);
  }
  entries(): [Value, Value][] {
    return [...this.map.values()].map((e) => [e.k, e.v]);
  }
}

/** A value the engine cannot know; `reason` says why, for hovers and information diagnostics. */
export class Unknown {
  constructor(readonly reason: string) {}
}

/**
 * range() whose count is a symbolic size (the time steps of a declared [T, N, F] input). Unknown
 * everywhere but in a for loop, which runs the body once with the first index: the shapes a step
 * carries (an RNN's state) are those of every step, and skipping the loop would leave its results unset.
 */
export class SymbolicRange extends Unknown {
  constructor(
    reason: string,
    readonly start: number,
    /** How many passes the loop stands for, when known (range(T)); null otherwise. */
    readonly count: import('../torch/dim').Dim | null = null,
  ) {
    super(reason);
  }
}

/** `syntax`: the call's argument expressions when it was written in the file (for quick fixes). */
export type CallArgs = { pos: Value[]; kw: Map<string, Value>; site: Range; syntax?: import('../syntax/ast').Arg[] };

export class PyFunction {
  constructor(
    readonly name: string,
    readonly params: Param[],
    readonly body: FunctionDef['body'] | Expr,
    readonly closure: Scope,
    readonly def: FunctionDef | null,
    /** The class whose body defined it, for zero-argument super(). */
    public owner: PyClass | null = null,
    /** Source file of the definition (for cross-file diagnostics later). */
    readonly file: string = '',
  ) {}
  decorators: string[] = [];
}

export class Builtin {
  constructor(
    readonly name: string,
    readonly call: (a: CallArgs) => Value,
  ) {}
}

export class BoundMethod {
  constructor(
    readonly self: Value,
    readonly fn: PyFunction | Builtin,
  ) {}
}

/** What a built-in class (nn.Conv2d, nn.Module, OrderedDict, ...) does when constructed. */
export interface BuiltinClassImpl {
  /** torch qualified name for messages, e.g. "torch.nn.Conv2d". */
  qualname: string;
  /** Called as the class's __init__ on a freshly created object. */
  init?: (self: PyObject, a: CallArgs) => void;
  /** Creates the value for non-object builtins (e.g. OrderedDict -> PyDict). */
  construct?: (a: CallArgs) => Value;
  /** True for nn.Module and every subclass: objects get a ModuleState. */
  isModule?: boolean;
}

export class PyClass {
  readonly attrs = new Map<string, Value>();
  mro: PyClass[] = [];
  constructor(
    readonly name: string,
    readonly bases: PyClass[],
    readonly def: ClassDef | null,
    readonly builtin: BuiltinClassImpl | null = null,
  ) {
    this.mro = computeMro(this);
  }
  lookup(name: string, after?: PyClass): Value | undefined {
    let i = 0;
    if (after) {
      i = this.mro.indexOf(after) + 1;
      if (i === 0) return undefined;
    }
    for (; i < this.mro.length; i++) {
      const v = this.mro[i]!.attrs.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  isSubclassOf(other: PyClass): boolean {
    return this.mro.includes(other);
  }
  /** The nearest built-in class in the MRO (nn.Sequential for `class Stem(nn.Sequential)`). */
  get builtinBase(): PyClass | null {
    for (const c of this.mro) if (c.builtin) return c;
    return null;
  }
  get isModule(): boolean {
    return this.mro.some((c) => c.builtin?.isModule);
  }
}

function computeMro(c: PyClass): PyClass[] {
  // C3 linearisation; falls back to depth-first order when the hierarchy is inconsistent.
  const seqs: PyClass[][] = c.bases.map((b) => [...b.mro]);
  seqs.push([...c.bases]);
  const out: PyClass[] = [c];
  for (let guard = 0; guard < 1000; guard++) {
    const nonEmpty = seqs.filter((s) => s.length);
    if (!nonEmpty.length) return out;
    let head: PyClass | null = null;
    for (const s of nonEmpty) {
      const cand = s[0]!;
      if (!nonEmpty.some((t) => t.indexOf(cand) > 0)) {
        head = cand;
        break;
      }
    }
    if (!head) break;
    out.push(head);
    for (const s of nonEmpty) if (s[0] === head) s.shift();
  }
  const seen = new Set(out);
  for (const b of c.bases) for (const m of b.mro) if (!seen.has(m)) (seen.add(m), out.push(m));
  return out;
}

export class PyObject {
  readonly attrs = new Map<string, Value>();
  /** Present exactly when cls is an nn.Module subclass. */
  module: ModuleState | null = null;
  constructor(readonly cls: PyClass) {}
}

/** `super()` bound to an instance and the class to search after. */
export class SuperProxy {
  constructor(
    readonly self: Value,
    readonly after: PyClass,
  ) {}
}

/** A Python module-like namespace (torch, torch.nn, math, a user file). */
export class Namespace {
  constructor(
    readonly name: string,
    readonly members: Map<string, Value>,
  ) {}
}

/** A raised Python exception object (`raise ValueError("...")`). */
export class PyExceptionValue {
  constructor(
    readonly type: string,
    readonly message: string,
  ) {}
}

export type Value =
  | number
  | boolean
  | string
  | null
  | PyFloat
  | PyTuple
  | PyList
  | PySet
  | PyDict
  | PySlice
  | PyRange
  | Unknown
  | PyFunction
  | Builtin
  | BoundMethod
  | PyClass
  | PyObject
  | SuperProxy
  | Namespace
  | PyExceptionValue
  | Tensor
  /** A symbolic int (a dim of a symbolic shape: `x.size(2)` when H is unknown). */
  | Sym;

export function isInt(v: Value): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}
export function isNumber(v: Value): v is number | boolean | PyFloat {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}
export function numVal(v: number | boolean | PyFloat): number {
  return v instanceof PyFloat ? v.v : Number(v);
}

/** An int that may be symbolic. */
export function isDimValue(v: Value): v is number | boolean | Sym {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof Sym;
}

export function hashKey(v: Value): string {
  if (typeof v === 'number' || typeof v === 'boolean') return 'n' + Number(v);
  if (v instanceof Sym) return 'd' + v.key;
  if (v instanceof PyFloat) return 'n' + v.v;
  if (typeof v === 'string') return 's' + v;
  if (v === null) return 'None';
  if (v instanceof PyTuple) return 't(' + v.items.map(hashKey).join(',') + ')';
  return 'o' + objectId(v as object);
}
const ids = new WeakMap<object, number>();
let nextId = 1;
export function objectId(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySet) return 'set';
  if (v instanceof PyRange) return 'range';
  if (v instanceof PySlice) return 'slice';
  if (v instanceof PyObject) return v.cls.name;
  if (v instanceof PyClass) return 'type';
  if (v instanceof Unknown) return 'unknown';
  if (v instanceof Namespace) return 'module';
  if (v instanceof PyFunction || v instanceof Builtin || v instanceof BoundMethod) return 'function';
  if (v instanceof PyExceptionValue) return v.type;
  if (v instanceof Sym) return 'int';
  return 'Tensor';
}

/** Short Python-like rendering for messages. */
export function repr(v: Value, depth = 0): string {
  if (depth > 3) return '…';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return depth ? `'${v}'` : v;
  if (v instanceof PyFloat) return Number.isInteger(v.v) ? v.v.toFixed(1) : String(v.v);
  if (v instanceof PyTuple) return '(' + v.items.map((x) => repr(x, depth + 1)).join(', ') + (v.items.length === 1 ? ',)' : ')');
  if (v instanceof PyList) return '[' + v.items.map((x) => repr(x, depth + 1)).join(', ') + ']';
  if (v instanceof Unknown) return '<unknown>';
  if (v instanceof Sym) return dimStr(v);
  if (v instanceof PyClass) return `<class '${v.name}'>`;
  if (v instanceof PyObject) return `<${v.cls.name} object>`;
  if (v instanceof PyFunction || v instanceof Builtin) return `<function ${v.name}>`;
  return `<${typeName(v)}>`;
}
