// Reference fully connected layer y = x·Wᵀ + b over the last dim, float64 accumulation.
import type { NDArray } from '../ndarray';
import type { LinearAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

export function linear(inputs: readonly NDArray[], a: LinearAttrs): NDArray[] {
  const op = 'linear';
  const x = arg(op, inputs, 0, 'x');
  const w = arg(op, inputs, 1, 'weight');
  const b = a.bias ? arg(op, inputs, 2, 'bias') : null;
  expectFloat(op, x, 'x');
  if (x.shape.length < 1 || w.shape.length !== 2) fail(op, `expects x [*, in] and weight [out, in], got ${shapeStr(x.shape)} and ${shapeStr(w.shape)}`);
  const K = x.shape[x.shape.length - 1];
  const [M, K2] = w.shape;
  if (K !== K2) fail(op, `x ${shapeStr(x.shape)} has ${K} features, weight ${shapeStr(w.shape)} expects ${K2}`);
  if (b && (b.shape.length !== 1 || b.shape[0] !== M)) fail(op, `bias must be [${M}], got ${shapeStr(b.shape)}`);
  const rows = K === 0 ? x.shape.slice(0, -1).reduce((p, d) => p * d, 1) : x.data.length / K;
  const y = alloc('float32', [...x.shape.slice(0, -1), M]);
  for (let r = 0; r < rows; r++) {
    for (let m = 0; m < M; m++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += x.data[r * K + k] * w.data[m * K + k];
      y.data[r * M + m] = acc + (b ? b.data[m] : 0);
    }
  }
  return [y];
}
