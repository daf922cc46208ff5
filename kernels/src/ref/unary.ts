// Reference element-wise functions of one tensor (activations and math), computed in float64 and stored as the output dtype.
import type { KDType, NDArray } from '../ndarray';
import type { UnaryAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg } from './util';
import { erf } from './erf';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Functions whose result stays int64 for an int64 input (PyTorch keeps the integer dtype for them). */
const INT_PRESERVING = new Set(['relu', 'relu6', 'hardtanh', 'clamp', 'abs', 'neg', 'sign', 'square', 'floor', 'ceil', 'round', 'trunc']);

export function unaryDType(fn: UnaryAttrs['fn'], input: KDType): KDType {
  if (fn === 'logical_not') return 'bool';
  if (input === 'float32') return 'float32';
  return INT_PRESERVING.has(fn) ? 'int64' : 'float32';
}

const softplus1 = (x: number): number => (x > 20 ? x : Math.log1p(Math.exp(x)));

/** Round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The scalar function of one attrs value. */
export function unaryFn(a: UnaryAttrs): (x: number) => number {
  switch (a.fn) {
    case 'relu': return (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0);
    case 'relu6': return (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, 0), 6));
    case 'leaky_relu': { const s = a.negativeSlope; return (x) => (x > 0 ? x : x * s); }
    case 'elu': { const al = a.alpha; return (x) => (x > 0 ? x : al * Math.expm1(x)); }
    case 'selu': return (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'celu': { const al = a.alpha; return (x) => Math.max(0, x) + Math.min(0, al * Math.expm1(x / al)); }
    case 'gelu':
      return a.approximate === 'tanh'
        ? (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
        : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'silu': return (x) => x / (1 + Math.exp(-x));
    case 'mish': return (x) => x * Math.tanh(softplus1(x));
    case 'sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh;
    case 'hardswish': return (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'hardsigmoid': return (x) => Math.min(Math.max(x + 3, 0), 6) / 6;
    case 'hardtanh': { const lo = a.min, hi = a.max; return (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi)); }
    case 'softplus': {
      const { beta, threshold } = a;
      return (x) => (x * beta > threshold ? x : Math.log1p(Math.exp(x * beta)) / beta);
    }
    case 'softsign': return (x) => x / (1 + Math.abs(x));
    case 'tanhshrink': return (x) => x - Math.tanh(x);
    case 'logsigmoid': return (x) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
    case 'hardshrink': { const l = a.lambd; return (x) => (x > l || x < -l ? x : 0); }
    case 'softshrink': { const l = a.lambd; return (x) => (x > l ? x - l : x < -l ? x + l : 0); }
    case 'threshold': { const { threshold: t, value: v } = a; return (x) => (x > t ? x : v); }
    case 'clamp': {
      const { min, max } = a;
      // torch.clamp: min first, then max, so max wins when min > max; NaN stays NaN.
      return (x) => {
        if (Number.isNaN(x)) return x;
        let r = x;
        if (min !== null && r < min) r = min;
        if (max !== null && r > max) r = max;
        return r;
      };
    }
    case 'pow_scalar': { const e = a.exponent; return (x) => Math.pow(x, e); }
    case 'exp': return Math.exp;
    case 'expm1': return Math.expm1;
    case 'log': return Math.log;
    case 'log2': return Math.log2;
    case 'log10': return Math.log10;
    case 'log1p': return Math.log1p;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'abs': return Math.abs;
    case 'neg': return (x) => -x;
    case 'reciprocal': return (x) => 1 / x;
    case 'square': return (x) => x * x;
    case 'sign': return (x) => (Number.isNaN(x) ? x : x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'tan': return Math.tan;
    case 'erf': return erf;
    case 'floor': return Math.floor;
    case 'ceil': return Math.ceil;
    case 'trunc': return Math.trunc;
    case 'round': return roundHalfEven;
    case 'frac': return (x) => x - Math.trunc(x);
    case 'logical_not': return (x) => (x === 0 ? 1 : 0);
  }
}

export function unary(inputs: readonly NDArray[], a: UnaryAttrs): NDArray[] {
  const x = arg('unary', inputs, 0, 'x');
  const f = unaryFn(a);
  const dtype = unaryDType(a.fn, x.dtype);
  const y = alloc(dtype, x.shape);
  const xd = x.data;
  const yd = y.data;
  if (dtype === 'int64') for (let i = 0; i < xd.length; i++) yd[i] = Math.trunc(f(xd[i])) + 0; // + 0 turns −0 into 0
  else for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i]);
  return [y];
}
