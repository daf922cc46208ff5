// Output-size arithmetic of sliding-window ops (conv, pool, transposed conv), written once.
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
