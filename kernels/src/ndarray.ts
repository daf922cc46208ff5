// The kernels' tensor value: a contiguous row-major buffer with its shape. Shared by the TypeScript
// reference ops, the WebAssembly fast path, the checkpoint loaders and the graph executor.

export type KDType = 'float32' | 'int64' | 'bool';

/**
 * float32 data lives in a Float32Array; int64 in a Float64Array (exact up to 2^53, enough for
 * indices and counts, and far faster than BigInt64Array); bool in a Uint8Array (0 or 1).
 */
export type KData = Float32Array | Float64Array | Uint8Array;

export interface NDArray {
  readonly shape: readonly number[];
  readonly dtype: KDType;
  readonly data: KData;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous tensor of this shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function float32(shape: readonly number[], data?: Float32Array): NDArray {
  const n = numel(shape);
  if (data && data.length !== n) throw new Error(`float32: ${data.length} values for shape [${shape.join(', ')}] (${n} elements)`);
  return { shape: shape.slice(), dtype: 'float32', data: data ?? new Float32Array(n) };
}

export function allocData(dtype: KDType, n: number): KData {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int64' ? new Float64Array(n) : new Uint8Array(n);
}
