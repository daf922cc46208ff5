// Reference reshape, permute and expand: data movement without arithmetic (each returns a fresh copy).
import { numel, stridesOf, type NDArray } from '../ndarray';
import type { ExpandAttrs, PermuteAttrs, ReshapeAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, broadcastIndex, fail, shapeStr, stridedOffsets } from './util';

export function reshape(inputs: readonly NDArray[], a: ReshapeAttrs): NDArray[] {
  const x = arg('reshape', inputs, 0, 'x');
  if (a.shape.some((d) => !Number.isInteger(d) || d < 0) || numel(a.shape) !== x.data.length) {
    fail('reshape', `shape ${shapeStr(a.shape)} is invalid for input of size ${x.data.length}`);
  }
  const y = alloc(x.dtype, a.shape);
  y.data.set(x.data);
  return [y];
}

export function permute(inputs: readonly NDArray[], a: PermuteAttrs): NDArray[] {
  const x = arg('permute', inputs, 0, 'x');
  const rank = x.shape.length;
  const seen = new Set(a.perm);
  if (a.perm.length !== rank || seen.size !== rank || a.perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    fail('permute', `perm ${JSON.stringify(a.perm)} is not a permutation of the ${rank} dims of ${shapeStr(x.shape)}`);
  }
  const outShape = a.perm.map((p) => x.shape[p]);
  const inStrides = stridesOf(x.shape);
  const st = a.perm.map((p) => inStrides[p]);
  const y = alloc(x.dtype, outShape);
  const idx = stridedOffsets(outShape, st);
  for (let e = 0; e < idx.length; e++) y.data[e] = x.data[idx[e]];
  return [y];
}

export function expand(inputs: readonly NDArray[], a: ExpandAttrs): NDArray[] {
  const x = arg('expand', inputs, 0, 'x');
  const k = a.shape.length - x.shape.length;
  if (k < 0 || x.shape.some((d, i) => d !== 1 && d !== a.shape[k + i])) fail('expand', `cannot expand ${shapeStr(x.shape)} to ${shapeStr(a.shape)}`);
  const idx = broadcastIndex(x.shape, a.shape);
  const y = alloc(x.dtype, a.shape);
  for (let i = 0; i < idx.length; i++) y.data[i] = x.data[idx[i]];
  return [y];
}
