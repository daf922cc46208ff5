// Reference reductions (sum/mean/prod/amax/amin/var/std over dims), argmax/argmin, softmax/log_softmax and cumsum.
import { stridesOf, type KDType, type NDArray } from '../ndarray';
import type { ArgReduceAttrs, CumsumAttrs, ReduceAttrs, SoftmaxAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, around, checkDim, expectFloat, fail, shapeStr } from './util';

function reduceDType(fn: ReduceAttrs['fn'], x: KDType): KDType {
  if (fn === 'sum' || fn === 'prod') return x === 'float32' ? 'float32' : 'int64';
  if (fn === 'amax' || fn === 'amin') return x;
  return 'float32';
}

export function reduce(inputs: readonly NDArray[], a: ReduceAttrs): NDArray[] {
  const op = 'reduce';
  const x = arg(op, inputs, 0, 'x');
  const rank = x.shape.length;
  for (let i = 0; i < a.dims.length; i++) {
    checkDim(op, a.dims[i], Math.max(rank, 1));
    if (i > 0 && a.dims[i] <= a.dims[i - 1]) fail(op, `dims ${JSON.stringify(a.dims)} must be sorted and unique`);
  }
  if ((a.fn === 'mean' || a.fn === 'var' || a.fn === 'std') && x.dtype !== 'float32') fail(op, `${a.fn} needs a float input, got ${x.dtype}`);
  const reduced = new Set(a.dims);
  const keptShape = rank === 0 ? [] : x.shape.filter((_, d) => !reduced.has(d));
  const outShape = a.keepdim ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : keptShape;
  // Group input elements by output element: the output index of each input element.
  const st = stridesOf(x.shape);
  const outSt = stridesOf(keptShape);
  let groups = 1;
  for (const d of keptShape) groups *= d;
  const n = groups === 0 ? 0 : x.data.length / groups;
  const members: number[][] = Array.from({ length: groups }, () => []);
  for (let e = 0; e < x.data.length; e++) {
    let o = 0;
    let k = 0;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(e / st[d]) % x.shape[d];
      if (!reduced.has(d)) o += c * outSt[k++];
    }
    members[o].push(e);
  }
  const y = alloc(reduceDType(a.fn, x.dtype), outShape);
  if ((a.fn === 'amax' || a.fn === 'amin') && n === 0 && groups > 0) fail(op, `${a.fn} of an empty dim has no identity`);
  for (let g = 0; g < groups; g++) {
    const m = members[g];
    let r: number;
    switch (a.fn) {
      case 'sum': r = 0; for (const e of m) r += x.data[e]; break;
      case 'prod': r = 1; for (const e of m) r *= x.data[e]; break;
      case 'mean': r = 0; for (const e of m) r += x.data[e]; r /= n; break;
      case 'amax': r = -Infinity; for (const e of m) { const v = x.data[e]; if (v > r || Number.isNaN(v)) r = v; if (Number.isNaN(r)) break; } break;
      case 'amin': r = Infinity; for (const e of m) { const v = x.data[e]; if (v < r || Number.isNaN(v)) r = v; if (Number.isNaN(r)) break; } break;
      case 'var':
      case 'std': {
        let s = 0;
        for (const e of m) s += x.data[e];
        const mu = s / n;
        let q = 0;
        for (const e of m) q += (x.data[e] - mu) ** 2;
        const v = q / Math.max(0, n - a.correction);
        r = a.fn === 'std' ? Math.sqrt(v) : v;
        break;
      }
    }
    y.data[g] = r;
  }
  return [y];
}

export function argReduce(inputs: readonly NDArray[], a: ArgReduceAttrs): NDArray[] {
  const op = 'arg_reduce';
  const x0 = arg(op, inputs, 0, 'x');
  const flat = a.dim === null;
  const x = flat ? { shape: [x0.data.length], dtype: x0.dtype, data: x0.data } : x0;
  const dim = flat ? 0 : (a.dim as number);
  checkDim(op, dim, x.shape.length);
  const [outer, size, inner] = around(x.shape, dim);
  if (size === 0) fail(op, `cannot take ${a.fn} of an empty dim of ${shapeStr(x0.shape)}`);
  let outShape: number[];
  if (flat) outShape = a.keepdim ? x0.shape.map(() => 1) : [];
  else outShape = a.keepdim ? x.shape.map((d, i) => (i === dim ? 1 : d)) : x.shape.filter((_, i) => i !== dim);
  const y = alloc('int64', outShape);
  const better = a.fn === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      let best = x.data[o * size * inner + r];
      let at = 0;
      for (let i = 1; i < size && !Number.isNaN(best); i++) {
        const v = x.data[(o * size + i) * inner + r];
        if (better(v, best) || Number.isNaN(v)) {
          best = v;
          at = i;
        }
      }
      y.data[o * inner + r] = at;
    }
  }
  return [y];
}

export function softmax(inputs: readonly NDArray[], a: SoftmaxAttrs): NDArray[] {
  const op = 'softmax';
  const x = arg(op, inputs, 0, 'x');
  expectFloat(op, x, 'x');
  const rank = Math.max(x.shape.length, 1);
  checkDim(op, a.dim, rank);
  const [outer, size, inner] = x.shape.length === 0 ? [1, 1, 1] : around(x.shape, a.dim);
  const y = alloc('float32', x.shape);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const at = (i: number): number => (o * size + i) * inner + r;
      let mx = -Infinity;
      for (let i = 0; i < size; i++) mx = Math.max(mx, x.data[at(i)]);
      let s = 0;
      for (let i = 0; i < size; i++) s += Math.exp(x.data[at(i)] - mx);
      const logS = Math.log(s);
      for (let i = 0; i < size; i++) {
        const z = x.data[at(i)] - mx;
        y.data[at(i)] = a.log ? z - logS : Math.exp(z) / s;
      }
    }
  }
  return [y];
}

export function cumsum(inputs: readonly NDArray[], a: CumsumAttrs): NDArray[] {
  const op = 'cumsum';
  const x = arg(op, inputs, 0, 'x');
  checkDim(op, a.dim, Math.max(x.shape.length, 1));
  const [outer, size, inner] = x.shape.length === 0 ? [1, 1, 1] : around(x.shape, a.dim);
  const y = alloc(x.dtype === 'float32' ? 'float32' : 'int64', x.shape);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      let s = 0;
      for (let i = 0; i < size; i++) {
        const at = (o * size + i) * inner + r;
        s += x.data[at];
        y.data[at] = s;
      }
    }
  }
  return [y];
}
