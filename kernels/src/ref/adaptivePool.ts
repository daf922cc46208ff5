// Reference adaptive average and max pooling: output window i of a dim spans window.ts adaptiveWindow(i, len, out).
import type { NDArray } from '../ndarray';
import { adaptiveWindow } from '../../../server/src/engine/torch/window';
import type { AdaptiveAvgPoolAttrs, AdaptiveMaxPoolAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, checkTuple, expectFloat, fail, spatialLayout, to3 } from './util';

function windows(len: number, out: number): [Int32Array, Int32Array] {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  for (let i = 0; i < out; i++) [lo[i], hi[i]] = adaptiveWindow(i, len, out);
  return [lo, hi];
}

function run(op: string, inputs: readonly NDArray[], nd: number, outSize: number[], kind: 'avg' | 'max'): [NDArray, NDArray] {
  const x = arg(op, inputs, 0, 'x');
  expectFloat(op, x, 'x');
  checkTuple(op, outSize, nd, 'outSize');
  if (outSize.some((o) => !Number.isInteger(o) || o < 0)) fail(op, `output size must be non-negative integers, got ${JSON.stringify(outSize)}`);
  const L = spatialLayout(op, x, nd);
  const dims = L.dims3;
  if (dims.some((d) => d === 0)) fail(op, `input spatial size must be non-zero`);
  const out = to3(outSize, 1);
  const w = [0, 1, 2].map((i) => windows(dims[i], out[i]));
  const shape = [...L.lead, L.channels, ...outSize];
  const y = alloc('float32', shape);
  const idx = alloc('int64', shape);
  const [H, W] = [dims[1], dims[2]];
  let e = 0;
  for (let pl = 0; pl < L.batch * L.channels; pl++) {
    const base = pl * dims[0] * H * W;
    for (let od = 0; od < out[0]; od++) {
      for (let oh = 0; oh < out[1]; oh++) {
        for (let ow = 0; ow < out[2]; ow++, e++) {
          let acc = kind === 'avg' ? 0 : -Infinity;
          let at = -1;
          for (let id = w[0][0][od]; id < w[0][1][od]; id++) {
            for (let ih = w[1][0][oh]; ih < w[1][1][oh]; ih++) {
              for (let iw = w[2][0][ow]; iw < w[2][1][ow]; iw++) {
                const pos = (id * H + ih) * W + iw;
                const v = x.data[base + pos];
                if (kind === 'avg') acc += v;
                else if (at < 0 || v > acc || (Number.isNaN(v) && !Number.isNaN(acc))) {
                  acc = v;
                  at = pos;
                }
              }
            }
          }
          if (kind === 'avg') acc /= (w[0][1][od] - w[0][0][od]) * (w[1][1][oh] - w[1][0][oh]) * (w[2][1][ow] - w[2][0][ow]);
          y.data[e] = acc;
          idx.data[e] = at;
        }
      }
    }
  }
  return [y, idx];
}

export function adaptiveAvgPool(inputs: readonly NDArray[], a: AdaptiveAvgPoolAttrs): NDArray[] {
  return [run('adaptive_avg_pool', inputs, a.nd, a.outSize, 'avg')[0]];
}

export function adaptiveMaxPool(inputs: readonly NDArray[], a: AdaptiveMaxPoolAttrs): NDArray[] {
  const [y, idx] = run('adaptive_max_pool', inputs, a.nd, a.outSize, 'max');
  return a.returnIndices ? [y, idx] : [y];
}
