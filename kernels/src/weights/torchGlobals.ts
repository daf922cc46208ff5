// The allowlist of globals a PyTorch checkpoint pickle may name (what torch.load(weights_only=True)
// accepts, minus what cannot hold weights), and the refusal message for everything else.
import { CheckpointError, UnsafeGlobalError } from './errors';
import { CheckpointTensor } from './checkpointTensor';
import { PyCallable, type PickleHooks } from './pickle';
import { PyDict, PyHost, PyTuple, pyTypeName, type PyValue } from './pyValues';
import { StorageType, TorchDType, type TensorFactory } from './torchTensors';
import type { SourceDType } from './dtypes';

const STORAGE_DTYPES: Readonly<Record<string, SourceDType>> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8',
  ByteStorage: 'uint8', BoolStorage: 'bool', UntypedStorage: 'uint8',
};

const DTYPE_NAMES: Readonly<Record<string, SourceDType>> = {
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16',
  float64: 'float64', double: 'float64', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32',
  int16: 'int16', short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
  uint16: 'uint16', uint32: 'uint32', uint64: 'uint64',
};

/** PyTorch content that is harmless but cannot become a dense float/int tensor. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  'torch._utils._rebuild_sparse_tensor': 'sparse tensors',
  'torch._utils._rebuild_sparse_csr_tensor': 'sparse tensors',
  'torch.serialization._get_layout': 'sparse tensors',
  'torch._utils._rebuild_qtensor': 'quantized tensors',
  'torch._utils._rebuild_meta_tensor_no_storage': 'meta tensors (they have no values)',
  'torch._utils._rebuild_wrapper_subclass': 'tensor subclasses',
  'torch._utils._rebuild_device_tensor_from_numpy': 'tensors saved as numpy arrays',
  'torch._utils._rebuild_nested_tensor': 'nested tensors',
  'torch._utils._rebuild_xla_tensor': 'XLA tensors',
  'torch._utils._rebuild_mlc_tensor': 'MLC tensors',
  'torch.complex32': 'complex tensors', 'torch.complex64': 'complex tensors', 'torch.complex128': 'complex tensors',
  'torch.cfloat': 'complex tensors', 'torch.cdouble': 'complex tensors', 'torch.chalf': 'complex tensors',
  'torch.float8_e4m3fn': 'float8 tensors', 'torch.float8_e5m2': 'float8 tensors',
  'torch.ComplexFloatStorage': 'complex tensors', 'torch.ComplexDoubleStorage': 'complex tensors',
};
const QUANTIZED_STORAGE = /^Q(U?Int\d+|UInt\d+x\d+)Storage$/;

/** `torch.Tensor`: the type argument of `_rebuild_from_type_v2`; never called. */
class TensorClass extends PyHost {
  readonly pyType = 'type';
}

/**
 * Hooks for one checkpoint pickle: the allowlisted globals plus the container's persistent-id
 * loader. Anything else is refused by name when the pickle names it, before it could be used.
 */
export function torchHooks(factory: TensorFactory, persistentLoad: (pid: PyValue) => PyValue): PickleHooks {
  const rebuildV2 = new PyCallable('torch._utils._rebuild_tensor_v2', (a) => {
    arity('torch._utils._rebuild_tensor_v2', a, 6, 7);
    return factory.rebuild(a[0]!, a[1]!, a[2]!, a[3]!);
  });
  const parameter = new PyCallable('torch.nn.parameter.Parameter', (a) => tensorArg('torch.nn.parameter.Parameter', a[0] ?? null));
  const tensorClass = new TensorClass();
  const table: Record<string, PyValue> = {
    'collections.OrderedDict': new PyCallable('collections.OrderedDict', orderedDict),
    'torch._utils._rebuild_tensor_v2': rebuildV2,
    'torch._utils._rebuild_tensor': new PyCallable('torch._utils._rebuild_tensor', (a) => {
      arity('torch._utils._rebuild_tensor', a, 4, 4);
      return factory.rebuild(a[0]!, a[1]!, a[2]!, a[3]!);
    }),
    'torch._utils._rebuild_tensor_v3': new PyCallable('torch._utils._rebuild_tensor_v3', (a) => {
      arity('torch._utils._rebuild_tensor_v3', a, 7, 8);
      const dt = a[6];
      if (!(dt instanceof TorchDType)) throw new CheckpointError('corrupt', `torch._utils._rebuild_tensor_v3 got a ${pyTypeName(dt!)} for its dtype`);
      return factory.rebuild(a[0]!, a[1]!, a[2]!, a[3]!, dt.dtype);
    }),
    'torch._utils._rebuild_parameter': new PyCallable('torch._utils._rebuild_parameter', (a) => {
      arity('torch._utils._rebuild_parameter', a, 3, 3);
      return tensorArg('torch._utils._rebuild_parameter', a[0]!);
    }),
    'torch._utils._rebuild_parameter_with_state': new PyCallable('torch._utils._rebuild_parameter_with_state', (a) => {
      arity('torch._utils._rebuild_parameter_with_state', a, 4, 4);
      return tensorArg('torch._utils._rebuild_parameter_with_state', a[0]!);
    }),
    // A tensor with Python attributes: (func, type, args, state). Only plain Tensor/Parameter types
    // get here, since any other class is refused when the pickle names it.
    'torch._tensor._rebuild_from_type_v2': new PyCallable('torch._tensor._rebuild_from_type_v2', (a) => {
      arity('torch._tensor._rebuild_from_type_v2', a, 4, 4);
      const [fn, type, args] = a as PyValue[];
      if (!(fn instanceof PyCallable) || !(type === tensorClass || type === parameter) || !(args instanceof PyTuple)) {
        throw new CheckpointError('corrupt', 'torch._tensor._rebuild_from_type_v2 got arguments that do not rebuild a tensor');
      }
      return tensorArg('torch._tensor._rebuild_from_type_v2', fn.call(args.items));
    }),
    'torch.nn.parameter.Parameter': parameter,
    'torch.Tensor': tensorClass,
    'torch._tensor.Tensor': tensorClass,
    'torch.Size': new PyCallable('torch.Size', (a) => {
      const items = a[0] instanceof PyTuple ? a[0].items : Array.isArray(a[0]) ? a[0] : [];
      return new PyTuple(items);
    }),
    // Protocol-2 pickles spell bytes as _codecs.encode(str, 'latin1').
    '_codecs.encode': new PyCallable('_codecs.encode', (a) => {
      const [s, enc] = a;
      if (typeof s !== 'string') throw new CheckpointError('corrupt', '_codecs.encode of a non-string');
      if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
      return new TextEncoder().encode(s);
    }),
  };

  return {
    findGlobal(module, name) {
      const full = `${module}.${name}`;
      if (Object.prototype.hasOwnProperty.call(table, full)) return table[full]!;
      if ((module === 'torch' || module === 'torch.cuda' || module === 'torch.storage') && Object.prototype.hasOwnProperty.call(STORAGE_DTYPES, name)) {
        return new StorageType(full, STORAGE_DTYPES[name]!);
      }
      if (module === 'torch' && Object.prototype.hasOwnProperty.call(DTYPE_NAMES, name)) return new TorchDType(DTYPE_NAMES[name]!);
      const why = Object.prototype.hasOwnProperty.call(UNSUPPORTED, full) ? UNSUPPORTED[full] : module.startsWith('torch') && QUANTIZED_STORAGE.test(name) ? 'quantized tensors' : undefined;
      if (why) throw new CheckpointError('unsupported', `checkpoint holds ${why} (${full}), which ShapeLens cannot load`);
      throw new UnsafeGlobalError(full, refusalMessage(full, []));
    },
    persistentLoad,
  };
}

/**
 * The message for a refused global. `allGlobals` (every name the pickle mentions, from a scan
 * that runs nothing) tells a whole pickled model apart from a hostile file.
 */
export function refusalMessage(global: string, allGlobals: readonly string[]): string {
  const base = `checkpoint refers to ${global}; ShapeLens loads only tensors and plain containers (like torch.load(weights_only=True)) and ran nothing from the file`;
  const names = [global, ...allGlobals];
  if (names.some((n) => n.startsWith('__torch__.'))) return `${base}. This is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save instead`;
  if (names.some((n) => n.startsWith('torch.nn.modules.'))) {
    return `${base}. It is a whole pickled model (torch.save(model)); save its weights with torch.save(model.state_dict(), path) instead`;
  }
  return base;
}

/** Re-raises a refusal with the explanation a full scan of the pickle allows. */
export function explainRefusal(e: unknown, scan: () => string[]): unknown {
  if (!(e instanceof UnsafeGlobalError)) return e;
  return new UnsafeGlobalError(e.global, refusalMessage(e.global, scan()));
}

function arity(fn: string, a: readonly PyValue[], min: number, max: number): void {
  if (a.length < min || a.length > max) {
    throw new CheckpointError('corrupt', `${fn} takes ${min === max ? min : `${min} to ${max}`} arguments, the checkpoint passes ${a.length}`);
  }
}

function tensorArg(fn: string, v: PyValue): CheckpointTensor {
  if (v instanceof CheckpointTensor) return v;
  throw new CheckpointError('corrupt', `${fn} got a ${pyTypeName(v)} where a tensor belongs`);
}

function orderedDict(a: readonly PyValue[]): PyDict {
  const d = new PyDict(true);
  const src = a[0];
  if (src === undefined) return d;
  if (src instanceof PyDict) {
    for (const [k, v] of src.items()) d.set(k, v);
    return d;
  }
  const pairs = Array.isArray(src) ? src : src instanceof PyTuple ? src.items : null;
  if (!pairs) throw new CheckpointError('corrupt', `OrderedDict built from a ${pyTypeName(src)}`);
  for (const p of pairs) {
    const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : null;
    if (!kv || kv.length !== 2 || !d.set(kv[0]!, kv[1]!)) throw new CheckpointError('corrupt', 'OrderedDict built from something other than key/value pairs');
  }
  return d;
}
