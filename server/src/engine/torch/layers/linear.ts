// nn.Linear, nn.Bilinear-free dense layers, nn.Embedding, and the reshaping modules Flatten,
// Unflatten and Identity.
import * as D from '../dim';
import { same } from '../assume';
import type { Range } from '../../syntax/ast';
import { raise } from '../../interp/errors';
import { PyList, PyTuple, type PyClass } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { bool, dim as dimArg, int } from '../args';
import { Tensor, globalize, shapeStr } from '../tensor';
import { flatten, unflatten } from '../shapeOps';
import { argFix, defineLayer, inputOf, layerError, moduleLabel, newParam } from '../nnModule';

/** Shape rule of a dense layer over the last dim (nn.Linear and F.linear). */
export function linearForward(x: Tensor, inF: number, outF: number, site: Range, fail: (msg: string, code: string) => never, label: string): Tensor {
  if (x.rank === 0) fail(`${label} got a 0-d input`, 'linear-rank');
  const last = x.shape[x.rank - 1]!;
  if (!same(last, inF, site, `${label}'s in_features=${inF}`)) {
    const rows = D.prod(x.shape.slice(0, -1));
    fail(`${label} expects in_features=${inF}, but its input ${shapeStr(x.shape)} has ${D.dimStr(last)} features in the last dim (mat1 and mat2 shapes cannot be multiplied (${D.dimStr(rows)}x${D.dimStr(last)} and ${inF}x${outF}))`, 'linear-in-features');
  }
  const shape = [...x.shape.slice(0, -1), outF];
  const tags = [...x.tags.slice(0, -1), -1];
  // Every output feature mixes all inputs of the last dim: spatial dims folded into it become global.
  const kept = new Set(tags.filter((t) => t >= 0));
  const dep = x.dep ? globalize(x.dep, x.dep.map((_, i) => i).filter((i) => !kept.has(i))) : null;
  return new Tensor(shape, 'float32', tags, dep);
}

export function defineLinear(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  out.set('Linear', defineLayer(ip, base, 'Linear', {
    sig: ['in_features', 'out_features', 'bias'],
    required: 2,
    build(_ip, self, b, site) {
      const inF = int(b.get('in_features'), 'in_features', site);
      const outF = int(b.get('out_features'), 'out_features', site);
      const hasBias = bool(b.get('bias'), true);
      self.module!.params.set('weight', newParam([outF, inF]));
      self.module!.params.set('bias', hasBias ? newParam([outF]) : null);
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          const last = x.shape[x.rank - 1];
          const fix = typeof last === 'number' ? argFix(me, 'in_features', 0, last) : undefined;
          return linearForward(x, inF, outF, a.site, (msg, code) => layerError(me, a.site, 'RuntimeError', originNote(ip2, msg), code, fix), moduleLabel(me));
        },
        macs: (_i, o) => (inF * outF + (hasBias ? outF : 0)) * D.countOf(o.shape.slice(0, -1)),
        describe: () => `${inF}→${outF}`,
      };
    },
  }));

  out.set('Embedding', defineLayer(ip, base, 'Embedding', {
    sig: ['num_embeddings', 'embedding_dim', 'padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse', '_weight', '_freeze'],
    required: 2,
    defaults: { padding_idx: null, max_norm: null },
    build(_ip, self, b, site) {
      const n = int(b.get('num_embeddings'), 'num_embeddings', site);
      const d = int(b.get('embedding_dim'), 'embedding_dim', site);
      const pi = b.get('padding_idx');
      let paddingIdx: number | undefined;
      if (pi !== undefined && pi !== null) {
        const p = int(pi, 'padding_idx', site);
        if (p >= n || p < -n) raise('AssertionError', 'Padding_idx must be within num_embeddings', site, 'embedding');
        paddingIdx = p < 0 ? p + n : p;
      }
      self.module!.params.set('weight', newParam([n, d], paddingIdx === undefined ? undefined : { paddingIdx }));
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          if (x.dtype !== 'int64') layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got a float tensor ${shapeStr(x.shape)} instead`, 'embedding-dtype');
          return new Tensor([...x.shape, d], 'float32', [...x.tags, -1], x.dep);
        },
        macs: (_i, o) => D.countOf([o.shape[0] ?? 1]) * n * d,
        describe: () => `${n}×${d}`,
      };
    },
  }));

  out.set('Flatten', defineLayer(ip, base, 'Flatten', {
    sig: ['start_dim', 'end_dim'],
    defaults: { start_dim: 1, end_dim: -1 },
    build(_ip, _self, b, site) {
      const s = int(b.get('start_dim'), 'start_dim', site, 1);
      const e = int(b.get('end_dim'), 'end_dim', site, -1);
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          return flatten(x, s, e, a.site);
        },
        describe: () => `${s}..${e}`,
      };
    },
  }));

  out.set('Unflatten', defineLayer(ip, base, 'Unflatten', {
    sig: ['dim', 'unflattened_size'],
    required: 2,
    build(_ip, _self, b, site) {
      const dim = int(b.get('dim'), 'dim', site);
      const sz = b.get('unflattened_size');
      if (!(sz instanceof PyTuple || sz instanceof PyList)) return raise('TypeError', 'unflattened_size must be tuple or list', site, 'type-error');
      const sizes = sz.items.map((v, i) => dimArg(v, `unflattened_size[${i}]`, site));
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          return unflatten(x, dim, sizes, a.site);
        },
        describe: () => `dim ${dim} → ${shapeStr(sizes)}`,
      };
    },
  }));
}

/** Adds where a flattened size came from, when the tracer knows it. */
function originNote(ip: Interp, msg: string): string {
  const o = ip.tracer?.lastFlatten;
  return o ? `${msg}; the features come from ${o}` : msg;
}
