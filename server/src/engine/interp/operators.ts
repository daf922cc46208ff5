// Python operators on interpreter values: arithmetic, comparison, truthiness. Tensor operands are
// handed to the broadcasting rules in torch/arith.ts.
import type { Range } from '../syntax/ast';
import { raise } from './errors';
import { PyDict, PyFloat, PyList, PySet, PyTuple, Unknown, isNumber, isDimValue, numVal, typeName, PyObject, PyClass, type Value, PyRange } from './values';
import * as D from '../torch/dim';
import { Sym, type Dim } from '../torch/dim';
import { Tensor } from '../torch/tensor';
import { tensorBinop, tensorCompare, tensorUnary } from '../torch/arith';
import type { Interp } from './interpreter';

const SEQ_OPS = new Set(['+', '*']);

export function binop(ip: Interp, op: string, l: Value, r: Value, site: Range): Value {
  if (l instanceof Tensor || r instanceof Tensor) return tensorBinop(ip, op, l, r, site);
  if (l instanceof Unknown || r instanceof Unknown) return new Unknown(l instanceof Unknown ? l.reason : (r as Unknown).reason);
  if ((l instanceof Sym || r instanceof Sym) && isDimValue(l) && isDimValue(r)) return symBinop(op, l, r, site);
  if (isNumber(l) && isNumber(r)) return numericBinop(op, l, r, site);
  if (typeof l === 'string') {
    if (op === '+' && typeof r === 'string') return l + r;
    if (op === '*' && typeof r === 'number') return l.repeat(Math.max(0, r));
    if (op === '%') return percentFormat(l, r);
  }
  if (typeof r === 'string' && op === '*' && typeof l === 'number') return r.repeat(Math.max(0, l));
  if ((l instanceof PyList || l instanceof PyTuple) && SEQ_OPS.has(op)) {
    if (op === '+' && r instanceof l.constructor) return l instanceof PyList ? new PyList([...l.items, ...(r as PyList).items]) : new PyTuple([...l.items, ...(r as PyTuple).items]);
    if (op === '*' && typeof r === 'number') {
      const items: Value[] = [];
      for (let i = 0; i < r; i++) items.push(...l.items);
      return l instanceof PyList ? new PyList(items) : new PyTuple(items);
    }
  }
  if ((r instanceof PyList || r instanceof PyTuple) && op === '*' && typeof l === 'number') return binop(ip, op, r, l, site);
  if (l instanceof PyDict && r instanceof PyDict && op === '|') {
    const d = new PyDict();
    for (const [k, v] of l.entries()) d.set(k, v);
    for (const [k, v] of r.entries()) d.set(k, v);
    return d;
  }
  if (l instanceof PyObject || r instanceof PyObject) return new Unknown(`operator ${op} on ${typeName(l)} and ${typeName(r)}`);
  return raise('TypeError', `unsupported operand type(s) for ${op}: '${typeName(l)}' and '${typeName(r)}'`, site, 'type-error');
}

/** Python int arithmetic where an operand is a symbolic dim (`h * w`, `c // groups`). */
function symBinop(op: string, l: number | boolean | Sym, r: number | boolean | Sym, site: Range): Value {
  const a: Dim = typeof l === 'boolean' ? Number(l) : l;
  const b: Dim = typeof r === 'boolean' ? Number(r) : r;
  try {
    switch (op) {
      case '+':
        return D.add(a, b);
      case '-':
        return D.sub(a, b);
      case '*':
        return D.mul(a, b);
      case '//':
        if (typeof b === 'number' && b > 0) return D.floordiv(a, b);
        break;
      case '%':
        if (typeof b === 'number' && b > 0) return D.mod(a, b);
        break;
      case '**':
        if (typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 4) return D.prod(Array(b).fill(a));
        break;
    }
  } catch (e) {
    if (e instanceof D.TooComplex) return new Unknown(`a shape too complex to write down (${e.message})`);
    throw e;
  }
  return new Unknown(`${op} of a symbolic size`);
}

function numericBinop(op: string, l: number | boolean | PyFloat, r: number | boolean | PyFloat, site: Range): Value {
  const isF = l instanceof PyFloat || r instanceof PyFloat;
  const a = numVal(l);
  const b = numVal(r);
  const num = (x: number): Value => (isF ? new PyFloat(x) : x);
  switch (op) {
    case '+':
      return num(a + b);
    case '-':
      return num(a - b);
    case '*':
      return num(a * b);
    case '/':
      if (b === 0) raise('ZeroDivisionError', 'division by zero', site, 'zero-division');
      return new PyFloat(a / b);
    case '//':
      if (b === 0) raise('ZeroDivisionError', 'integer division or modulo by zero', site, 'zero-division');
      return num(Math.floor(a / b));
    case '%':
      if (b === 0) raise('ZeroDivisionError', 'integer division or modulo by zero', site, 'zero-division');
      return num(a - b * Math.floor(a / b));
    case '**':
      if (!isF && b < 0) return new PyFloat(a ** b);
      return num(a ** b);
    case '<<':
      return Number(a) * 2 ** b;
    case '>>':
      return Math.floor(a / 2 ** b);
    case '&':
      return typeof l === 'boolean' && typeof r === 'boolean' ? l && r : a & b;
    case '|':
      return typeof l === 'boolean' && typeof r === 'boolean' ? l || r : a | b;
    case '^':
      return a ^ b;
    default:
      return raise('TypeError', `unsupported operand type(s) for ${op}: '${typeName(l)}' and '${typeName(r)}'`, site, 'type-error');
  }
}

function percentFormat(fmt: string, r: Value): string {
  const args = r instanceof PyTuple ? r.items.slice() : [r];
  return fmt.replace(/%(\d*)([dsifr%])/g, (_m, _w, c: string) => {
    if (c === '%') return '%';
    const v = args.shift();
    if (v === undefined) return '';
    if (c === 'd' || c === 'i') return String(Math.trunc(isNumber(v) ? numVal(v) : 0));
    return typeof v === 'string' ? v : isNumber(v) ? String(numVal(v)) : typeName(v);
  });
}

export function unaryop(ip: Interp, op: string, v: Value, site: Range): Value {
  if (v instanceof Tensor) return tensorUnary(ip, op, v, site);
  if (v instanceof Sym) return op === '-' ? D.neg(v) : op === '+' ? v : new Unknown(`${op} of a symbolic size`);
  if (v instanceof Unknown) return v;
  if (isNumber(v)) {
    const x = numVal(v);
    const isF = v instanceof PyFloat;
    if (op === '-') return isF ? new PyFloat(-x) : -x;
    if (op === '+') return isF ? new PyFloat(x) : x;
    if (op === '~') return ~x;
  }
  return raise('TypeError', `bad operand type for unary ${op}: '${typeName(v)}'`, site, 'type-error');
}

export function pyEquals(a: Value, b: Value): boolean {
  if (isNumber(a) && isNumber(b)) return numVal(a) === numVal(b);
  if ((a instanceof Sym || b instanceof Sym) && isDimValue(a) && isDimValue(b)) return D.eq(typeof a === "boolean" ? Number(a) : a, typeof b === "boolean" ? Number(b) : b) === true;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  if ((a instanceof PyTuple && b instanceof PyTuple) || (a instanceof PyList && b instanceof PyList)) {
    return a.items.length === b.items.length && a.items.every((x, i) => pyEquals(x, b.items[i]!));
  }
  if (a instanceof PyDict && b instanceof PyDict) return a.map.size === b.map.size && a.entries().every(([k, v]) => b.has(k) && pyEquals(v, b.get(k)!));
  return a === b;
}

/** One comparison; Unknown when either side is unknown, a Tensor for element-wise tensor compares. */
export function compare(ip: Interp, op: string, a: Value, b: Value, site: Range): Value {
  if (op === 'is' || op === 'is not') {
    if (a instanceof Unknown || b instanceof Unknown) {
      // `x is None` is knowable for an unknown value that is not None only if we know it isn't None.
      return new Unknown('identity test of an unknown value');
    }
    const same = a === b || (a === null && b === null) || (typeof a === 'boolean' && a === b);
    return op === 'is' ? same : !same;
  }
  if (op === 'in' || op === 'not in') {
    const r = contains(b, a, site);
    if (r instanceof Unknown) return r;
    return op === 'in' ? r : !r;
  }
  if (a instanceof Tensor || b instanceof Tensor) return tensorCompare(ip, op, a, b, site);
  if (a instanceof Unknown || b instanceof Unknown) return new Unknown('comparison with an unknown value');
  if ((a instanceof Sym || b instanceof Sym) && isDimValue(a) && isDimValue(b)) {
    const x: Dim = typeof a === 'boolean' ? Number(a) : a;
    const y: Dim = typeof b === 'boolean' ? Number(b) : b;
    const e = D.eq(x, y);
    if (op === '==' && e !== null) return e;
    if (op === '!=' && e !== null) return !e;
    const diff = D.sub(x, y);
    if (typeof diff === 'number') return compare(ip, op, diff, 0, site);
    return new Unknown(`a comparison of symbolic sizes (${D.dimStr(x)} ${op} ${D.dimStr(y)})`);
  }
  if (op === '==') return pyEquals(a, b);
  if (op === '!=') return !pyEquals(a, b);
  const c = order(a, b, site, op);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
  return raise('TypeError', `unsupported comparison ${op}`, site, 'type-error');
}

function order(a: Value, b: Value, site: Range, op: string): number {
  if (isNumber(a) && isNumber(b)) return numVal(a) - numVal(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((a instanceof PyTuple && b instanceof PyTuple) || (a instanceof PyList && b instanceof PyList)) {
    for (let i = 0; i < Math.min(a.items.length, b.items.length); i++) {
      if (!pyEquals(a.items[i]!, b.items[i]!)) return order(a.items[i]!, b.items[i]!, site, op);
    }
    return a.items.length - b.items.length;
  }
  return raise('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`, site, 'type-error');
}

function contains(container: Value, item: Value, site: Range): boolean | Unknown {
  if (container instanceof Unknown || item instanceof Unknown) return new Unknown('membership test with an unknown value');
  if (container instanceof PyList || container instanceof PyTuple || container instanceof PySet) return container.items.some((x) => pyEquals(x, item));
  if (container instanceof PyDict) return container.has(item);
  if (typeof container === 'string' && typeof item === 'string') return container.includes(item);
  if (container instanceof PyRange && typeof item === 'number') {
    return container.step > 0 ? item >= container.start && item < container.stop && (item - container.start) % container.step === 0 : item <= container.start && item > container.stop && (container.start - item) % -container.step === 0;
  }
  if (container instanceof PyObject && container.module) {
    if (container.cls.builtinBase?.name === 'ModuleDict' && typeof item === 'string') return container.module.children.has(item);
    return [...container.module.children.values()].includes(item as PyObject);
  }
  if (container instanceof PyClass) return new Unknown('membership in a class');
  return raise('TypeError', `argument of type '${typeName(container)}' is not iterable`, site, 'type-error');
}

/** Python truthiness; null when it cannot be known. */
export function truthy(v: Value): boolean | null {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof PyFloat) return v.v !== 0;
  if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items.length > 0;
  if (v instanceof PyDict) return v.map.size > 0;
  if (v instanceof PyRange) return v.length > 0;
  if (v instanceof Unknown || v instanceof Sym) return null;
  if (v instanceof Tensor) return null;
  if (v instanceof PyObject && v.module) {
    const base = v.cls.builtinBase?.name;
    if (base === 'Sequential' || base === 'ModuleList' || base === 'ModuleDict') return v.module.children.size > 0;
  }
  return true;
}
