// Reference nn.RNN / nn.LSTM / nn.GRU forward (eval semantics), layer by layer and direction by direction,
// with PyTorch's gate order and float64 state between steps.
import type { NDArray } from '../ndarray';
import type { RnnAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, expectFloat, fail, shapeStr } from './util';

const GATES = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 } as const;
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** One direction's weights. */
interface Cell {
  wih: NDArray;
  whh: NDArray;
  bih: NDArray | null;
  bhh: NDArray | null;
  whr: NDArray | null;
}

function expectShape(what: string, t: NDArray, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) fail('rnn', `${what} must be ${shapeStr(shape)}, got ${shapeStr(t.shape)}`);
  expectFloat('rnn', t, what);
}

/** out[rows, M] += W[M, K] · v[rows, K] (+ b), float64. */
function affine(W: NDArray, b: NDArray | null, v: Float64Array, rows: number, K: number, M: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    for (let m = 0; m < M; m++) {
      let acc = b ? b.data[m]! : 0;
      for (let k = 0; k < K; k++) acc += W.data[m * K + k]! * v[r * K + k]!;
      out[r * M + m] = acc;
    }
  }
}

export function rnn(inputs: readonly NDArray[], a: RnnAttrs): NDArray[] {
  const op = 'rnn';
  const G = GATES[a.mode];
  if (!G) fail(op, `unknown mode '${String(a.mode)}'`);
  const lstm = a.mode === 'lstm';
  if (a.projSize && !lstm) fail(op, `projSize is only defined for lstm, got ${a.projSize} for ${a.mode}`);
  const H = a.hiddenSize;
  const P = a.projSize || H;
  const D = a.bidirectional ? 2 : 1;
  const L = a.numLayers;
  const x = arg(op, inputs, 0, 'x');
  expectFloat(op, x, 'x');
  if (x.shape.length !== 2 && x.shape.length !== 3) fail(op, `x must be 2-D (unbatched) or 3-D, got ${shapeStr(x.shape)}`);
  const batched = x.shape.length === 3;
  const bf = batched && a.batchFirst;
  const T = batched ? x.shape[bf ? 1 : 0]! : x.shape[0]!;
  const N = batched ? x.shape[bf ? 0 : 1]! : 1;
  if (x.shape[x.shape.length - 1] !== a.inputSize) fail(op, `x ${shapeStr(x.shape)} must have inputSize ${a.inputSize} features`);
  const stateShape = (size: number): number[] => (batched ? [D * L, N, size] : [D * L, size]);

  let next = 1;
  const h0 = a.initialState ? arg(op, inputs, next++, 'h0') : null;
  const c0 = a.initialState && lstm ? arg(op, inputs, next++, 'c0') : null;
  if (h0) expectShape('h0', h0, stateShape(P));
  if (c0) expectShape('c0', c0, stateShape(H));
  const cells: Cell[] = [];
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      const inSize = l === 0 ? a.inputSize : D * P;
      const c: Cell = { wih: arg(op, inputs, next++, `weight_ih${sfx}`), whh: arg(op, inputs, next++, `weight_hh${sfx}`), bih: null, bhh: null, whr: null };
      expectShape(`weight_ih${sfx}`, c.wih, [G * H, inSize]);
      expectShape(`weight_hh${sfx}`, c.whh, [G * H, P]);
      if (a.bias) {
        c.bih = arg(op, inputs, next++, `bias_ih${sfx}`);
        c.bhh = arg(op, inputs, next++, `bias_hh${sfx}`);
        expectShape(`bias_ih${sfx}`, c.bih, [G * H]);
        expectShape(`bias_hh${sfx}`, c.bhh, [G * H]);
      }
      if (a.projSize) {
        c.whr = arg(op, inputs, next++, `weight_hr${sfx}`);
        expectShape(`weight_hr${sfx}`, c.whr, [P, H]);
      }
      cells.push(c);
    }
  }
  if (inputs.length !== next) fail(op, `expected ${next} inputs for this configuration, got ${inputs.length}`);

  // The layer input as [T, N, F] time-major float64.
  let F = a.inputSize;
  let seq = new Float64Array(T * N * F);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) seq[(t * N + n) * F + f] = x.data[(bf ? n * T + t : t * N + n) * F + f]!;
  const hN = alloc('float32', stateShape(P));
  const cN = lstm ? alloc('float32', stateShape(H)) : null;
  const gi = new Float64Array(N * G * H);
  const gh = new Float64Array(N * G * H);
  const cellOut = new Float64Array(N * H);
  for (let l = 0; l < L; l++) {
    const out = new Float64Array(T * N * D * P);
    for (let d = 0; d < D; d++) {
      const cell = cells[l * D + d]!;
      const row = l * D + d;
      const h = new Float64Array(N * P);
      const c = new Float64Array(N * H);
      if (h0) for (let i = 0; i < N * P; i++) h[i] = h0.data[row * N * P + i]!;
      if (c0) for (let i = 0; i < N * H; i++) c[i] = c0.data[row * N * H + i]!;
      for (let s = 0; s < T; s++) {
        const t = d ? T - 1 - s : s;
        affine(cell.wih, cell.bih, seq.subarray(t * N * F, (t + 1) * N * F), N, F, G * H, gi);
        affine(cell.whh, cell.bhh, h, N, P, G * H, gh);
        for (let n = 0; n < N; n++) {
          const o = n * G * H;
          for (let j = 0; j < H; j++) {
            if (a.mode === 'rnn_tanh' || a.mode === 'rnn_relu') {
              const v = gi[o + j]! + gh[o + j]!;
              cellOut[n * H + j] = a.mode === 'rnn_tanh' ? Math.tanh(v) : Math.max(0, v);
            } else if (lstm) {
              const ig = sigmoid(gi[o + j]! + gh[o + j]!);
              const fg = sigmoid(gi[o + H + j]! + gh[o + H + j]!);
              const gg = Math.tanh(gi[o + 2 * H + j]! + gh[o + 2 * H + j]!);
              const og = sigmoid(gi[o + 3 * H + j]! + gh[o + 3 * H + j]!);
              const cv = fg * c[n * H + j]! + ig * gg;
              c[n * H + j] = cv;
              cellOut[n * H + j] = og * Math.tanh(cv);
            } else {
              const r = sigmoid(gi[o + j]! + gh[o + j]!);
              const z = sigmoid(gi[o + H + j]! + gh[o + H + j]!);
              const nn = Math.tanh(gi[o + 2 * H + j]! + r * gh[o + 2 * H + j]!);
              cellOut[n * H + j] = (1 - z) * nn + z * h[n * P + j]!;
            }
          }
        }
        if (cell.whr) affine(cell.whr, null, cellOut, N, H, P, h);
        else h.set(cellOut);
        for (let n = 0; n < N; n++) for (let j = 0; j < P; j++) out[((t * N + n) * D + d) * P + j] = h[n * P + j]!;
      }
      for (let i = 0; i < N * P; i++) hN.data[row * N * P + i] = h[i]!;
      if (cN) for (let i = 0; i < N * H; i++) cN.data[row * N * H + i] = c[i]!;
    }
    seq = out;
    F = D * P;
  }
  const y = alloc('float32', batched ? (bf ? [N, T, F] : [T, N, F]) : [T, F]);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) y.data[(bf ? n * T + t : t * N + n) * F + f] = seq[(t * N + n) * F + f]!;
  return cN ? [y, hN, cN] : [y, hN];
}
