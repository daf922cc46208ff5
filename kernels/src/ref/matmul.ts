// Reference torch.matmul: dot, matrix-vector, vector-matrix and broadcast batched matrix products.
import { numel, type NDArray } from '../ndarray';
import type { MatmulAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, broadcastIndex, broadcastShapes, fail, promote, shapeStr, store } from './util';

export function matmul(inputs: readonly NDArray[], _a: MatmulAttrs): NDArray[] {
  const op = 'matmul';
  const A = arg(op, inputs, 0, 'a');
  const B = arg(op, inputs, 1, 'b');
  if (A.shape.length === 0 || B.shape.length === 0) fail(op, `both arguments need at least 1 dimension, got ${shapeStr(A.shape)} and ${shapeStr(B.shape)}`);
  if (A.dtype === 'bool' || B.dtype === 'bool') fail(op, 'bool operands are not supported');
  // 1-D operands become matrices, and the added dim is dropped from the result.
  const aShape = A.shape.length === 1 ? [1, A.shape[0]] : A.shape.slice();
  const bShape = B.shape.length === 1 ? [B.shape[0], 1] : B.shape.slice();
  const M = aShape[aShape.length - 2];
  const K = aShape[aShape.length - 1];
  const K2 = bShape[bShape.length - 2];
  const N = bShape[bShape.length - 1];
  if (K !== K2) fail(op, `shapes ${shapeStr(A.shape)} and ${shapeStr(B.shape)} cannot be multiplied (${K} vs ${K2})`);
  const batch = broadcastShapes(op, [aShape.slice(0, -2), bShape.slice(0, -2)]);
  const aIdx = broadcastIndex(aShape.slice(0, -2), batch);
  const bIdx = broadcastIndex(bShape.slice(0, -2), batch);
  const outShape = [...batch];
  if (A.shape.length > 1) outShape.push(M);
  if (B.shape.length > 1) outShape.push(N);
  const dtype = promote(A.dtype, B.dtype);
  const y = alloc(dtype, outShape);
  const nb = numel(batch);
  for (let t = 0; t < nb; t++) {
    const ao = aIdx[t] * M * K;
    const bo = bIdx[t] * K * N;
    const yo = t * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += A.data[ao + i * K + k] * B.data[bo + k * N + j];
        y.data[yo + i * N + j] = store(dtype, acc);
      }
    }
  }
  return [y];
}
