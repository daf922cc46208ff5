// Graph nodes for tensor operations: torch.* / F.* / Tensor methods from the op table, the functional
// layers, and Python operators on tensors. Attributes come from the call's arguments and, where the
// shape rule already settled them (view's -1, split sizes), from the output shapes.
import type { Range } from '../syntax/ast';
import { PyFloat, PyList, PyTuple, isNumber, numVal, type Value } from '../interp/values';
import type { Bound } from '../torch/args';
import { Tensor } from '../torch/tensor';
import { samePadding } from '../torch/window';
import type { GraphRecorder } from './recorder';
import type { BinaryAttrs, ReduceAttrs, UnaryAttrs } from './ir';
import { emitInterpolate, padSides } from './emitLayers';

type Operand = Tensor | number;

const tensorsOf = (v: Value): Tensor[] => (v instanceof Tensor ? [v] : v instanceof PyTuple || v instanceof PyList ? v.items.filter((t): t is Tensor => t instanceof Tensor) : []);
const n = (v: Value | undefined, d: number): number => (v !== undefined && v !== null && isNumber(v) ? numVal(v) : d);
const norm = (d: number, rank: number): number => (d < 0 ? d + rank : d);
function ints(v: Value | undefined): number[] | null {
  if (v instanceof PyTuple || v instanceof PyList) return v.items.every((x) => isNumber(x)) ? v.items.map((x) => numVal(x as number)) : null;
  return v !== undefined && v !== null && isNumber(v) ? [numVal(v)] : null;
}
/** A Python number operand as a constant value; tensors as they are. */
function operand(g: GraphRecorder, v: Value | undefined, like: Tensor): Operand | null {
  if (v instanceof Tensor) return v;
  if (v !== undefined && isNumber(v)) return g.scalar(numVal(v), v instanceof PyFloat || like.dtype === 'float32' ? 'float32' : typeof v === 'boolean' ? 'bool' : 'int64');
  return null;
}

const SIMPLE_UNARY = new Set(['relu', 'relu6', 'sigmoid', 'tanh', 'exp', 'log', 'log2', 'log10', 'log1p', 'abs', 'sqrt', 'rsqrt', 'neg', 'sin', 'cos', 'tan', 'floor', 'ceil', 'round', 'trunc', 'sign', 'square', 'reciprocal', 'erf', 'expm1', 'silu', 'mish', 'hardswish', 'hardsigmoid', 'softsign', 'tanhshrink', 'logsigmoid', 'selu', 'frac']);
const ALIASES = new Set(['contiguous', 'clone', 'detach', 'requires_grad_', 'cpu', 'cuda', 'pin_memory', 'retain_grad']);
const BINARY: Record<string, BinaryAttrs> = {
  add: { fn: 'add', alpha: 1 }, sub: { fn: 'sub', alpha: 1 }, subtract: { fn: 'sub', alpha: 1 }, mul: { fn: 'mul' }, multiply: { fn: 'mul' },
  div: { fn: 'div', rounding: 'none' }, divide: { fn: 'div', rounding: 'none' }, true_divide: { fn: 'div', rounding: 'none' }, floor_divide: { fn: 'div', rounding: 'floor' },
  maximum: { fn: 'maximum' }, minimum: { fn: 'minimum' }, pow: { fn: 'pow' }, atan2: { fn: 'atan2' }, fmod: { fn: 'fmod' }, remainder: { fn: 'remainder' },
  eq: { fn: 'eq' }, ne: { fn: 'ne' }, lt: { fn: 'lt' }, gt: { fn: 'gt' }, le: { fn: 'le' }, ge: { fn: 'ge' },
  logical_and: { fn: 'logical_and' }, logical_or: { fn: 'logical_or' }, logical_xor: { fn: 'logical_xor' },
};
const OPERATORS: Record<string, BinaryAttrs> = {
  '+': { fn: 'add', alpha: 1 }, '-': { fn: 'sub', alpha: 1 }, '*': { fn: 'mul' }, '/': { fn: 'div', rounding: 'none' }, '//': { fn: 'div', rounding: 'floor' },
  '%': { fn: 'remainder' }, '**': { fn: 'pow' }, '==': { fn: 'eq' }, '!=': { fn: 'ne' }, '<': { fn: 'lt' }, '<=': { fn: 'le' }, '>': { fn: 'gt' }, '>=': { fn: 'ge' },
  '&': { fn: 'logical_and' }, '|': { fn: 'logical_or' }, '^': { fn: 'logical_xor' },
};

/** A Python operator on tensors (x + y, x * 0.5, a @ b, x ** 2). */
export function emitOperator(g: GraphRecorder, op: string, l: Value, r: Value, out: Value, site: Range): void {
  if (!(out instanceof Tensor)) return;
  const like = l instanceof Tensor ? l : (r as Tensor);
  if (op === '@') return g.node('matmul', [l as Tensor, r as Tensor], {}, [out], site, 'matmul');
  if (op === '**' && l instanceof Tensor && !(r instanceof Tensor) && isNumber(r)) return g.node('unary', [l], { fn: 'pow_scalar', exponent: numVal(r) }, [out], site, 'pow');
  const attrs = OPERATORS[op];
  const a = operand(g, l, like);
  const b = operand(g, r, like);
  if (!attrs || a === null || b === null) return g.miss(`operator ${op}`, site);
  g.node('binary', [a, b], attrs, [out], site, `operator ${op}`);
}

/** The unary function of a table op with its positional/keyword arguments, or null. */
function unaryOf(name: string, arg: (i: number, kw: string) => Value | undefined): UnaryAttrs | null {
  const base = name.replace(/_$/, '');
  if (base === 'negative') return { fn: 'neg' };
  if (SIMPLE_UNARY.has(base)) return { fn: base as 'relu' };
  switch (base) {
    case 'leaky_relu':
      return { fn: 'leaky_relu', negativeSlope: n(arg(1, 'negative_slope'), 0.01) };
    case 'elu':
      return { fn: 'elu', alpha: n(arg(1, 'alpha'), 1) };
    case 'celu':
      return { fn: 'celu', alpha: n(arg(1, 'alpha'), 1) };
    case 'gelu':
      return { fn: 'gelu', approximate: arg(1, 'approximate') === 'tanh' ? 'tanh' : 'none' };
    case 'hardtanh':
      return { fn: 'hardtanh', min: n(arg(1, 'min_val'), -1), max: n(arg(2, 'max_val'), 1) };
    case 'softplus':
      return { fn: 'softplus', beta: n(arg(1, 'beta'), 1), threshold: n(arg(2, 'threshold'), 20) };
    case 'hardshrink':
    case 'softshrink':
      return { fn: base, lambd: n(arg(1, 'lambd'), 0.5) };
    case 'threshold':
      return { fn: 'threshold', threshold: n(arg(1, 'threshold'), 0), value: n(arg(2, 'value'), 0) };
    case 'clamp':
    case 'clip': {
      const lo = arg(1, 'min');
      const hi = arg(2, 'max');
      if (lo instanceof Tensor || hi instanceof Tensor) return null;
      return { fn: 'clamp', min: lo === undefined || lo === null ? null : n(lo, 0), max: hi === undefined || hi === null ? null : n(hi, 0) };
    }
    case 'clamp_min':
      return { fn: 'clamp', min: n(arg(1, 'min'), 0), max: null };
    case 'clamp_max':
      return { fn: 'clamp', min: null, max: n(arg(1, 'max'), 0) };
  }
  return null;
}

/**
 * One call of a table op (torch.cat, F.relu, x.view(...), x.mean(1)). `pos`/`kw` are the call's own
 * arguments (the first positional is the input), `b` their binding to the op's signature.
 */
export function emitTableOp(g: GraphRecorder, name: string, pos: Value[], kw: Map<string, Value>, b: Bound, out: Value, site: Range): void {
  const outs = tensorsOf(out);
  if (!outs.length) return; // size(), item(), dim(): no tensor, no node
  const arg = (i: number, k: string): Value | undefined => kw.get(k) ?? pos[i];
  const x = (b.get('input') ?? pos[0]) as Value;
  const y = outs[0]!;
  const label = name;
  if (!(x instanceof Tensor)) {
    if (name === 'cat' || name === 'concat' || name === 'concatenate' || name === 'stack') {
      const ts = tensorsOf(b.get('tensors') ?? null);
      const dim = norm(n(b.get('dim') ?? b.get('axis'), 0), name === 'stack' ? y.rank : y.rank);
      return name === 'stack' ? g.node('stack', ts, { dim }, [y], site, label) : g.node('cat', ts.filter((t) => t.count !== 0 || t.rank > 1), { dim }, [y], site, label);
    }
    if (name === 'einsum') {
      const v = b.get('operands');
      // einsum(eq, a, b) arrives as varargs; einsum(eq, [a, b]) as one list inside them.
      const items = v instanceof PyList || v instanceof PyTuple ? (v.items.length === 1 && (v.items[0] instanceof PyList || v.items[0] instanceof PyTuple) ? (v.items[0] as PyList).items : v.items) : [];
      const ops = items.filter((t): t is Tensor => t instanceof Tensor);
      const eq = typeof b.get('equation') === 'string' ? einsumEquation(b.get('equation') as string, ops.map((t) => t.rank)) : null;
      if (!eq || ops.length !== items.length) return g.miss(`${name} (equation ${JSON.stringify(b.get('equation') ?? null)})`, site);
      return g.node('einsum', ops, { equation: eq }, [y], site, label);
    }
    return g.miss(name, site);
  }
  const base = name.replace(/_$/, '');
  if (ALIASES.has(name) || ALIASES.has(base)) return g.alias(y, x);
  const un = unaryOf(name, arg);
  if (un) return g.node('unary', [x], un, [y], site, label);
  if (/^(dropout|dropout[123]d|alpha_dropout|feature_alpha_dropout)$/.test(base)) {
    const p = n(arg(1, 'p'), 0.5);
    // F.dropout's training defaults to True (even in eval mode): PyTorch's behaviour, kept.
    const off = (arg(2, 'training') as unknown) === false;
    if (off || p === 0) return g.alias(y, x);
    if (base.includes('alpha')) return g.miss(`${name} in training mode`, site);
    const featureDims = base === 'dropout' ? 0 : (Number(base.slice(7, 8)) as 1 | 2 | 3);
    return g.node('dropout', [x], { p, training: true, featureDims, seed: 0 }, [y], site, label);
  }
  const bin = BINARY[base];
  if (bin) {
    const other = b.get('other') ?? b.get('exponent');
    const o = operand(g, other, x);
    if (o === null) return g.miss(name, site);
    const alpha = b.get('alpha');
    const rounding = b.get('rounding_mode');
    const attrs: BinaryAttrs = bin.fn === 'add' || bin.fn === 'sub' ? { fn: bin.fn, alpha: n(alpha, 1) } : bin.fn === 'div' && typeof rounding === 'string' ? { fn: 'div', rounding: rounding as 'floor' } : bin;
    if (bin.fn === 'pow' && typeof o === 'number' && !(other instanceof Tensor)) return g.node('unary', [x], { fn: 'pow_scalar', exponent: n(other, 1) }, [y], site, label);
    return g.node('binary', [x, o], attrs, [y], site, label);
  }
  switch (name) {
    case 'float': case 'double': case 'half': case 'bfloat16': case 'long': case 'int': case 'short': case 'byte': case 'char': case 'bool': case 'to': case 'type': case 'type_as':
      return y.dtype === x.dtype ? g.alias(y, x) : g.node('cast', [x], { dtype: y.dtype }, [y], site, label);
    case 'view': case 'reshape': case 'view_as': case 'reshape_as': case 'flatten': case 'unflatten': case 'squeeze': case 'squeeze_': case 'unsqueeze': case 'unsqueeze_':
      return g.node('reshape', [x], { shape: y.shape as number[] }, [y], site, label);
    case 'expand': case 'expand_as':
      return g.node('expand', [x], { shape: y.shape as number[] }, [y], site, label);
    case 'permute': {
      const dims = ints(b.get('dims'));
      return dims ? g.node('permute', [x], { perm: dims.map((d) => norm(d, x.rank)) }, [y], site, label) : g.miss(name, site);
    }
    case 'transpose': case 'swapaxes': case 'swapdims': case 't': {
      const perm = x.shape.map((_, i) => i);
      if (x.rank < 2) return g.alias(y, x);
      const d0 = name === 't' ? 0 : norm(n(b.get('dim0'), 0), x.rank);
      const d1 = name === 't' ? 1 : norm(n(b.get('dim1'), 1), x.rank);
      [perm[d0], perm[d1]] = [perm[d1]!, perm[d0]!];
      return g.node('permute', [x], { perm }, [y], site, label);
    }
    case 'cat': case 'concat': case 'concatenate': case 'stack':
      break;
    case 'chunk': case 'split': case 'tensor_split': case 'unbind': {
      const dim = norm(n(b.get('dim'), 0), x.rank);
      if (name !== 'unbind') return g.node('split', [x], { dim, sizes: outs.map((t) => t.shape[dim] as number) }, outs, site, label);
      const parts = outs.map((t) => new Tensor([...t.shape.slice(0, dim), 1, ...t.shape.slice(dim)], t.dtype));
      g.node('split', [x], { dim, sizes: parts.map(() => 1) }, parts, site, label);
      outs.forEach((t, i) => g.node('reshape', [parts[i]!], { shape: t.shape as number[] }, [t], site, label));
      return;
    }
    case 'narrow': {
      const dim = norm(n(b.get('dim'), 0), x.rank);
      const start = norm(n(b.get('start'), 0), x.shape[dim] as number);
      const len = n(b.get('length'), 0);
      const s = x.shape.map(() => 0);
      const e = x.shape.slice() as number[];
      s[dim] = start;
      e[dim] = start + len;
      return g.node('slice', [x], { start: s, stop: e, step: x.shape.map(() => 1) }, [y], site, label);
    }
    case 'matmul': case 'mm': case 'bmm': case 'mv': case 'dot':
      return g.node('matmul', [x, b.get('other') as Tensor], {}, [y], site, label);
    case 'softmax': case 'log_softmax': case 'softmin': {
      const d = b.get('dim');
      const dim = norm(typeof d === 'number' ? d : x.rank === 0 || x.rank === 1 || x.rank === 3 ? 0 : 1, x.rank);
      if (name !== 'softmin') return g.node('softmax', [x], { dim, log: name === 'log_softmax' }, [y], site, label);
      const neg = new Tensor(x.shape.slice(), x.dtype);
      g.node('unary', [x], { fn: 'neg' }, [neg], site, label);
      return g.node('softmax', [neg], { dim, log: false }, [y], site, label);
    }
    case 'sum': case 'mean': case 'prod': case 'amax': case 'amin': case 'std': case 'var': case 'max': case 'min': case 'argmax': case 'argmin':
      return emitReduce(g, name, x, b, outs, site);
    case 'where':
      break;
    case 'normalize': {
      // F.normalize: x / max(‖x‖_p over dim, eps), as PyTorch computes it (norm, clamp_min, divide).
      const pNorm = n(b.get('p'), 2);
      const dim = norm(n(b.get('dim'), 1), x.rank);
      const keptShape = x.shape.map((d, k) => (k === dim ? 1 : d));
      const t = (shape: typeof x.shape): Tensor => new Tensor(shape.slice(), 'float32');
      const powed = t(x.shape);
      if (pNorm === 2) g.node('unary', [x], { fn: 'square' }, [powed], site, label);
      else {
        const abs = t(x.shape);
        g.node('unary', [x], { fn: 'abs' }, [abs], site, label);
        g.node('unary', [abs], { fn: 'pow_scalar', exponent: pNorm }, [powed], site, label);
      }
      const sum = t(keptShape);
      g.node('reduce', [powed], { fn: 'sum', dims: [dim], keepdim: true }, [sum], site, label);
      const nrm = t(keptShape);
      g.node('unary', [sum], pNorm === 2 ? { fn: 'sqrt' } : { fn: 'pow_scalar', exponent: 1 / pNorm }, [nrm], site, label);
      const clamped = t(keptShape);
      g.node('unary', [nrm], { fn: 'clamp', min: n(b.get('eps'), 1e-12), max: null }, [clamped], site, label);
      return g.node('binary', [x, clamped], { fn: 'div', rounding: 'none' }, [y], site, label);
    }
    case 'cumsum':
      return g.node('cumsum', [x], { dim: norm(n(b.get('dim'), 0), x.rank) }, [y], site, label);
    case 'repeat': {
      const reps = y.shape.map((d, i) => (d as number) / ((x.shape[i - (y.rank - x.rank)] as number | undefined) ?? 1));
      const lead = y.rank - x.rank;
      const src = [...Array(lead).fill(1), ...(x.shape as number[])];
      const mid = new Tensor(src.flatMap((d) => [1, d]), x.dtype);
      const wide = new Tensor(src.flatMap((d, i) => [reps[i]!, d]), x.dtype);
      g.node('reshape', [x], { shape: mid.shape as number[] }, [mid], site, label);
      g.node('expand', [mid], { shape: wide.shape as number[] }, [wide], site, label);
      return g.node('reshape', [wide], { shape: y.shape as number[] }, [y], site, label);
    }
    case 'new_zeros': case 'new_ones': case 'new_full':
      return g.node('full', [], { shape: y.shape as number[], value: name === 'new_ones' ? 1 : name === 'new_zeros' ? 0 : n(b.get('fill_value'), 0), dtype: y.dtype }, [y], site, label);
  }
  if (name === 'where') {
    const c = b.get('condition');
    const a = operand(g, b.get('input'), y);
    const o = operand(g, b.get('other'), y);
    if (c instanceof Tensor && a !== null && o !== null) return g.node('where', [c, a, o], {}, [y], site, label);
  }
  g.miss(name, site);
}

/**
 * An einsum equation in the IR's normal form (ir.ts EinsumAttrs): spaces removed, the implicit output
 * written out, and each ellipsis dim spelled as an unused letter (ellipsis dims align right across
 * operands, and lead the implicit output). Null when it cannot be normalised.
 */
export function einsumEquation(equation: string, ranks: number[]): string | null {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const rhs = arrow < 0 ? null : eq.slice(arrow + 2);
  const terms = lhs.split(',');
  if (terms.length !== ranks.length || !/^[A-Za-z.]*$/.test(terms.join('') + (rhs ?? ''))) return null;
  const used = new Set(eq.replace(/[^A-Za-z]/g, ''));
  const free = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'].filter((c) => !used.has(c));
  const nEll = Math.max(0, ...terms.map((t, k) => (t.includes('...') ? ranks[k]! - t.replace('...', '').length : 0)));
  if (nEll > free.length) return null;
  const ell = free.slice(0, nEll).join('');
  const expand = (t: string, rank: number): string | null => {
    if (!t.includes('...')) return t.includes('.') ? null : t;
    const [pre, post] = [t.slice(0, t.indexOf('...')), t.slice(t.indexOf('...') + 3)];
    const k = rank - pre.length - post.length;
    if (k < 0 || (pre + post).includes('.')) return null;
    return pre + ell.slice(nEll - k) + post;
  };
  const ins = terms.map((t, k) => expand(t, ranks[k]!));
  if (ins.some((t) => t === null)) return null;
  let out: string | null;
  if (rhs !== null) out = expand(rhs, rhs.replace('...', '').length + nEll);
  else {
    // Implicit mode: the ellipsis dims, then the letters used exactly once, in alphabetical (ASCII) order.
    const counts = new Map<string, number>();
    for (const c of terms.join('').replace(/\./g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    out = ell + [...counts].filter(([, c]) => c === 1).map(([c]) => c).sort().join('');
  }
  return out === null ? null : `${ins.join(',')}->${out}`;
}

function emitReduce(g: GraphRecorder, name: string, x: Tensor, b: Bound, outs: Tensor[], site: Range): void {
  const dimsV = b.get('dim');
  const keepdim = b.get('keepdim') === true;
  const all = x.shape.map((_, i) => i);
  const dims = dimsV === undefined || dimsV === null ? all : [...new Set((ints(dimsV) ?? []).map((d) => norm(d, x.rank)))].sort((p, q) => p - q);
  const y = outs[0]!;
  if (name === 'argmax' || name === 'argmin') {
    return g.node('arg_reduce', [x], { fn: name, dim: dimsV === undefined || dimsV === null ? null : dims[0]!, keepdim }, [y], site, name);
  }
  if (name === 'max' || name === 'min') {
    const fn = name === 'max' ? 'amax' : 'amin';
    if (dimsV === undefined || dimsV === null || outs.length < 2) return g.node('reduce', [x], { fn, dims: all, keepdim: false }, [y], site, name);
    g.node('reduce', [x], { fn, dims, keepdim }, [outs[0]!], site, name);
    return g.node('arg_reduce', [x], { fn: name === 'max' ? 'argmax' : 'argmin', dim: dims[0]!, keepdim }, [outs[1]!], site, name);
  }
  if (name === 'std' || name === 'var') {
    const corr = b.get('correction');
    const unbiased = b.get('unbiased');
    const correction = corr !== undefined && corr !== null ? n(corr, 1) : unbiased === false ? 0 : 1;
    return g.node('reduce', [x], { fn: name, dims, keepdim, correction } as ReduceAttrs, [y], site, name);
  }
  g.node('reduce', [x], { fn: name as 'sum', dims, keepdim }, [y], site, name);
}

/** The functional layers (F.conv2d, F.max_pool2d, F.batch_norm, F.interpolate, F.pad, ...). */
export function emitFunctional(g: GraphRecorder, name: string, b: Bound, out: Value, site: Range): void {
  const outs = tensorsOf(out);
  const x = b.get('input');
  if (!outs.length || !(x instanceof Tensor)) return g.miss(`F.${name}`, site);
  const y = outs[0]!;
  const label = `F.${name}`;
  const t = (k: string): Tensor | null => (b.get(k) instanceof Tensor ? (b.get(k) as Tensor) : null);
  let m: RegExpExecArray | null;
  if ((m = /^(max|avg)_pool([123])d$/.exec(name))) {
    const nd = Number(m[2]) as 1 | 2 | 3;
    const per = (k: string, d: number): number[] => {
      const v = ints(b.get(k));
      return !v || !v.length ? Array(nd).fill(d) : v.length === 1 ? Array(nd).fill(v[0]) : v;
    };
    const kernel = per('kernel_size', 1);
    const sv = b.get('stride');
    const stride = sv === undefined || sv === null || ((sv instanceof PyList || sv instanceof PyTuple) && !sv.items.length) ? kernel.slice() : per('stride', 1);
    const padding = per('padding', 0);
    const ceilMode = b.get('ceil_mode') === true;
    if (m[1] === 'max') return g.node('max_pool', [x], { nd, kernel, stride, padding, dilation: per('dilation', 1), ceilMode, returnIndices: outs.length > 1 }, outs, site, label);
    return g.node('avg_pool', [x], { nd, kernel, stride, padding, ceilMode, countIncludePad: b.get('count_include_pad') !== false, divisorOverride: b.get('divisor_override') == null ? null : n(b.get('divisor_override'), 1) }, [y], site, label);
  }
  if ((m = /^adaptive_(max|avg)_pool([123])d$/.exec(name))) {
    const nd = Number(m[2]) as 1 | 2 | 3;
    const outSize = y.shape.slice(y.rank - nd) as number[];
    if (m[1] === 'avg') return g.node('adaptive_avg_pool', [x], { nd, outSize }, [y], site, label);
    return g.node('adaptive_max_pool', [x], { nd, outSize, returnIndices: outs.length > 1 }, outs, site, label);
  }
  if ((m = /^conv([123])d$/.exec(name))) {
    const nd = Number(m[1]) as 1 | 2 | 3;
    const w = t('weight')!;
    const bias = t('bias');
    const per = (k: string, d: number): number[] => {
      const v = ints(b.get(k));
      return !v || !v.length ? Array(nd).fill(d) : v.length === 1 ? Array(nd).fill(v[0]) : v;
    };
    const dilation = per('dilation', 1);
    const pv = b.get('padding');
    let before: number[], after: number[];
    if (pv === 'same') {
      const pads = (w.shape.slice(2) as number[]).map((k, i) => samePadding(k, dilation[i]!));
      before = pads.map((p) => p[0]);
      after = pads.map((p) => p[1]);
    } else before = after = pv === 'valid' ? Array(nd).fill(0) : per('padding', 0);
    return g.node('conv', bias ? [x, w, bias] : [x, w], { nd, stride: per('stride', 1), padBefore: before, padAfter: after, dilation, groups: n(b.get('groups'), 1), bias: !!bias }, [y], site, label);
  }
  switch (name) {
    case 'linear': {
      const w = t('weight')!;
      const bias = t('bias');
      if (w.rank !== 2) return g.miss(label, site);
      return g.node('linear', bias ? [x, w, bias] : [x, w], { bias: !!bias }, [y], site, label);
    }
    case 'interpolate': case 'upsample': case 'upsample_nearest': case 'upsample_bilinear': {
      const mode = name === 'upsample_bilinear' ? 'bilinear' : typeof b.get('mode') === 'string' ? (b.get('mode') as string) : 'nearest';
      const align = name === 'upsample_bilinear' ? true : b.get('align_corners') === true;
      return emitInterpolate(g, x, y, mode, align, b.get('scale_factor') ?? null, b.get('recompute_scale_factor') === true, site, label);
    }
    case 'pad': {
      const pads = ints(b.get('pad'));
      const mode = typeof b.get('mode') === 'string' ? (b.get('mode') as string) : 'constant';
      if (!pads || !['constant', 'reflect', 'replicate', 'circular'].includes(mode)) return g.miss(label, site);
      return g.node('pad', [x], { mode: mode as 'constant', ...padSides(pads, x.rank), value: n(b.get('value'), 0) }, [y], site, label);
    }
    case 'pixel_shuffle':
      return g.node('pixel_shuffle', [x], { upscale: n(b.get('upscale_factor'), 1) }, [y], site, label);
    case 'pixel_unshuffle':
      return g.node('pixel_unshuffle', [x], { downscale: n(b.get('downscale_factor'), 1) }, [y], site, label);
    case 'batch_norm': {
      const rm = t('running_mean');
      const rv = t('running_var');
      const w = t('weight');
      const bias = t('bias');
      const training = b.get('training') === true || !rm || !rv;
      // Training with running statistics updates them in place: later reads see the new values.
      const updated = training && rm && rv ? [new Tensor(rm.shape.slice()), new Tensor(rv.shape.slice())] : [];
      g.node('batch_norm', [x, ...(rm && rv ? [rm, rv] : []), ...(w ? [w] : []), ...(bias ? [bias] : [])], { training, momentum: n(b.get('momentum'), 0.1), eps: n(b.get('eps'), 1e-5), runningStats: !!(rm && rv), weight: !!w, bias: !!bias, numBatchesTracked: false }, [y, ...updated], site, label);
      if (updated.length) {
        g.rebind(rm!, updated[0]!);
        g.rebind(rv!, updated[1]!);
      }
      return;
    }
    case 'layer_norm': {
      const w = t('weight');
      const bias = t('bias');
      const ns = ints(b.get('normalized_shape')) ?? [];
      return g.node('layer_norm', [x, ...(w ? [w] : []), ...(bias ? [bias] : [])], { normalizedShape: ns, eps: n(b.get('eps'), 1e-5), weight: !!w, bias: !!bias }, [y], site, label);
    }
    case 'group_norm': {
      const w = t('weight');
      const bias = t('bias');
      return g.node('group_norm', [x, ...(w ? [w] : []), ...(bias ? [bias] : [])], { groups: n(b.get('num_groups'), 1), eps: n(b.get('eps'), 1e-5), weight: !!w, bias: !!bias }, [y], site, label);
    }
    case 'instance_norm': {
      const rm = t('running_mean');
      const rv = t('running_var');
      const w = t('weight');
      const bias = t('bias');
      const use = b.get('use_input_stats') !== false;
      const updated = use && rm && rv ? [new Tensor(rm.shape.slice()), new Tensor(rv.shape.slice())] : [];
      g.node('instance_norm', [x, ...(rm && rv ? [rm, rv] : []), ...(w ? [w] : []), ...(bias ? [bias] : [])], { useInputStats: use, momentum: n(b.get('momentum'), 0.1), eps: n(b.get('eps'), 1e-5), runningStats: !!(rm && rv), weight: !!w, bias: !!bias }, [y, ...updated], site, label);
      if (updated.length) {
        g.rebind(rm!, updated[0]!);
        g.rebind(rv!, updated[1]!);
      }
      return;
    }
    case 'local_response_norm':
      return g.node('local_response_norm', [x], { size: n(b.get('size'), 1), alpha: n(b.get('alpha'), 1e-4), beta: n(b.get('beta'), 0.75), k: n(b.get('k'), 1) }, [y], site, label);
    case 'embedding':
      return g.node('embedding', [x, t('weight')!], {}, [y], site, label);
  }
  g.miss(label, site);
}
