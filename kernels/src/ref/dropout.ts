// Reference dropout with a reproducible counter-based mask: identity in eval mode, seeded element or feature-map masks in training.
import type { NDArray } from '../ndarray';
import type { DropoutAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

/** murmur3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The uniform number in [0, 1) of mask unit u under a node seed. Counter-based (no state), so any
 * backend, thread or tile computes the same mask: fmix32(seed + u·0x9E3779B9 mod 2³²) / 2³².
 */
export function dropoutUniform(seed: number, unit: number): number {
  return fmix32((seed + Math.imul(unit, 0x9e3779b9)) >>> 0) / 4294967296;
}

/** The seed of node `nodeIndex`'s mask in a run with seed `runSeed` (what the executor writes into DropoutAttrs.seed). */
export function dropoutNodeSeed(runSeed: number, nodeIndex: number): number {
  return fmix32((fmix32(runSeed >>> 0) ^ Math.imul(nodeIndex + 1, 0x27d4eb2f)) >>> 0);
}

export function dropout(inputs: readonly NDArray[], a: DropoutAttrs): NDArray[] {
  const op = 'dropout';
  const x = arg(op, inputs, 0, 'x');
  expectFloat(op, x, 'x');
  if (!(a.p >= 0 && a.p <= 1)) fail(op, `dropout probability has to be between 0 and 1, but got ${a.p}`);
  if (x.shape.length < a.featureDims) fail(op, `featureDims=${a.featureDims} needs at least that many dims, got ${shapeStr(x.shape)}`);
  const y = alloc('float32', x.shape);
  if (!a.training || a.p === 0) {
    y.data.set(x.data);
    return [y];
  }
  let inner = 1;
  for (let d = x.shape.length - a.featureDims; d < x.shape.length; d++) inner *= x.shape[d];
  const scale = a.p === 1 ? 0 : 1 / (1 - a.p);
  const units = inner === 0 ? 0 : x.data.length / inner;
  for (let u = 0; u < units; u++) {
    const keep = dropoutUniform(a.seed, u) >= a.p ? scale : 0;
    for (let k = 0, o = u * inner; k < inner; k++) y.data[o + k] = x.data[o + k] * keep;
  }
  return [y];
}
