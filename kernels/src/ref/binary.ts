// Reference broadcasting element-wise functions of two tensors (arithmetic, comparisons, logical ops).
import type { KDType, NDArray } from '../ndarray';
import type { BinaryAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, broadcastIndex, broadcastShapes, fail, promote, store } from './util';

const COMPARISON = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logical_and', 'logical_or', 'logical_xor']);

export function binaryDType(a: BinaryAttrs, x: KDType, y: KDType): KDType {
  if (COMPARISON.has(a.fn)) return 'bool';
  if ((a.fn === 'div' && a.rounding === 'none') || a.fn === 'atan2') return 'float32';
  const p = promote(x, y);
  // Arithmetic on two bools is done as integers except where PyTorch keeps bool (add/mul act as or/and, max/min).
  if (p === 'bool' && !['add', 'mul', 'maximum', 'minimum'].includes(a.fn)) return 'int64';
  return p;
}

/** Python's modulo (sign of the divisor), as torch.remainder. */
function remainder(x: number, y: number): number {
  const m = x % y;
  return m !== 0 && m < 0 !== y < 0 ? m + y : m;
}

export function binaryFn(a: BinaryAttrs, intMath: boolean): (x: number, y: number) => number {
  const intDiv = (y: number): void => {
    if (intMath && y === 0) fail('binary', `integer division by zero in ${a.fn}`);
  };
  switch (a.fn) {
    case 'add': { const al = a.alpha; return (x, y) => x + al * y; }
    case 'sub': { const al = a.alpha; return (x, y) => x - al * y; }
    case 'mul': return (x, y) => x * y;
    case 'div':
      if (a.rounding === 'trunc') return (x, y) => (intDiv(y), Math.trunc(x / y));
      if (a.rounding === 'floor') return (x, y) => (intDiv(y), Math.floor(x / y));
      return (x, y) => x / y;
    case 'remainder': return (x, y) => (intDiv(y), remainder(x, y));
    case 'fmod': return (x, y) => (intDiv(y), x % y);
    case 'pow': return Math.pow;
    case 'atan2': return Math.atan2;
    case 'maximum': return (x, y) => Math.max(x, y);
    case 'minimum': return (x, y) => Math.min(x, y);
    case 'eq': return (x, y) => +(x === y);
    case 'ne': return (x, y) => +(x !== y);
    case 'lt': return (x, y) => +(x < y);
    case 'le': return (x, y) => +(x <= y);
    case 'gt': return (x, y) => +(x > y);
    case 'ge': return (x, y) => +(x >= y);
    case 'logical_and': return (x, y) => +(x !== 0 && y !== 0);
    case 'logical_or': return (x, y) => +(x !== 0 || y !== 0);
    case 'logical_xor': return (x, y) => +((x !== 0) !== (y !== 0));
  }
}

export function binary(inputs: readonly NDArray[], a: BinaryAttrs): NDArray[] {
  const op = 'binary';
  const A = arg(op, inputs, 0, 'a');
  const B = arg(op, inputs, 1, 'b');
  const shape = broadcastShapes(op, [A.shape, B.shape]);
  const ia = broadcastIndex(A.shape, shape);
  const ib = broadcastIndex(B.shape, shape);
  const dtype = binaryDType(a, A.dtype, B.dtype);
  const intMath = promote(A.dtype, B.dtype) !== 'float32';
  const f = binaryFn(a, intMath);
  const y = alloc(dtype, shape);
  // Float32 operands: the float64 result rounds once into the Float32Array, as PyTorch's float32 op does.
  for (let i = 0; i < ia.length; i++) y.data[i] = store(dtype, f(A.data[ia[i]], B.data[ib[i]]));
  return [y];
}
