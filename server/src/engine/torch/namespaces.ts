// The modules model code imports: torch, torch.nn, torch.nn.functional, torch.nn.init, math,
// collections, functools, copy, typing. Built once per interpreter; anything else is unknown.
import type { Dim } from './dim';
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import {
  Builtin, Namespace, PyClass, PyDict, PyFloat, PyList, PyObject, PyTuple, Unknown, isInt, isNumber, numVal, type CallArgs, type Value,
} from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { ModuleState } from './moduleState';
import { Tensor } from './tensor';
import { defineLazy, makeModuleClass, newParam } from './nnModule';
import { makeContainers } from './containers';
import { defineConvs } from './layers/conv';
import { definePools } from './layers/pool';
import { defineNorms } from './layers/norm';
import { defineLinear } from './layers/linear';
import { defineElementwise } from './layers/elementwise';
import { defineResample } from './layers/resample';
import { defineRecurrent } from './layers/recurrent';
import { factoryMembers, functionalMembers, opFunction } from './functional';
import { OPS } from './ops';
import { roundHalfEven } from '../interp/builtins';
import { binop } from '../interp/operators';
import { summaryNamespaces } from '../declare/usage';

const registries = new WeakMap<Interp, Map<string, Namespace>>();

/** Python modules that exist but say nothing about shapes: imported quietly as unknown. */
const QUIET = /^(__future__|warnings|os|sys|logging|abc|dataclasses|enum|argparse|time|random|re|json|pathlib|itertools|numbers|inspect|collections\.abc)(\.|$)/;

/**
 * Resolves `import name` / `from name import ...` (`level` dots for relative imports): torch and
 * the modules modelled here, then the user's own project files. Returns a Namespace, or an Unknown
 * (after an information diagnostic) for modules the engine cannot see. With `quiet`, returns null
 * instead for names that are not sub-modules (attribute lookups use this).
 */
export function resolveImport(ip: Interp, name: string, r: Range, quiet = false, level = 0): Value {
  let reg = registries.get(ip);
  if (!reg) registries.set(ip, (reg = buildRegistry(ip)));
  if (level === 0) {
    const ns = reg.get(name);
    if (ns) return ns;
    if (quiet) return ip.userModules?.load(name, 0, r) ?? (null as unknown as Value);
    if (/^(torch|torchvision|torchaudio|numpy|scipy|einops|timm|PIL|cv2|sklearn|matplotlib|pandas)(\.|$)/.test(name)) {
      ip.report(r, 'information', 'unresolved-import', `ShapeLens does not model '${name}'; what comes from it is unknown`);
      return new Unknown(`the module ${name}`);
    }
  }
  const user = ip.userModules?.load(name, level, r);
  if (user) return user;
  const shown = '.'.repeat(level) + name;
  if (level > 0 || !QUIET.test(name)) {
    ip.report(r, 'information', 'unresolved-import', ip.userModules
      ? `ShapeLens cannot find the module '${shown}' in this project; what comes from it is unknown`
      : `ShapeLens does not follow imports here ('${shown}'); what comes from it is unknown`);
  }
  return new Unknown(`the module ${shown}`);
}

function buildRegistry(ip: Interp): Map<string, Namespace> {
  const reg = new Map<string, Namespace>();
  const objectCls = ip.builtins.get('object') as PyClass;
  const fn = (qual: string, f: (a: CallArgs) => Value): Builtin => new Builtin(qual, f);

  // torch.nn
  const Module = makeModuleClass(ip, objectCls);
  const layers = new Map<string, PyClass>();
  layers.set('Module', Module);
  makeContainers(ip, Module, layers);
  defineConvs(ip, Module, layers);
  definePools(ip, Module, layers);
  defineNorms(ip, Module, layers);
  defineLinear(ip, Module, layers);
  defineElementwise(ip, Module, layers);
  defineResample(ip, Module, layers);
  defineRecurrent(ip, Module, layers);
  for (const nd of [1, 2, 3]) {
    const num = (d: Dim | undefined): number | undefined => (typeof d === 'number' ? d : undefined);
    const channels = (x: Tensor): number | undefined => num(x.shape[x.rank - nd - 1]);
    layers.set(`LazyConv${nd}d`, defineLazy(ip, Module, `LazyConv${nd}d`, layers.get(`Conv${nd}d`)!, 'in_channels', channels));
    layers.set(`LazyConvTranspose${nd}d`, defineLazy(ip, Module, `LazyConvTranspose${nd}d`, layers.get(`ConvTranspose${nd}d`)!, 'in_channels', channels));
    layers.set(`LazyBatchNorm${nd}d`, defineLazy(ip, Module, `LazyBatchNorm${nd}d`, layers.get(`BatchNorm${nd}d`)!, 'num_features', (x) => num(x.shape[1])));
    layers.set(`LazyInstanceNorm${nd}d`, defineLazy(ip, Module, `LazyInstanceNorm${nd}d`, layers.get(`InstanceNorm${nd}d`)!, 'num_features', channels));
  }
  layers.set('LazyLinear', defineLazy(ip, Module, 'LazyLinear', layers.get('Linear')!, 'in_features', (x) => (typeof x.shape[x.rank - 1] === 'number' ? (x.shape[x.rank - 1] as number) : undefined)));
  const nn = new Namespace('torch.nn', new Map<string, Value>(layers));
  const TensorCls = new PyClass('Tensor', [objectCls], null, { qualname: 'torch.Tensor', construct: (a) => (factoryMembers(ip).get('Tensor') as Builtin).call(a) });
  const Parameter = new PyClass('Parameter', [TensorCls], null, {
    qualname: 'torch.nn.Parameter',
    construct: (a) => {
      const data = a.pos[0] ?? a.kw.get('data');
      const rg = a.pos[1] ?? a.kw.get('requires_grad');
      if (data instanceof Unknown) return data;
      const p = data instanceof Tensor ? new Tensor(data.shape.slice(), data.dtype) : newParam([0]);
      p.param = { requiresGrad: rg !== false };
      return p;
    },
  });
  nn.members.set('Parameter', Parameter);
  nn.members.set('parameter', new Namespace('torch.nn.parameter', new Map<string, Value>([['Parameter', Parameter]])));

  // torch.nn.functional
  const F = new Namespace('torch.nn.functional', functionalMembers(ip));
  for (const name of OPS.keys()) if (!F.members.has(name)) F.members.set(name, opFunction(ip, `F.${name}`, name)!);
  nn.members.set('functional', F);

  // torch.nn.init: in-place initialisers return their tensor.
  const init = new Namespace('torch.nn.init', new Map());
  for (const name of ['kaiming_normal_', 'kaiming_uniform_', 'xavier_normal_', 'xavier_uniform_', 'normal_', 'uniform_', 'constant_', 'zeros_', 'ones_', 'trunc_normal_', 'orthogonal_', 'eye_', 'dirac_', 'sparse_', 'kaiming_normal', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'normal', 'uniform', 'constant']) {
    init.members.set(name, fn(`torch.nn.init.${name}`, (a) => a.pos[0] ?? null));
  }
  init.members.set('calculate_gain', fn('calculate_gain', () => new PyFloat(1)));
  init.members.set('_calculate_fan_in_and_fan_out', fn('_calculate_fan_in_and_fan_out', () => new PyTuple([new Unknown('fan in'), new Unknown('fan out')])));
  nn.members.set('init', init);

  // torch.nn.modules.utils helpers and base classes used in isinstance checks.
  const ntuple = (n: number) => fn(`_ntuple(${n})`, (a) => {
    const v = a.pos[0]!;
    if (v instanceof PyTuple || v instanceof PyList) return new PyTuple(v.items.slice());
    return new PyTuple(Array(n).fill(v));
  });
  const utils = new Namespace('torch.nn.modules.utils', new Map<string, Value>([['_single', ntuple(1)], ['_pair', ntuple(2)], ['_triple', ntuple(3)], ['_quadruple', ntuple(4)]]));
  const modules = new Namespace('torch.nn.modules', new Map<string, Value>([...layers, ['utils', utils], ['module', new Namespace('torch.nn.modules.module', new Map<string, Value>([['Module', Module]]))]]));
  for (const sub of ['conv', 'pooling', 'batchnorm', 'normalization', 'linear', 'activation', 'container', 'dropout', 'flatten', 'padding', 'pixelshuffle', 'upsampling', 'instancenorm', 'sparse']) {
    const m = new Namespace(`torch.nn.modules.${sub}`, new Map<string, Value>(layers));
    modules.members.set(sub, m);
    reg.set(m.name, m);
  }
  // Private base classes: isinstance(m, _BatchNorm) should hold for every BatchNorm.
  for (const [alias, names] of [['_BatchNorm', ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d']], ['_ConvNd', ['Conv1d', 'Conv2d', 'Conv3d']], ['_NormBase', ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d']], ['_InstanceNorm', ['InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d']]] as const) {
    const base = new PyClass(alias, [Module], null, { qualname: `torch.nn.modules.${alias}`, isModule: true });
    for (const n of names) {
      const c = layers.get(n)!;
      c.mro.splice(1, 0, base);
    }
    for (const sub of modules.members.values()) if (sub instanceof Namespace) sub.members.set(alias, base);
  }
  nn.members.set('modules', modules);
  nn.members.set('utils', new Namespace('torch.nn.utils', new Map<string, Value>([
    ['weight_norm', fn('weight_norm', (a) => a.pos[0] ?? null)],
    ['spectral_norm', fn('spectral_norm', (a) => a.pos[0] ?? null)],
  ])));

  // torch
  const torch = new Namespace('torch', factoryMembers(ip));
  for (const name of OPS.keys()) if (!torch.members.has(name)) torch.members.set(name, opFunction(ip, `torch.${name}`, name)!);
  torch.members.set('nn', nn);
  torch.members.set('Tensor', TensorCls);
  torch.members.set('FloatTensor', TensorCls);
  torch.members.set('Size', ip.builtins.get('tuple')!);
  for (const dt of ['float32', 'float', 'float16', 'half', 'float64', 'double', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'int8', 'uint8', 'bool', 'complex64']) torch.members.set(dt, `torch.${dt}`);
  const none = (q: string): Builtin => fn(q, () => null);
  for (const n of ['manual_seed', 'set_grad_enabled', 'set_num_threads', 'set_default_dtype', 'save', 'load', 'set_printoptions', 'use_deterministic_algorithms']) torch.members.set(n, none(`torch.${n}`));
  for (const n of ['no_grad', 'enable_grad', 'inference_mode']) torch.members.set(n, fn(`torch.${n}`, (a) => a.pos[0] ?? null));
  torch.members.set('device', fn('torch.device', (a) => (typeof a.pos[0] === 'string' ? a.pos[0] : 'cpu')));
  torch.members.set('is_tensor', fn('torch.is_tensor', (a) => a.pos[0] instanceof Tensor));
  torch.members.set('numel', fn('torch.numel', (a) => (a.pos[0] instanceof Tensor ? a.pos[0].numel : new Unknown('numel'))));
  const cuda = new Namespace('torch.cuda', new Map<string, Value>([['is_available', fn('torch.cuda.is_available', () => false)], ['device_count', fn('torch.cuda.device_count', () => 0)]]));
  torch.members.set('cuda', cuda);
  const backends = new Namespace('torch.backends', new Map());
  torch.members.set('backends', backends);
  const jit = new Namespace('torch.jit', new Map<string, Value>([
    ['script', fn('torch.jit.script', (a) => a.pos[0] ?? null)],
    ['ignore', fn('torch.jit.ignore', (a) => a.pos[0] ?? null)],
    ['unused', fn('torch.jit.unused', (a) => a.pos[0] ?? null)],
    ['is_scripting', fn('torch.jit.is_scripting', () => false)],
    ['is_tracing', fn('torch.jit.is_tracing', () => false)],
    ['Final', new Unknown('torch.jit.Final')],
  ]));
  torch.members.set('jit', jit);
  const checkpoint = fn('torch.utils.checkpoint.checkpoint', (a) => ip.call(a.pos[0]!, { pos: a.pos.slice(1), kw: new Map(), site: a.site }));
  const ckNs = new Namespace('torch.utils.checkpoint', new Map<string, Value>([['checkpoint', checkpoint], ['checkpoint_sequential', fn('checkpoint_sequential', (a) => ip.call(a.pos[0]!, { pos: [a.pos[2]!], kw: new Map(), site: a.site }))]]));
  const tutils = new Namespace('torch.utils', new Map<string, Value>([['checkpoint', ckNs]]));
  torch.members.set('utils', tutils);
  torch.members.set('Generator', fn('torch.Generator', () => new Unknown('a random generator')));
  torch.members.set('__version__', '1.13.0');
  torch.members.set('fx', new Namespace('torch.fx', new Map<string, Value>([['wrap', fn('torch.fx.wrap', (a) => a.pos[0] ?? null)]])));

  // math
  const num = (v: Value | undefined): number => (v !== undefined && isNumber(v) ? numVal(v) : NaN);
  const mathFn = (name: string, f: (...xs: number[]) => number, intResult = false): Builtin =>
    fn(`math.${name}`, (a) => {
      if (a.pos.some((v) => v instanceof Unknown)) return new Unknown(`math.${name} of an unknown value`);
      const xs = a.pos.map(num);
      if (xs.some((x) => Number.isNaN(x))) return raise('TypeError', `math.${name}() needs numbers`, a.site, 'type-error');
      const y = f(...xs);
      return intResult ? y : new PyFloat(y);
    });
  const math = new Namespace('math', new Map<string, Value>([
    ['floor', mathFn('floor', Math.floor, true)],
    ['ceil', mathFn('ceil', Math.ceil, true)],
    ['trunc', mathFn('trunc', Math.trunc, true)],
    ['sqrt', mathFn('sqrt', Math.sqrt)],
    ['exp', mathFn('exp', Math.exp)],
    ['log', mathFn('log', (x, b) => (b ? Math.log(x) / Math.log(b) : Math.log(x)))],
    ['log2', mathFn('log2', Math.log2)],
    ['log10', mathFn('log10', Math.log10)],
    ['pow', mathFn('pow', (x, y) => x ** y)],
    ['fabs', mathFn('fabs', Math.abs)],
    ['sin', mathFn('sin', Math.sin)],
    ['cos', mathFn('cos', Math.cos)],
    ['tan', mathFn('tan', Math.tan)],
    ['atan', mathFn('atan', Math.atan)],
    ['gcd', mathFn('gcd', (a, b) => { a = Math.abs(a); b = Math.abs(b); while (b) [a, b] = [b, a % b]; return a; }, true)],
    ['isclose', fn('math.isclose', (a) => Math.abs(num(a.pos[0]) - num(a.pos[1])) <= 1e-9 * Math.max(Math.abs(num(a.pos[0])), Math.abs(num(a.pos[1]))))],
    ['prod', fn('math.prod', (a) => (ip.iterate(a.pos[0]!, a.site) ?? []).reduce<number>((p, v) => p * num(v), 1))],
    ['pi', new PyFloat(Math.PI)],
    ['e', new PyFloat(Math.E)],
    ['inf', new PyFloat(Infinity)],
    ['round', fn('round', (a) => roundHalfEven(num(a.pos[0])))],
  ]));

  // numpy: the few functions model code uses for sizes (int(np.prod(x.size()[1:])), np.sqrt).
  const numpy = new Namespace('numpy', new Map<string, Value>([
    ['prod', fn('numpy.prod', (a) => {
      const items = ip.iterate(a.pos[0]!, a.site);
      if (!items) return new Unknown('numpy.prod of an unknown value');
      return items.reduce<Value>((p, v) => binop(ip, '*', p, v, a.site), 1);
    })],
    ['sum', fn('numpy.sum', (a) => {
      const items = ip.iterate(a.pos[0]!, a.site);
      return items ? items.reduce<Value>((p, v) => binop(ip, '+', p, v, a.site), 0) : new Unknown('numpy.sum of an unknown value');
    })],
    ['sqrt', mathFn('sqrt', Math.sqrt)],
    ['floor', mathFn('floor', Math.floor)],
    ['ceil', mathFn('ceil', Math.ceil)],
    ['log2', mathFn('log2', Math.log2)],
    ['pi', new PyFloat(Math.PI)],
  ]));
  reg.set('numpy', numpy);

  // collections, functools, copy
  const dictCtor = ip.builtins.get('_dictFrom') as Builtin;
  const OrderedDict = new PyClass('OrderedDict', [objectCls], null, { qualname: 'collections.OrderedDict', construct: (a) => dictCtor.call(a) });
  const collections = new Namespace('collections', new Map<string, Value>([
    ['OrderedDict', OrderedDict],
    ['defaultdict', new PyClass('defaultdict', [objectCls], null, { qualname: 'collections.defaultdict', construct: () => new PyDict() })],
    ['namedtuple', fn('namedtuple', () => new Unknown('a namedtuple class'))],
  ]));
  const functools = new Namespace('functools', new Map<string, Value>([
    ['partial', fn('functools.partial', (a) => {
      const f = a.pos[0]!;
      const pre = a.pos.slice(1);
      const preKw = a.kw;
      return fn('partial', (b) => ip.call(f, { pos: [...pre, ...b.pos], kw: new Map([...preKw, ...b.kw]), site: b.site }));
    })],
    ['reduce', fn('functools.reduce', (a) => {
      const items = ip.iterate(a.pos[1]!, a.site) ?? [];
      let acc: Value = a.pos.length > 2 ? a.pos[2]! : items.shift()!;
      for (const it of items) acc = ip.call(a.pos[0]!, { pos: [acc, it], kw: new Map(), site: a.site });
      return acc;
    })],
    ['lru_cache', fn('functools.lru_cache', (a) => (a.pos[0] && !isInt(a.pos[0]) ? a.pos[0] : fn('lru_cache', (b) => b.pos[0] ?? null)))],
    ['wraps', fn('functools.wraps', () => fn('wraps', (b) => b.pos[0] ?? null))],
  ]));
  const copy = new Namespace('copy', new Map<string, Value>([
    ['deepcopy', fn('copy.deepcopy', (a) => deepCopy(a.pos[0]!, new Map()))],
    ['copy', fn('copy.copy', (a) => a.pos[0]!)],
  ]));

  // typing: annotations are ignored, but cast() and TYPE_CHECKING are values.
  const typing = new Namespace('typing', new Map<string, Value>([
    ['cast', fn('typing.cast', (a) => a.pos[1] ?? null)],
    ['TYPE_CHECKING', false],
  ]));
  for (const n of ['List', 'Tuple', 'Dict', 'Optional', 'Union', 'Any', 'Callable', 'Type', 'Sequence', 'Iterable', 'Mapping', 'Set', 'ClassVar', 'Final', 'Literal', 'TypeVar', 'Generic', 'Protocol', 'NamedTuple', 'overload', 'Iterator']) {
    typing.members.set(n, n === 'overload' || n === 'TypeVar' ? fn(`typing.${n}`, (a) => a.pos[0] ?? null) : new Unknown(`typing.${n}`));
  }
  reg.set('typing_extensions', new Namespace('typing_extensions', typing.members));
  for (const ns of summaryNamespaces(ip)) reg.set(ns.name, ns);
  for (const ns of [typing, torch, nn, F, init, modules, utils, math, collections, functools, copy, cuda, jit, tutils, ckNs, backends]) reg.set(ns.name, ns);
  reg.set('torch.nn.parameter', nn.members.get('parameter') as Namespace);
  return reg;
}

/** copy.deepcopy for modules (cloned blocks must own new parameters) and containers. */
function deepCopy(v: Value, memo: Map<unknown, Value>): Value {
  if (memo.has(v)) return memo.get(v)!;
  if (v instanceof Tensor) {
    const t = new Tensor(v.shape.slice(), v.dtype, v.tags.slice(), v.dep);
    t.param = v.param ? { ...v.param } : null;
    memo.set(v, t);
    return t;
  }
  if (v instanceof PyList) return new PyList(v.items.map((x) => deepCopy(x, memo)));
  if (v instanceof PyTuple) return new PyTuple(v.items.map((x) => deepCopy(x, memo)));
  if (v instanceof PyDict) {
    const d = new PyDict();
    for (const [k, x] of v.entries()) d.set(k, deepCopy(x, memo));
    return d;
  }
  if (v instanceof PyObject) {
    const o = new PyObject(v.cls);
    memo.set(v, o);
    for (const [k, x] of v.attrs) o.attrs.set(k, deepCopy(x, memo));
    if (v.module) {
      const m = new ModuleState(v.module.ctor);
      m.layer = v.module.layer;
      m.training = v.module.training;
      for (const [k, c] of v.module.children) m.children.set(k, c ? (deepCopy(c, memo) as PyObject) : null);
      for (const [k, p] of v.module.params) m.params.set(k, p ? (deepCopy(p, memo) as Tensor) : null);
      for (const [k, b] of v.module.buffers) m.buffers.set(k, b ? (deepCopy(b, memo) as Tensor) : null);
      o.module = m;
    }
    return o;
  }
  return v;
}
