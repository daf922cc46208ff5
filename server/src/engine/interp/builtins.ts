// Python's built-in functions and types, as far as model code uses them (range, len, zip, isinstance, super, ...).
import { Sym, dimStr } from '../torch/dim';
import { PyRaise, raise } from './errors';
import { binop, pyEquals, truthy, compare } from './operators';
import {
  BoundMethod, Builtin, PyClass, PyDict, PyExceptionValue, PyFloat, PyFunction, PyList, PyObject, PyRange, PySet, PyTuple,
  SuperProxy, Unknown, isInt, isNumber, numVal, repr, typeName, type CallArgs, type Value, PySlice, Namespace,
  SymbolicRange,
} from './values';
import { Tensor } from '../torch/tensor';
import type { Interp } from './interpreter';

const EXCEPTIONS = ['Exception', 'BaseException', 'ValueError', 'TypeError', 'RuntimeError', 'NotImplementedError', 'AssertionError', 'KeyError', 'IndexError', 'AttributeError', 'ZeroDivisionError', 'LookupError', 'StopIteration', 'ImportError', 'ModuleNotFoundError', 'NameError', 'Warning', 'UserWarning', 'DeprecationWarning'];

export function makeBuiltins(ip: Interp): Map<string, Value> {
  const b = new Map<string, Value>();
  const def = (name: string, f: (a: CallArgs) => Value): void => void b.set(name, new Builtin(name, f));
  const typeCls = (name: string, construct: (a: CallArgs) => Value): PyClass => {
    const c = new PyClass(name, [], null, { qualname: name, construct });
    b.set(name, c);
    return c;
  };
  const items = (v: Value, a: CallArgs): Value[] | null => ip.iterate(v, a.site);

  const objectCls = new PyClass('object', [], null, { qualname: 'object' });
  objectCls.attrs.set('__init__', new Builtin('object.__init__', () => null));
  b.set('object', objectCls);

  for (const e of EXCEPTIONS) {
    typeCls(e, (a) => new PyExceptionValue(e, a.pos.map((x) => (typeof x === 'string' ? x : repr(x))).join(', ')));
  }

  typeCls('int', (a) => {
    const v = a.pos[0] ?? 0;
    if (typeof v === 'string') {
      const n = parseInt(v, a.pos[1] !== undefined ? Number(a.pos[1]) : 10);
      if (Number.isNaN(n)) raise('ValueError', `invalid literal for int(): '${v}'`, a.site, 'value-error');
      return n;
    }
    if (isNumber(v)) return Math.trunc(numVal(v));
    if (v instanceof Sym) return v;
    if (v instanceof Tensor) return new Unknown('the value of a tensor');
    if (v instanceof Unknown) return v;
    return raise('TypeError', `int() argument must be a string or a number, not '${typeName(v)}'`, a.site, 'type-error');
  });
  typeCls('float', (a) => {
    const v = a.pos[0] ?? 0;
    if (typeof v === 'string') return new PyFloat(v.trim().toLowerCase() === 'inf' ? Infinity : parseFloat(v));
    if (isNumber(v)) return new PyFloat(numVal(v));
    return new Unknown('float() of a non-number');
  });
  typeCls('bool', (a) => {
    const t = truthy(a.pos[0] ?? false);
    return t === null ? new Unknown('bool() of an unknown value') : t;
  });
  typeCls('str', (a) => (a.pos.length ? (typeof a.pos[0] === 'string' ? a.pos[0] : repr(a.pos[0]!)) : ''));
  typeCls('list', (a) => new PyList(a.pos.length ? (items(a.pos[0]!, a) ?? []) : []));
  typeCls('tuple', (a) => new PyTuple(a.pos.length ? (items(a.pos[0]!, a) ?? []) : []));
  typeCls('set', (a) => {
    const out: Value[] = [];
    for (const x of a.pos.length ? (items(a.pos[0]!, a) ?? []) : []) if (!out.some((y) => pyEquals(x, y))) out.push(x);
    return new PySet(out);
  });
  typeCls('frozenset', (a) => new PySet(a.pos.length ? (items(a.pos[0]!, a) ?? []) : []));
  const dictFrom = (a: CallArgs): PyDict => {
    const d = new PyDict();
    const src = a.pos[0];
    if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
    else if (src !== undefined) {
      for (const pair of items(src, a) ?? []) {
        if (pair instanceof PyTuple || pair instanceof PyList) d.set(pair.items[0]!, pair.items[1]!);
      }
    }
    for (const [k, v] of a.kw) d.set(k, v);
    return d;
  };
  typeCls('dict', dictFrom);
  b.set('_dictFrom', new Builtin('dict', dictFrom));
  typeCls('range', (a) => {
    const n = a.pos.map((x) => (isInt(x) ? Number(x) : NaN));
    if (n.some((x) => Number.isNaN(x))) {
      if (a.pos.some((x) => x instanceof Unknown || x instanceof Tensor)) return new Unknown('range() of an unknown value');
      // A loop over time steps of a declared [T, ...] input: its count is a symbol, not an error.
      const sym = a.pos.find((x): x is Sym => x instanceof Sym);
      if (sym) return new SymbolicRange(`range() over the symbolic size ${dimStr(sym)}`, a.pos.length > 1 && isInt(a.pos[0]!) ? Number(a.pos[0]) : 0, a.pos.length === 1 ? sym : null);
      raise('TypeError', `'${typeName(a.pos.find((x) => !isInt(x))!)}' object cannot be interpreted as an integer`, a.site, 'type-error');
    }
    if (n.length === 1) return new PyRange(0, n[0]!, 1);
    if (n[2] === 0) raise('ValueError', 'range() arg 3 must not be zero', a.site, 'value-error');
    return new PyRange(n[0]!, n[1]!, n[2] ?? 1);
  });
  typeCls('slice', (a) => (a.pos.length === 1 ? new PySlice(null, a.pos[0]!, null) : new PySlice(a.pos[0] ?? null, a.pos[1] ?? null, a.pos[2] ?? null)));

  def('len', (a) => {
    const v = a.pos[0]!;
    if (typeof v === 'string') return v.length;
    if (v instanceof PyList && v.symbolicCount !== undefined && v.items.length === 1) return v.symbolicCount;
    if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items.length;
    if (v instanceof PyDict) return v.map.size;
    if (v instanceof PyRange) return v.length;
    if (v instanceof Tensor) {
      if (v.rank === 0) raise('TypeError', 'len() of a 0-d tensor', a.site, 'type-error');
      return v.shape[0]!;
    }
    if (v instanceof PyObject && v.module) return v.module.children.size;
    if (v instanceof Unknown) return new Unknown(v.reason);
    return raise('TypeError', `object of type '${typeName(v)}' has no len()`, a.site, 'type-error');
  });
  def('print', () => null);
  def('enumerate', (a) => {
    const start = isInt(a.pos[1] ?? a.kw.get('start') ?? 0) ? Number(a.pos[1] ?? a.kw.get('start') ?? 0) : 0;
    const it = items(a.pos[0]!, a);
    return it ? new PyList(it.map((x, i) => new PyTuple([i + start, x]))) : new Unknown('enumerate() of an unknown value');
  });
  def('zip', (a) => {
    const lists = a.pos.map((x) => items(x, a));
    if (lists.some((l) => l === null)) return new Unknown('zip() of an unknown value');
    const n = Math.min(...lists.map((l) => l!.length));
    return new PyList(Array.from({ length: lists.length ? n : 0 }, (_, i) => new PyTuple(lists.map((l) => l![i]!))));
  });
  def('reversed', (a) => new PyList((items(a.pos[0]!, a) ?? []).slice().reverse()));
  def('sorted', (a) => {
    const it = (items(a.pos[0]!, a) ?? []).slice();
    const key = a.kw.get('key');
    const k = (x: Value): Value => (key && key !== null ? ip.call(key, { pos: [x], kw: new Map(), site: a.site }) : x);
    it.sort((x, y) => (compare(ip, '<', k(x), k(y), a.site) === true ? -1 : compare(ip, '>', k(x), k(y), a.site) === true ? 1 : 0));
    if (a.kw.get('reverse') === true) it.reverse();
    return new PyList(it);
  });
  const minmax = (name: 'min' | 'max') => (a: CallArgs): Value => {
    const vals = a.pos.length === 1 ? items(a.pos[0]!, a) : a.pos;
    if (!vals) return new Unknown(`${name}() of an unknown value`);
    if (!vals.length) {
      if (a.kw.has('default')) return a.kw.get('default')!;
      raise('ValueError', `${name}() arg is an empty sequence`, a.site, 'value-error');
    }
    if (vals.some((v) => v instanceof Unknown)) return new Unknown(`${name}() of an unknown value`);
    if (vals.some((v) => v instanceof Tensor)) return new Unknown(`${name}() over tensors`);
    const key = a.kw.get('key');
    const k = (x: Value): Value => (key ? ip.call(key, { pos: [x], kw: new Map(), site: a.site }) : x);
    let best: Value = vals[0]!;
    for (const v of vals.slice(1)) if (compare(ip, name === 'min' ? '<' : '>', k(v), k(best), a.site) === true) best = v;
    return best;
  };
  def('min', minmax('min'));
  def('max', minmax('max'));
  def('sum', (a) => {
    const vals = items(a.pos[0]!, a);
    if (!vals) return new Unknown('sum() of an unknown value');
    let acc: Value = a.pos[1] ?? a.kw.get('start') ?? 0;
    for (const v of vals) acc = binop(ip, '+', acc, v, a.site);
    return acc;
  });
  def('abs', (a) => {
    const v = a.pos[0]!;
    if (v instanceof PyFloat) return new PyFloat(Math.abs(v.v));
    if (isInt(v)) return Math.abs(Number(v));
    if (v instanceof Tensor) return new Tensor(v.shape.slice(), v.dtype, v.tags.slice(), v.dep);
    return new Unknown('abs() of an unknown value');
  });
  def('round', (a) => {
    const v = a.pos[0]!;
    if (!isNumber(v)) return new Unknown('round() of an unknown value');
    const x = numVal(v);
    const nd = a.pos[1] ?? a.kw.get('ndigits') ?? null;
    if (nd !== null && isInt(nd)) {
      const f = 10 ** Number(nd);
      return new PyFloat(roundHalfEven(x * f) / f);
    }
    return roundHalfEven(x);
  });
  def('divmod', (a) => {
    const x = numVal(a.pos[0] as number);
    const y = numVal(a.pos[1] as number);
    return new PyTuple([Math.floor(x / y), x - y * Math.floor(x / y)]);
  });
  def('pow', (a) => {
    const [x, y] = a.pos;
    if (!isNumber(x!) || !isNumber(y!)) return new Unknown('pow() of an unknown value');
    return x instanceof PyFloat || y instanceof PyFloat || numVal(y) < 0 ? new PyFloat(numVal(x) ** numVal(y)) : numVal(x) ** numVal(y);
  });
  def('any', (a) => {
    const it = items(a.pos[0]!, a);
    if (!it) return new Unknown('any() of an unknown value');
    return it.some((x) => truthy(x) === true);
  });
  def('all', (a) => {
    const it = items(a.pos[0]!, a);
    if (!it) return new Unknown('all() of an unknown value');
    return it.every((x) => truthy(x) === true);
  });
  def('map', (a) => {
    const lists = a.pos.slice(1).map((x) => items(x, a));
    if (lists.some((l) => !l)) return new Unknown('map() of an unknown value');
    const n = Math.min(...lists.map((l) => l!.length));
    return new PyList(Array.from({ length: n }, (_, i) => ip.call(a.pos[0]!, { pos: lists.map((l) => l![i]!), kw: new Map(), site: a.site })));
  });
  def('filter', (a) => {
    const it = items(a.pos[1]!, a) ?? [];
    const f = a.pos[0];
    return new PyList(it.filter((x) => truthy(f === null ? x : ip.call(f!, { pos: [x], kw: new Map(), site: a.site })) === true));
  });
  def('iter', (a) => new PyList(items(a.pos[0]!, a) ?? []));
  def('next', (a) => {
    const v = a.pos[0];
    if (v instanceof PyList) {
      if (!v.items.length) {
        if (a.pos.length > 1) return a.pos[1]!;
        raise('StopIteration', '', a.site, 'stop-iteration');
      }
      return v.items.shift()!;
    }
    return new Unknown('next() of an unknown iterator');
  });
  def('callable', (a) => {
    const v = a.pos[0]!;
    return v instanceof PyFunction || v instanceof Builtin || v instanceof BoundMethod || v instanceof PyClass || (v instanceof PyObject && (!!v.module || v.cls.lookup('__call__') !== undefined));
  });
  def('id', (a) => (typeof a.pos[0] === 'object' && a.pos[0] !== null ? 0 : 0));
  def('repr', (a) => repr(a.pos[0]!, 1));
  def('hash', () => new Unknown('hash()'));
  def('vars', () => new Unknown('vars()'));
  def('locals', () => new Unknown('locals()'));
  def('globals', () => new Unknown('globals()'));
  def('exec', (a) => ip.unsupported(a.site, 'exec()'));
  def('eval', (a) => ip.unsupported(a.site, 'eval()'));
  def('open', (a) => ip.unsupported(a.site, 'open()'));
  def('type', (a) => {
    const v = a.pos[0]!;
    if (v instanceof PyObject) return v.cls;
    const cls = b.get(typeName(v));
    return cls ?? new Unknown(`type of ${typeName(v)}`);
  });
  def('isinstance', (a) => isInstance(a.pos[0]!, a.pos[1]!));
  def('issubclass', (a) => {
    const c = a.pos[0]!;
    const t = a.pos[1]!;
    const targets = t instanceof PyTuple ? t.items : [t];
    if (!(c instanceof PyClass)) return new Unknown('issubclass of an unknown class');
    return targets.some((x) => x instanceof PyClass && c.isSubclassOf(x));
  });
  def('hasattr', (a) => {
    try {
      const v = ip.getAttr(a.pos[0]!, String(a.pos[1]), a.site);
      return v instanceof Unknown && a.pos[0] instanceof Unknown ? v : true;
    } catch (e) {
      if (e instanceof PyRaise && e.excType === 'AttributeError') return false;
      throw e;
    }
  });
  def('getattr', (a) => {
    const name = a.pos[1];
    if (typeof name !== 'string') return ip.unsupported(a.site, 'getattr() with a computed name that is not a string');
    try {
      return ip.getAttr(a.pos[0]!, name, a.site);
    } catch (e) {
      if (e instanceof PyRaise && e.excType === 'AttributeError' && a.pos.length > 2) return a.pos[2]!;
      throw e;
    }
  });
  def('setattr', (a) => {
    if (typeof a.pos[1] !== 'string') return ip.unsupported(a.site, 'setattr() with a computed name that is not a string');
    ip.setAttr(a.pos[0]!, a.pos[1], a.pos[2]!, a.site);
    return null;
  });
  def('delattr', () => null);
  def('super', (a) => {
    if (a.pos.length >= 2 && a.pos[0] instanceof PyClass) return new SuperProxy(a.pos[1]!, a.pos[0]);
    const top = ip.fnStack[ip.fnStack.length - 1];
    if (!top || !top.fn.owner) return raise('RuntimeError', 'super(): no arguments', a.site, 'super');
    const selfName = top.fn.params[0]?.name;
    const self = selfName ? top.scope.vars.get(selfName) : undefined;
    if (self === undefined) return raise('RuntimeError', 'super(): no arguments', a.site, 'super');
    return new SuperProxy(self, top.fn.owner);
  });
  b.set('None', null);
  b.set('True', true);
  b.set('False', false);
  b.set('NotImplemented', new Unknown('NotImplemented'));
  b.set('__builtins__', new Namespace('builtins', b));
  for (const deco of ['staticmethod', 'classmethod', 'property']) def(deco, (a) => a.pos[0]!);

  function isInstance(v: Value, t: Value): Value {
    if (t instanceof PyTuple) {
      const rs = t.items.map((x) => isInstance(v, x));
      if (rs.some((r) => r === true)) return true;
      if (rs.some((r) => r instanceof Unknown)) return new Unknown('isinstance with an unknown class');
      return false;
    }
    if (v instanceof Unknown || t instanceof Unknown) return new Unknown('isinstance of an unknown value');
    if (!(t instanceof PyClass)) return raise('TypeError', 'isinstance() arg 2 must be a type or tuple of types', ip.site, 'type-error');
    if (v instanceof PyObject) return v.cls.isSubclassOf(t);
    if (t.name === 'object') return true;
    if (t.builtin?.qualname === 'torch.Tensor') return v instanceof Tensor;
    if (t.builtin?.qualname === 'torch.nn.Parameter') return v instanceof Tensor && v.param !== null;
    const tn = typeName(v);
    return tn === t.name || (t.name === 'int' && tn === 'bool') || (t.name === 'tuple' && tn === 'tuple');
  }

  return b;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
