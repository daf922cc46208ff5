// nn.Module itself: the built-in base class every model derives from, its methods (add_module,
// parameters, modules, apply, ...), and the helpers built-in layers use to declare themselves.
import type { Expr, Range } from '../syntax/ast';
import { PyRaise, raise, type Fix } from '../interp/errors';
import { Builtin, PyClass, PyList, PyObject, PyTuple, Unknown, typeName, type CallArgs, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { namedModules, parametersOf, type LayerImpl } from './moduleState';
import { Tensor, shapeStr, type ParamInit } from './tensor';
import { UnknownArg, bind, type Bound } from './args';
import { emitLayer } from '../graph/emitLayers';

/** Adds a built-in method to a built-in class; `self` arrives as the first argument. */
export const method = (cls: PyClass, name: string, f: (self: PyObject, a: CallArgs) => Value): void => {
  cls.attrs.set(name, new Builtin(`${cls.name}.${name}`, (a) => f(a.pos[0] as PyObject, { pos: a.pos.slice(1), kw: a.kw, site: a.site })));
};

export function newParam(shape: number[], init?: ParamInit): Tensor {
  const t = new Tensor(shape, 'float32');
  t.param = init ? { requiresGrad: true, init } : { requiresGrad: true };
  return t;
}

/** A name PyTorch accepts for add_module/register_*: a non-empty string without dots. */
function checkName(name: Value, site: Range, what: string): string {
  if (typeof name !== 'string') return raise('TypeError', `${what} name should be a string. Got ${typeName(name)}`, site, 'type-error');
  if (name.includes('.')) raise('KeyError', `${what} name can't contain ".", got: ${name}`, site, 'key-error');
  if (name === '') raise('KeyError', `${what} name can't be empty string ""`, site, 'key-error');
  return name;
}

export function makeModuleClass(ip: Interp, objectCls: PyClass): PyClass {
  const M = new PyClass('Module', [objectCls], null, { qualname: 'torch.nn.Module', isModule: true });
  method(M, '__init__', () => null);
  method(M, 'add_module', (self, a) => {
    const name = checkName(a.pos[0] ?? a.kw.get('name') ?? null, a.site, 'module');
    const m = a.pos[1] ?? a.kw.get('module') ?? null;
    if (m !== null && !(m instanceof PyObject && m.module) && !(m instanceof Unknown)) raise('TypeError', `${typeName(m)} is not a Module subclass`, a.site, 'type-error');
    if (m instanceof Unknown) return null;
    self.attrs.delete(name);
    self.module!.children.set(name, m as PyObject | null);
    return null;
  });
  M.attrs.set('register_module', M.attrs.get('add_module')!);
  method(M, 'register_buffer', (self, a) => {
    const name = checkName(a.pos[0] ?? a.kw.get('name') ?? null, a.site, 'buffer');
    const t = a.pos[1] ?? a.kw.get('tensor') ?? null;
    self.module!.buffers.set(name, t instanceof Tensor ? t : null);
    return null;
  });
  method(M, 'register_parameter', (self, a) => {
    const name = checkName(a.pos[0] ?? a.kw.get('name') ?? null, a.site, 'parameter');
    const p = a.pos[1] ?? a.kw.get('param') ?? null;
    if (p instanceof Tensor && !p.param) p.param = { requiresGrad: true };
    self.module!.params.set(name, p instanceof Tensor ? p : null);
    return null;
  });
  // Direct calls of the attribute protocol (`self.__setattr__('level_1', conv)` in DLA's Tree).
  method(M, '__setattr__', (self, a) => (typeof a.pos[0] === 'string' ? ip.setAttr(self, a.pos[0], a.pos[1] ?? null, a.site) : undefined, null));
  method(M, '__getattr__', (self, a) => (typeof a.pos[0] === 'string' ? ip.getAttr(self, a.pos[0], a.site) : new Unknown('__getattr__ with a computed name')));
  method(M, '__delattr__', (self, a) => {
    if (typeof a.pos[0] === 'string') {
      self.attrs.delete(a.pos[0]);
      self.module!.children.delete(a.pos[0]);
      self.module!.params.delete(a.pos[0]);
    }
    return null;
  });
  method(M, 'parameters', (self) => new PyList(parametersOf(self)));
  method(M, 'named_parameters', (self) => {
    const out: Value[] = [];
    const seen = new Set<Tensor>();
    for (const [path, m] of namedModules(self)) {
      for (const [n, p] of m.module!.params) if (p && !seen.has(p)) (seen.add(p), out.push(new PyTuple([path ? `${path}.${n}` : n, p])));
    }
    return new PyList(out);
  });
  method(M, 'buffers', (self) => new PyList(namedModules(self).flatMap(([, m]) => [...m.module!.buffers.values()].filter((b): b is Tensor => b !== null))));
  method(M, 'children', (self) => new PyList(uniqueChildren(self).map(([, c]) => c)));
  method(M, 'named_children', (self) => new PyList(uniqueChildren(self).map(([n, c]) => new PyTuple([n, c]))));
  method(M, 'modules', (self) => new PyList(namedModules(self).map(([, m]) => m)));
  method(M, 'named_modules', (self) => new PyList(namedModules(self).map(([p, m]) => new PyTuple([p, m]))));
  method(M, 'apply', (self, a) => {
    const fn = a.pos[0]!;
    const visit = (m: PyObject): void => {
      for (const [, c] of uniqueChildren(m)) visit(c);
      ip.call(fn, { pos: [m], kw: new Map(), site: a.site });
    };
    visit(self);
    return self;
  });
  const setTraining = (self: PyObject, mode: boolean): void => {
    for (const [, m] of namedModules(self)) m.module!.training = mode;
  };
  method(M, 'train', (self, a) => (setTraining(self, a.pos[0] !== false && a.kw.get('mode') !== false), self));
  method(M, 'eval', (self) => (setTraining(self, false), self));
  method(M, 'requires_grad_', (self, a) => {
    const flag = a.pos[0] ?? a.kw.get('requires_grad') ?? true;
    for (const p of parametersOf(self)) p.param!.requiresGrad = flag !== false;
    return self;
  });
  for (const same of ['to', 'cuda', 'cpu', 'float', 'double', 'half', 'bfloat16', 'type', 'share_memory', 'to_empty']) method(M, same, (self) => self);
  for (const none of ['zero_grad', 'load_state_dict', 'register_forward_hook', 'register_forward_pre_hook', 'register_backward_hook', 'register_full_backward_hook']) method(M, none, () => null);
  method(M, 'state_dict', () => new Unknown('state_dict()'));
  method(M, 'extra_repr', () => '');
  method(M, 'get_submodule', (self, a) => {
    let m: PyObject = self;
    for (const part of String(a.pos[0]).split('.').filter((x) => x)) {
      const c = m.module!.children.get(part);
      if (!c) raise('AttributeError', `${m.cls.name} has no attribute \`${part}\``, a.site, 'attribute-error');
      m = c;
    }
    return m;
  });
  method(M, 'forward', (self, a) => raise('NotImplementedError', `Module [${self.cls.name}] is missing the required "forward" function`, a.site, 'no-forward'));
  return M;
}

function uniqueChildren(m: PyObject): [string, PyObject][] {
  const seen = new Set<PyObject>();
  const out: [string, PyObject][] = [];
  for (const [n, c] of m.module!.children) if (c && !seen.has(c)) (seen.add(c), out.push([n, c]));
  return out;
}

// ---------------------------------------------------------------- built-in layers

export interface LayerSpec {
  /** __init__ parameters after self; '*' starts keyword-only ones. */
  sig: string[];
  required?: number;
  /** Accept any arguments (nn.Identity ignores its own). */
  lenient?: boolean;
  /** Attribute values for constructor arguments in PyTorch's stored form (kernel_size=3 -> (3, 3)). */
  attrs?(b: Bound): Map<string, Value>;
  /** Attributes for arguments left out (BatchNorm's eps=1e-05, ...). */
  defaults?: Record<string, Value>;
  /** Parses arguments (raising PyTorch's construction errors), registers parameters, returns the shape rule. */
  build(ip: Interp, self: PyObject, b: Bound, site: Range): LayerImpl;
}

/** A forward that only says why the layer's shape is unknown (its arguments were unknown). */
function unknownLayer(reason: string): LayerImpl {
  return { forward: () => new Unknown(reason) };
}

const specs = new WeakMap<PyClass, LayerSpec>();

export function defineLayer(ip: Interp, base: PyClass, name: string, spec: LayerSpec, qual = `torch.nn.${name}`): PyClass {
  const cls = new PyClass(name, [base], null, { qualname: qual, isModule: true });
  specs.set(cls, spec);
  cls.attrs.set(
    '__init__',
    new Builtin(`${name}.__init__`, (a) => {
      const self = a.pos[0] as PyObject;
      const rest: CallArgs = { pos: a.pos.slice(1), kw: a.kw, site: a.site };
      const b = spec.lenient ? new Map() : bind(rest, [...spec.sig, 'device', 'dtype'].filter((s, i, all) => all.indexOf(s) === i), name, spec.required ?? 0);
      try {
        self.module!.layer = spec.build(ip, self, b, a.site);
        // The constructor's arguments are readable attributes (`self.fc.in_features`), as in PyTorch;
        // layers store normalised forms (conv tuples) through `attrs`, the rest as given.
        const stored = spec.attrs ? spec.attrs(b) : new Map<string, Value>();
        for (const [k, v] of b) if (!stored.has(k) && k !== 'weight' && k !== 'bias' && k !== 'device' && k !== 'dtype') stored.set(k, v);
        for (const [k, v] of Object.entries(spec.defaults ?? {})) if (!stored.has(k)) stored.set(k, v);
        for (const [k, v] of stored) if (!self.module!.params.has(k) && !self.module!.children.has(k)) self.attrs.set(k, v);
      } catch (e) {
        if (!(e instanceof UnknownArg)) throw e;
        ip.report(a.site, 'information', 'unknown-argument', `The arguments of this ${name} are not known statically (${e.reason}); its shape and parameters are unknown`);
        self.module!.layer = unknownLayer(`${name} with unknown arguments`);
      }
      return null;
    }),
  );
  // So that subclasses can call super().forward(x) (class CausalConv1d(nn.Conv1d)).
  cls.attrs.set(
    'forward',
    new Builtin(`${name}.forward`, (a) => {
      const self = a.pos[0] as PyObject;
      const layer = self.module?.layer;
      if (!layer) return new Unknown(`${name} was not initialised (missing super().__init__ call?)`);
      try {
        const call: CallArgs = { pos: a.pos.slice(1), kw: a.kw, site: a.site };
        const out = layer.forward(ip, self, call);
        const g = ip.tracer?.graph;
        if (g) emitLayer(g, self, call, out);
        return out;
      } catch (e) {
        // An argument of the call that is not known (a symbolic output_size): the result is unknown.
        if (e instanceof UnknownArg) return new Unknown(e.reason);
        throw e;
      }
    }),
  );
  return cls;
}

/**
 * A Lazy* variant of a layer (nn.LazyLinear, nn.LazyConv2d, ...): `param` (in_features,
 * in_channels, num_features) is taken from the first input, and the parameters exist from then on.
 */
export function defineLazy(ip: Interp, base: PyClass, name: string, eager: PyClass, param: string, infer: (x: Tensor) => number | undefined): PyClass {
  const spec = specs.get(eager)!;
  return defineLayer(ip, base, name, {
    sig: spec.sig.filter((s) => s !== param),
    required: Math.max(0, (spec.required ?? 0) - 1),
    build(_ip, _self, b, site) {
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          const v = infer(x);
          if (v === undefined) return layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)} cannot infer ${param} from an input of shape ${shapeStr(x.shape)}`, 'lazy');
          const real = spec.build(ip2, me, new Map([...b, [param, v]]), site);
          me.module!.layer = real;
          return real.forward(ip2, me, a);
        },
        describe: () => `${param} inferred at the first call`,
      };
    },
  });
}

function literal(e: Expr): boolean {
  if (e.k === 'num') return true;
  if (e.k === 'bin') return literal(e.l) && literal(e.rt);
  if (e.k === 'un') return literal(e.e);
  return false;
}

/** The label of a module in messages: its path and class, e.g. "features.0 (Conv2d)". */
export function moduleLabel(self: PyObject): string {
  const p = self.module?.path;
  return p ? `${p} (${self.cls.name})` : self.cls.name;
}

/** Raises a shape error from a layer's forward, pointing back at where the layer was built. */
export function layerError(self: PyObject, site: Range, excType: string, message: string, code: string, fix?: Fix): never {
  const related = self.module?.ctor ? [{ r: self.module.ctor, message: `${moduleLabel(self)} was built here` }] : [];
  const e = new PyRaise(excType, message, site, related, code);
  if (fix) e.fix = fix;
  throw e;
}

/**
 * An edit of one constructor argument of a layer (`nn.Linear(16 * 5 * 5, 120)` -> `nn.Linear(256, 120)`),
 * when the layer was built in the file with that argument written literally at `index` or by name.
 */
export function argFix(self: PyObject, name: string, index: number, value: number): Fix | undefined {
  const syntax = self.module?.builtInFile ? self.module.ctorArgs?.syntax : undefined;
  if (!syntax || syntax.some((a) => a.kind === 'star' || a.kind === 'dstar')) return undefined;
  const byName = syntax.find((a) => a.kind === 'kw' && a.name === name);
  const arg = byName ?? syntax.filter((a) => a.kind === 'pos')[index];
  // Only literal arithmetic: a name (a helper's parameter, a config value) stands for more than this layer.
  if (!arg || !literal(arg.value)) return undefined;
  return { title: `Set ${name} to ${value}`, r: arg.value.r, newText: String(value) };
}

/** The first positional tensor argument of a forward call, or why there is none. */
export function inputOf(self: PyObject, a: CallArgs, ip: Interp): Tensor | Unknown {
  const x = a.pos[0] ?? a.kw.get('input') ?? a.kw.get('x');
  if (x instanceof Tensor) return x;
  if (x instanceof Unknown) return x;
  if (x === undefined) return layerError(self, a.site, 'TypeError', `${moduleLabel(self)}.forward() missing 1 required positional argument: 'input'`, 'type-error');
  return layerError(self, a.site, 'TypeError', `${moduleLabel(self)} expected a Tensor input, got ${typeName(x)}`, 'type-error');
}

/** A constructor argument as PyTorch stores it in a tuple of n (kernel_size=3 -> (3, 3)). */
export function tupleAttr(v: Value | undefined, n: number, dflt: Value): PyTuple {
  const x = v === undefined || v === null ? dflt : v;
  if (x instanceof PyTuple || x instanceof PyList) return new PyTuple(x.items.length === 1 ? Array(n).fill(x.items[0]) : x.items.slice());
  return new PyTuple(Array(n).fill(x));
}
