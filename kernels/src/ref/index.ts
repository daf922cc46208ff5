// The reference kernels by op name: the executor dispatches through this table, and a backend's missing ops are
// the names of the graph's nodes it has no entry for.
import type { OpName } from '../../../server/src/engine/graph/ir';
import type { RefKernel } from './types';
import { conv } from './conv';
import { convTranspose } from './convTranspose';
import { pad } from './pad';
import { avgPool, maxPool } from './pool';
import { adaptiveAvgPool, adaptiveMaxPool } from './adaptivePool';
import { batchNorm } from './batchNorm';
import { layerNorm } from './layerNorm';
import { groupNorm } from './groupNorm';
import { instanceNorm } from './instanceNorm';
import { localResponseNorm } from './localResponseNorm';
import { linear } from './linear';
import { matmul } from './matmul';
import { embedding } from './embedding';
import { einsum } from './einsum';
import { rnn } from './rnn';
import { unary } from './unary';
import { binary } from './binary';
import { where } from './where';
import { prelu } from './prelu';
import { dropout } from './dropout';
import { interpolate } from './interpolate';
import { pixelShuffle, pixelUnshuffle } from './pixelShuffle';
import { expand, permute, reshape } from './shape';
import { cat, split, stack } from './join';
import { indexSelect, slice } from './select';
import { cast, full } from './cast';
import { argReduce, cumsum, reduce, softmax } from './reduce';

export type { RefKernel } from './types';

export const REF_KERNELS: { [K in OpName]: RefKernel<K> } = {
  conv,
  conv_transpose: convTranspose,
  pad,
  max_pool: maxPool,
  avg_pool: avgPool,
  adaptive_avg_pool: adaptiveAvgPool,
  adaptive_max_pool: adaptiveMaxPool,
  batch_norm: batchNorm,
  layer_norm: layerNorm,
  group_norm: groupNorm,
  instance_norm: instanceNorm,
  local_response_norm: localResponseNorm,
  linear,
  matmul,
  embedding,
  einsum,
  rnn,
  unary,
  binary,
  where,
  prelu,
  dropout,
  interpolate,
  pixel_shuffle: pixelShuffle,
  pixel_unshuffle: pixelUnshuffle,
  reshape,
  permute,
  expand,
  cat,
  stack,
  split,
  slice,
  index_select: indexSelect,
  cast,
  full,
  reduce,
  arg_reduce: argReduce,
  softmax,
  cumsum,
};

/** Every op name of the vocabulary, in the registry's order. */
export const OP_NAMES = Object.keys(REF_KERNELS) as OpName[];

/** Runs one node's reference kernel; the attrs type follows the op name. */
export function runRef<K extends OpName>(op: K, inputs: Parameters<RefKernel<K>>[0], attrs: Parameters<RefKernel<K>>[1]): ReturnType<RefKernel<K>> {
  const k = REF_KERNELS[op] as RefKernel<K>;
  return k(inputs, attrs);
}
