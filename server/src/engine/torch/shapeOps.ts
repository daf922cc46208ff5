// Shape rules shared by torch.* functions and tensor methods: view/reshape, flatten, permute,
// squeeze, cat/stack, split/chunk, expand/repeat and reductions. Each keeps the receptive-field
// tags of the dims it leaves in place. Dims may be symbolic (dim.ts).
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { Tensor, globalize, shapeStr, spatialOf, unionDep } from './tensor';
import { normDim } from './args';
import * as D from './dim';
import type { Dim } from './dim';
import { same } from './assume';

const eqDim = (a: Dim, b: Dim): boolean => D.eq(a, b) === true;

/** Tags for a reshape: dims equal at the start or end of both shapes keep theirs. */
function reshapeTags(src: Tensor, out: Dim[]): number[] {
  const tags = out.map(() => -1);
  let i = 0;
  while (i < src.rank && i < out.length && eqDim(src.shape[i]!, out[i]!)) (tags[i] = src.tags[i]!), i++;
  for (let a = src.rank - 1, b = out.length - 1; a >= i && b >= i && eqDim(src.shape[a]!, out[b]!); a--, b--) tags[b] = src.tags[a]!;
  return tags;
}

export function reshape(t: Tensor, sizes: Dim[], site: Range, what = 'view'): Tensor {
  const neg = sizes.filter((d) => d === -1).length;
  if (neg > 1) raise('RuntimeError', 'only one dimension can be inferred', site, 'view');
  for (const d of sizes) if (typeof d === 'number' && d < -1) raise('RuntimeError', `invalid shape dimension ${d}`, site, 'view');
  const known = D.prod(sizes.filter((d) => d !== -1));
  const n = t.numel;
  const bad = (extra: string): never =>
    raise('RuntimeError', `shape '${shapeStr(sizes)}' is invalid for input of size ${D.dimStr(n)}: ${what} of a ${shapeStr(t.shape)} tensor (${D.dimStr(n)} elements) into ${shapeStr(sizes)}${extra}`, site, 'view');
  let out = sizes;
  if (neg === 1) {
    let inferred = known === 0 ? null : D.divExact(n, known);
    if (inferred === null) {
      if (typeof n === 'number' && typeof known === 'number') bad(' leaves -1 without a whole size');
      // Symbolic: assume it divides, and name the quotient by floor division.
      same(D.mod(n, typeof known === 'number' ? known : 1), 0, site, `${what} into ${shapeStr(sizes)}`);
      inferred = typeof known === 'number' ? D.floordiv(n, known) : null;
      if (inferred === null) bad(' (the inferred size depends on the input in a way ShapeLens cannot write down)');
    }
    out = sizes.map((d) => (d === -1 ? inferred! : d));
  } else if (!same(known, n, site, `${what} into ${shapeStr(sizes)}`)) {
    bad(` (${D.dimStr(known)} elements)`);
  }
  return new Tensor(out, t.dtype, reshapeTags(t, out), t.dep);
}

export function flatten(t: Tensor, start: number, end: number, site: Range): Tensor {
  if (t.rank === 0) return new Tensor([1], t.dtype, [-1], t.dep);
  const s = normDim(start, t.rank, site);
  const e = normDim(end, t.rank, site);
  if (s > e) raise('RuntimeError', 'flatten() has invalid args: start_dim cannot come after end_dim', site, 'flatten');
  const merged = D.prod(t.shape.slice(s, e + 1));
  const shape = [...t.shape.slice(0, s), merged, ...t.shape.slice(e + 1)];
  const tags = [...t.tags.slice(0, s), s === e ? t.tags[s]! : -1, ...t.tags.slice(e + 1)];
  return new Tensor(shape, t.dtype, tags, t.dep);
}

export function unflatten(t: Tensor, dim: number, sizes: Dim[], site: Range): Tensor {
  const d = normDim(dim, t.rank, site);
  const neg = sizes.indexOf(-1);
  let sz = sizes;
  const fail = (): never => raise('RuntimeError', `unflatten: Provided sizes ${shapeStr(sizes)} don't multiply up to the size of dim ${dim} (${D.dimStr(t.shape[d]!)}) in the input tensor ${shapeStr(t.shape)}`, site, 'view');
  if (neg >= 0) {
    const q = D.divExact(t.shape[d]!, D.prod(sizes.filter((y) => y !== -1)));
    if (q === null) fail();
    sz = sizes.map((x) => (x === -1 ? q! : x));
  }
  if (!same(D.prod(sz), t.shape[d]!, site, 'unflatten')) fail();
  const shape = [...t.shape.slice(0, d), ...sz, ...t.shape.slice(d + 1)];
  const tags = [...t.tags.slice(0, d), ...sz.map(() => -1), ...t.tags.slice(d + 1)];
  return new Tensor(shape, t.dtype, tags, t.dep);
}

export function permute(t: Tensor, order: number[], site: Range): Tensor {
  if (order.length !== t.rank) raise('RuntimeError', `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${t.rank} is not equal to len(dims) = ${order.length}`, site, 'permute');
  const o = order.map((d) => normDim(d, t.rank, site));
  if (new Set(o).size !== o.length) raise('RuntimeError', 'permute(): duplicate dims are not allowed.', site, 'permute');
  return new Tensor(o.map((d) => t.shape[d]!), t.dtype, o.map((d) => t.tags[d]!), t.dep);
}

export function transpose(t: Tensor, a: number, b: number, site: Range): Tensor {
  if (t.rank < 2 && a === 0 && b === 1) return t;
  const x = normDim(a, t.rank, site);
  const y = normDim(b, t.rank, site);
  const order = t.shape.map((_, i) => (i === x ? y : i === y ? x : i));
  return permute(t, order, site);
}

export function squeeze(t: Tensor, dims: number[] | null, site: Range): Tensor {
  const drop = new Set(dims === null ? t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : dims.map((d) => normDim(d, t.rank, site)).filter((d) => t.shape[d] === 1));
  return new Tensor(t.shape.filter((_, i) => !drop.has(i)), t.dtype, t.tags.filter((_, i) => !drop.has(i)), t.dep);
}

export function unsqueeze(t: Tensor, dim: number, site: Range): Tensor {
  const d = normDim(dim, t.rank + 1, site);
  const shape = t.shape.slice();
  const tags = t.tags.slice();
  shape.splice(d, 0, 1);
  tags.splice(d, 0, -1);
  return new Tensor(shape, t.dtype, tags, t.dep);
}

/** `repeat`: the list's one tensor stands for that many (a list filled in a loop traced once for a symbolic count). */
export function cat(ts: Tensor[], dim: number, site: Range, what = 'torch.cat', repeat?: Dim): Tensor {
  const live = ts.filter((t) => !(t.rank === 1 && t.shape[0] === 0));
  if (!live.length) raise('RuntimeError', `${what}(): expected a non-empty list of Tensors`, site, 'cat');
  const first = live[0]!;
  const d = normDim(dim, first.rank, site);
  live.forEach((t, k) => {
    if (t.rank !== first.rank) raise('RuntimeError', `Tensors must have same number of dimensions: got ${first.rank} and ${t.rank} (tensor ${k} is ${shapeStr(t.shape)})`, site, 'cat');
    for (let i = 0; i < t.rank; i++) {
      if (i !== d && !same(t.shape[i]!, first.shape[i]!, site, `${what} (dim ${i} of ${shapeStr(first.shape)} and ${shapeStr(t.shape)})`)) {
        raise('RuntimeError', `Sizes of tensors must match except in dimension ${d}. Expected size ${D.dimStr(first.shape[i]!)} but got size ${D.dimStr(t.shape[i]!)} for tensor number ${k} in the list (shapes ${live.map((q) => shapeStr(q.shape)).join(', ')})`, site, 'cat');
      }
    }
  });
  const shape = first.shape.slice();
  shape[d] = repeat !== undefined && live.length === 1 ? D.mul(repeat, first.shape[d]!) : live.reduce<Dim>((s, t) => D.add(s, t.shape[d]!), 0);
  const tags = first.tags.map((tg, i) => (live.every((t) => t.tags[i] === tg) ? tg : -1));
  return new Tensor(shape, first.dtype, tags, unionDep(live.map((t) => t.dep)));
}

export function stack(ts: Tensor[], dim: number, site: Range, repeat?: Dim): Tensor {
  if (!ts.length) raise('RuntimeError', 'stack expects a non-empty TensorList', site, 'stack');
  const first = ts[0]!;
  ts.forEach((t, k) => {
    if (t.shape.length !== first.shape.length || t.shape.some((x, i) => !same(x, first.shape[i]!, site, 'torch.stack'))) {
      raise('RuntimeError', `stack expects each tensor to be equal size, but got ${shapeStr(first.shape)} at entry 0 and ${shapeStr(t.shape)} at entry ${k}`, site, 'stack');
    }
  });
  const d = normDim(dim, first.rank + 1, site);
  const shape = first.shape.slice();
  const tags = first.tags.slice();
  shape.splice(d, 0, repeat !== undefined && ts.length === 1 ? repeat : ts.length);
  tags.splice(d, 0, -1);
  return new Tensor(shape, first.dtype, tags, unionDep(ts.map((t) => t.dep)));
}

export function splitSizes(t: Tensor, sizeOrSections: number | number[], dim: number, site: Range): Tensor[] {
  const d = normDim(dim, t.rank, site);
  const len = t.shape[d]!;
  let sizes: Dim[];
  if (Array.isArray(sizeOrSections)) {
    sizes = sizeOrSections;
    const sum = sizes.reduce<Dim>((a, b) => D.add(a, b), 0);
    if (!same(sum, len, site, 'split')) raise('RuntimeError', `split_with_sizes expects split_sizes to sum exactly to ${D.dimStr(len)} (input tensor's size at dimension ${d}), but got split_sizes=${shapeStr(sizes)}`, site, 'split');
  } else {
    if (sizeOrSections <= 0) raise('RuntimeError', 'split expects split_size be non-negative', site, 'split');
    if (typeof len !== 'number') {
      // A symbolic length: the number of pieces is unknown unless it divides evenly into one.
      return [new Tensor(t.shape.slice(), t.dtype, t.tags.slice(), t.dep)];
    }
    sizes = [];
    for (let at = 0; at < len; at += sizeOrSections) sizes.push(Math.min(sizeOrSections, len - at));
    if (!sizes.length) sizes = [0];
  }
  return sizes.map((s) => {
    const shape = t.shape.slice();
    shape[d] = s;
    return new Tensor(shape, t.dtype, t.tags.slice(), t.dep);
  });
}

export function chunk(t: Tensor, chunks: number, dim: number, site: Range): Tensor[] {
  if (chunks <= 0) raise('RuntimeError', 'chunk expects `chunks` to be greater than 0', site, 'split');
  const d = normDim(dim, t.rank, site);
  const len = t.shape[d]!;
  if (typeof len !== 'number') {
    // Symbolic length: assume it divides evenly (the common channel split), as PyTorch code expects.
    same(D.mod(len, chunks), 0, site, `chunk(${chunks})`);
    const each = D.floordiv(len, chunks);
    return Array.from({ length: chunks }, () => {
      const shape = t.shape.slice();
      shape[d] = each;
      return new Tensor(shape, t.dtype, t.tags.slice(), t.dep);
    });
  }
  const each = Math.ceil(len / chunks);
  return splitSizes(t, Math.max(each, 1), d, site);
}

/** Reduction over dims (all dims when null); reduced spatial dims make the field global. */
export function reduce(t: Tensor, dims: number[] | null, keepdim: boolean, site: Range, dtype = t.dtype): Tensor {
  const ds = dims === null || dims.length === 0 ? t.shape.map((_, i) => i) : dims.map((d) => normDim(d, t.rank, site));
  const set = new Set(ds);
  const dep = globalize(t.dep, spatialOf(t, ds));
  if (keepdim) return new Tensor(t.shape.map((d, i) => (set.has(i) ? 1 : d)), dtype, t.tags.map((g, i) => (set.has(i) ? -1 : g)), dep);
  return new Tensor(t.shape.filter((_, i) => !set.has(i)), dtype, t.tags.filter((_, i) => !set.has(i)), dep);
}

export function expand(t: Tensor, sizes: Dim[], site: Range): Tensor {
  if (sizes.length < t.rank) raise('RuntimeError', `expand(${shapeStr(t.shape)}, size=${shapeStr(sizes)}): the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${t.rank})`, site, 'expand');
  const lead = sizes.length - t.rank;
  const shape = sizes.map((s, i) => {
    const cur = i >= lead ? t.shape[i - lead]! : undefined;
    if (s === -1) {
      if (cur === undefined) raise('RuntimeError', 'expand: -1 is not allowed in a leading, non-existing dimension', site, 'expand');
      return cur;
    }
    if (cur !== undefined && cur !== 1 && !same(cur, s, site, 'expand')) {
      raise('RuntimeError', `The expanded size of the tensor (${D.dimStr(s)}) must match the existing size (${D.dimStr(cur)}) at non-singleton dimension ${i}.  Target sizes: ${shapeStr(sizes)}.  Tensor sizes: ${shapeStr(t.shape)}`, site, 'expand');
    }
    return s;
  });
  const tags = shape.map((s, i) => (i >= lead && eqDim(t.shape[i - lead]!, s) ? t.tags[i - lead]! : -1));
  return new Tensor(shape, t.dtype, tags, t.dep);
}

export function repeat(t: Tensor, reps: Dim[], site: Range): Tensor {
  if (reps.length < t.rank) raise('RuntimeError', 'Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor', site, 'repeat');
  const lead = reps.length - t.rank;
  const shape = reps.map((r, i) => D.mul(r, i >= lead ? t.shape[i - lead]! : 1));
  const tags = reps.map((r, i) => (i >= lead && r === 1 ? t.tags[i - lead]! : -1));
  return new Tensor(shape, t.dtype, tags, t.dep);
}
