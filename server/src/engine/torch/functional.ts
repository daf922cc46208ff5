// torch.nn.functional's layer-like functions (pooling, conv, linear, interpolate, pad, norms, ...)
// and torch's tensor factories (randn, zeros, ...). They reuse the modules' shape rules.
import { convOutDim } from './window';
import type { Dim } from './dim';
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { Builtin, PyList, PyTuple, Unknown, isInt, isNumber, numVal, type CallArgs, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { UnknownArg, bind, bool, concrete, dim, int, shapeArgs, str, tensorArg, tuple, type Bound } from './args';
import { Tensor, dataTensor, globalize, shapeStr, spatialOf } from './tensor';
import * as D from './dim';

/** Factory tensors up to this many elements keep their values. */
const MAX_DATA = 4096;
import { OPS, runOp, toDType } from './ops';
import { adaptiveForward, adaptiveSizes, poolForward, poolGeometry } from './layers/pool';
import { convForward, parsePadding } from './layers/conv';
import { linearForward } from './layers/linear';
import { interpolate, pad, pixelShuffle, pixelUnshuffle } from './layers/resample';
import { checkGroupNorm, checkLayerNorm, normalizedShape } from './layers/norm';

import { emitFunctional } from '../graph/emitOps';

type Fn = (ip: Interp, b: Bound, site: Range) => Value;
const fail = (site: Range, excType = 'RuntimeError') => (m: string, code: string): never => raise(excType, m, site, code);

function fnBuiltin(ip: Interp, qual: string, sig: string[], f: Fn, required = 1): Builtin {
  return new Builtin(qual, (a: CallArgs) => {
    try {
      const b = bind(a, sig, qual, required);
      const x = b.get('input');
      if (x instanceof Unknown) return new Unknown(x.reason);
      const out = f(ip, b, a.site);
      const g = ip.tracer?.graph;
      if (g) emitFunctional(g, qual.replace(/^F\./, ''), b, out, a.site);
      return out;
    } catch (e) {
      if (e instanceof UnknownArg) return new Unknown(e.reason);
      throw e;
    }
  });
}

/** F.* members that are not plain table ops. */
export function functionalMembers(ip: Interp): Map<string, Value> {
  const m = new Map<string, Value>();
  const def = (name: string, sig: string[], f: Fn, required = 1): void => void m.set(name, fnBuiltin(ip, `F.${name}`, sig, f, required));
  const x = (b: Bound, site: Range): Tensor => tensorArg(b.get('input'), 'input', site);

  for (const nd of [1, 2, 3]) {
    def(`max_pool${nd}d`, ['input', 'kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'], (_ip, b, site) => {
      const y = poolForward(x(b, site), poolGeometry(b, nd, 'max', site), site, fail(site), `F.max_pool${nd}d`);
      return bool(b.get('return_indices'), false) ? new PyTuple([y, new Tensor(y.shape.slice(), 'int64', y.tags.slice(), y.dep)]) : y;
    }, 2);
    def(`avg_pool${nd}d`, ['input', 'kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'], (_ip, b, site) =>
      poolForward(x(b, site), poolGeometry(b, nd, 'avg', site), site, fail(site), `F.avg_pool${nd}d`), 2);
    for (const kind of ['avg', 'max']) {
      def(`adaptive_${kind}_pool${nd}d`, ['input', 'output_size', 'return_indices'], (_ip, b, site) => {
        const y = adaptiveForward(x(b, site), nd, adaptiveSizes(b.get('output_size'), nd, site), fail(site), `F.adaptive_${kind}_pool${nd}d`);
        return bool(b.get('return_indices'), false) ? new PyTuple([y, new Tensor(y.shape.slice(), 'int64', y.tags.slice(), y.dep)]) : y;
      }, 2);
    }
    def(`conv${nd}d`, ['input', 'weight', 'bias', 'stride', 'padding', 'dilation', 'groups'], (_ip, b, site) => {
      const w = tensorArg(b.get('weight'), 'weight', site);
      if (w.rank !== nd + 2) raise('RuntimeError', `F.conv${nd}d: weight should be ${nd + 2}D, got ${shapeStr(w.shape)}`, site, 'conv-rank');
      const groups = int(b.get('groups'), 'groups', site, 1);
      const ws = concrete(w.shape, 'the weight shape');
      const k = ws.slice(2);
      const stride = tuple(b.get('stride'), nd, 'stride', site, 1);
      const dilation = tuple(b.get('dilation'), nd, 'dilation', site, 1);
      const [padL, padR] = parsePadding(b.get('padding'), nd, k, dilation, stride, site);
      return convForward(x(b, site), { nd, inC: ws[1]! * groups, outC: ws[0]!, k, stride, padL, padR, dilation, groups, bias: b.get('bias') instanceof Tensor }, site, fail(site), `F.conv${nd}d`);
    }, 2);
  }
  def('unfold', ['input', 'kernel_size', 'dilation', 'padding', 'stride'], (_ip, b, site) => {
    // im2col: [N, C, H, W] -> [N, C·kh·kw, number of windows].
    const t = x(b, site);
    const nd = t.rank - 2;
    const k = tuple(b.get('kernel_size'), nd, 'kernel_size', site);
    const d = tuple(b.get('dilation'), nd, 'dilation', site, 1);
    const p = tuple(b.get('padding'), nd, 'padding', site, 0);
    const s = tuple(b.get('stride'), nd, 'stride', site, 1);
    const blocks = D.prod(t.shape.slice(2).map((L, i) => convOutDim(L, k[i]!, s[i]!, p[i]!, p[i]!, d[i]!)));
    return new Tensor([t.shape[0]!, D.mul(t.shape[1]!, k.reduce((a, c) => a * c, 1)), blocks], t.dtype, [t.tags[0]!, -1, -1], globalize(t.dep, []));
  }, 2);
  def('linear', ['input', 'weight', 'bias'], (_ip, b, site) => {
    const w = tensorArg(b.get('weight'), 'weight', site);
    const ws = concrete(w.shape, 'the weight shape');
    const inF = w.rank === 2 ? ws[1]! : ws[0]!;
    const outF = w.rank === 2 ? ws[0]! : 1;
    const y = linearForward(x(b, site), inF, outF, site, fail(site), 'F.linear');
    return w.rank === 1 ? new Tensor(y.shape.slice(0, -1), y.dtype, y.tags.slice(0, -1), y.dep) : y;
  }, 2);
  def('interpolate', ['input', 'size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor', 'antialias'], (_ip, b, site) => interpolate(x(b, site), b.get('size'), b.get('scale_factor'), site, fail(site, 'ValueError')));
  m.set('upsample', m.get('interpolate')!);
  def('upsample_nearest', ['input', 'size', 'scale_factor'], (_ip, b, site) => interpolate(x(b, site), b.get('size'), b.get('scale_factor'), site, fail(site, 'ValueError')));
  def('upsample_bilinear', ['input', 'size', 'scale_factor'], (_ip, b, site) => interpolate(x(b, site), b.get('size'), b.get('scale_factor'), site, fail(site, 'ValueError')));
  def('pad', ['input', 'pad', 'mode', 'value'], (_ip, b, site) => {
    const p = b.get('pad');
    if (!(p instanceof PyTuple || p instanceof PyList)) return raise('TypeError', 'pad must be a tuple or list of ints', site, 'type-error');
    return pad(x(b, site), p.items.map((v, i) => dim(v, `pad[${i}]`, site)), site, fail(site));
  }, 2);
  def('pixel_shuffle', ['input', 'upscale_factor'], (_ip, b, site) => pixelShuffle(x(b, site), int(b.get('upscale_factor'), 'upscale_factor', site), site, fail(site)), 2);
  def('pixel_unshuffle', ['input', 'downscale_factor'], (_ip, b, site) => pixelUnshuffle(x(b, site), int(b.get('downscale_factor'), 'downscale_factor', site), site, fail(site)), 2);
  def('batch_norm', ['input', 'running_mean', 'running_var', 'weight', 'bias', 'training', 'momentum', 'eps'], (_ip, b, site) => {
    const t = x(b, site);
    const rm = b.get('running_mean');
    if (rm instanceof Tensor && t.rank >= 2 && D.eq(rm.shape[0]!, t.shape[1]!) === false) raise('RuntimeError', `running_mean should contain ${D.dimStr(t.shape[1]!)} elements not ${D.dimStr(rm.shape[0]!)}`, site, 'norm-features');
    // Batch statistics (training=True) mix every position; running statistics do not.
    return statsNorm(t, bool(b.get('training'), false) ? t.tags.map((_, i) => i).filter((i) => i !== 1) : []);
  });
  // The functional norms compute statistics over the map, so every output sees all of it (unlike
  // norm modules, which receptive fields treat as pass-through, as the measured ground truth does).
  def('instance_norm', ['input', 'running_mean', 'running_var', 'weight', 'bias', 'use_input_stats', 'momentum', 'eps'], (_ip, b, site) => {
    const t = x(b, site);
    return statsNorm(t, t.tags.map((_, i) => i).slice(2));
  });
  def('layer_norm', ['input', 'normalized_shape', 'weight', 'bias', 'eps'], (_ip, b, site) => {
    const t = x(b, site);
    const ns = normalizedShape(b.get('normalized_shape'), site);
    checkLayerNorm(t, ns, null, site);
    return statsNorm(t, t.tags.map((_, i) => i).slice(t.rank - ns.length));
  }, 2);
  def('group_norm', ['input', 'num_groups', 'weight', 'bias', 'eps'], (_ip, b, site) => {
    const t = x(b, site);
    const w = b.get('weight');
    checkGroupNorm(t, int(b.get('num_groups'), 'num_groups', site), w instanceof Tensor ? concrete(w.shape, 'the weight shape')[0]! : null, null, site);
    return statsNorm(t, t.tags.map((_, i) => i).slice(2));
  }, 2);
  def('local_response_norm', ['input', 'size', 'alpha', 'beta', 'k'], (_ip, b, site) => {
    const t = x(b, site);
    return new Tensor(t.shape.slice(), t.dtype, t.tags.slice(), t.dep);
  });
  def('embedding', ['input', 'weight', 'padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse'], (_ip, b, site) => {
    const t = x(b, site);
    const w = tensorArg(b.get('weight'), 'weight', site);
    return new Tensor([...t.shape, w.shape[1]!], 'float32', [...t.tags, -1], t.dep);
  }, 2);
  def('one_hot', ['input', 'num_classes'], (_ip, b, site) => {
    const t = x(b, site);
    const n = b.get('num_classes');
    if (n === undefined || (isInt(n) && Number(n) < 0)) return new Unknown('one_hot without num_classes (depends on the data)');
    return new Tensor([...t.shape, int(n, 'num_classes', site)], 'int64', [...t.tags, -1], t.dep);
  });
  for (const loss of ['cross_entropy', 'nll_loss', 'mse_loss', 'l1_loss', 'smooth_l1_loss', 'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'kl_div', 'huber_loss', 'cosine_embedding_loss']) {
    def(loss, ['input', 'target', 'weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing', 'pos_weight', 'beta', 'delta', 'log_target'], (_ip, b, site) => {
      const t = x(b, site);
      return str(b.get('reduction'), 'mean') === 'none' ? new Tensor(t.shape.slice(0, loss.includes('entropy') && !loss.startsWith('binary') || loss === 'nll_loss' ? 1 : t.rank).concat(t.rank > 2 && loss === 'cross_entropy' ? t.shape.slice(2) : []), 'float32') : new Tensor([], 'float32');
    });
  }
  def('cosine_similarity', ['x1', 'x2', 'dim', 'eps'], (_ip, b, site) => {
    const a = tensorArg(b.get('x1'), 'x1', site);
    const d = int(b.get('dim'), 'dim', site, 1);
    const n = d < 0 ? d + a.rank : d;
    return new Tensor(a.shape.filter((_, i) => i !== n), a.dtype, a.tags.filter((_, i) => i !== n), a.dep);
  });
  return m;
}

/** The same shape, with the spatial dims among `dims` seen whole. */
function statsNorm(t: Tensor, dims: number[]): Tensor {
  return new Tensor(t.shape.slice(), t.dtype, t.tags.slice(), globalize(t.dep, spatialOf(t, dims)));
}

/** torch.randn(1, 3, 32, 32), torch.zeros((2, 3)), torch.randint(0, 10, (2, 50)), torch.arange(10), ... */
export function factoryMembers(ip: Interp): Map<string, Value> {
  const m = new Map<string, Value>();
  const sizeOf = (a: CallArgs, skip = 0): Dim[] => {
    const pos = a.pos.slice(skip);
    const sz = a.kw.get('size');
    return shapeArgs(pos.length ? pos : sz !== undefined ? [sz] : [], a.site);
  };
  const make = (name: string, f: (a: CallArgs) => Value): void => {
    m.set(name, new Builtin(`torch.${name}`, (a) => {
      try {
        const out = f(a);
        const g = ip.tracer?.graph;
        if (g && out instanceof Tensor && !out.data) {
          // Constant fills become nodes; random numbers drawn inside forward have no kernel.
          const fill = name === 'zeros' || name === 'zeros_like' ? 0 : name === 'ones' || name === 'ones_like' ? 1 : name === 'full' || name === 'full_like' ? (a.pos[1] ?? a.kw.get('fill_value')) : undefined;
          if (fill !== undefined && isNumber(fill)) g.node('full', [], { shape: out.shape as number[], value: numVal(fill), dtype: out.dtype }, [out], a.site, `torch.${name}`);
          else g.miss(`torch.${name}${/^rand/.test(name) ? ' (random numbers drawn inside forward)' : ''}`, a.site);
        }
        return out;
      } catch (e) {
        if (e instanceof UnknownArg) return new Unknown(e.reason);
        throw e;
      }
    }));
  };
  for (const name of ['randn', 'rand', 'zeros', 'ones', 'empty']) {
    make(name, (a) => new Tensor(sizeOf(a), toDType(a.kw.get('dtype')) ?? 'float32'));
  }
  make('full', (a) => new Tensor(shapeArgs([a.pos[0] ?? a.kw.get('size') ?? new PyTuple([])], a.site), toDType(a.kw.get('dtype')) ?? (isInt(a.pos[1] ?? a.kw.get('fill_value') ?? 0) ? 'int64' : 'float32')));
  make('randint', (a) => {
    // randint(high, size) or randint(low, high, size)
    const sz = a.kw.get('size') ?? a.pos[a.pos.length - 1];
    return new Tensor(shapeArgs([sz ?? new PyTuple([])], a.site), toDType(a.kw.get('dtype')) ?? 'int64');
  });
  make('randperm', (a) => new Tensor([int(a.pos[0], 'n', a.site)], 'int64'));
  make('arange', (a) => {
    const nums = a.pos.map((v) => (isInt(v) ? Number(v) : v && typeof v === 'object' && 'v' in v ? (v as { v: number }).v : NaN));
    if (nums.some((n) => Number.isNaN(n))) return new Unknown('arange() of unknown bounds');
    const [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
    const allInt = a.pos.every((v) => isInt(v));
    const n = Math.max(0, Math.ceil((end - start) / step));
    const dt = toDType(a.kw.get('dtype')) ?? (allInt ? 'int64' : 'float32');
    return n <= MAX_DATA ? dataTensor(Array.from({ length: n }, (_, i) => start + i * step), dt) : new Tensor([n], dt);
  });
  make('linspace', (a) => {
    const steps = int(a.pos[2] ?? a.kw.get('steps'), 'steps', a.site);
    const lo = a.pos[0] ?? a.kw.get('start');
    const hi = a.pos[1] ?? a.kw.get('end');
    if (steps > MAX_DATA || !(lo !== undefined && isNumber(lo)) || !(hi !== undefined && isNumber(hi))) return new Tensor([steps], 'float32');
    const [s0, s1] = [numVal(lo), numVal(hi)];
    return dataTensor(Array.from({ length: steps }, (_, i) => (steps === 1 ? s0 : s0 + ((s1 - s0) * i) / (steps - 1))), 'float32');
  });
  make('eye', (a) => {
    const n = int(a.pos[0], 'n', a.site);
    return new Tensor([n, a.pos[1] !== undefined ? int(a.pos[1], 'm', a.site) : n], toDType(a.kw.get('dtype')) ?? 'float32');
  });
  for (const name of ['zeros_like', 'ones_like', 'empty_like', 'rand_like', 'randn_like', 'full_like', 'randint_like']) {
    make(name, (a) => {
      const t = a.pos[0];
      if (!(t instanceof Tensor)) return t instanceof Unknown ? t : raise('TypeError', `${name}(): argument 'input' must be Tensor`, a.site, 'type-error');
      return new Tensor(t.shape.slice(), toDType(a.kw.get('dtype')) ?? t.dtype, t.tags.slice(), null);
    });
  }
  for (const name of ['tensor', 'as_tensor', 'Tensor', 'FloatTensor', 'LongTensor']) {
    make(name, (a) => {
      const data = a.pos[0];
      const shape: number[] = [];
      let cur: Value | undefined = data;
      let isFloat = name === 'FloatTensor' || name === 'Tensor';
      while (cur instanceof PyList || cur instanceof PyTuple) {
        shape.push(cur.items.length);
        cur = cur.items[0];
      }
      if (cur && typeof cur === 'object' && 'v' in cur) isFloat = true;
      if (data instanceof Tensor) return new Tensor(data.shape.slice(), data.dtype);
      if (cur instanceof Unknown) return new Unknown('tensor() of unknown data');
      if ((name === 'Tensor' || name === 'FloatTensor') && a.pos.length && a.pos.every((v) => isInt(v))) return new Tensor(shapeArgs(a.pos, a.site), 'float32');
      const dt = toDType(a.kw.get('dtype')) ?? (name === 'LongTensor' ? 'int64' : isFloat ? 'float32' : typeof cur === 'boolean' ? 'bool' : 'int64');
      if (shape.length <= 1 && (data instanceof PyList || data instanceof PyTuple) && data.items.every((v) => isNumber(v)) && data.items.length <= MAX_DATA) {
        return dataTensor(data.items.map((v) => numVal(v as number)), dt);
      }
      if (data !== undefined && isNumber(data)) return dataTensor([numVal(data)], dt, true);
      return new Tensor(shape, dt);
    });
  }
  return m;
}

/** Wraps a table op as a callable function (torch.cat, F.relu, torch.flatten, ...). */
export function opFunction(ip: Interp, qual: string, name: string): Builtin | undefined {
  const d = OPS.get(name);
  if (!d) return undefined;
  return new Builtin(qual, (a) => runOp(ip, name, d, a.pos, a.kw, a.site));
}
