// Methods of Python's built-in types that model code calls: list.append, dict.items, str.format, ...
import type { Range } from '../syntax/ast';
import { raise } from './errors';
import { formatValue, type Interp } from './interpreter';
import { pyEquals } from './operators';
import { Builtin, PyDict, PyFloat, PyList, PySet, PyTuple, repr, type CallArgs, type Value } from './values';

const fn = (name: string, f: (a: CallArgs) => Value): Builtin => new Builtin(name, f);

export function pyMethod(ip: Interp, o: Value, name: string, r: Range): Value | undefined {
  if (o instanceof PyList) return listMethod(ip, o, name, r);
  if (o instanceof PyTuple) {
    const fi = o.fields?.indexOf(name) ?? -1;
    if (fi >= 0) return o.items[fi];
    if (name === 'index') return fn('tuple.index', (a) => indexOf(o.items, a.pos[0]!, r));
    if (name === 'count') return fn('tuple.count', (a) => o.items.filter((x) => pyEquals(x, a.pos[0]!)).length);
    if (name === 'numel') return fn('Size.numel', () => o.items.reduce<number>((p, x) => p * Number(x), 1));
    return undefined;
  }
  if (o instanceof PyDict) return dictMethod(ip, o, name);
  if (o instanceof PySet) {
    if (name === 'add') return fn('set.add', (a) => (o.items.some((x) => pyEquals(x, a.pos[0]!)) || o.items.push(a.pos[0]!), null));
    return undefined;
  }
  if (typeof o === 'string') return strMethod(ip, o, name);
  if (o instanceof PyFloat && name === 'is_integer') return fn('float.is_integer', () => Number.isInteger(o.v));
  return undefined;
}

function indexOf(items: Value[], v: Value, r: Range): number {
  const i = items.findIndex((x) => pyEquals(x, v));
  if (i < 0) raise('ValueError', `${repr(v)} is not in list`, r, 'value-error');
  return i;
}

function listMethod(ip: Interp, o: PyList, name: string, r: Range): Value | undefined {
  switch (name) {
    case 'append':
      return fn('list.append', (a) => {
        o.items.push(a.pos[0]!);
        // Appending in the one pass of a symbolic loop to a list made before it: it stands for `count` items.
        const pass = ip.symbolicPasses[ip.symbolicPasses.length - 1];
        if (pass && o.born !== pass.id && o.items.length === 1) o.symbolicCount = pass.count;
        return null;
      });
    case 'extend':
      return fn('list.extend', (a) => {
        const it = ip.iterate(a.pos[0]!, a.site);
        if (it) o.items.push(...it);
        return null;
      });
    case 'insert':
      return fn('list.insert', (a) => {
        const i = Number(a.pos[0]);
        o.items.splice(i < 0 ? Math.max(0, o.items.length + i) : i, 0, a.pos[1]!);
        return null;
      });
    case 'pop':
      return fn('list.pop', (a) => {
        if (!o.items.length) raise('IndexError', 'pop from empty list', a.site, 'index-error');
        const i = a.pos.length ? Number(a.pos[0]) : -1;
        return o.items.splice(i < 0 ? o.items.length + i : i, 1)[0]!;
      });
    case 'index':
      return fn('list.index', (a) => indexOf(o.items, a.pos[0]!, r));
    case 'count':
      return fn('list.count', (a) => o.items.filter((x) => pyEquals(x, a.pos[0]!)).length);
    case 'reverse':
      return fn('list.reverse', () => (o.items.reverse(), null));
    case 'copy':
      return fn('list.copy', () => new PyList(o.items.slice()));
    case 'clear':
      return fn('list.clear', () => ((o.items = []), null));
    case 'remove':
      return fn('list.remove', (a) => (o.items.splice(indexOf(o.items, a.pos[0]!, r), 1), null));
    case 'sort':
      return fn('list.sort', (a) => {
        const rev = a.kw.get('reverse') === true;
        o.items.sort((x, y) => (Number(x) - Number(y)) * (rev ? -1 : 1));
        return null;
      });
  }
  return undefined;
}

function dictMethod(ip: Interp, o: PyDict, name: string): Value | undefined {
  switch (name) {
    case 'keys':
      return fn('dict.keys', () => new PyList(o.keys()));
    case 'values':
      return fn('dict.values', () => new PyList(o.values()));
    case 'items':
      return fn('dict.items', () => new PyList(o.entries().map(([k, v]) => new PyTuple([k, v]))));
    case 'get':
      return fn('dict.get', (a) => o.get(a.pos[0]!) ?? a.pos[1] ?? null);
    case 'pop':
      return fn('dict.pop', (a) => {
        const v = o.get(a.pos[0]!);
        if (v === undefined) {
          if (a.pos.length > 1) return a.pos[1]!;
          return raise('KeyError', repr(a.pos[0]!, 1), a.site, 'key-error');
        }
        o.delete(a.pos[0]!);
        return v;
      });
    case 'setdefault':
      return fn('dict.setdefault', (a) => {
        const v = o.get(a.pos[0]!);
        if (v !== undefined) return v;
        o.set(a.pos[0]!, a.pos[1] ?? null);
        return a.pos[1] ?? null;
      });
    case 'update':
      return fn('dict.update', (a) => {
        for (const src of a.pos) {
          if (src instanceof PyDict) for (const [k, v] of src.entries()) o.set(k, v);
          else {
            const it = ip.iterate(src, a.site);
            for (const pair of it ?? []) if (pair instanceof PyTuple || pair instanceof PyList) o.set(pair.items[0]!, pair.items[1]!);
          }
        }
        for (const [k, v] of a.kw) o.set(k, v);
        return null;
      });
    case 'copy':
      return fn('dict.copy', () => {
        const d = new PyDict();
        for (const [k, v] of o.entries()) d.set(k, v);
        return d;
      });
  }
  return undefined;
}

function strMethod(ip: Interp, s: string, name: string): Value | undefined {
  switch (name) {
    case 'format':
      return fn('str.format', (a) => {
        let auto = 0;
        return s.replace(/\{([^{}:]*)(?::([^{}]*))?\}/g, (_m, key: string, spec: string | undefined) => {
          const v = key === '' ? a.pos[auto++] : /^\d+$/.test(key) ? a.pos[Number(key)] : a.kw.get(key);
          return v === undefined ? '' : formatValue(v, spec ?? '');
        });
      });
    case 'join':
      return fn('str.join', (a) => (ip.iterate(a.pos[0]!, a.site) ?? []).map((x) => (typeof x === 'string' ? x : repr(x))).join(s));
    case 'split':
      return fn('str.split', (a) => new PyList(typeof a.pos[0] === 'string' ? s.split(a.pos[0]) : s.trim().split(/\s+/)));
    case 'upper':
      return fn('str.upper', () => s.toUpperCase());
    case 'lower':
      return fn('str.lower', () => s.toLowerCase());
    case 'strip':
      return fn('str.strip', () => s.trim());
    case 'startswith':
      return fn('str.startswith', (a) => typeof a.pos[0] === 'string' && s.startsWith(a.pos[0]));
    case 'endswith':
      return fn('str.endswith', (a) => typeof a.pos[0] === 'string' && s.endsWith(a.pos[0]));
    case 'replace':
      return fn('str.replace', (a) => s.split(String(a.pos[0])).join(String(a.pos[1])));
    case 'isdigit':
      return fn('str.isdigit', () => /^\d+$/.test(s));
    case 'find':
      return fn('str.find', (a) => s.indexOf(String(a.pos[0])));
    case 'rfind':
      return fn('str.rfind', (a) => s.lastIndexOf(String(a.pos[0])));
    case 'index':
      return fn('str.index', (a) => {
        const i = s.indexOf(String(a.pos[0]));
        if (i < 0) raise('ValueError', 'substring not found', a.site, 'value-error');
        return i;
      });
    case 'count':
      return fn('str.count', (a) => (String(a.pos[0]) ? s.split(String(a.pos[0])).length - 1 : s.length + 1));
    case 'lstrip':
      return fn('str.lstrip', () => s.replace(/^\s+/, ''));
    case 'rstrip':
      return fn('str.rstrip', () => s.replace(/\s+$/, ''));
    case 'title':
      return fn('str.title', () => s.replace(/\b\w/g, (c) => c.toUpperCase()));
    case 'capitalize':
      return fn('str.capitalize', () => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase());
    case 'zfill':
      return fn('str.zfill', (a) => s.padStart(Number(a.pos[0]), '0'));
    case 'isalpha':
      return fn('str.isalpha', () => /^[A-Za-z]+$/.test(s));
    case 'rsplit':
      return fn('str.rsplit', (a) => new PyList(typeof a.pos[0] === 'string' ? s.split(a.pos[0]) : s.trim().split(/\s+/)));
  }
  return undefined;
}


