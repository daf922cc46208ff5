// Tensor operations shared by torch.*, torch.nn.functional.* and Tensor methods: one table of
// shape rules keyed by name, each taking bound arguments whose first is the input tensor.
import * as D from './dim';
import type { Dim } from './dim';
import { same as sameDim } from './assume';
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { PyFloat, PyList, PyTuple, Unknown, isNumber, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { UnknownArg, bind, bool, dims, int, intArgs, normDim, shapeArgs, tensorArg, type Bound } from './args';
import { Tensor, globalize, shapeStr, unionDep, type DType } from './tensor';
import { elementwise, matmul } from './arith';
import * as S from './shapeOps';
import { emitTableOp } from '../graph/emitOps';

export interface OpDef {
  /** Parameter names; the first is the tensor the method is called on. */
  sig: string[];
  /** Methods like view(*shape) take varargs after self: collect them under this name. */
  varargs?: string;
  /** Extra positional arguments are accepted and ignored (activations: leaky_relu(x, 0.2)). */
  lenient?: boolean;
  run(ip: Interp, b: Bound, site: Range, name: string): Value;
}

export const OPS = new Map<string, OpDef>();
const op = (names: string | string[], sig: string[], run: OpDef['run'], varargs?: string, lenient = false): void => {
  for (const n of Array.isArray(names) ? names : [names]) OPS.set(n, { sig, run, varargs, lenient });
};

const input = (b: Bound, site: Range): Tensor => tensorArg(b.get('input'), 'input', site);
const same = (x: Tensor, dtype?: DType): Tensor => new Tensor(x.shape.slice(), dtype ?? x.dtype, x.tags.slice(), x.dep);

export function toDType(v: Value | undefined): DType | null {
  if (typeof v !== 'string') return null;
  const s = v.replace(/^torch\./, '');
  if (/^(float|double|half|bfloat16|float\d+|complex\d*)$/.test(s)) return 'float32';
  if (/^(long|int|short|int\d+|uint\d+|char|byte)$/.test(s)) return 'int64';
  if (s === 'bool') return 'bool';
  return null;
}

/** Any value usable as an operand: tensors as is, Python numbers as 0-d tensors. */
function operand(v: Value | undefined, name: string, site: Range): Tensor {
  if (v instanceof Tensor) return v;
  if (v !== undefined && isNumber(v)) return new Tensor([], v instanceof PyFloat ? 'float32' : 'int64');
  return tensorArg(v, name, site);
}

// ---------------------------------------------------------------- element-wise

const UNARY = [
  'relu', 'relu_', 'relu6', 'sigmoid', 'sigmoid_', 'tanh', 'tanh_', 'exp', 'exp_', 'log', 'log_', 'log2', 'log10', 'log1p', 'abs', 'abs_', 'sqrt', 'rsqrt',
  'neg', 'negative', 'sin', 'cos', 'tan', 'floor', 'ceil', 'round', 'trunc', 'sign', 'square', 'reciprocal', 'erf', 'expm1', 'silu', 'mish',
  'hardswish', 'hardsigmoid', 'hardtanh', 'softsign', 'tanhshrink', 'logsigmoid', 'selu', 'celu', 'relu6', 'elu', 'elu_', 'leaky_relu',
  'leaky_relu_', 'gelu', 'softplus', 'hardshrink', 'softshrink', 'threshold', 'rrelu', 'clamp', 'clamp_', 'clip', 'clip_', 'clamp_min', 'clamp_max',
  'nan_to_num', 'contiguous', 'clone', 'detach', 'detach_', 'requires_grad_', 'cpu', 'cuda', 'fill_', 'zero_', 'normal_', 'uniform_', 'bernoulli',
  'bernoulli_', 'sigmoid', 'logit', 'frac', 'dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout', 'feature_alpha_dropout', 'relu6', 'pin_memory',
  'exponential_', 'random_', 'masked_fill', 'masked_fill_', 'index_fill', 'index_fill_', 'copy_', 'retain_grad', 'float_power', 'angle', 'deg2rad',
];
op(UNARY, ['input', '*', 'inplace', 'p', 'training', 'negative_slope', 'alpha', 'approximate', 'beta', 'threshold', 'value', 'min', 'max', 'mask', 'lambd', 'lower', 'upper', 'min_val', 'max_val', 'memory_format', 'non_blocking', 'device', 'nan', 'posinf', 'neginf', 'mean', 'std', 'from', 'to', 'generator', 'src', 'requires_grad', 'eps'], (ip, b, site) => {
  return same(input(b, site));
}, undefined, true);

op(['float', 'double', 'half', 'bfloat16'], ['input', 'memory_format'], (_ip, b, site) => same(input(b, site), 'float32'));
op(['long', 'int', 'short', 'byte', 'char'], ['input', 'memory_format'], (_ip, b, site) => same(input(b, site), 'int64'));
op(['bool'], ['input', 'memory_format'], (_ip, b, site) => same(input(b, site), 'bool'));
op(['to', 'type'], ['input', 'dtype', 'non_blocking', 'copy', '*', 'device', 'memory_format'], (_ip, b, site) => {
  const x = input(b, site);
  const d = b.get('dtype');
  const dt = toDType(d) ?? (d instanceof Tensor ? d.dtype : null) ?? toDType(b.get('device'));
  return same(x, dt ?? x.dtype);
});
op(['type_as'], ['input', 'other'], (_ip, b, site) => same(input(b, site), tensorArg(b.get('other'), 'other', site).dtype));

const BINARY: [string, DType | null][] = [
  ['add', null], ['add_', null], ['sub', null], ['sub_', null], ['subtract', null], ['mul', null], ['mul_', null], ['multiply', null],
  ['div', 'float32'], ['div_', 'float32'], ['divide', 'float32'], ['true_divide', 'float32'], ['floor_divide', null], ['maximum', null],
  ['minimum', null], ['fmax', null], ['fmin', null], ['atan2', 'float32'], ['fmod', null], ['remainder', null], ['pow', null], ['pow_', null],
  ['eq', 'bool'], ['ne', 'bool'], ['lt', 'bool'], ['gt', 'bool'], ['le', 'bool'], ['ge', 'bool'], ['logical_and', 'bool'], ['logical_or', 'bool'],
  ['logical_xor', 'bool'], ['bitwise_and', null], ['bitwise_or', null], ['hypot', 'float32'], ['lerp', null], ['xlogy', 'float32'], ['copysign', 'float32'],
];
for (const [name, dt] of BINARY) {
  op(name, ['input', 'other', '*', 'alpha', 'rounding_mode', 'out', 'exponent', 'weight', 'end'], (_ip, b, site) => {
    const x = operand(b.get('input'), 'input', site);
    const other = b.get('other') ?? b.get('exponent') ?? b.get('end');
    const y = operand(other, 'other', site);
    return elementwise([x, y], site, dt ?? undefined);
  });
}
op(['where'], ['condition', 'input', 'other'], (_ip, b, site) => {
  const c = tensorArg(b.get('condition'), 'condition', site);
  if (!b.has('input')) return new Unknown('torch.where(condition) returns data-dependent indices');
  return elementwise([c, operand(b.get('input'), 'input', site), operand(b.get('other'), 'other', site)], site, operand(b.get('input'), 'input', site).dtype);
});
op(['addcmul', 'addcdiv'], ['input', 'tensor1', 'tensor2', '*', 'value'], (_ip, b, site) =>
  elementwise([input(b, site), tensorArg(b.get('tensor1'), 'tensor1', site), tensorArg(b.get('tensor2'), 'tensor2', site)], site));

// ---------------------------------------------------------------- reductions

const reduction = (dtype?: DType): OpDef['run'] => (_ip, b, site) => {
  const x = input(b, site);
  return S.reduce(x, dims(b.get('dim'), 'dim', site), bool(b.get('keepdim'), false), site, dtype ?? x.dtype);
};
op(['sum', 'mean', 'nansum', 'nanmean', 'prod', 'amax', 'amin', 'logsumexp', 'count_nonzero'], ['input', 'dim', 'keepdim', '*', 'dtype', 'out'], reduction());
op(['all', 'any'], ['input', 'dim', 'keepdim'], reduction('bool'));
op(['std', 'var'], ['input', 'dim', 'unbiased', 'keepdim', '*', 'correction'], (ip, b, site) => {
  // std(dim, unbiased, keepdim): `unbiased` can arrive positionally as a bool in old code.
  if (typeof b.get('dim') === 'boolean') b.delete('dim');
  return reduction()(ip, b, site, 'std');
});
op(['norm'], ['input', 'p', 'dim', 'keepdim', 'dtype'], (_ip, b, site) => {
  const x = input(b, site);
  return S.reduce(x, dims(b.get('dim'), 'dim', site), bool(b.get('keepdim'), false), site);
});
op(['argmax', 'argmin'], ['input', 'dim', 'keepdim'], (_ip, b, site) => {
  const x = input(b, site);
  const d = b.get('dim');
  if (d === undefined || d === null) return new Tensor([], 'int64', [], globalize(x.dep, x.tags.filter((t) => t >= 0)));
  return S.reduce(x, dims(d, 'dim', site), bool(b.get('keepdim'), false), site, 'int64');
});
const maxmin: OpDef['run'] = (_ip, b, site) => {
  const x = input(b, site);
  const d = b.get('dim');
  if (d instanceof Tensor) return elementwise([x, d], site);
  if (d === undefined || d === null) return S.reduce(x, null, false, site);
  const keep = bool(b.get('keepdim'), false);
  const v = S.reduce(x, dims(d, 'dim', site), keep, site);
  return new PyTuple([v, new Tensor(v.shape.slice(), 'int64', v.tags.slice(), v.dep)], ['values', 'indices']);
};
op(['max', 'min', 'median', 'mode', 'nanmedian'], ['input', 'dim', 'keepdim'], maxmin);
op(['cummax', 'cummin'], ['input', 'dim'], (_ip, b, site) => {
  const x = input(b, site);
  return new PyTuple([same(x), same(x, 'int64')], ['values', 'indices']);
});
op(['cumsum', 'cumprod', 'logcumsumexp', 'flip', 'roll', 'sort_values'], ['input', 'dim', 'dims', 'shifts', '*', 'dtype'], (_ip, b, site) => same(input(b, site)));
op(['softmax', 'log_softmax', 'softmin'], ['input', 'dim', '_stacklevel', 'dtype'], (_ip, b, site) => {
  const x = input(b, site);
  const dv = b.get('dim');
  const d = normDim(dv === undefined || dv === null ? (x.rank <= 1 || x.rank === 3 ? 0 : 1) : int(dv, 'dim', site), x.rank, site);
  const y = same(x, 'float32');
  if (x.tags[d]! >= 0) y.dep = globalize(y.dep, [x.tags[d]!]);
  return y;
});
op(['normalize'], ['input', 'p', 'dim', 'eps', 'out'], (_ip, b, site) => {
  const x = input(b, site);
  const d = normDim(int(b.get('dim'), 'dim', site, 1), x.rank, site);
  const y = same(x);
  if (x.tags[d]! >= 0) y.dep = globalize(y.dep, [x.tags[d]!]);
  return y;
});
op(['sort'], ['input', 'dim', 'descending', 'stable'], (_ip, b, site) => {
  const x = input(b, site);
  return new PyTuple([same(x), same(x, 'int64')], ['values', 'indices']);
});
op(['topk'], ['input', 'k', 'dim', 'largest', 'sorted'], (_ip, b, site) => {
  const x = input(b, site);
  const d = normDim(int(b.get('dim'), 'dim', site, -1), x.rank, site);
  const k = int(b.get('k'), 'k', site);
  if (typeof x.shape[d] === 'number' && k > (x.shape[d] as number)) raise('RuntimeError', `selected index k out of range (k=${k}, dim size ${x.shape[d]})`, site, 'topk');
  const v = same(x);
  v.shape[d] = k;
  v.tags[d] = -1;
  return new PyTuple([v, same(v, 'int64')], ['values', 'indices']);
});

// ---------------------------------------------------------------- shape

op(['view', 'reshape'], ['input', 'shape'], (ip, b, site, name) => {
  const x = input(b, site);
  const s = b.get('shape');
  if (toDType(s as Value) && name === 'view') return same(x, toDType(s as Value)!);
  const y = S.reshape(x, shapeArgs(s instanceof PyList && !(s.items.length && (s.items[0] instanceof PyTuple)) ? s.items : [s!], site), site, name);
  if (y.rank < x.rank && ip.tracer) ip.tracer.noteFlatten(`${name} at line ${site.sl + 1} (${shapeStr(x.shape)} → ${shapeStr(y.shape)})`);
  return y;
}, 'shape');
op(['view_as', 'reshape_as'], ['input', 'other'], (_ip, b, site, name) => S.reshape(input(b, site), tensorArg(b.get('other'), 'other', site).shape, site, name));
op(['flatten'], ['input', 'start_dim', 'end_dim'], (ip, b, site) => {
  const x = input(b, site);
  const y = S.flatten(x, int(b.get('start_dim'), 'start_dim', site, 0), int(b.get('end_dim'), 'end_dim', site, -1), site);
  ip.tracer?.noteFlatten(`flatten at line ${site.sl + 1} (${shapeStr(x.shape)} → ${shapeStr(y.shape)})`);
  return y;
});
op(['unflatten'], ['input', 'dim', 'sizes'], (_ip, b, site) => S.unflatten(input(b, site), int(b.get('dim'), 'dim', site), shapeArgs([b.get('sizes')!], site), site));
op(['permute'], ['input', 'dims'], (_ip, b, site) => S.permute(input(b, site), intArgs([b.get('dims')!].flatMap((v) => (v instanceof PyList ? v.items : [v])), site, 'dims'), site), 'dims');
op(['transpose', 'swapaxes', 'swapdims'], ['input', 'dim0', 'dim1'], (_ip, b, site) => S.transpose(input(b, site), int(b.get('dim0'), 'dim0', site), int(b.get('dim1'), 'dim1', site), site));
op(['t'], ['input'], (_ip, b, site) => {
  const x = input(b, site);
  if (x.rank > 2) raise('RuntimeError', `t() expects a tensor with <= 2 dimensions, but self is ${x.rank}D`, site, 't');
  return x.rank < 2 ? x : S.transpose(x, 0, 1, site);
});
op(['movedim', 'moveaxis'], ['input', 'source', 'destination'], (_ip, b, site) => {
  const x = input(b, site);
  const src = normDim(int(b.get('source'), 'source', site), x.rank, site);
  const dst = normDim(int(b.get('destination'), 'destination', site), x.rank, site);
  const order = x.shape.map((_, i) => i).filter((i) => i !== src);
  order.splice(dst, 0, src);
  return S.permute(x, order, site);
});
op(['squeeze', 'squeeze_'], ['input', 'dim'], (_ip, b, site) => S.squeeze(input(b, site), dims(b.get('dim'), 'dim', site), site));
op(['unsqueeze', 'unsqueeze_'], ['input', 'dim'], (_ip, b, site) => S.unsqueeze(input(b, site), int(b.get('dim'), 'dim', site), site));
op(['expand'], ['input', 'size'], (_ip, b, site) => S.expand(input(b, site), shapeArgs(listOrVarargs(b.get('size')), site), site), 'size');
op(['expand_as'], ['input', 'other'], (_ip, b, site) => S.expand(input(b, site), tensorArg(b.get('other'), 'other', site).shape, site));
op(['repeat'], ['input', 'repeats'], (_ip, b, site) => S.repeat(input(b, site), shapeArgs(listOrVarargs(b.get('repeats')), site), site), 'repeats');
op(['chunk'], ['input', 'chunks', 'dim'], (_ip, b, site) => new PyTuple(S.chunk(input(b, site), int(b.get('chunks'), 'chunks', site), int(b.get('dim'), 'dim', site, 0), site)));
op(['split'], ['input', 'split_size_or_sections', 'dim'], (_ip, b, site) => {
  const s = b.get('split_size_or_sections');
  const sizes = s instanceof PyList || s instanceof PyTuple ? s.items.map((v, i) => int(v, `split_sizes[${i}]`, site)) : int(s, 'split_size', site);
  return new PyTuple(S.splitSizes(input(b, site), sizes, int(b.get('dim'), 'dim', site, 0), site));
});
op(['tensor_split'], ['input', 'sections', 'dim'], (_ip, b, site) => new PyTuple(S.chunk(input(b, site), int(b.get('sections'), 'sections', site), int(b.get('dim'), 'dim', site, 0), site)));
op(['unbind'], ['input', 'dim'], (_ip, b, site) => {
  const x = input(b, site);
  const d = normDim(int(b.get('dim'), 'dim', site, 0), x.rank, site);
  const n = x.shape[d]!;
  if (typeof n !== 'number') return new Unknown('unbind() over a symbolic dim');
  return new PyTuple(Array.from({ length: n }, () => new Tensor(x.shape.filter((_, i) => i !== d), x.dtype, x.tags.filter((_, i) => i !== d), x.dep)));
});
op(['narrow'], ['input', 'dim', 'start', 'length'], (_ip, b, site) => {
  const x = input(b, site);
  const d = normDim(int(b.get('dim'), 'dim', site), x.rank, site);
  const y = same(x);
  y.shape[d] = int(b.get('length'), 'length', site);
  return y;
});
op(['cat', 'concat', 'concatenate'], ['tensors', 'dim', '*', 'axis', 'out'], (_ip, b, site) => S.cat(tensorList(b.get('tensors'), site), int(b.get('dim') ?? b.get('axis'), 'dim', site, 0), site, 'torch.cat', repeatOf(b.get('tensors'))));
op(['stack'], ['tensors', 'dim', '*', 'out'], (_ip, b, site) => S.stack(tensorList(b.get('tensors'), site), int(b.get('dim'), 'dim', site, 0), site, repeatOf(b.get('tensors'))));
op(['hstack', 'vstack'], ['tensors'], (_ip, b, site, name) => {
  const ts = tensorList(b.get('tensors'), site);
  return S.cat(ts, name === 'hstack' && ts[0]!.rank === 1 ? 0 : name === 'hstack' ? 1 : 0, site);
});
op(['matmul', 'mm', 'bmm', 'mv', 'dot', 'inner'], ['input', 'other', '*', 'out'], (_ip, b, site, name) => {
  const a = input(b, site);
  const c = tensorArg(b.get('other') ?? b.get('mat2') ?? b.get('vec'), 'other', site);
  if (name === 'mm' && (a.rank !== 2 || c.rank !== 2)) raise('RuntimeError', `mm: both arguments must be 2D, got ${shapeStr(a.shape)} and ${shapeStr(c.shape)}`, site, 'matmul');
  if (name === 'bmm' && (a.rank !== 3 || c.rank !== 3)) raise('RuntimeError', `bmm: both arguments must be 3D, got ${shapeStr(a.shape)} and ${shapeStr(c.shape)}`, site, 'matmul');
  if (name === 'bmm' && a.shape[0] !== c.shape[0]) raise('RuntimeError', `bmm: batch sizes differ: ${shapeStr(a.shape)} and ${shapeStr(c.shape)}`, site, 'matmul');
  return matmul(a, c, site, name);
});
op(['einsum'], ['equation', 'operands'], (_ip, b, site) => {
  const eq = b.get('equation');
  if (typeof eq !== 'string') return new Unknown('einsum with an unknown equation');
  const ops = tensorList(b.get('operands'), site);
  return einsum(eq, ops, site);
}, 'operands');
op(['unfold'], ['input', 'dimension', 'size', 'step'], (_ip, b, site) => {
  // Tensor.unfold: sliding windows along one dim, each window a new last dim.
  const x = input(b, site);
  const d = normDim(int(b.get('dimension'), 'dimension', site), x.rank, site);
  const size = int(b.get('size'), 'size', site);
  const step = int(b.get('step'), 'step', site);
  const shape = x.shape.slice();
  shape[d] = D.add(D.floordiv(D.sub(x.shape[d]!, size), step), 1);
  const tags = x.tags.slice();
  return new Tensor([...shape, size], x.dtype, [...tags, -1], x.dep);
});
op(['outer', 'ger'], ['input', 'vec2'], (_ip, b, site) => {
  const a = input(b, site);
  const c = tensorArg(b.get('vec2'), 'vec2', site);
  return new Tensor([a.shape[0]!, c.shape[0]!], a.dtype, [-1, -1], unionDep([a.dep, c.dep]));
});
op(['size'], ['input', 'dim'], (_ip, b, site) => {
  const x = input(b, site);
  const d = b.get('dim');
  if (d === undefined || d === null) return new PyTuple(x.shape.slice());
  return x.shape[normDim(int(d, 'dim', site), x.rank, site)]!;
});
op(['dim', 'ndimension'], ['input'], (_ip, b, site) => input(b, site).rank);
op(['numel', 'nelement'], ['input'], (_ip, b, site) => input(b, site).numel);
op(['item'], ['input'], (_ip, b, site) => {
  const x = input(b, site);
  if (x.numel !== 1) raise('RuntimeError', `a Tensor with ${x.numel} elements cannot be converted to Scalar`, site, 'item');
  if (x.data) return scalarValue(x.data[0]!, x.dtype);
  return new Unknown('the value of a tensor element');
});
op(['tolist'], ['input'], (_ip, b, site) => {
  const x = input(b, site);
  if (!x.data) return new Unknown('tensor data');
  return x.rank === 0 ? scalarValue(x.data[0]!, x.dtype) : new PyList(x.data.map((v) => scalarValue(v, x.dtype)));
});
op(['numpy', 'data_ptr', 'storage'], ['input'], () => new Unknown('tensor data'));
op(['new_zeros', 'new_ones', 'new_empty', 'new_full'], ['input', 'size', 'fill_value', '*', 'dtype', 'device', 'requires_grad'], (_ip, b, site) => {
  const x = input(b, site);
  const shape = shapeArgs(listOrVarargs(b.get('size')), site);
  return new Tensor(shape, toDType(b.get('dtype')) ?? x.dtype);
}, 'size');
op(['new_tensor'], ['input', 'data'], () => new Unknown('new_tensor() data'));

export function scalarValue(v: number, dtype: DType): Value {
  return dtype === 'float32' ? new PyFloat(v) : dtype === 'bool' ? v !== 0 : v;
}

/** torch.einsum: letters name dims; repeated letters must agree; letters missing from the output are summed. */
export function einsum(equation: string, ops: Tensor[], site: Range): Tensor {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhsGiven] = eq.includes('->') ? eq.split('->') : [eq, null];
  const terms = lhs!.split(',');
  if (terms.length !== ops.length) raise('RuntimeError', `einsum(): ${terms.length} operands in the equation '${equation}' but ${ops.length} tensors given`, site, 'einsum');
  const size = new Map<string, Dim>();
  const tag = new Map<string, number>();
  let ellipsis: Dim[] | null = null;
  let ellTags: number[] = [];
  terms.forEach((term, k) => {
    const t = ops[k]!;
    const letters = term.replace('...', '');
    const nEll = term.includes('...') ? t.rank - letters.length : 0;
    if (nEll < 0 || (!term.includes('...') && letters.length !== t.rank)) raise('RuntimeError', `einsum(): the term '${term}' has ${letters.length} subscripts but operand ${k} ${shapeStr(t.shape)} has ${t.rank} dims`, site, 'einsum');
    const at = term.indexOf('...');
    let d = 0;
    for (let i = 0; i < term.length; i++) {
      if (i === at) {
        ellipsis = t.shape.slice(d, d + nEll);
        ellTags = t.tags.slice(d, d + nEll);
        d += nEll;
        i += 2;
        continue;
      }
      const c = term[i]!;
      const n = t.shape[d]!;
      const prev = size.get(c);
      if (prev !== undefined && prev !== 1 && n !== 1 && !sameDim(prev, n, site, `einsum subscript '${c}'`)) raise('RuntimeError', `einsum(): subscript '${c}' has size ${n} in operand ${k} but ${prev} before (equation '${equation}')`, site, 'einsum');
      if (prev === undefined || prev === 1) size.set(c, n);
      if (t.tags[d]! >= 0 && !tag.has(c)) tag.set(c, t.tags[d]!);
      d++;
    }
  });
  const counts = new Map<string, number>();
  for (const c of lhs!.replace(/[,.]/g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
  const rhs = rhsGiven ?? ((lhs!.includes('...') ? '...' : '') + [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort().join(''));
  const shape: Dim[] = [];
  const tags: number[] = [];
  for (let i = 0; i < rhs.length; i++) {
    if (rhs.startsWith('...', i)) {
      shape.push(...((ellipsis as Dim[] | null) ?? []));
      tags.push(...ellTags);
      i += 2;
      continue;
    }
    const c = rhs[i]!;
    if (!size.has(c)) raise('RuntimeError', `einsum(): output subscript '${c}' does not appear in the equation's input terms ('${equation}')`, site, 'einsum');
    shape.push(size.get(c)!);
    tags.push(tag.get(c) ?? -1);
  }
  const summed = [...tag].filter(([c]) => !rhs.includes(c)).map(([, t]) => t);
  return new Tensor(shape, ops[0]!.dtype, tags, globalize(unionDep(ops.map((t) => t.dep)), summed));
}

/** Methods with varargs (`x.view(1, -1)`) arrive as a PyList under the varargs name. */
function listOrVarargs(v: Value | undefined): Value[] {
  if (v instanceof PyList) return v.items.length === 1 && (v.items[0] instanceof PyTuple || v.items[0] instanceof PyList) ? (v.items[0] as PyTuple).items : v.items;
  if (v instanceof PyTuple) return v.items;
  return v === undefined ? [] : [v];
}

/** The symbolic item count a list filled in a loop traced once stands for (PyList.symbolicCount), if any. */
function repeatOf(v: Value | undefined): Dim | undefined {
  return v instanceof PyList && v.symbolicCount !== undefined && v.items.length === 1 ? v.symbolicCount : undefined;
}

export function tensorList(v: Value | undefined, site: Range): Tensor[] {
  if (v instanceof PyList || v instanceof PyTuple) {
    return v.items.map((t, i) => {
      if (t instanceof Tensor) return t;
      if (t instanceof Unknown) throw new UnknownArg(t.reason);
      return raise('TypeError', `expected Tensor as element ${i} in argument 0, but got ${t === null ? 'NoneType' : typeof t}`, site, 'type-error');
    });
  }
  if (v instanceof Unknown) throw new UnknownArg(v.reason);
  if (v instanceof Tensor) return [v];
  return raise('TypeError', 'expected a tuple or list of Tensors', site, 'type-error');
}

/**
 * Runs a table op with positional/keyword arguments (self already first for methods).
 * Unknown arguments make the result Unknown rather than a guess.
 */
export function runOp(ip: Interp, name: string, def: OpDef, pos: Value[], kw: Map<string, Value>, site: Range): Value {
  try {
    let p = pos;
    if (def.varargs) {
      const at = def.sig.indexOf(def.varargs);
      if (p.length > at + 1 || (p.length === at + 1 && !(kw.has(def.varargs)))) p = [...p.slice(0, at), new PyList(p.slice(at))];
    }
    const b = def.lenient ? new Map([['input', p[0] ?? kw.get('input') ?? null], ...kw]) : bind({ pos: p, kw, site }, def.sig, name);
    if (b.has('input') && b.get('input') instanceof Unknown) return new Unknown((b.get('input') as Unknown).reason);
    const out = def.run(ip, b, site, name);
    const g = ip.tracer?.graph;
    if (g) emitTableOp(g, name, p, kw, b, out, site);
    return out;
  } catch (e) {
    if (e instanceof UnknownArg) return new Unknown(e.reason);
    throw e;
  }
}
