// Output-size arithmetic of sliding-window ops (conv, pool, transposed conv), written once.
import * as D from './dim';
import type { Dim } from './dim';
// The shape engine and the kernels both import these; nothing else may re-derive them.

/** floor((L + pl + pr - d(k-1) - 1) / s) + 1: Conv and MaxPool/AvgPool without ceil_mode. */
export function convOutSize(len: number, kernel: number, stride: number, padLeft: number, padRight: number, dilation: number): number {
  return Math.floor((len + padLeft + padRight - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Pooling output size with PyTorch's ceil_mode rule: with ceil_mode the last window must still
 * start inside the input or the left padding, otherwise it is dropped.
 */
export function poolOutSize(len: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = len + 2 * pad - dilation * (kernel - 1) - 1;
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= len + pad) out--;
  return out;
}

/** (L-1)s - 2p + d(k-1) + output_padding + 1: ConvTranspose. */
export function convTransposeOutSize(len: number, kernel: number, stride: number, pad: number, outputPadding: number, dilation: number): number {
  return (len - 1) * stride - 2 * pad + dilation * (kernel - 1) + outputPadding + 1;
}

/** padding='same': total d(k-1), PyTorch puts the odd pixel on the right. */
export function samePadding(kernel: number, dilation: number): [left: number, right: number] {
  const total = dilation * (kernel - 1);
  const left = Math.floor(total / 2);
  return [left, total - left];
}

/** Start and end (exclusive) of adaptive pooling window i: floor(i*L/o) .. ceil((i+1)*L/o). */
export function adaptiveWindow(i: number, len: number, out: number): [number, number] {
  return [Math.floor((i * len) / out), Math.ceil(((i + 1) * len) / out)];
}

// ---------------------------------------------------------------- the same formulas over symbolic sizes

/** convOutSize for a size that may be symbolic: ⌊(L + pl + pr − d(k−1) − 1)/s⌋ + 1. */
export function convOutDim(len: Dim, kernel: number, stride: number, padLeft: number, padRight: number, dilation: number): Dim {
  if (typeof len === 'number') return convOutSize(len, kernel, stride, padLeft, padRight, dilation);
  return D.add(D.floordiv(D.add(len, padLeft + padRight - dilation * (kernel - 1) - 1), stride), 1);
}

/**
 * poolOutSize for a size that may be symbolic. The ceil_mode rule that drops a last window starting
 * in the right padding depends on the size, so a symbolic size keeps the plain ceiling.
 */
export function poolOutDim(len: Dim, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): Dim {
  if (typeof len === 'number') return poolOutSize(len, kernel, stride, pad, dilation, ceilMode);
  const span = D.add(len, 2 * pad - dilation * (kernel - 1) - 1);
  return D.add(ceilMode ? D.ceildiv(span, stride) : D.floordiv(span, stride), 1);
}

export function convTransposeOutDim(len: Dim, kernel: number, stride: number, pad: number, outputPadding: number, dilation: number): Dim {
  if (typeof len === 'number') return convTransposeOutSize(len, kernel, stride, pad, outputPadding, dilation);
  return D.add(D.mul(D.sub(len, 1), stride), -2 * pad + dilation * (kernel - 1) + outputPadding + 1);
}
