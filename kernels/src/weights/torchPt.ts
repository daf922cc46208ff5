// PyTorch .pt/.pth files: the zip format torch.save writes since 1.6 (data.pkl + data/<key>
// storage records, read with fflate) and the legacy stream of pickles followed by raw storages.
import { unzipSync } from 'fflate';
import { CheckpointError, checkFileSize, formatBytes, resolveLimits, type CheckpointLimits, type ResolvedLimits } from './errors';
import { CheckpointTensor } from './checkpointTensor';
import { SOURCE_DTYPES } from './dtypes';
import { scanGlobals, unpickle } from './pickle';
import { PyDict, PySet, PyTuple, pyTypeName, type PyValue } from './pyValues';
import { explainRefusal, torchHooks } from './torchGlobals';
import { StorageSlice, StorageType, TensorFactory, TorchStorage } from './torchTensors';

/** Whether the bytes start like a zip archive (a local file header or an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** Reads a zip-format torch.save file; returns the saved object with tensors as CheckpointTensor. */
export function readTorchZip(bytes: Uint8Array, limits?: CheckpointLimits): PyValue {
  const lim = resolveLimits(limits);
  checkFileSize(bytes.length, lim);
  const entries = unzipEntries(bytes, lim);
  const pkls = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new CheckpointError('format', pkls.length ? `zip archive holds ${pkls.length} data.pkl records; torch.save writes one` : 'zip archive has no <name>/data.pkl record, so it was not written by torch.save');
  }
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const littleEndian = byteOrder(entries.get(`${prefix}byteorder`));
  const factory = new TensorFactory(lim);
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const { type, key, numel } = storagePid(pid, 5);
    const known = storages.get(key);
    if (known) return known;
    const record = entries.get(`${prefix}data/${key}`);
    if (!record) throw new CheckpointError('corrupt', `checkpoint refers to storage "${key}" but the archive has no ${prefix}data/${key} record`);
    const need = numel * SOURCE_DTYPES[type.dtype].bytes;
    if (record.length < need) {
      throw new CheckpointError('truncated', `storage "${key}" holds ${record.length} bytes but declares ${numel} ${type.dtype} elements (${need} bytes)`);
    }
    const s = new TorchStorage(key, type.dtype, numel, littleEndian, record);
    storages.set(key, s);
    return s;
  };
  const pkl = entries.get(pkls[0]!)!;
  let root: PyValue;
  try {
    root = unpickle(pkl, 0, torchHooks(factory, persistentLoad)).value;
  } catch (e) {
    throw explainRefusal(e, () => scanGlobals(pkl, 0));
  }
  validateTensors(root, factory);
  return root;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Reads a legacy (non-zip) torch.save stream; also the path for any bare pickle. */
export function readTorchLegacy(bytes: Uint8Array, limits?: CheckpointLimits): PyValue {
  const lim = resolveLimits(limits);
  checkFileSize(bytes.length, lim);
  if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw new CheckpointError('unsupported', 'tar-format checkpoint (PyTorch before 0.4); load it in PyTorch and save it again');
  }
  const factory = new TensorFactory(lim);
  const roots = new Map<string, TorchStorage>();
  let littleEndian = true;
  const persistentLoad = (pid: PyValue): PyValue => {
    const { type, key, numel, view } = storagePid(pid, 6);
    let root = roots.get(key);
    if (!root) {
      root = new TorchStorage(key, type.dtype, numel, littleEndian, null);
      roots.set(key, root);
    }
    if (view === null || view === undefined) return root;
    const v = view instanceof PyTuple ? view.items : [];
    const [, offset, size] = v;
    if (v.length !== 3 || !isCount(offset) || !isCount(size) || offset + size > root.numel) {
      throw new CheckpointError('corrupt', `storage view metadata for "${key}" does not fit its ${root.numel} elements`);
    }
    return new StorageSlice(root, offset, size);
  };
  const hooks = torchHooks(factory, persistentLoad);
  let pos = 0;
  const next = (): PyValue => {
    const start = pos;
    try {
      const r = unpickle(bytes, start, hooks);
      pos = r.end;
      return r.value;
    } catch (e) {
      throw explainRefusal(e, () => scanGlobals(bytes, start));
    }
  };
  const magic = next();
  if (magic !== LEGACY_MAGIC) throw new CheckpointError('format', 'a pickle, but not one torch.save wrote (no PyTorch magic number); ShapeLens reads torch.save files and .safetensors');
  const protocol = next();
  if (protocol !== LEGACY_PROTOCOL) throw new CheckpointError('unsupported', `legacy checkpoint protocol ${String(protocol)} (expected ${LEGACY_PROTOCOL})`);
  const sysInfo = next();
  if (sysInfo instanceof PyDict && sysInfo.get('little_endian') === false) littleEndian = false;
  const root = next();
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) throw new CheckpointError('corrupt', 'legacy checkpoint: the storage key list is not a list of strings');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys) {
    const s = roots.get(key);
    if (!s) throw new CheckpointError('corrupt', `legacy checkpoint: storage "${key}" has data but no tensor refers to it`);
    if (pos + 8 > bytes.length) throw new CheckpointError('truncated', `legacy checkpoint ends before storage "${key}"`);
    const lo = view.getUint32(pos + (littleEndian ? 0 : 4), littleEndian);
    const hi = view.getUint32(pos + (littleEndian ? 4 : 0), littleEndian);
    const count = hi * 4294967296 + lo;
    if (count !== s.numel) throw new CheckpointError('corrupt', `legacy checkpoint: storage "${key}" stores ${count} elements but declares ${s.numel}`);
    const len = count * SOURCE_DTYPES[s.dtype].bytes;
    if (pos + 8 + len > bytes.length) {
      throw new CheckpointError('truncated', `legacy checkpoint ends inside storage "${key}" (needs ${len} bytes, ${bytes.length - pos - 8} left)`);
    }
    s.bytes = bytes.subarray(pos + 8, pos + 8 + len);
    pos += 8 + len;
  }
  for (const s of roots.values()) {
    if (!s.bytes) throw new CheckpointError('truncated', `legacy checkpoint: storage "${s.key}" has no data in the file`);
  }
  validateTensors(root, factory);
  return root;
}

function unzipEntries(bytes: Uint8Array, lim: ResolvedLimits): Map<string, Uint8Array> {
  const declared = new Map<string, number>();
  // A central directory entry takes at least 46 bytes; more entries than that is a lie that would
  // otherwise make the reader loop over billions of phantom entries.
  const maxEntries = Math.floor(bytes.length / 46);
  let seen = 0;
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (++seen > maxEntries) throw new CheckpointError('corrupt', 'zip directory lists more entries than the file can hold');
        total += f.originalSize;
        if (total > lim.maxFileBytes) {
          throw new CheckpointError('too-large', `zip archive unpacks to more than the ${formatBytes(lim.maxFileBytes)} limit`);
        }
        if (f.compression !== 0 && f.compression !== 8) throw new CheckpointError('unsupported', `zip entry ${f.name} uses compression method ${f.compression} (only stored and deflate are read)`);
        if (declared.has(f.name)) throw new CheckpointError('corrupt', `zip archive lists ${f.name || 'an unnamed entry'} twice`);
        declared.set(f.name, f.originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const code = (e as { code?: number }).code;
    const why = e instanceof Error ? e.message : String(e);
    if (code === 13) throw new CheckpointError('truncated', 'zip archive is truncated or corrupt: its end-of-directory record is missing');
    throw new CheckpointError('corrupt', `zip archive is corrupt (${why})`);
  }
  const out = new Map<string, Uint8Array>();
  for (const name of Object.keys(files)) {
    const data = files[name]!;
    const want = declared.get(name);
    if (data.length !== want) throw new CheckpointError('truncated', `zip entry ${name} holds ${data.length} of its ${want} bytes`);
    out.set(name, data);
  }
  return out;
}

function byteOrder(rec: Uint8Array | undefined): boolean {
  if (!rec) return true; // PyTorch before 2.1 writes no byteorder record: little-endian.
  const s = new TextDecoder().decode(rec).trim();
  if (s === 'little' || s === 'big') return s === 'little';
  throw new CheckpointError('corrupt', `byteorder record says ${JSON.stringify(s.slice(0, 20))}`);
}

function isCount(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses ('storage', storage_type, key, location, numel[, view_metadata]). */
function storagePid(pid: PyValue, maxLen: number): { type: StorageType; key: string; numel: number; view: PyValue | undefined } {
  const items = pid instanceof PyTuple ? pid.items : null;
  if (!items || items[0] !== 'storage') {
    const what = items && typeof items[0] === 'string' ? `"${items[0]}"` : `a ${pyTypeName(pid)}`;
    throw new CheckpointError(
      items?.[0] === 'module' ? 'unsafe' : 'corrupt',
      items?.[0] === 'module'
        ? 'checkpoint is a whole pickled model (torch.save(model)); ShapeLens loads only tensors. Save torch.save(model.state_dict(), path) instead'
        : `checkpoint refers to persistent object ${what}; only storages are allowed`,
    );
  }
  const [, type, key, , numel, view] = items;
  if (items.length < 5 || items.length > maxLen || !(type instanceof StorageType) || (typeof key !== 'string' && typeof key !== 'number') || !isCount(numel)) {
    throw new CheckpointError('corrupt', 'malformed storage reference in the pickle');
  }
  return { type, key: String(key), numel, view };
}

/**
 * Checks every tensor reachable from the loaded object against its storage, naming it by its path
 * (`state_dict/conv1.weight`). Containers are visited once each, so shared or cyclic ones end.
 */
function validateTensors(root: PyValue, factory: TensorFactory): void {
  forEachTensor(root, (t, path) => factory.validate(t, path || '<root>'));
}

/** Visits the tensors in a loaded object with their slash-joined paths. */
export function forEachTensor(root: PyValue, visit: (t: CheckpointTensor, path: string) => void): void {
  const seen = new Set<object>();
  const todo: [PyValue, string][] = [[root, '']];
  const join = (p: string, k: PyValue) => (p ? `${p}/` : '') + keyText(k);
  while (todo.length) {
    const [v, path] = todo.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (seen.has(v)) continue;
    seen.add(v);
    if (v instanceof CheckpointTensor) visit(v, path);
    else if (v instanceof PyDict) for (const [k, x] of v.items()) todo.push([x, join(path, k)]);
    else if (Array.isArray(v)) v.forEach((x, i) => todo.push([x, join(path, i)]));
    else if (v instanceof PyTuple) v.items.forEach((x, i) => todo.push([x, join(path, i)]));
    else if (v instanceof PySet) v.items.forEach((x, i) => todo.push([x, join(path, i)]));
  }
}

function keyText(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  return pyTypeName(k);
}
