// Reference transposed convolution (1-D/2-D/3-D, stride, padding, output_padding, dilation, groups), gathering per output element.
import type { NDArray } from '../ndarray';
import { convTransposeOutSize } from '../../../server/src/engine/torch/window';
import type { ConvTransposeAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, checkTuple, expectFloat, fail, shapeStr, spatialLayout, to3 } from './util';

export function convTranspose(inputs: readonly NDArray[], a: ConvTransposeAttrs): NDArray[] {
  const op = 'conv_transpose';
  const x = arg(op, inputs, 0, 'x');
  const w = arg(op, inputs, 1, 'weight');
  const b = a.bias ? arg(op, inputs, 2, 'bias') : null;
  expectFloat(op, x, 'x');
  for (const t of ['stride', 'padding', 'outputPadding', 'dilation'] as const) checkTuple(op, a[t], a.nd, t);
  const L = spatialLayout(op, x, a.nd);
  const g = a.groups;
  const cin = L.channels;
  if (w.shape.length !== a.nd + 2) fail(op, `weight must be ${a.nd + 2}-D, got ${shapeStr(w.shape)}`);
  if (w.shape[0] !== cin) fail(op, `weight ${shapeStr(w.shape)} expects ${w.shape[0]} input channels, got ${cin}`);
  if (!Number.isInteger(g) || g < 1 || cin % g !== 0) fail(op, `groups=${g} must divide C_in=${cin}`);
  const cinG = cin / g;
  const coutG = w.shape[1];
  const cout = coutG * g;
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) fail(op, `bias must be [${cout}], got ${shapeStr(b.shape)}`);
  const [D, H, W] = L.dims3;
  const [kD, kH, kW] = to3(w.shape.slice(2), 1);
  const [sD, sH, sW] = to3(a.stride, 1);
  const [pD, pH, pW] = to3(a.padding, 0);
  const op3 = to3(a.outputPadding, 0);
  const [dD, dH, dW] = to3(a.dilation, 1);
  const oD = convTransposeOutSize(D, kD, sD, pD, op3[0], dD);
  const oH = convTransposeOutSize(H, kH, sH, pH, op3[1], dH);
  const oW = convTransposeOutSize(W, kW, sW, pW, op3[2], dW);
  const outSp = [oD, oH, oW].slice(3 - a.nd);
  if (outSp.some((o) => o < 1)) fail(op, `output size would be ${shapeStr(outSp)}`);
  const y = alloc('float32', [...L.lead, cout, ...outSp]);
  const xd = x.data;
  const wd = w.data;
  const yd = y.data;
  const inPlane = D * H * W;
  const outPlane = oD * oH * oW;
  const kVol = kD * kH * kW;
  // Output position o receives input position i through tap k when o = i·s − p + k·d.
  const src = (o: number, k: number, s: number, p: number, d: number, len: number): number => {
    const t = o + p - k * d;
    if (t < 0 || t % s !== 0) return -1;
    const i = t / s;
    return i < len ? i : -1;
  };
  for (let n = 0; n < L.batch; n++) {
    for (let oc = 0; oc < cout; oc++) {
      const grp = Math.floor(oc / coutG);
      const ocg = oc % coutG;
      const bias = b ? b.data[oc] : 0;
      for (let od = 0; od < oD; od++) {
        for (let oh = 0; oh < oH; oh++) {
          for (let ow = 0; ow < oW; ow++) {
            let acc = 0;
            for (let kd = 0; kd < kD; kd++) {
              const id = src(od, kd, sD, pD, dD, D);
              if (id < 0) continue;
              for (let kh = 0; kh < kH; kh++) {
                const ih = src(oh, kh, sH, pH, dH, H);
                if (ih < 0) continue;
                for (let kw = 0; kw < kW; kw++) {
                  const iw = src(ow, kw, sW, pW, dW, W);
                  if (iw < 0) continue;
                  for (let icg = 0; icg < cinG; icg++) {
                    const ic = grp * cinG + icg;
                    acc += xd[(n * cin + ic) * inPlane + (id * H + ih) * W + iw] * wd[(ic * coutG + ocg) * kVol + (kd * kH + kh) * kW + kw];
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
