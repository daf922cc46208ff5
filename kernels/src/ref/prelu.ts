// Reference PReLU: a learned negative slope per channel (dim 1), or one shared slope.
import type { NDArray } from '../ndarray';
import type { PreluAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

export function prelu(inputs: readonly NDArray[], _a: PreluAttrs): NDArray[] {
  const op = 'prelu';
  const x = arg(op, inputs, 0, 'x');
  const w = arg(op, inputs, 1, 'weight');
  expectFloat(op, x, 'x');
  const C = x.shape.length >= 2 ? x.shape[1] : 1;
  const nw = w.data.length;
  if (nw !== 1 && nw !== C) fail(op, `weight ${shapeStr(w.shape)} must have 1 or ${C} (channels) elements for input ${shapeStr(x.shape)}`);
  let inner = 1;
  for (let d = 2; d < x.shape.length; d++) inner *= x.shape[d];
  const y = alloc('float32', x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    const slope = nw === 1 ? w.data[0] : w.data[Math.floor(i / inner) % C];
    y.data[i] = v >= 0 ? v : slope * v;
  }
  return [y];
}
