// Reference local response normalisation across channels (nn.LocalResponseNorm).
import type { NDArray } from '../ndarray';
import type { LocalResponseNormAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

export function localResponseNorm(inputs: readonly NDArray[], a: LocalResponseNormAttrs): NDArray[] {
  const op = 'local_response_norm';
  const x = arg(op, inputs, 0, 'x');
  expectFloat(op, x, 'x');
  if (x.shape.length < 3) fail(op, `expects [N, C, *] with at least 3 dims, got ${shapeStr(x.shape)}`);
  if (!Number.isInteger(a.size) || a.size < 1) fail(op, `size must be a positive integer, got ${a.size}`);
  const N = x.shape[0];
  const C = x.shape[1];
  let S = 1;
  for (let d = 2; d < x.shape.length; d++) S *= x.shape[d];
  const before = Math.floor(a.size / 2);
  const after = Math.floor((a.size - 1) / 2);
  const y = alloc('float32', x.shape);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const lo = Math.max(0, c - before);
      const hi = Math.min(C - 1, c + after);
      for (let k = 0; k < S; k++) {
        let q = 0;
        for (let cc = lo; cc <= hi; cc++) q += x.data[(n * C + cc) * S + k] ** 2;
        const o = (n * C + c) * S + k;
        y.data[o] = x.data[o] / Math.pow(a.k + (a.alpha * q) / a.size, a.beta);
      }
    }
  }
  return [y];
}
