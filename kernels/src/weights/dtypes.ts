// The element types checkpoints store, and their conversion to the kernels' three dtypes.
import { CheckpointError } from './errors';
import type { KData, KDType } from '../ndarray';

/** A dtype as the file stores it (PyTorch's spelling). */
export type SourceDType =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int64' | 'int32' | 'int16' | 'int8'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

interface DTypeInfo {
  readonly bytes: number;
  readonly kind: 'float' | 'int' | 'bool';
}

export const SOURCE_DTYPES: Readonly<Record<SourceDType, DTypeInfo>> = {
  float32: { bytes: 4, kind: 'float' },
  float16: { bytes: 2, kind: 'float' },
  bfloat16: { bytes: 2, kind: 'float' },
  float64: { bytes: 8, kind: 'float' },
  int64: { bytes: 8, kind: 'int' },
  int32: { bytes: 4, kind: 'int' },
  int16: { bytes: 2, kind: 'int' },
  int8: { bytes: 1, kind: 'int' },
  uint8: { bytes: 1, kind: 'int' },
  uint16: { bytes: 2, kind: 'int' },
  uint32: { bytes: 4, kind: 'int' },
  uint64: { bytes: 8, kind: 'int' },
  bool: { bytes: 1, kind: 'bool' },
};

/** Every float type loads as float32, every integer type as int64, bool as bool. */
export function loadedDType(d: SourceDType): KDType {
  const k = SOURCE_DTYPES[d].kind;
  return k === 'float' ? 'float32' : k === 'int' ? 'int64' : 'bool';
}

/** Bytes per element once loaded (float32 4, int64 as float64 8, bool 1): what materialising costs. */
export function loadedElementBytes(d: SourceDType): number {
  const k = SOURCE_DTYPES[d].kind;
  return k === 'float' ? 4 : k === 'int' ? 8 : 1;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes `count` elements of `dtype` starting at byte `start` into a fresh array of the loaded
 * dtype. The bytes are copied first, which also aligns them for the typed-array views (storages
 * inside a zip start at arbitrary offsets). float64 → float32 rounds to nearest like
 * `tensor.float()`; f16 and bf16 widen exactly; integers must fit in ±2^53 (the int64 contract of
 * NDArray), `what` names the tensor in that error.
 */
export function decodeElements(bytes: Uint8Array, start: number, count: number, dtype: SourceDType, littleEndian: boolean, what: string): KData {
  const size = SOURCE_DTYPES[dtype].bytes;
  const src = bytes.subarray(start, start + count * size);
  if (src.length !== count * size) throw new CheckpointError('truncated', `${what}: data ends early`);
  // An explicit copy: slice() on a Node Buffer would return a view of Node's shared pool.
  const raw = new Uint8Array(count * size);
  raw.set(src);
  if (littleEndian !== HOST_LITTLE_ENDIAN && size > 1) swapBytes(raw, size);
  const buf = raw.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, count);
    case 'float64':
      return new Float32Array(new Float64Array(buf, 0, count));
    case 'float16':
      return halfToFloat(new Uint16Array(buf, 0, count));
    case 'bfloat16': {
      const src = new Uint16Array(buf, 0, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = src[i]! << 16;
      return out;
    }
    case 'int64':
    case 'uint64':
      return wideInts(new Uint32Array(buf, 0, count * 2), count, dtype === 'int64', what);
    case 'int32':
      return new Float64Array(new Int32Array(buf, 0, count));
    case 'uint32':
      return new Float64Array(new Uint32Array(buf, 0, count));
    case 'int16':
      return new Float64Array(new Int16Array(buf, 0, count));
    case 'uint16':
      return new Float64Array(new Uint16Array(buf, 0, count));
    case 'int8':
      return new Float64Array(new Int8Array(buf, 0, count));
    case 'uint8':
      return new Float64Array(raw);
    case 'bool':
      for (let i = 0; i < count; i++) raw[i] = raw[i] ? 1 : 0;
      return raw;
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

function halfToFloat(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    // Every half value is exactly representable in float32, so this arithmetic is exact.
    out[i] = e === 0 ? sign * f * 2 ** -24 : e === 31 ? (f ? NaN : sign * Infinity) : sign * (1024 + f) * 2 ** (e - 25);
  }
  return out;
}

function wideInts(words: Uint32Array, count: number, signed: boolean, what: string): Float64Array {
  const out = new Float64Array(count);
  // Words are already in host order; on a little-endian host the low word comes first.
  const loIdx = HOST_LITTLE_ENDIAN ? 0 : 1;
  for (let i = 0; i < count; i++) {
    const lo = words[2 * i + loIdx]!;
    const hiU = words[2 * i + 1 - loIdx]!;
    const hi = signed ? hiU | 0 : hiU;
    // |hi| < 2^21 keeps the value within ±2^53, where a double is exact.
    if (hi >= 0x200000 || hi < -0x200000) {
      throw new CheckpointError('unsupported', `${what}: integer value beyond ±2^53, which ShapeLens cannot hold exactly`);
    }
    out[i] = hi * 4294967296 + lo;
  }
  return out;
}
