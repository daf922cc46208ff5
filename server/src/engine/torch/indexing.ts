// Basic tensor indexing: ints, slices, None, Ellipsis and integer index tensors (`x[:, :, 1:-1]`,
// `x[..., None]`, `x[0]`). Boolean masks give data-dependent shapes and are reported as unknown.
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { PyList, PySlice, PyTuple, Unknown, isInt, typeName, type Value } from '../interp/values';
import { sliceIndices } from '../interp/items';
import { ELLIPSIS, type Interp } from '../interp/interpreter';
import { Fraction } from './fraction';
import { Tensor, dataTensor, shapeStr, type RFDim } from './tensor';
import * as D from './dim';
import type { Dim } from './dim';

export function tensorIndex(ip: Interp, t: Tensor, idx: Value, site: Range): Value {
  if (t.data && t.rank === 1 && isInt(idx)) {
    const i = Number(idx);
    if (i < -t.data.length || i >= t.data.length) raise('IndexError', `index ${i} is out of bounds for dimension 0 with size ${t.data.length}`, site, 'index-error');
    return dataTensor([t.data[i < 0 ? i + t.data.length : i]!], t.dtype, true);
  }
  const items = idx instanceof PyTuple ? idx.items : [idx];
  if (items.some((x) => x instanceof Unknown && x !== ELLIPSIS)) return new Unknown('an index that is unknown');
  const ell = items.indexOf(ELLIPSIS);
  const consuming = items.filter((x) => x !== null && x !== ELLIPSIS).length;
  if (consuming > t.rank) raise('IndexError', `too many indices for tensor of dimension ${t.rank} (${consuming} indices into ${shapeStr(t.shape)})`, site, 'index-error');
  let expanded = items;
  if (ell >= 0) expanded = [...items.slice(0, ell), ...Array(t.rank - consuming).fill(new PySlice(null, null, null)), ...items.slice(ell + 1)];
  const shape: Dim[] = [];
  const tags: number[] = [];
  let dep = t.dep;
  let d = 0;
  // For the op graph: the window taken from each input dim (null once an index can't be a slice).
  let win: { start: number[]; stop: number[]; step: number[] } | null = { start: [], stop: [], step: [] };
  const take = (a: number, b: number, st: number): void => {
    if (!win) return;
    win.start.push(a);
    win.stop.push(b);
    win.step.push(st);
  };
  for (const it of expanded) {
    if (it === null) {
      shape.push(1);
      tags.push(-1);
      continue;
    }
    if (d >= t.rank) break;
    const size = t.shape[d]!;
    if (isInt(it)) {
      const i = Number(it);
      if (typeof size === 'number' && (i < -size || i >= size)) raise('IndexError', `index ${i} is out of bounds for dimension ${d} with size ${size}`, site, 'index-error');
      const at = typeof size === 'number' && i < 0 ? i + size : i;
      take(at, at + 1, 1);
      d++;
      continue;
    }
    if (it instanceof PySlice) {
      let ix: number[] | null;
      if (typeof size === 'number') {
        ix = sliceIndices(it, size, site);
        if (!ix) return new Unknown('a slice with unknown bounds');
        shape.push(ix.length);
        const st = ix.length > 1 ? ix[1]! - ix[0]! : 1;
        if (st < 1) win = null;
        else if (ix.length) take(ix[0]!, ix[ix.length - 1]! + 1, st);
        else take(0, 0, 1);
      } else {
        // A symbolic length: x[:, :, a:-b] keeps L − a − b; other slices are not written down.
        const sliced = symbolicSlice(it, size);
        if (sliced === null) return new Unknown('a slice of a symbolic size');
        shape.push(sliced.len);
        ix = [sliced.start];
      }
      const tag = t.tags[d]!;
      tags.push(tag);
      if (tag >= 0 && dep && dep[tag] && ix.length) {
        // Cropping shifts which input pixels the centre unit sees; a step widens the grid.
        const step = isInt(it.step) ? Number(it.step) : 1;
        const r: RFDim = dep[tag]!;
        const shift = r.j.toNumber() * ix[0]!;
        dep = dep.slice();
        dep[tag] = { st: r.st, a: r.a + shift, b: r.b + shift, j: step === 1 ? r.j : r.j.mul(Fraction.of(step)), n: r.n };
      }
      d++;
      continue;
    }
    win = null;
    if (it instanceof Tensor) {
      if (it.dtype === 'bool') return ip.unsupported(site, 'boolean-mask indexing (its shape depends on the data)');
      shape.push(...it.shape);
      tags.push(...it.shape.map(() => -1));
      d++;
      continue;
    }
    if (it instanceof PyList) {
      shape.push(it.items.length);
      tags.push(-1);
      d++;
      continue;
    }
    return raise('IndexError', `only integers, slices, None, Ellipsis and integer tensors are valid indices (got ${typeName(it)})`, site, 'index-error');
  }
  for (; d < t.rank; d++) {
    shape.push(t.shape[d]!);
    tags.push(t.tags[d]!);
    if (typeof t.shape[d] === 'number') take(0, t.shape[d] as number, 1);
  }
  const out = new Tensor(shape, t.dtype, tags, dep);
  const g = ip.tracer?.graph;
  if (g) {
    if (!win || win.start.length !== t.rank) g.miss('advanced indexing (an index list or tensor)', site);
    else {
      const w = win;
      const full = w.start.every((a, i) => a === 0 && w.step[i] === 1 && w.stop[i] === t.shape[i]);
      const sliced = full ? t : new Tensor(w.start.map((a, i) => Math.ceil((w.stop[i]! - a) / w.step[i]!)), t.dtype);
      if (!full) g.node('slice', [t], w, [sliced], site, 'indexing');
      if (sliced.rank === out.rank && sliced.shape.every((x, i) => x === out.shape[i])) g.alias(out, sliced);
      else g.node('reshape', [sliced], { shape: out.shape as number[] }, [out], site, 'indexing');
    }
  }
  return out;
}

/** Length and start of `[lo:hi]` (step 1) over a symbolic length, for non-negative lo and negative or absent hi. */
function symbolicSlice(s: PySlice, len: Dim): { len: Dim; start: number } | null {
  if (s.step !== null && s.step !== 1) return null;
  const lo = s.lo === null ? 0 : isInt(s.lo) ? Number(s.lo) : null;
  const hi = s.hi === null ? 0 : isInt(s.hi) ? Number(s.hi) : null;
  if (lo === null || hi === null || lo < 0 || hi > 0) return null;
  return { len: D.add(D.sub(len, lo), hi), start: lo };
}
