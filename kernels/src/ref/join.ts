// Reference cat, stack and split: joining and cutting tensors along one dim.
import type { NDArray } from '../ndarray';
import type { CatAttrs, SplitAttrs, StackAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, around, checkDim, fail, promote, shapeStr, store } from './util';

export function cat(inputs: readonly NDArray[], a: CatAttrs): NDArray[] {
  const op = 'cat';
  if (inputs.length === 0) fail(op, 'expects a non-empty list of tensors');
  const first = inputs[0];
  const rank = first.shape.length;
  checkDim(op, a.dim, rank);
  for (const t of inputs) {
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== a.dim && d !== first.shape[i])) {
      fail(op, `sizes of tensors must match except in dimension ${a.dim}: ${inputs.map((u) => shapeStr(u.shape)).join(', ')}`);
    }
  }
  const outShape = first.shape.slice();
  outShape[a.dim] = inputs.reduce((s, t) => s + t.shape[a.dim], 0);
  const dtype = promote(...inputs.map((t) => t.dtype));
  const y = alloc(dtype, outShape);
  const [outer, total, inner] = around(outShape, a.dim);
  let at = 0;
  for (const t of inputs) {
    const size = t.shape[a.dim];
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < size * inner; j++) y.data[(o * total + at) * inner + j] = store(dtype, t.data[o * size * inner + j]);
    }
    at += size;
  }
  return [y];
}

export function stack(inputs: readonly NDArray[], a: StackAttrs): NDArray[] {
  const op = 'stack';
  if (inputs.length === 0) fail(op, 'expects a non-empty list of tensors');
  const shape = inputs[0].shape;
  if (!Number.isInteger(a.dim) || a.dim < 0 || a.dim > shape.length) fail(op, `dim ${a.dim} is out of range for stacking ${shape.length}-D tensors`);
  for (const t of inputs) if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) fail(op, `stack expects each tensor to be equal size, got ${inputs.map((u) => shapeStr(u.shape)).join(', ')}`);
  const unsq = [...shape.slice(0, a.dim), 1, ...shape.slice(a.dim)];
  return cat(inputs.map((t) => ({ shape: unsq, dtype: t.dtype, data: t.data })), { dim: a.dim });
}

export function split(inputs: readonly NDArray[], a: SplitAttrs): NDArray[] {
  const op = 'split';
  const x = inputs[0];
  if (!x) fail(op, 'missing input');
  checkDim(op, a.dim, x.shape.length);
  const total = a.sizes.reduce((s, d) => s + d, 0);
  if (a.sizes.some((d) => !Number.isInteger(d) || d < 0) || total !== x.shape[a.dim]) fail(op, `sizes ${JSON.stringify(a.sizes)} must sum to ${x.shape[a.dim]} (dim ${a.dim} of ${shapeStr(x.shape)})`);
  const [outer, size, inner] = around(x.shape, a.dim);
  let at = 0;
  return a.sizes.map((s) => {
    const shape = x.shape.slice();
    shape[a.dim] = s;
    const y = alloc(x.dtype, shape);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < s * inner; j++) y.data[o * s * inner + j] = x.data[(o * size + at) * inner + j];
    }
    at += s;
    return y;
  });
}
