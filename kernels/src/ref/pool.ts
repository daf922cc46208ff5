// Reference max and average pooling (1-D/2-D/3-D, padding, dilation, ceil_mode, count_include_pad, divisor_override).
import type { NDArray } from '../ndarray';
import { poolOutSize } from '../../../server/src/engine/torch/window';
import type { AvgPoolAttrs, MaxPoolAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, checkTuple, expectFloat, fail, shapeStr, spatialLayout, to3, type Spatial } from './util';

interface Geometry {
  L: Spatial;
  k: [number, number, number];
  s: [number, number, number];
  p: [number, number, number];
  d: [number, number, number];
  out: [number, number, number];
  outShape: number[];
}

function geometry(op: string, x: NDArray, nd: number, kernel: number[], stride: number[], padding: number[], dilation: number[], ceil: boolean): Geometry {
  expectFloat(op, x, 'x');
  checkTuple(op, kernel, nd, 'kernel');
  checkTuple(op, stride, nd, 'stride');
  checkTuple(op, padding, nd, 'padding');
  checkTuple(op, dilation, nd, 'dilation');
  const L = spatialLayout(op, x, nd);
  const k = to3(kernel, 1);
  const s = to3(stride, 1);
  const p = to3(padding, 0);
  const d = to3(dilation, 1);
  for (let i = 0; i < 3; i++) {
    if (k[i] < 1 || s[i] < 1 || d[i] < 1) fail(op, `kernel, stride and dilation must be positive`);
    if (2 * p[i] > d[i] * (k[i] - 1) + 1) fail(op, `pad should be at most half of the effective kernel size, got padding=${JSON.stringify(padding)} for kernel ${JSON.stringify(kernel)}`);
  }
  const out = [0, 1, 2].map((i) => poolOutSize(L.dims3[i], k[i], s[i], p[i], d[i], ceil)) as [number, number, number];
  const outSp = out.slice(3 - nd);
  if (outSp.some((o) => o < 1)) fail(op, `input ${shapeStr(x.shape)} is smaller than the window: output size would be ${shapeStr(outSp)}`);
  return { L, k, s, p, d, out, outShape: [...L.lead, L.channels, ...outSp] };
}

export function maxPool(inputs: readonly NDArray[], a: MaxPoolAttrs): NDArray[] {
  const op = 'max_pool';
  const x = arg(op, inputs, 0, 'x');
  const g = geometry(op, x, a.nd, a.kernel, a.stride, a.padding, a.dilation, a.ceilMode);
  const [D, H, W] = g.L.dims3;
  const [oD, oH, oW] = g.out;
  const y = alloc('float32', g.outShape);
  const idx = alloc('int64', g.outShape);
  const planes = g.L.batch * g.L.channels;
  let e = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * D * H * W;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        for (let ow = 0; ow < oW; ow++, e++) {
          let best = -Infinity;
          let at = -1;
          for (let kd = 0; kd < g.k[0]; kd++) {
            const id = od * g.s[0] - g.p[0] + kd * g.d[0];
            if (id < 0 || id >= D) continue;
            for (let kh = 0; kh < g.k[1]; kh++) {
              const ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < g.k[2]; kw++) {
                const iw = ow * g.s[2] - g.p[2] + kw * g.d[2];
                if (iw < 0 || iw >= W) continue;
                const pos = (id * H + ih) * W + iw;
                const v = x.data[base + pos];
                // PyTorch: the first strictly greater value wins, and a NaN wins and sticks.
                if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                  best = v;
                  at = pos;
                }
              }
            }
          }
          y.data[e] = best;
          idx.data[e] = at;
        }
      }
    }
  }
  return a.returnIndices ? [y, idx] : [y];
}

export function avgPool(inputs: readonly NDArray[], a: AvgPoolAttrs): NDArray[] {
  const op = 'avg_pool';
  const x = arg(op, inputs, 0, 'x');
  const ones = new Array<number>(a.nd).fill(1);
  const g = geometry(op, x, a.nd, a.kernel, a.stride, a.padding, ones, a.ceilMode);
  if (a.divisorOverride !== null && (!Number.isFinite(a.divisorOverride) || a.divisorOverride === 0)) fail(op, `divisor_override must be non-zero`);
  const dims = g.L.dims3;
  const [oD, oH, oW] = g.out;
  const y = alloc('float32', g.outShape);
  const planes = g.L.batch * g.L.channels;
  // Per dim and output position: the clipped window [lo, hi) and the padded extent PyTorch counts with count_include_pad.
  const win = [0, 1, 2].map((i) => {
    const o = g.out[i];
    const lo = new Int32Array(o);
    const hi = new Int32Array(o);
    const padded = new Int32Array(o);
    for (let j = 0; j < o; j++) {
      const start = j * g.s[i] - g.p[i];
      const end = Math.min(start + g.k[i], dims[i] + g.p[i]);
      padded[j] = end - start;
      lo[j] = Math.max(start, 0);
      hi[j] = Math.min(end, dims[i]);
    }
    return { lo, hi, padded };
  });
  const [H, W] = [dims[1], dims[2]];
  let e = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * dims[0] * H * W;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        for (let ow = 0; ow < oW; ow++, e++) {
          let sum = 0;
          for (let id = win[0].lo[od]; id < win[0].hi[od]; id++) {
            for (let ih = win[1].lo[oh]; ih < win[1].hi[oh]; ih++) {
              for (let iw = win[2].lo[ow]; iw < win[2].hi[ow]; iw++) sum += x.data[base + (id * H + ih) * W + iw];
            }
          }
          const count = (win[0].hi[od] - win[0].lo[od]) * (win[1].hi[oh] - win[1].lo[oh]) * (win[2].hi[ow] - win[2].lo[ow]);
          const divisor = a.divisorOverride ?? (a.countIncludePad ? win[0].padded[od] * win[1].padded[oh] * win[2].padded[ow] : count);
          y.data[e] = sum / divisor;
        }
      }
    }
  }
  return [y];
}
