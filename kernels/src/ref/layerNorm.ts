// Reference layer normalisation over the trailing normalized_shape dims (biased variance, float64 statistics).
import type { NDArray } from '../ndarray';
import type { LayerNormAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

export function layerNorm(inputs: readonly NDArray[], a: LayerNormAttrs): NDArray[] {
  const op = 'layer_norm';
  let i = 0;
  const x = arg(op, inputs, i++, 'x');
  const w = a.weight ? arg(op, inputs, i++, 'weight') : null;
  const b = a.bias ? arg(op, inputs, i++, 'bias') : null;
  expectFloat(op, x, 'x');
  const k = a.normalizedShape.length;
  const tail = x.shape.slice(x.shape.length - k);
  if (k === 0 || k > x.shape.length || tail.some((d, j) => d !== a.normalizedShape[j])) {
    fail(op, `normalized_shape ${shapeStr(a.normalizedShape)} does not match the trailing dims of ${shapeStr(x.shape)}`);
  }
  let S = 1;
  for (const d of a.normalizedShape) S *= d;
  for (const [t, name] of [[w, 'weight'], [b, 'bias']] as const) {
    if (t && t.data.length !== S) fail(op, `${name} must have shape ${shapeStr(a.normalizedShape)}, got ${shapeStr(t.shape)}`);
  }
  const rows = S === 0 ? 0 : x.data.length / S;
  const y = alloc('float32', x.shape);
  for (let r = 0; r < rows; r++) {
    const o = r * S;
    let s = 0;
    for (let j = 0; j < S; j++) s += x.data[o + j];
    const m = s / S;
    let q = 0;
    for (let j = 0; j < S; j++) q += (x.data[o + j] - m) ** 2;
    const inv = 1 / Math.sqrt(q / S + a.eps);
    for (let j = 0; j < S; j++) y.data[o + j] = (x.data[o + j] - m) * inv * (w ? w.data[j] : 1) + (b ? b.data[j] : 0);
  }
  return [y];
}
