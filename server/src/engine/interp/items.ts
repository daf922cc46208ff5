// Subscripting: `a[i]`, `a[i:j]`, `a[k] = v`, `del a[k]` for Python values, module containers and tensors.
import type { Range } from '../syntax/ast';
import { raise } from './errors';
import { PyDict, PyList, PyObject, PySlice, PyTuple, Unknown, isInt, repr, typeName, type Value, PyRange } from './values';
import { Tensor } from '../torch/tensor';
import { tensorIndex } from '../torch/indexing';
import { containerSlice } from '../torch/containers';
import type { Interp } from './interpreter';

/** Resolves a slice against a length into the list of indices it selects. */
export function sliceIndices(s: PySlice, len: number, site: Range): number[] | null {
  const num = (v: Value): number | null | undefined => (v === null ? null : isInt(v) ? Number(v) : undefined);
  const lo = num(s.lo);
  const hi = num(s.hi);
  const st = num(s.step);
  if (lo === undefined || hi === undefined || st === undefined) return null;
  const step = st ?? 1;
  if (step === 0) raise('ValueError', 'slice step cannot be zero', site, 'value-error');
  const clamp = (x: number, lower: number, upper: number): number => Math.min(Math.max(x, lower), upper);
  let start: number;
  let stop: number;
  if (step > 0) {
    start = lo === null ? 0 : clamp(lo < 0 ? lo + len : lo, 0, len);
    stop = hi === null ? len : clamp(hi < 0 ? hi + len : hi, 0, len);
  } else {
    start = lo === null ? len - 1 : clamp(lo < 0 ? lo + len : lo, -1, len - 1);
    stop = hi === null ? -1 : clamp(hi < 0 ? hi + len : hi, -1, len - 1);
  }
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

function normIndex(i: number, len: number, what: string, site: Range): number {
  const j = i < 0 ? i + len : i;
  if (j < 0 || j >= len) raise('IndexError', `${what} index ${i} out of range (length ${len})`, site, 'index-error');
  return j;
}

export function getItem(ip: Interp, o: Value, idx: Value, site: Range): Value {
  if (o instanceof Tensor) return tensorIndex(ip, o, idx, site);
  if (o instanceof Unknown) return new Unknown(o.reason);
  if (idx instanceof Unknown) return new Unknown(idx.reason);
  if (o instanceof PyList || o instanceof PyTuple || typeof o === 'string') {
    const items: Value[] = typeof o === 'string' ? [...o] : o.items;
    if (idx instanceof PySlice) {
      const ix = sliceIndices(idx, items.length, site);
      if (!ix) return new Unknown('slice with unknown bounds');
      const sel = ix.map((i) => items[i]!);
      return typeof o === 'string' ? sel.join('') : o instanceof PyList ? new PyList(sel) : new PyTuple(sel);
    }
    if (isInt(idx)) return items[normIndex(Number(idx), items.length, typeName(o), site)]!;
    return raise('TypeError', `${typeName(o)} indices must be integers or slices, not ${typeName(idx)}`, site, 'type-error');
  }
  if (o instanceof PyRange) {
    if (isInt(idx)) return o.start + normIndex(Number(idx), o.length, 'range', site) * o.step;
  }
  if (o instanceof PyDict) {
    const v = o.get(idx);
    if (v === undefined) raise('KeyError', repr(idx, 1), site, 'key-error');
    return v;
  }
  if (o instanceof PyObject && o.module) {
    const base = o.cls.builtinBase?.name;
    const children = o.module.children;
    if (base === 'ModuleDict') {
      const c = children.get(String(idx));
      if (c === undefined) raise('KeyError', repr(idx, 1), site, 'key-error');
      return c;
    }
    if (base === 'Sequential' || base === 'ModuleList') {
      const entries = [...children.entries()];
      if (idx instanceof PySlice) {
        const ix = sliceIndices(idx, entries.length, site);
        if (!ix) return new Unknown('slice with unknown bounds');
        return containerSlice(ip, o, ix.map((i) => entries[i]!), site);
      }
      if (isInt(idx)) return entries[normIndex(Number(idx), entries.length, base, site)]![1];
    }
    if (base === 'ParameterList' && isInt(idx)) {
      const ps = [...o.module.params.values()];
      return ps[normIndex(Number(idx), ps.length, 'ParameterList', site)]!;
    }
    const gi = o.cls.lookup('__getitem__');
    if (gi) return ip.call(gi, { pos: [o, idx], kw: new Map(), site });
  }
  return raise('TypeError', `'${typeName(o)}' object is not subscriptable`, site, 'type-error');
}

export function setItem(ip: Interp, o: Value, idx: Value, v: Value, site: Range): void {
  if (o instanceof PyList) {
    if (isInt(idx)) {
      o.items[normIndex(Number(idx), o.items.length, 'list', site)] = v;
      return;
    }
    if (idx instanceof PySlice) {
      const ix = sliceIndices(idx, o.items.length, site);
      const vals = ip.iterate(v, site);
      if (ix && vals && (idx.step === null || idx.step === 1)) o.items.splice(ix[0] ?? o.items.length, ix.length, ...vals);
      return;
    }
  }
  if (o instanceof PyDict) {
    o.set(idx, v);
    return;
  }
  if (o instanceof PyObject && o.module) {
    const base = o.cls.builtinBase?.name;
    if (base === 'ModuleDict' && typeof idx === 'string' && v instanceof PyObject) {
      o.module.children.set(idx, v);
      return;
    }
    if ((base === 'Sequential' || base === 'ModuleList') && isInt(idx) && v instanceof PyObject) {
      const keys = [...o.module.children.keys()];
      o.module.children.set(keys[normIndex(Number(idx), keys.length, base, site)]!, v);
      return;
    }
  }
  if (o instanceof Tensor || o instanceof Unknown) return; // in-place writes keep the shape
  raise('TypeError', `'${typeName(o)}' object does not support item assignment`, site, 'type-error');
}

export function delItem(ip: Interp, o: Value, idx: Value, site: Range): void {
  if (o instanceof PyList && isInt(idx)) o.items.splice(normIndex(Number(idx), o.items.length, 'list', site), 1);
  else if (o instanceof PyDict) o.delete(idx);
  else if (o instanceof PyObject && o.module && typeof idx === 'string') o.module.children.delete(idx);
}
