// Reference group normalisation: statistics per (sample, group of channels), affine per channel.
import type { NDArray } from '../ndarray';
import type { GroupNormAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

export function groupNorm(inputs: readonly NDArray[], a: GroupNormAttrs): NDArray[] {
  const op = 'group_norm';
  let i = 0;
  const x = arg(op, inputs, i++, 'x');
  const w = a.weight ? arg(op, inputs, i++, 'weight') : null;
  const b = a.bias ? arg(op, inputs, i++, 'bias') : null;
  expectFloat(op, x, 'x');
  if (x.shape.length < 2) fail(op, `expects [N, C, *], got ${shapeStr(x.shape)}`);
  const N = x.shape[0];
  const C = x.shape[1];
  const G = a.groups;
  if (!Number.isInteger(G) || G < 1 || C % G !== 0) fail(op, `expected the number of channels ${C} to be divisible by num_groups=${G}`);
  for (const [t, name] of [[w, 'weight'], [b, 'bias']] as const) {
    if (t && (t.shape.length !== 1 || t.shape[0] !== C)) fail(op, `${name} must be [${C}], got ${shapeStr(t.shape)}`);
  }
  let S = 1;
  for (let d = 2; d < x.shape.length; d++) S *= x.shape[d];
  const cg = C / G;
  const span = cg * S;
  const y = alloc('float32', x.shape);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const o = (n * C + g * cg) * S;
      let s = 0;
      for (let j = 0; j < span; j++) s += x.data[o + j];
      const m = s / span;
      let q = 0;
      for (let j = 0; j < span; j++) q += (x.data[o + j] - m) ** 2;
      const inv = 1 / Math.sqrt(q / span + a.eps);
      for (let c = 0; c < cg; c++) {
        const ch = g * cg + c;
        const scale = inv * (w ? w.data[ch] : 1);
        const shift = b ? b.data[ch] : 0;
        for (let k = 0, p = o + c * S; k < S; k++) y.data[p + k] = (x.data[p + k] - m) * scale + shift;
      }
    }
  }
  return [y];
}
