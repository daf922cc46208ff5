// Reference pixel shuffle and unshuffle: moving r×r blocks between the channel dim and the two last spatial dims.
import type { NDArray } from '../ndarray';
import type { PixelShuffleAttrs, PixelUnshuffleAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, fail, shapeStr } from './util';

export function pixelShuffle(inputs: readonly NDArray[], a: PixelShuffleAttrs): NDArray[] {
  const op = 'pixel_shuffle';
  const x = arg(op, inputs, 0, 'x');
  const r = a.upscale;
  const rank = x.shape.length;
  if (rank < 3) fail(op, `expects at least 3 dims, got ${shapeStr(x.shape)}`);
  const [C, H, W] = x.shape.slice(-3);
  if (!Number.isInteger(r) || r < 1 || C % (r * r) !== 0) fail(op, `channels ${C} are not divisible by upscale_factor² = ${r * r}`);
  const Co = C / (r * r);
  const lead = x.shape.slice(0, -3);
  const y = alloc(x.dtype, [...lead, Co, H * r, W * r]);
  const B = x.data.length / (C * H * W || 1);
  let e = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < Co; c++) {
      for (let oh = 0; oh < H * r; oh++) {
        for (let ow = 0; ow < W * r; ow++, e++) {
          const ic = c * r * r + (oh % r) * r + (ow % r);
          y.data[e] = x.data[((b * C + ic) * H + Math.floor(oh / r)) * W + Math.floor(ow / r)];
        }
      }
    }
  }
  return [y];
}

export function pixelUnshuffle(inputs: readonly NDArray[], a: PixelUnshuffleAttrs): NDArray[] {
  const op = 'pixel_unshuffle';
  const x = arg(op, inputs, 0, 'x');
  const r = a.downscale;
  const rank = x.shape.length;
  if (rank < 3) fail(op, `expects at least 3 dims, got ${shapeStr(x.shape)}`);
  const [C, H, W] = x.shape.slice(-3);
  if (!Number.isInteger(r) || r < 1 || H % r !== 0 || W % r !== 0) fail(op, `height ${H} and width ${W} must be divisible by downscale_factor ${r}`);
  const Ho = H / r;
  const Wo = W / r;
  const Co = C * r * r;
  const lead = x.shape.slice(0, -3);
  const y = alloc(x.dtype, [...lead, Co, Ho, Wo]);
  const B = x.data.length / (C * H * W || 1);
  let e = 0;
  for (let b = 0; b < B; b++) {
    for (let oc = 0; oc < Co; oc++) {
      const c = Math.floor(oc / (r * r));
      const i = Math.floor((oc % (r * r)) / r);
      const j = oc % r;
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++, e++) y.data[e] = x.data[((b * C + c) * H + oh * r + i) * W + ow * r + j];
      }
    }
  }
  return [y];
}
