// Reference F.interpolate (nearest, nearest-exact, linear/bilinear/trilinear, bicubic) with PyTorch's float32
// coordinate arithmetic, so nearest picks the same pixels and linear the same weights.
import type { NDArray } from '../ndarray';
import type { InterpolateAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, checkTuple, expectFloat, fail, spatialLayout, to3 } from './util';

const f32 = Math.fround;
const CUBIC_A = -0.75;

/** PyTorch's compute_scales_value<float>: 1/scale when the user's factor is handed down, else in/out. */
function scaleValue(scale: number | null, inSize: number, outSize: number): number {
  return scale !== null && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
}

/** PyTorch's area_pixel_compute_scale<float>. */
function areaScale(inSize: number, outSize: number, alignCorners: boolean, scale: number | null): number {
  if (alignCorners) return outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0;
  return scaleValue(scale, inSize, outSize);
}

/** PyTorch's area_pixel_compute_source_index<float>. */
function sourceIndex(scale: number, dst: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return f32(scale * dst);
  const src = f32(f32(scale * f32(dst + 0.5)) - 0.5);
  return !cubic && src < 0 ? 0 : src;
}

/** Per output position of one dim: the input indices it reads and their weights (same count for every position). */
export interface Taps {
  n: number;
  idx: Int32Array;
  w: Float64Array;
}

/** The taps of one spatial dim, as PyTorch computes them (the fast path's separable passes use them too). */
export function taps(a: InterpolateAttrs, inSize: number, outSize: number, scale: number | null): Taps {
  const n = a.mode === 'linear' ? 2 : a.mode === 'cubic' ? 4 : 1;
  const idx = new Int32Array(outSize * n);
  const w = new Float64Array(outSize * n);
  const clampI = (i: number): number => Math.min(Math.max(i, 0), inSize - 1);
  for (let o = 0; o < outSize; o++) {
    if (a.mode === 'nearest') {
      const s = scaleValue(scale, inSize, outSize);
      idx[o] = Math.min(Math.floor(f32(o * s)), inSize - 1);
      w[o] = 1;
    } else if (a.mode === 'nearest-exact') {
      const s = scaleValue(scale, inSize, outSize);
      idx[o] = Math.min(Math.floor(f32(f32(o + 0.5) * s)), inSize - 1);
      w[o] = 1;
    } else if (a.mode === 'linear') {
      if (inSize === outSize) {
        // PyTorch copies when the size does not change, whatever the scale factor says.
        idx[2 * o] = o;
        idx[2 * o + 1] = o;
        w[2 * o] = 1;
        w[2 * o + 1] = 0;
        continue;
      }
      const s = areaScale(inSize, outSize, a.alignCorners, scale);
      const real = sourceIndex(s, o, a.alignCorners, false);
      const i0 = Math.floor(real);
      const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      const l1 = Math.min(Math.max(f32(real - i0), 0), 1);
      idx[2 * o] = i0;
      idx[2 * o + 1] = i1;
      w[2 * o] = f32(1 - l1);
      w[2 * o + 1] = l1;
    } else {
      const s = areaScale(inSize, outSize, a.alignCorners, scale);
      const real = sourceIndex(s, o, a.alignCorners, true);
      const i0 = Math.floor(real);
      const t = f32(real - i0);
      const c1 = (x: number): number => ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
      const c2 = (x: number): number => ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
      const coeffs = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
      for (let k = 0; k < 4; k++) {
        idx[4 * o + k] = clampI(i0 - 1 + k);
        w[4 * o + k] = coeffs[k];
      }
    }
  }
  return { n, idx, w };
}

export function interpolate(inputs: readonly NDArray[], a: InterpolateAttrs): NDArray[] {
  const op = 'interpolate';
  const x = arg(op, inputs, 0, 'x');
  expectFloat(op, x, 'x');
  checkTuple(op, a.size, a.nd, 'size');
  checkTuple(op, a.scales, a.nd, 'scales');
  if (a.size.some((s) => !Number.isInteger(s) || s < 1)) fail(op, `output size must be positive integers, got ${JSON.stringify(a.size)}`);
  if (a.alignCorners && (a.mode === 'nearest' || a.mode === 'nearest-exact')) fail(op, `align_corners only applies to linear and cubic modes`);
  const L = spatialLayout(op, x, a.nd);
  if (L.dims3.some((d) => d < 1)) fail(op, `input spatial size must be non-zero`);
  const outSize = to3(a.size, 1);
  const scales: (number | null)[] = [null, null, null];
  for (let i = 0; i < a.nd; i++) scales[3 - a.nd + i] = a.scales[i];
  // Padded dims (size 1 → 1) read index 0 with weight 1 in every mode.
  const t = [0, 1, 2].map((i) => (3 - i > a.nd ? { n: 1, idx: new Int32Array(1), w: new Float64Array([1]) } : taps(a, L.dims3[i], outSize[i], scales[i])));
  const [, H, W] = L.dims3;
  const [oD, oH, oW] = outSize;
  const y = alloc('float32', [...L.lead, L.channels, ...a.size]);
  let e = 0;
  for (let pl = 0; pl < L.batch * L.channels; pl++) {
    const base = pl * L.dims3[0] * H * W;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        for (let ow = 0; ow < oW; ow++, e++) {
          let acc = 0;
          for (let kd = 0; kd < t[0].n; kd++) {
            const wd = t[0].w[od * t[0].n + kd];
            const id = t[0].idx[od * t[0].n + kd];
            for (let kh = 0; kh < t[1].n; kh++) {
              const wh = t[1].w[oh * t[1].n + kh];
              const ih = t[1].idx[oh * t[1].n + kh];
              for (let kw = 0; kw < t[2].n; kw++) {
                acc += wd * wh * t[2].w[ow * t[2].n + kw] * x.data[base + (id * H + ih) * W + t[2].idx[ow * t[2].n + kw]];
              }
            }
          }
          y.data[e] = acc;
        }
      }
    }
  }
  return [y];
}
