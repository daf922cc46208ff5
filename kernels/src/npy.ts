// NumPy .npy reading and writing (format versions 1–3) for the CLI's --input-file/--out and the kernel fixtures.
import { numel, type KDType, type NDArray } from './ndarray';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A .npy file that cannot be read, with the reason. */
export class NpyError extends Error {
  override name = 'NpyError';
}

interface Descr {
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
  little: boolean;
}

function parseDescr(descr: string): Descr {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new NpyError(`unsupported dtype '${descr}' (float, int, uint and bool are supported)`);
  const kind = m[2] as Descr['kind'];
  const size = Number(m[3]);
  const ok = kind === 'f' ? [2, 4, 8] : kind === 'b' ? [1] : [1, 2, 4, 8];
  if (!ok.includes(size)) throw new NpyError(`unsupported dtype '${descr}'`);
  return { kind, size, little: m[1] !== '>' };
}

/** The header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }. */
function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new NpyError(`malformed header ${JSON.stringify(text.trim().slice(0, 120))}`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw new NpyError(`malformed shape (${shape[1]})`);
      return v;
    });
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: dims };
}

function kdtype(d: Descr): KDType {
  return d.kind === 'f' ? 'float32' : d.kind === 'b' ? 'bool' : 'int64';
}

function readValue(view: DataView, at: number, d: Descr): number {
  switch (d.kind) {
    case 'b':
      return view.getUint8(at) !== 0 ? 1 : 0;
    case 'f':
      return d.size === 4 ? view.getFloat32(at, d.little) : d.size === 8 ? view.getFloat64(at, d.little) : half(view.getUint16(at, d.little));
    case 'i':
    case 'u': {
      if (d.size === 8) {
        const big = d.kind === 'i' ? view.getBigInt64(at, d.little) : view.getBigUint64(at, d.little);
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) throw new NpyError(`integer ${big} does not fit in 53 bits`);
        return Number(big);
      }
      if (d.size === 1) return d.kind === 'i' ? view.getInt8(at) : view.getUint8(at);
      if (d.size === 2) return d.kind === 'i' ? view.getInt16(at, d.little) : view.getUint16(at, d.little);
      return d.kind === 'i' ? view.getInt32(at, d.little) : view.getUint32(at, d.little);
    }
  }
}

/** IEEE half → number. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Parses one .npy record starting at `offset` (records may be concatenated). float16/32/64 become
 * float32, every integer width int64, bool bool; Fortran-ordered data is reordered to row-major.
 */
export function parseNpy(bytes: Uint8Array, offset = 0): { array: NDArray; end: number } {
  const at = (what: string, n: number): void => {
    if (offset + n > bytes.length) throw new NpyError(`truncated file: ${what} needs ${n} bytes at offset ${offset}, only ${bytes.length - offset} left`);
  };
  at('the magic string and version', 8);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[offset + i] !== MAGIC[i]) throw new NpyError('not a .npy file (bad magic string)');
  const major = bytes[offset + 6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let p = offset + 8;
  if (major === 1) {
    headerLen = view.getUint16(p, true);
    p += 2;
  } else if (major === 2 || major === 3) {
    at('the header length', 12);
    headerLen = view.getUint32(p, true);
    p += 4;
  } else throw new NpyError(`unsupported .npy format version ${major}`);
  if (p + headerLen > bytes.length) throw new NpyError(`truncated file: header of ${headerLen} bytes runs past the end`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(p, p + headerLen));
  p += headerLen;
  const h = parseHeader(text);
  const d = parseDescr(h.descr);
  const n = numel(h.shape);
  const need = n * d.size;
  if (p + need > bytes.length) throw new NpyError(`truncated data: shape (${h.shape.join(', ')}) of ${h.descr} needs ${need} bytes, ${bytes.length - p} present`);
  const dtype = kdtype(d);
  const data = dtype === 'float32' ? new Float32Array(n) : dtype === 'int64' ? new Float64Array(n) : new Uint8Array(n);
  if (!h.fortran || h.shape.length < 2) {
    for (let i = 0; i < n; i++) data[i] = readValue(view, p + i * d.size, d);
  } else {
    // Column-major: element with multi-index (i0..ik) is stored at Σ i_j·Π_{l<j} shape_l.
    const rank = h.shape.length;
    const ctr = new Array<number>(rank).fill(0);
    for (let e = 0; e < n; e++) {
      let src = 0;
      let mul = 1;
      for (let j = 0; j < rank; j++) {
        src += ctr[j] * mul;
        mul *= h.shape[j];
      }
      data[e] = readValue(view, p + src * d.size, d);
      for (let j = rank - 1; j >= 0; j--) {
        if (++ctr[j] < h.shape[j]) break;
        ctr[j] = 0;
      }
    }
  }
  return { array: { shape: h.shape, dtype, data }, end: p + need };
}

/** Reads a whole .npy file; trailing bytes after the data are an error (a sign of a wrong file). */
export function readNpy(bytes: Uint8Array): NDArray {
  const { array, end } = parseNpy(bytes, 0);
  if (end !== bytes.length) throw new NpyError(`${bytes.length - end} unexpected bytes after the array data`);
  return array;
}

/** Writes a .npy (version 1.0): float32 as '<f4', int64 as '<i8', bool as '|b1'. */
export function writeNpy(a: NDArray): Uint8Array {
  const n = numel(a.shape);
  if (a.data.length !== n) throw new NpyError(`array of shape [${a.shape.join(', ')}] has ${a.data.length} elements`);
  const descr = a.dtype === 'float32' ? '<f4' : a.dtype === 'int64' ? '<i8' : '|b1';
  const size = a.dtype === 'float32' ? 4 : a.dtype === 'int64' ? 8 : 1;
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  if (header.length > 0xffff) throw new NpyError('header too long for format 1.0');
  const out = new Uint8Array(total + n * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < n; i++) {
    const v = a.data[i];
    const at = total + i * size;
    if (a.dtype === 'float32') view.setFloat32(at, v, true);
    else if (a.dtype === 'bool') out[at] = v ? 1 : 0;
    else {
      if (!Number.isSafeInteger(v)) throw new NpyError(`int64 element ${i} is not an integer: ${v}`);
      view.setBigInt64(at, BigInt(v), true);
    }
  }
  return out;
}
