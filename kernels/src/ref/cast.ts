// Reference dtype conversion and constant-filled tensors.
import type { NDArray } from '../ndarray';
import type { CastAttrs, FullAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, fail, store } from './util';

export function cast(inputs: readonly NDArray[], a: CastAttrs): NDArray[] {
  const x = arg('cast', inputs, 0, 'x');
  const y = alloc(a.dtype, x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = store(a.dtype, x.data[i]);
  return [y];
}

export function full(_inputs: readonly NDArray[], a: FullAttrs): NDArray[] {
  if (a.shape.some((d) => !Number.isInteger(d) || d < 0)) fail('full', `invalid shape ${JSON.stringify(a.shape)}`);
  const y = alloc(a.dtype, a.shape);
  y.data.fill(store(a.dtype, a.value));
  return [y];
}
