// PyTorch's storages and tensor rebuilding: a tensor is (storage, offset, size, stride), copied
// out to a contiguous NDArray exactly as indexing the strided view in PyTorch would read it.
import { CheckpointError, formatBytes, type ResolvedLimits } from './errors';
import { CheckpointTensor } from './checkpointTensor';
import { decodeElements, loadedDType, loadedElementBytes, SOURCE_DTYPES, type SourceDType } from './dtypes';
import { PyHost, PyTuple, pyTypeName, type PyValue } from './pyValues';
import { stridesOf, type KData } from '../ndarray';

/** `torch.FloatStorage`, `torch.UntypedStorage`, ...: a class the pickle names, never called. */
export class StorageType extends PyHost {
  readonly pyType = 'type';
  constructor(
    readonly qualname: string,
    readonly dtype: SourceDType,
  ) {
    super();
  }
}

/** A `torch.float32`-style dtype constant (torch ≥ 2.1's `_rebuild_tensor_v3` passes one). */
export class TorchDType extends PyHost {
  readonly pyType = 'torch.dtype';
  constructor(readonly dtype: SourceDType) {
    super();
  }
}

/**
 * One storage of the file (zip record `data/<key>`, or a legacy storage): `numel` elements of
 * `dtype`. Legacy files give the bytes after the pickle that refers to them, hence `bytes` is
 * filled in later. Views into a legacy storage share its root with an element offset.
 */
export class TorchStorage extends PyHost {
  readonly pyType = 'Storage';
  private decoded: KData | undefined;

  constructor(
    readonly key: string,
    readonly dtype: SourceDType,
    readonly numel: number,
    readonly littleEndian: boolean,
    public bytes: Uint8Array | null,
    /** For a byte storage reinterpreted as another dtype: the storage whose bytes these are. */
    private readonly parent?: TorchStorage,
  ) {
    super();
  }

  /** All elements, decoded once and shared by every tensor viewing this storage. */
  values(): KData {
    const bytes = this.parent ? this.parent.bytes : this.bytes;
    if (!bytes) throw new CheckpointError('truncated', `storage "${this.key}" has no data`);
    this.decoded ??= decodeElements(bytes, 0, this.numel, this.dtype, this.littleEndian, `storage "${this.key}"`);
    return this.decoded;
  }
}

/** A legacy storage view (`view_metadata`): elements [offset, offset + numel) of a root storage. */
export class StorageSlice extends PyHost {
  readonly pyType = 'Storage';
  constructor(
    readonly root: TorchStorage,
    readonly offset: number,
    readonly numel: number,
  ) {
    super();
  }
}

interface TensorGeometry {
  readonly root: TorchStorage;
  readonly offset: number;
  /** Elements the (possibly sliced) storage the tensor was built on has, from `offset` on. */
  readonly available: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

/** Builds tensors for one checkpoint and validates each against its storage once its name is known. */
export class TensorFactory {
  private readonly geometry = new Map<CheckpointTensor, TensorGeometry>();

  constructor(private readonly limits: ResolvedLimits) {}

  /** `_rebuild_tensor(_v2/_v3)`: args (storage, storage_offset, size, stride). `dtype` overrides (v3). */
  rebuild(storageArg: PyValue, offsetArg: PyValue, sizeArg: PyValue, strideArg: PyValue, dtype?: SourceDType): CheckpointTensor {
    let root: TorchStorage;
    let base = 0;
    let available: number;
    if (storageArg instanceof TorchStorage) {
      root = storageArg;
      available = root.numel;
    } else if (storageArg instanceof StorageSlice) {
      root = storageArg.root;
      base = storageArg.offset;
      available = storageArg.numel;
    } else {
      throw new CheckpointError('corrupt', `a tensor is rebuilt from a ${pyTypeName(storageArg)} instead of a storage`);
    }
    if (dtype && dtype !== root.dtype) {
      // v3 pairs an untyped (byte) storage with a dtype: reinterpret the bytes.
      if (root.dtype !== 'uint8') throw new CheckpointError('corrupt', `a ${dtype} tensor is rebuilt from a ${root.dtype} storage`);
      const el = SOURCE_DTYPES[dtype].bytes;
      if (base % el || available % el) throw new CheckpointError('corrupt', `storage "${root.key}" is not a whole number of ${dtype} elements`);
      root = new TorchStorage(root.key, dtype, Math.floor(root.numel / el), root.littleEndian, null, root);
      base /= el;
      available /= el;
    }
    const offset = intArg(offsetArg, 'storage_offset');
    const size = intList(sizeArg, 'size');
    const stride = intList(strideArg, 'stride');
    if (size.length !== stride.length) throw new CheckpointError('corrupt', `a tensor has ${size.length} sizes but ${stride.length} strides`);
    const storage = root;
    const t = new CheckpointTensor(size, storage.dtype, () => {
      const count = size.reduce((a, b) => a * b, 1);
      const out = gather(storage.values(), base + offset, size, stride, count);
      return { shape: size, dtype: loadedDType(storage.dtype), data: out };
    });
    this.geometry.set(t, { root: storage, offset: base + offset, available: available + base, size, stride });
    return t;
  }

  /** Throws if the tensor's view reads outside its storage or is too large to copy out. */
  validate(t: CheckpointTensor, name: string): void {
    const g = this.geometry.get(t);
    if (!g) return;
    this.geometry.delete(t);
    let count = 1;
    let last = g.offset;
    for (let i = 0; i < g.size.length; i++) {
      count *= g.size[i]!;
      last += (g.size[i]! - 1) * g.stride[i]!;
    }
    if (!Number.isSafeInteger(count)) throw new CheckpointError('corrupt', `tensor "${name}" has an impossible size [${g.size.join(', ')}]`);
    const bytes = count * loadedElementBytes(g.root.dtype);
    if (bytes > this.limits.maxTensorBytes) {
      throw new CheckpointError('too-large', `tensor "${name}" [${g.size.join(', ')}] would take ${formatBytes(bytes)}, over the ${formatBytes(this.limits.maxTensorBytes)} limit`);
    }
    if (count > 0 && last >= g.available) {
      throw new CheckpointError(
        'corrupt',
        `tensor "${name}" (size [${g.size.join(', ')}], offset ${g.offset}, stride [${g.stride.join(', ')}]) reads element ${last} of storage "${g.root.key}", which has ${g.available}`,
      );
    }
  }
}

function intArg(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new CheckpointError('corrupt', `a tensor's ${what} is ${typeof v === 'number' || typeof v === 'bigint' ? String(v) : `a ${pyTypeName(v)}`}, not a non-negative integer`);
}

function intList(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new CheckpointError('corrupt', `a tensor's ${what} is a ${pyTypeName(v)}, not a tuple`);
  return items.map((x) => intArg(x, what));
}

/** Copies the strided view (offset, size, stride) of `src` into a new contiguous array. */
function gather(src: KData, offset: number, size: readonly number[], stride: readonly number[], count: number): KData {
  const out = new (src.constructor as new (n: number) => KData)(count);
  if (count === 0) return out;
  const n = size.length;
  if (n === 0) {
    out[0] = src[offset]!;
    return out;
  }
  const contiguous = stridesOf(size).every((s, i) => s === stride[i] || size[i] === 1);
  if (contiguous) {
    out.set(src.subarray(offset, offset + count));
    return out;
  }
  // Odometer over the outer dims; the innermost dim is a tight loop.
  const inner = size[n - 1]!;
  const innerStride = stride[n - 1]!;
  const idx = new Array<number>(n - 1).fill(0);
  let base = offset;
  for (let o = 0; o < count; o += inner) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) out[o + j] = src[p]!;
    for (let d = n - 2; d >= 0; d--) {
      if (++idx[d]! < size[d]!) {
        base += stride[d]!;
        break;
      }
      base -= (size[d]! - 1) * stride[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
