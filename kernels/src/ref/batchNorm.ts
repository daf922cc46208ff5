// Reference batch normalisation: running statistics in eval mode; batch statistics in training mode, with
// the running-stat update PyTorch makes (unbiased variance, momentum or cumulative average, num_batches_tracked + 1).
import type { NDArray } from '../ndarray';
import type { BatchNormAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, normInputs, shapeStr } from './util';

export function batchNorm(inputs: readonly NDArray[], a: BatchNormAttrs): NDArray[] {
  const op = 'batch_norm';
  const { x, runningMean: rm, runningVar: rv, weight: w, bias: b, next } = normInputs(op, inputs, a);
  const nbt = a.numBatchesTracked ? arg(op, inputs, next, 'num_batches_tracked') : null;
  expectFloat(op, x, 'x');
  if (x.shape.length < 2) fail(op, `expects [N, C, *], got ${shapeStr(x.shape)}`);
  const N = x.shape[0];
  const C = x.shape[1];
  let S = 1;
  for (let d = 2; d < x.shape.length; d++) S *= x.shape[d];
  for (const [t, name] of [[rm, 'running_mean'], [rv, 'running_var'], [w, 'weight'], [b, 'bias']] as const) {
    if (t && (t.shape.length !== 1 || t.shape[0] !== C)) fail(op, `${name} must be [${C}], got ${shapeStr(t.shape)}`);
  }
  if (!a.training && !a.runningStats) fail(op, 'eval mode needs running statistics');
  const count = N * S;
  const mean = new Float64Array(C);
  const invstd = new Float64Array(C);
  const batchVar = new Float64Array(C);
  if (a.training) {
    if (count <= 1) fail(op, `expected more than 1 value per channel when training, got input ${shapeStr(x.shape)}`);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let k = 0, o = (n * C + c) * S; k < S; k++) s += x.data[o + k];
      const m = s / count;
      let q = 0;
      for (let n = 0; n < N; n++) {
        for (let k = 0, o = (n * C + c) * S; k < S; k++) {
          const dv = x.data[o + k] - m;
          q += dv * dv;
        }
      }
      mean[c] = m;
      batchVar[c] = q / count;
      invstd[c] = 1 / Math.sqrt(q / count + a.eps);
    }
  } else {
    for (let c = 0; c < C; c++) {
      mean[c] = rm!.data[c];
      invstd[c] = 1 / Math.sqrt(rv!.data[c] + a.eps);
    }
  }
  const y = alloc('float32', x.shape);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const scale = invstd[c] * (w ? w.data[c] : 1);
      const shift = b ? b.data[c] : 0;
      for (let k = 0, o = (n * C + c) * S; k < S; k++) y.data[o + k] = (x.data[o + k] - mean[c]) * scale + shift;
    }
  }
  if (!a.training || !a.runningStats) return [y];
  let f: number;
  if (a.momentum === null) {
    if (!nbt) fail(op, 'momentum=None (cumulative average) needs num_batches_tracked');
    f = 1 / (nbt.data[0] + 1);
  } else f = a.momentum;
  const newMean = alloc('float32', [C]);
  const newVar = alloc('float32', [C]);
  for (let c = 0; c < C; c++) {
    newMean.data[c] = (1 - f) * rm!.data[c] + f * mean[c];
    newVar.data[c] = (1 - f) * rv!.data[c] + f * batchVar[c] * (count / (count - 1));
  }
  if (!nbt) return [y, newMean, newVar];
  const newCount = alloc('int64', nbt.shape);
  newCount.data[0] = nbt.data[0] + 1;
  return [y, newMean, newVar, newCount];
}
