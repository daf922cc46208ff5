// Shape-preserving modules: activations, dropout, Identity, Softmax-like layers (which mix along
// one dim), PReLU and GLU.
import * as D from '../dim';
import { raise } from '../../interp/errors';
import { PyFloat, Unknown, type PyClass } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { float, int } from '../args';
import { Tensor, globalize, shapeStr } from '../tensor';
import { defineLayer, inputOf, layerError, moduleLabel, newParam } from '../nnModule';
import { normDim } from '../args';

/** Activations with the arguments PyTorch accepts (all shape-preserving). */
export const ACTIVATIONS: Record<string, string[]> = {
  ReLU: ['inplace'],
  ReLU6: ['inplace'],
  LeakyReLU: ['negative_slope', 'inplace'],
  ELU: ['alpha', 'inplace'],
  CELU: ['alpha', 'inplace'],
  SELU: ['inplace'],
  GELU: ['approximate'],
  SiLU: ['inplace'],
  Mish: ['inplace'],
  Sigmoid: [],
  Tanh: [],
  Hardswish: ['inplace'],
  Hardsigmoid: ['inplace'],
  Hardtanh: ['min_val', 'max_val', 'inplace', 'min_value', 'max_value'],
  Softplus: ['beta', 'threshold'],
  Softsign: [],
  Tanhshrink: [],
  Hardshrink: ['lambd'],
  Softshrink: ['lambd'],
  LogSigmoid: [],
  Threshold: ['threshold', 'value', 'inplace'],
  RReLU: ['lower', 'upper', 'inplace'],
};

const same = (x: Tensor): Tensor => new Tensor(x.shape.slice(), x.dtype, x.tags.slice(), x.dep);

export function defineElementwise(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  for (const [name, sig] of Object.entries(ACTIVATIONS)) {
    out.set(name, defineLayer(ip, base, name, {
      sig,
      defaults: name === 'LeakyReLU' ? { negative_slope: new PyFloat(0.01), inplace: false } : sig.includes('inplace') ? { inplace: false } : {},
      build: () => ({
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          return x instanceof Tensor ? same(x) : x;
        },
      }),
    }));
  }
  for (const name of ['Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'FeatureAlphaDropout']) {
    out.set(name, defineLayer(ip, base, name, {
      sig: ['p', 'inplace'],
      defaults: { p: new PyFloat(0.5), inplace: false },
      build(_ip, _self, b, site) {
        const p = float(b.get('p'), 'p', site, 0.5);
        if (p < 0 || p > 1) raise('ValueError', `dropout probability has to be between 0 and 1, but got ${p}`, site, 'dropout-p');
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            return x instanceof Tensor ? same(x) : x;
          },
          describe: () => `p=${p}`,
        };
      },
    }));
  }
  out.set('Identity', defineLayer(ip, base, 'Identity', {
    sig: [],
    lenient: true,
    build: () => ({
      forward(ip2, me, a) {
        const x = a.pos[0];
        return x === undefined ? inputOf(me, a, ip2) : x;
      },
    }),
  }));
  for (const name of ['Softmax', 'LogSoftmax', 'Softmin']) {
    out.set(name, defineLayer(ip, base, name, {
      sig: ['dim'],
      build(_ip, _self, b, site) {
        const dimV = b.get('dim');
        const dim = dimV === undefined || dimV === null ? null : int(dimV, 'dim', site);
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            if (!(x instanceof Tensor)) return x;
            // PyTorch's legacy implicit dim: 0 for 0/1/3-D inputs, else 1.
            const d = normDim(dim ?? (x.rank === 0 || x.rank === 1 || x.rank === 3 ? 0 : 1), x.rank, a.site);
            const y = same(x);
            const tag = x.tags[d]!;
            if (tag >= 0) y.dep = globalize(y.dep, [tag]);
            return y;
          },
          describe: () => `dim=${dim ?? 'None'}`,
        };
      },
    }));
  }
  out.set('PReLU', defineLayer(ip, base, 'PReLU', {
    sig: ['num_parameters', 'init'],
    build(_ip, self, b, site) {
      const n = int(b.get('num_parameters'), 'num_parameters', site, 1);
      // init only decides the default weights of a run; one the tracer cannot evaluate leaves PyTorch's 0.25.
      const init = b.get('init');
      const preluInit = init instanceof PyFloat ? init.v : init !== undefined && init !== null && !(init instanceof Unknown) ? float(init, 'init', site, 0.25) : undefined;
      self.module!.params.set('weight', newParam([n], preluInit === undefined ? undefined : { preluInit }));
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          if (n !== 1 && (x.rank < 2 || x.shape[1] !== n)) layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: mismatch of parameter numbers and input channel size (num_parameters=${n}, input ${shapeStr(x.shape)})`, 'prelu');
          return same(x);
        },
      };
    },
  }));
  out.set('GLU', defineLayer(ip, base, 'GLU', {
    sig: ['dim'],
    build(_ip, _self, b, site) {
      const dim = int(b.get('dim'), 'dim', site, -1);
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          const d = normDim(dim, x.rank, a.site);
          const half = D.divExact(x.shape[d]!, 2);
          if (half === null) layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: Halving dimension must be even, but dimension ${d} is size ${D.dimStr(x.shape[d]!)}`, 'glu');
          const y = same(x);
          y.shape[d] = half!;
          return y;
        },
      };
    },
  }));
}
