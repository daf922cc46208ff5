// Reader for .safetensors: an 8-byte little-endian header length, a JSON header, then raw data.
// Hand-written (the format is a page of spec); every field is validated before any data is read.
import { CheckpointError, checkFileSize, resolveLimits, formatBytes, type CheckpointLimits, type ResolvedLimits } from './errors';
import { CheckpointTensor } from './checkpointTensor';
import { decodeElements, loadedDType, loadedElementBytes, SOURCE_DTYPES, type SourceDType } from './dtypes';
import { numel } from '../ndarray';

const DTYPE_CODES: Readonly<Record<string, SourceDType>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
};

/** Whether the bytes plausibly start a safetensors file (used to pick the reader). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  // The header length's high bytes are zero for any real header, and the JSON opens with '{'.
  return bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0;
}

/** Reads every tensor of a .safetensors file; `__metadata__` is ignored. Throws CheckpointError. */
export function readSafetensors(bytes: Uint8Array, limits?: CheckpointLimits): Map<string, CheckpointTensor> {
  const lim = resolveLimits(limits);
  checkFileSize(bytes.length, lim);
  if (bytes.length < 8) throw new CheckpointError('truncated', `safetensors file is ${bytes.length} bytes, too short for its 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  if (headerLen > lim.maxHeaderBytes) {
    throw new CheckpointError('too-large', `safetensors header claims ${formatBytes(headerLen)}, over the ${formatBytes(lim.maxHeaderBytes)} limit`);
  }
  if (8 + headerLen > bytes.length) {
    throw new CheckpointError('truncated', `safetensors header claims ${headerLen} bytes but the file has only ${bytes.length - 8} after the length field`);
  }
  const header = parseHeader(bytes.subarray(8, 8 + headerLen));
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  const entries: { name: string; dtype: SourceDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    entries.push({ name, ...parseEntry(name, raw, dataLen, lim) });
  }
  refuseOverlaps(entries);

  const out = new Map<string, CheckpointTensor>();
  for (const e of entries) {
    const count = numel(e.shape);
    out.set(
      e.name,
      new CheckpointTensor(e.shape, e.dtype, () => ({
        shape: e.shape,
        dtype: loadedDType(e.dtype),
        data: decodeElements(bytes, dataStart + e.begin, count, e.dtype, true, `tensor "${e.name}"`),
      })),
    );
  }
  return out;
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new CheckpointError('corrupt', 'safetensors header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('corrupt', `safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError('corrupt', 'safetensors header is not a JSON object');
  }
  return json as Record<string, unknown>;
}

function parseEntry(name: string, raw: unknown, dataLen: number, lim: ResolvedLimits): { dtype: SourceDType; shape: number[]; begin: number; end: number } {
  const bad = (what: string) => new CheckpointError('corrupt', `safetensors tensor "${name}": ${what}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('header entry is not an object');
  const { dtype: code, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof code !== 'string') throw bad('missing "dtype"');
  const dtype = Object.prototype.hasOwnProperty.call(DTYPE_CODES, code) ? DTYPE_CODES[code] : undefined;
  if (!dtype) {
    throw new CheckpointError('unsupported', `safetensors tensor "${name}": dtype ${code} is not supported (supported: ${Object.keys(DTYPE_CODES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad('"shape" is not a list of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw bad('"data_offsets" is not a pair of non-negative integers');
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`data_offsets [${begin}, ${end}] run backwards`);
  if (end > dataLen) throw new CheckpointError('truncated', `safetensors tensor "${name}": bytes [${begin}, ${end}) run past the end of the data (${dataLen} bytes)`);
  const count = numel(shape as number[]);
  const expected = count * SOURCE_DTYPES[dtype].bytes;
  if (expected !== end - begin) {
    throw bad(`shape [${shape.join(', ')}] of ${code} needs ${expected} bytes but data_offsets cover ${end - begin}`);
  }
  const loadedBytes = count * loadedElementBytes(dtype);
  if (loadedBytes > lim.maxTensorBytes) {
    throw new CheckpointError('too-large', `safetensors tensor "${name}" would take ${formatBytes(loadedBytes)}, over the ${formatBytes(lim.maxTensorBytes)} limit`);
  }
  return { dtype, shape: shape as number[], begin, end };
}

function refuseOverlaps(entries: readonly { name: string; begin: number; end: number }[]): void {
  // Empty tensors occupy no bytes and overlap nothing.
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) {
      throw new CheckpointError('corrupt', `safetensors tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap`);
    }
  }
}
