// Reference embedding lookup: one table row per int64 index.
import type { NDArray } from '../ndarray';
import type { EmbeddingAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, fail, shapeStr } from './util';

export function embedding(inputs: readonly NDArray[], _a: EmbeddingAttrs): NDArray[] {
  const op = 'embedding';
  const idx = arg(op, inputs, 0, 'indices');
  const w = arg(op, inputs, 1, 'weight');
  if (idx.dtype !== 'int64') fail(op, `indices must be int64, got ${idx.dtype}`);
  if (w.shape.length !== 2) fail(op, `weight must be 2-D [num_embeddings, dim], got ${shapeStr(w.shape)}`);
  const [num, dim] = w.shape;
  const y = alloc(w.dtype, [...idx.shape, dim]);
  for (let i = 0; i < idx.data.length; i++) {
    const r = idx.data[i];
    if (!Number.isInteger(r) || r < 0 || r >= num) fail(op, `index ${r} is out of range for an embedding table of ${num} rows`);
    for (let d = 0; d < dim; d++) y.data[i * dim + d] = w.data[r * dim + d];
  }
  return [y];
}
