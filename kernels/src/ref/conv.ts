// Reference convolution (1-D/2-D/3-D, stride, asymmetric zero padding, dilation, groups) with float64 accumulation.
import type { NDArray } from '../ndarray';
import { convOutSize } from '../../../server/src/engine/torch/window';
import type { ConvAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, checkTuple, expectFloat, fail, shapeStr, spatialLayout, to3 } from './util';

export function conv(inputs: readonly NDArray[], a: ConvAttrs): NDArray[] {
  const op = 'conv';
  const x = arg(op, inputs, 0, 'x');
  const w = arg(op, inputs, 1, 'weight');
  const b = a.bias ? arg(op, inputs, 2, 'bias') : null;
  expectFloat(op, x, 'x');
  for (const t of ['stride', 'padBefore', 'padAfter', 'dilation'] as const) checkTuple(op, a[t], a.nd, t);
  const L = spatialLayout(op, x, a.nd);
  const g = a.groups;
  const cout = w.shape[0];
  if (w.shape.length !== a.nd + 2) fail(op, `weight must be ${a.nd + 2}-D, got ${shapeStr(w.shape)}`);
  if (!Number.isInteger(g) || g < 1 || L.channels % g !== 0 || cout % g !== 0) fail(op, `groups=${g} must divide C_in=${L.channels} and C_out=${cout}`);
  const cinG = L.channels / g;
  if (w.shape[1] !== cinG) fail(op, `weight ${shapeStr(w.shape)} expects ${w.shape[1] * g} input channels, got ${L.channels}`);
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) fail(op, `bias must be [${cout}], got ${shapeStr(b.shape)}`);
  const coutG = cout / g;
  const [D, H, W] = L.dims3;
  const [kD, kH, kW] = to3(w.shape.slice(2), 1);
  const [sD, sH, sW] = to3(a.stride, 1);
  const [pD, pH, pW] = to3(a.padBefore, 0);
  const qq = to3(a.padAfter, 0);
  const [dD, dH, dW] = to3(a.dilation, 1);
  const oD = convOutSize(D, kD, sD, pD, qq[0], dD);
  const oH = convOutSize(H, kH, sH, pH, qq[1], dH);
  const oW = convOutSize(W, kW, sW, pW, qq[2], dW);
  const outSp = [oD, oH, oW].slice(3 - a.nd);
  if (outSp.some((o) => o < 1)) fail(op, `input ${shapeStr(x.shape)} is smaller than the dilated kernel: output size would be ${shapeStr(outSp)}`);
  const y = alloc('float32', [...L.lead, cout, ...outSp]);
  const xd = x.data;
  const wd = w.data;
  const yd = y.data;
  const inPlane = D * H * W;
  const outPlane = oD * oH * oW;
  const kVol = kD * kH * kW;
  for (let n = 0; n < L.batch; n++) {
    for (let oc = 0; oc < cout; oc++) {
      const grp = Math.floor(oc / coutG);
      const bias = b ? b.data[oc] : 0;
      for (let od = 0; od < oD; od++) {
        for (let oh = 0; oh < oH; oh++) {
          for (let ow = 0; ow < oW; ow++) {
            let acc = 0;
            for (let ic = 0; ic < cinG; ic++) {
              const xBase = (n * L.channels + grp * cinG + ic) * inPlane;
              const wBase = (oc * cinG + ic) * kVol;
              for (let kd = 0; kd < kD; kd++) {
                const id = od * sD - pD + kd * dD;
                if (id < 0 || id >= D) continue;
                for (let kh = 0; kh < kH; kh++) {
                  const ih = oh * sH - pH + kh * dH;
                  if (ih < 0 || ih >= H) continue;
                  for (let kw = 0; kw < kW; kw++) {
                    const iw = ow * sW - pW + kw * dW;
                    if (iw < 0 || iw >= W) continue;
                    acc += xd[xBase + (id * H + ih) * W + iw] * wd[wBase + (kd * kH + kh) * kW + kw];
                  }
                }
              }
            }
            yd[(n * cout + oc) * outPlane + (od * oH + oh) * oW + ow] = acc + bias;
          }
        }
      }
    }
  }
  return [y];
}
