// Module containers: nn.Sequential (positional or OrderedDict), nn.ModuleList, nn.ModuleDict,
// nn.ParameterList and nn.ParameterDict, with the list/dict methods model code calls on them.
import { method } from './nnModule';
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { PyClass, PyDict, PyList, PyObject, PyTuple, Unknown, isInt, typeName, type CallArgs, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { ModuleState } from './moduleState';
import { Tensor } from './tensor';


/** Checks a value is a module before it goes into a container (PyTorch raises TypeError). */
function asModule(v: Value, site: Range, container: string): PyObject | null {
  if (v instanceof PyObject && v.module) return v;
  if (v instanceof Unknown) return null;
  return raise('TypeError', `${container}: ${typeName(v)} is not a Module subclass${v instanceof PyList ? ' (did you mean to unpack the list with *?)' : ''}`, site, 'type-error');
}

function addChild(ip: Interp, self: PyObject, key: string, v: Value, site: Range, container: string): void {
  const m = asModule(v, site, container);
  if (m) self.module!.children.set(key, m);
  else ip.report(site, 'information', 'unknown-module', `${container}: an element is not known statically; it is left out, and shapes after it are unknown`);
}

export function makeContainers(ip: Interp, Module: PyClass, out: Map<string, PyClass>): void {
  const Sequential = new PyClass('Sequential', [Module], null, { qualname: 'torch.nn.Sequential', isModule: true });
  method(Sequential, '__init__', (self, a) => {
    if (a.pos.length === 1 && a.pos[0] instanceof PyDict) {
      for (const [k, v] of a.pos[0].entries()) addChild(ip, self, String(k), v, a.site, 'Sequential');
    } else a.pos.forEach((v, i) => addChild(ip, self, String(i), v, a.site, 'Sequential'));
    return null;
  });
  method(Sequential, 'forward', (self, a) => {
    let x: Value = a.pos[0] ?? null;
    for (const c of self.module!.children.values()) {
      if (!c) continue;
      x = ip.call(c, { pos: [x], kw: new Map(), site: a.site });
    }
    return x;
  });
  method(Sequential, 'append', (self, a) => (addChild(ip, self, String(self.module!.children.size), a.pos[0]!, a.site, 'Sequential'), self));
  method(Sequential, 'extend', (self, a) => {
    for (const v of ip.iterate(a.pos[0]!, a.site) ?? []) addChild(ip, self, String(self.module!.children.size), v, a.site, 'Sequential');
    return self;
  });
  method(Sequential, 'insert', (self, a) => (insertAt(ip, self, a), self));
  method(Sequential, 'pop', (self, a) => popAt(self, a));
  out.set('Sequential', Sequential);

  const ModuleList = new PyClass('ModuleList', [Module], null, { qualname: 'torch.nn.ModuleList', isModule: true });
  method(ModuleList, '__init__', (self, a) => {
    const src = a.pos[0] ?? a.kw.get('modules');
    if (src !== undefined && src !== null) for (const v of ip.iterate(src, a.site) ?? []) addChild(ip, self, String(self.module!.children.size), v, a.site, 'ModuleList');
    return null;
  });
  method(ModuleList, 'append', (self, a) => (addChild(ip, self, String(self.module!.children.size), a.pos[0]!, a.site, 'ModuleList'), self));
  method(ModuleList, 'extend', (self, a) => {
    for (const v of ip.iterate(a.pos[0]!, a.site) ?? []) addChild(ip, self, String(self.module!.children.size), v, a.site, 'ModuleList');
    return self;
  });
  method(ModuleList, 'insert', (self, a) => (insertAt(ip, self, a), null));
  method(ModuleList, 'pop', (self, a) => popAt(self, a));
  method(ModuleList, 'forward', (self, a) => raise('NotImplementedError', `Module [ModuleList] is missing the required "forward" function (iterate over it instead of calling it)`, a.site, 'no-forward'));
  out.set('ModuleList', ModuleList);

  const ModuleDict = new PyClass('ModuleDict', [Module], null, { qualname: 'torch.nn.ModuleDict', isModule: true });
  const update = (self: PyObject, src: Value, site: Range): void => {
    if (src instanceof PyDict) for (const [k, v] of src.entries()) addChild(ip, self, String(k), v, site, 'ModuleDict');
    else for (const pair of ip.iterate(src, site) ?? []) if (pair instanceof PyTuple || pair instanceof PyList) addChild(ip, self, String(pair.items[0]), pair.items[1]!, site, 'ModuleDict');
  };
  method(ModuleDict, '__init__', (self, a) => {
    const src = a.pos[0] ?? a.kw.get('modules');
    if (src !== undefined && src !== null) update(self, src, a.site);
    return null;
  });
  method(ModuleDict, 'update', (self, a) => (update(self, a.pos[0]!, a.site), null));
  method(ModuleDict, 'keys', (self) => new PyList([...self.module!.children.keys()]));
  method(ModuleDict, 'values', (self) => new PyList([...self.module!.children.values()]));
  method(ModuleDict, 'items', (self) => new PyList([...self.module!.children.entries()].map(([k, v]) => new PyTuple([k, v]))));
  method(ModuleDict, 'pop', (self, a) => {
    const k = String(a.pos[0]);
    const v = self.module!.children.get(k);
    if (v === undefined) raise('KeyError', `'${k}'`, a.site, 'key-error');
    self.module!.children.delete(k);
    return v;
  });
  method(ModuleDict, 'forward', (self, a) => raise('NotImplementedError', 'Module [ModuleDict] is missing the required "forward" function (index it instead of calling it)', a.site, 'no-forward'));
  out.set('ModuleDict', ModuleDict);

  const ParameterList = new PyClass('ParameterList', [Module], null, { qualname: 'torch.nn.ParameterList', isModule: true });
  const addParam = (self: PyObject, key: string, v: Value): void => {
    if (v instanceof Tensor) {
      if (!v.param) v.param = { requiresGrad: true };
      self.module!.params.set(key, v);
    }
  };
  method(ParameterList, '__init__', (self, a) => {
    const src = a.pos[0] ?? a.kw.get('values');
    if (src !== undefined && src !== null) for (const v of ip.iterate(src, a.site) ?? []) addParam(self, String(self.module!.params.size), v);
    return null;
  });
  method(ParameterList, 'append', (self, a) => (addParam(self, String(self.module!.params.size), a.pos[0]!), self));
  out.set('ParameterList', ParameterList);

  const ParameterDict = new PyClass('ParameterDict', [Module], null, { qualname: 'torch.nn.ParameterDict', isModule: true });
  method(ParameterDict, '__init__', (self, a) => {
    const src = a.pos[0] ?? a.kw.get('parameters');
    if (src instanceof PyDict) for (const [k, v] of src.entries()) addParam(self, String(k), v);
    return null;
  });
  out.set('ParameterDict', ParameterDict);
}

function insertAt(ip: Interp, self: PyObject, a: CallArgs): void {
  const entries = [...self.module!.children.values()];
  const n = entries.length;
  let i = isInt(a.pos[0]!) ? Number(a.pos[0]) : n;
  if (i < 0) i += n;
  const m = asModule(a.pos[1]!, a.site, 'insert');
  if (!m) return;
  entries.splice(Math.max(0, Math.min(n, i)), 0, m);
  self.module!.children.clear();
  entries.forEach((c, k) => self.module!.children.set(String(k), c));
}

function popAt(self: PyObject, a: CallArgs): Value {
  const entries = [...self.module!.children.entries()];
  let i = a.pos.length && isInt(a.pos[0]!) ? Number(a.pos[0]) : -1;
  if (i < 0) i += entries.length;
  if (i < 0 || i >= entries.length) raise('IndexError', 'pop index out of range', a.site, 'index-error');
  const [key, v] = entries[i]!;
  self.module!.children.delete(key);
  return v;
}

/** `seq[1:3]`: a new container of the same built-in kind sharing the selected children. */
export function containerSlice(ip: Interp, o: PyObject, entries: [string, PyObject | null][], site: Range): PyObject {
  const base = o.cls.builtinBase!;
  const n = new PyObject(base);
  n.module = new ModuleState(site);
  const renumber = base.name === 'ModuleList';
  entries.forEach(([k, v], i) => n.module!.children.set(renumber ? String(i) : k, v));
  n.module.training = o.module!.training;
  return n;
}
