// Attribute access on tensors: properties (shape, ndim, dtype, T, ...) and methods, which are the
// shared op table of ops.ts bound to the tensor.
import type { Range } from '../syntax/ast';
import { Builtin, PyTuple, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { Tensor } from './tensor';
import { OPS, runOp } from './ops';
import { transpose, permute } from './shapeOps';

const DTYPE_NAMES: Record<string, string> = { float32: 'torch.float32', int64: 'torch.int64', bool: 'torch.bool' };

export function tensorAttr(ip: Interp, t: Tensor, name: string, r: Range): Value {
  switch (name) {
    case 'shape':
      return new PyTuple(t.shape.slice());
    case 'ndim':
      return t.rank;
    case 'dtype':
      return DTYPE_NAMES[t.dtype]!;
    case 'device':
      return 'cpu';
    case 'is_cuda':
      return false;
    case 'requires_grad':
      return t.param ? t.param.requiresGrad : false;
    case 'data':
      return t;
    case 'grad':
      return null;
    case 'T':
    case 'mT': {
      if (t.rank < 2) return t;
      const perm = name === 'T' ? t.shape.map((_, i) => t.rank - 1 - i) : [...t.shape.map((_, i) => i).slice(0, -2), t.rank - 1, t.rank - 2];
      const out = name === 'T' ? permute(t, perm, r) : transpose(t, -2, -1, r);
      ip.tracer?.graph?.node('permute', [t], { perm }, [out], r, `.${name}`);
      return out;
    }
  }
  // In-place variants (x.floor_(), x.div_(p)) have the shape rule of their out-of-place op.
  const opName = OPS.has(name) ? name : name.endsWith('_') && OPS.has(name.slice(0, -1)) ? name.slice(0, -1) : null;
  const def = opName ? OPS.get(opName) : undefined;
  if (def) {
    if (!name.endsWith('_')) return new Builtin(`Tensor.${name}`, (a) => runOp(ip, opName!, def, [t, ...a.pos], a.kw, a.site));
    // In place: the tensor itself takes the result's shape (x.squeeze_(-1), x.unsqueeze_(1)).
    return new Builtin(`Tensor.${name}`, (a) => {
      const r = runOp(ip, opName!, def, [t, ...a.pos], a.kw, a.site);
      if (!(r instanceof Tensor)) return r;
      // The op graph reads the new value wherever this tensor is used from now on.
      ip.tracer?.graph?.rebind(t, r);
      t.shape = r.shape;
      t.tags = r.tags;
      t.dep = r.dep;
      t.dtype = r.dtype;
      return t;
    });
  }
  return ip.unsupported(r, `the tensor method .${name}()`);
}

export function setTensorAttr(ip: Interp, t: Tensor, name: string, v: Value, r: Range): void {
  if (name === 'requires_grad' && typeof v === 'boolean') {
    if (t.param) t.param.requiresGrad = v;
    return;
  }
  // .data = ..., .grad = None and similar writes do not change shapes.
}
