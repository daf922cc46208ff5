// Normalisation layers: BatchNorm1/2/3d, InstanceNorm1/2/3d, LayerNorm, GroupNorm, LocalResponseNorm.
// Their shape rule is the identity; what matters is which input sizes PyTorch accepts.
import * as D from '../dim';
import type { Dim } from '../dim';
import { same } from '../assume';
import { raise } from '../../interp/errors';
import { PyFloat, PyList, PyTuple, type PyClass, type PyObject, type Value } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { bool, concrete, dim, int } from '../args';
import { Tensor, shapeStr } from '../tensor';
import { argFix, defineLayer, inputOf, layerError, moduleLabel, newParam } from '../nnModule';
import type { Range } from '../../syntax/ast';
import type { LayerImpl } from '../moduleState';

const passThrough = (x: Tensor): Tensor => new Tensor(x.shape.slice(), x.dtype, x.tags.slice(), x.dep);

/** A norm layer whose forward checks the input and returns it unchanged in shape. */
function checkedIdentity(check: (x: Tensor, me: PyObject, site: Range) => void, describe: () => string): LayerImpl {
  return {
    forward(ip, me, a) {
      const x = inputOf(me, a, ip);
      if (!(x instanceof Tensor)) return x;
      check(x, me, a.site);
      return passThrough(x);
    },
    describe,
  };
}

export function defineNorms(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  for (const nd of [1, 2, 3]) {
    const bn = `BatchNorm${nd}d`;
    const ranks = nd === 1 ? [2, 3] : [nd + 2];
    out.set(bn, defineLayer(ip, base, bn, {
      sig: ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats'],
      required: 1,
      defaults: { eps: new PyFloat(1e-5), momentum: new PyFloat(0.1), affine: true, track_running_stats: true },
      build(_ip, self, b, site) {
        const c = int(b.get('num_features'), 'num_features', site);
        const affine = bool(b.get('affine'), true);
        const track = bool(b.get('track_running_stats'), true);
        const m = self.module!;
        m.params.set('weight', affine ? newParam([c]) : null);
        m.params.set('bias', affine ? newParam([c]) : null);
        m.buffers.set('running_mean', track ? new Tensor([c]) : null);
        m.buffers.set('running_var', track ? new Tensor([c]) : null);
        m.buffers.set('num_batches_tracked', track ? new Tensor([], 'int64') : null);
        return checkedIdentity((x, me, s) => {
          if (!ranks.includes(x.rank)) layerError(me, s, 'ValueError', `${moduleLabel(me)} expected ${ranks.join('D or ')}D input (got ${x.rank}D input ${shapeStr(x.shape)})`, 'norm-rank');
          if ((affine || track) && !same(x.shape[1]!, c, s, `${moduleLabel(me)}'s num_features=${c}`)) {
            const ch = x.shape[1];
            layerError(me, s, 'RuntimeError', `${moduleLabel(me)} expects ${c} channels (num_features=${c}), but its input ${shapeStr(x.shape)} has ${x.shape[1]} channels in dim 1`, 'norm-features', typeof ch === 'number' ? argFix(me, 'num_features', 0, ch) : undefined);
          }
          // Batch statistics (training, or no running statistics to use) need two values per channel.
          if ((me.module!.training || !track) && D.eq(D.prod(x.shape.filter((_, i) => i !== 1)), 1) === true) {
            layerError(me, s, 'ValueError', `${moduleLabel(me)}: Expected more than 1 value per channel when training, got input size ${shapeStr(x.shape)}${track ? '' : ' (track_running_stats=False uses batch statistics even in eval mode)'}`, 'norm-batch-stats');
          }
        }, () => `C=${c}${affine ? '' : ', affine=False'}`);
      },
    }));
    const inorm = `InstanceNorm${nd}d`;
    out.set(inorm, defineLayer(ip, base, inorm, {
      sig: ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats'],
      required: 1,
      defaults: { eps: new PyFloat(1e-5), momentum: new PyFloat(0.1), affine: false, track_running_stats: false },
      build(_ip, self, b, site) {
        const c = int(b.get('num_features'), 'num_features', site);
        const affine = bool(b.get('affine'), false);
        const track = bool(b.get('track_running_stats'), false);
        const m = self.module!;
        m.params.set('weight', affine ? newParam([c]) : null);
        m.params.set('bias', affine ? newParam([c]) : null);
        if (track) {
          m.buffers.set('running_mean', new Tensor([c]));
          m.buffers.set('running_var', new Tensor([c]));
          m.buffers.set('num_batches_tracked', new Tensor([], 'int64'));
        }
        return checkedIdentity((x, me, s) => {
          if (x.rank !== nd + 1 && x.rank !== nd + 2) layerError(me, s, 'ValueError', `${moduleLabel(me)} expected ${nd + 1}D or ${nd + 2}D input (got ${x.rank}D input ${shapeStr(x.shape)})`, 'norm-rank');
          const fd = x.rank - nd - 1;
          if ((affine || track) && !same(x.shape[fd]!, c, s, `${moduleLabel(me)}'s num_features=${c}`)) {
            layerError(me, s, affine ? 'ValueError' : 'RuntimeError', `${moduleLabel(me)} expects ${c} channels (num_features=${c}) in dim ${fd}, but its input ${shapeStr(x.shape)} has ${x.shape[fd]}`, 'norm-features');
          }
          if ((me.module!.training || !track) && D.eq(D.prod(x.shape.slice(fd + 1)), 1) === true) {
            layerError(me, s, 'ValueError', `${moduleLabel(me)}: Expected more than 1 spatial element when training, got input size ${shapeStr(x.shape)}`, 'norm-batch-stats');
          }
        }, () => `C=${c}${affine ? ', affine' : ''}`);
      },
    }));
  }

  out.set('LayerNorm', defineLayer(ip, base, 'LayerNorm', {
    sig: ['normalized_shape', 'eps', 'elementwise_affine', 'bias'],
    required: 1,
    attrs: (b) => {
      const ns = b.get('normalized_shape');
      return new Map<string, Value>([['normalized_shape', ns instanceof PyList || ns instanceof PyTuple ? new PyTuple(ns.items.slice()) : new PyTuple([ns ?? null])]]);
    },
    defaults: { eps: new PyFloat(1e-5), elementwise_affine: true },
    build(_ip, self, b, site) {
      const ns = normalizedShape(b.get('normalized_shape'), site);
      const affine = bool(b.get('elementwise_affine'), true);
      const withBias = bool(b.get('bias'), true);
      const m = self.module!;
      m.params.set('weight', affine ? newParam(concrete(ns, 'normalized_shape')) : null);
      m.params.set('bias', affine && withBias ? newParam(concrete(ns, 'normalized_shape')) : null);
      return checkedIdentity((x, me, s) => checkLayerNorm(x, ns, me, s), () => `shape=${shapeStr(ns)}`);
    },
  }));

  out.set('GroupNorm', defineLayer(ip, base, 'GroupNorm', {
    sig: ['num_groups', 'num_channels', 'eps', 'affine'],
    required: 2,
    defaults: { eps: new PyFloat(1e-5), affine: true },
    build(_ip, self, b, site) {
      const g = int(b.get('num_groups'), 'num_groups', site);
      const c = int(b.get('num_channels'), 'num_channels', site);
      const affine = bool(b.get('affine'), true);
      if (g <= 0 || c % g !== 0) raise('ValueError', `num_channels must be divisible by num_groups (num_channels=${c}, num_groups=${g})`, site, 'norm-groups');
      const m = self.module!;
      m.params.set('weight', affine ? newParam([c]) : null);
      m.params.set('bias', affine ? newParam([c]) : null);
      return checkedIdentity((x, me, s) => checkGroupNorm(x, g, affine ? c : null, me, s), () => `G=${g}, C=${c}`);
    },
  }));

  out.set('LocalResponseNorm', defineLayer(ip, base, 'LocalResponseNorm', {
    sig: ['size', 'alpha', 'beta', 'k'],
    required: 1,
    build(_ip, _self, b, site) {
      const size = int(b.get('size'), 'size', site);
      return checkedIdentity((x, me, s) => {
        if (x.rank < 3) layerError(me, s, 'ValueError', `${moduleLabel(me)} expected 3D or higher dimensionality input (got ${x.rank} dimensions)`, 'norm-rank');
      }, () => `size=${size}`);
    },
  }));
}

export function normalizedShape(v: Value | undefined, site: Range): Dim[] {
  if (v instanceof PyList || v instanceof PyTuple) return v.items.map((x, i) => dim(x, `normalized_shape[${i}]`, site));
  if (v instanceof Tensor) return v.shape.slice();
  return [dim(v, 'normalized_shape', site)];
}

export function checkLayerNorm(x: Tensor, ns: Dim[], me: PyObject | null, s: Range): void {
  const tail = x.shape.slice(x.rank - ns.length);
  if (x.rank < ns.length || tail.some((d, i) => !same(d, ns[i]!, s, `LayerNorm's normalized_shape=${shapeStr(ns)}`))) {
    const msg = `Given normalized_shape=${shapeStr(ns)}, expected input with shape [*, ${ns.map((d) => D.dimStr(d)).join(', ')}], but got input of size ${shapeStr(x.shape)}`;
    if (me) layerError(me, s, 'RuntimeError', `${moduleLabel(me)}: ${msg}`, 'norm-features');
    raise('RuntimeError', msg, s, 'norm-features');
  }
}

export function checkGroupNorm(x: Tensor, g: number, c: number | null, me: PyObject | null, s: Range): void {
  const fail = (msg: string): never => (me ? layerError(me, s, 'RuntimeError', `${moduleLabel(me)}: ${msg}`, 'norm-features') : raise('RuntimeError', msg, s, 'norm-features'));
  if (x.rank < 2) fail(`Expected at least 2 dimensions for input tensor but received ${x.rank}`);
  const ch = x.shape[1]!;
  if (!same(D.mod(ch, g), 0, s, `GroupNorm(num_groups=${g})`)) fail(`Expected number of channels in input to be divisible by num_groups, but got input of shape ${shapeStr(x.shape)} and num_groups=${g}`);
  if (c !== null && !same(ch, c, s, `GroupNorm's num_channels=${c}`)) fail(`expects ${c} channels (num_channels=${c}), but its input ${shapeStr(x.shape)} has ${D.dimStr(ch)} channels in dim 1`);
}
