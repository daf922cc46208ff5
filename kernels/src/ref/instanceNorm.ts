// Reference instance normalisation: per-(sample, channel) statistics, or running statistics when
// use_input_stats is off; in training with running stats, the update PyTorch makes (batch mean of per-instance stats).
import type { NDArray } from '../ndarray';
import type { InstanceNormAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, expectFloat, fail, normInputs, shapeStr } from './util';

export function instanceNorm(inputs: readonly NDArray[], a: InstanceNormAttrs): NDArray[] {
  const op = 'instance_norm';
  const { x, runningMean: rm, runningVar: rv, weight: w, bias: b } = normInputs(op, inputs, a);
  expectFloat(op, x, 'x');
  if (x.shape.length < 2) fail(op, `expects [N, C, *spatial], got ${shapeStr(x.shape)}`);
  const N = x.shape[0];
  const C = x.shape[1];
  let S = 1;
  for (let d = 2; d < x.shape.length; d++) S *= x.shape[d];
  for (const [t, name] of [[rm, 'running_mean'], [rv, 'running_var'], [w, 'weight'], [b, 'bias']] as const) {
    if (t && (t.shape.length !== 1 || t.shape[0] !== C)) fail(op, `${name} must be [${C}], got ${shapeStr(t.shape)}`);
  }
  if (!a.useInputStats && !a.runningStats) fail(op, 'use_input_stats=False needs running statistics');
  if (a.useInputStats && S <= 1) fail(op, `expected more than 1 spatial element when training, got input ${shapeStr(x.shape)}`);
  const y = alloc('float32', x.shape);
  const meanSum = new Float64Array(C);
  const varSum = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const o = (n * C + c) * S;
      let m: number;
      let inv: number;
      if (a.useInputStats) {
        let s = 0;
        for (let k = 0; k < S; k++) s += x.data[o + k];
        m = s / S;
        let q = 0;
        for (let k = 0; k < S; k++) q += (x.data[o + k] - m) ** 2;
        inv = 1 / Math.sqrt(q / S + a.eps);
        meanSum[c] += m;
        varSum[c] += q / (S - 1);
      } else {
        m = rm!.data[c];
        inv = 1 / Math.sqrt(rv!.data[c] + a.eps);
      }
      const scale = inv * (w ? w.data[c] : 1);
      const shift = b ? b.data[c] : 0;
      for (let k = 0; k < S; k++) y.data[o + k] = (x.data[o + k] - m) * scale + shift;
    }
  }
  if (!a.useInputStats || !a.runningStats) return [y];
  const newMean = alloc('float32', [C]);
  const newVar = alloc('float32', [C]);
  const f = a.momentum;
  for (let c = 0; c < C; c++) {
    newMean.data[c] = (1 - f) * rm!.data[c] + (f * meanSum[c]) / N;
    newVar.data[c] = (1 - f) * rv!.data[c] + (f * varSum[c]) / N;
  }
  return [y, newMean, newVar];
}
