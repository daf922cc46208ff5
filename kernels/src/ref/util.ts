// Helpers shared by the reference kernels: allocation, dtype promotion, broadcasting and input checks.
import { allocData, numel, stridesOf, type KDType, type NDArray } from '../ndarray';

/** A fresh zero-filled tensor (every kernel writes every element of its outputs). */
export function alloc(dtype: KDType, shape: readonly number[]): NDArray {
  return { shape: shape.slice(), dtype, data: allocData(dtype, numel(shape)) };
}

/** A kernel's complaint about its inputs or attributes, naming the op. */
export function fail(op: string, msg: string): never {
  throw new Error(`${op}: ${msg}`);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The input at position i, or a clear error when the node has too few inputs. */
export function arg(op: string, inputs: readonly NDArray[], i: number, what: string): NDArray {
  const x = inputs[i];
  if (!x) fail(op, `missing input ${i} (${what}); got ${inputs.length} input(s)`);
  return x;
}

/**
 * The inputs of batch and instance norm, in graph order: x, then running_mean and running_var
 * (`runningStats`), weight, bias; `next` indexes what follows them (batch norm's num_batches_tracked).
 */
export function normInputs(op: string, inputs: readonly NDArray[], a: { runningStats: boolean; weight: boolean; bias: boolean }) {
  let i = 0;
  const x = arg(op, inputs, i++, 'x');
  const runningMean = a.runningStats ? arg(op, inputs, i++, 'running_mean') : null;
  const runningVar = a.runningStats ? arg(op, inputs, i++, 'running_var') : null;
  const weight = a.weight ? arg(op, inputs, i++, 'weight') : null;
  const bias = a.bias ? arg(op, inputs, i++, 'bias') : null;
  return { x, runningMean, runningVar, weight, bias, next: i };
}

export function expectCount(op: string, inputs: readonly NDArray[], n: number): void {
  if (inputs.length !== n) fail(op, `expected ${n} input(s), got ${inputs.length}`);
}

export function expectFloat(op: string, x: NDArray, what: string): void {
  if (x.dtype !== 'float32') fail(op, `${what} must be float32, got ${x.dtype}`);
}

const RANK: Record<KDType, number> = { bool: 0, int64: 1, float32: 2 };

/** PyTorch's type promotion restricted to bool < int64 < float32 (categories decide; all widths are fixed here). */
export function promote(...dtypes: KDType[]): KDType {
  let best: KDType = 'bool';
  for (const d of dtypes) if (RANK[d] > RANK[best]) best = d;
  return best;
}

/** Stores a computed number as the dtype stores it: int64 truncates toward zero, bool is x ≠ 0. */
export function store(dtype: KDType, v: number): number {
  if (dtype === 'int64') return Math.trunc(v) + 0; // + 0 turns −0 into 0
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  return v;
}

/** Broadcast result shape of several shapes (numpy rules), or a clear error. */
export function broadcastShapes(op: string, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else fail(op, `shapes ${shapes.map(shapeStr).join(' and ')} do not broadcast (dim ${o}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/** For every element of `outShape` (row-major), the flat index of the element of `inShape` it reads after broadcasting. */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  const st = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const o = rank - inShape.length + i;
    st[o] = inShape[i] === 1 ? 0 : inStrides[i];
  }
  return stridedOffsets(outShape, st);
}

/** For every element of `outShape` (row-major), Σ index_d · strides[d]: where a strided view of an input reads it. */
export function stridedOffsets(outShape: readonly number[], strides: readonly number[]): Int32Array {
  const rank = outShape.length;
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const ctr = new Array<number>(rank).fill(0);
  let off = 0;
  for (let e = 0; e < n; e++) {
    idx[e] = off;
    for (let d = rank - 1; d >= 0; d--) {
      ctr[d]++;
      off += strides[d];
      if (ctr[d] < outShape[d]) break;
      off -= strides[d] * outShape[d];
      ctr[d] = 0;
    }
  }
  return idx;
}

/**
 * Splits a shape around `dim` into (outer, size, inner): element (o, i, r) is at (o·size + i)·inner + r.
 * Most per-dim kernels (softmax, cumsum, cat, reductions over one dim) walk tensors this way.
 */
export function around(shape: readonly number[], dim: number): [outer: number, size: number, inner: number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[dim], inner];
}

export function checkDim(op: string, dim: number, rank: number, what = 'dim'): void {
  if (!Number.isInteger(dim) || dim < 0 || dim >= rank) fail(op, `${what} ${dim} is out of range for a ${rank}-D tensor`);
}

/**
 * The layout of a spatial op's input [*batch, C, *spatial]: batch (product of leading dims), channels
 * and the spatial extents padded to three dims with leading 1s, so one 3-D loop nest serves 1/2/3-D.
 */
export interface Spatial {
  batch: number;
  channels: number;
  /** The leading (batch) dims as given. */
  lead: number[];
  /** [D, H, W] with 1s in front for nd < 3. */
  dims3: [number, number, number];
}

export function spatialLayout(op: string, x: NDArray, nd: number): Spatial {
  if (x.shape.length < nd + 1) fail(op, `expects at least ${nd + 1} dims ([C, *spatial]) for nd=${nd}, got ${shapeStr(x.shape)}`);
  const lead = x.shape.slice(0, x.shape.length - nd - 1);
  const channels = x.shape[x.shape.length - nd - 1];
  const sp = x.shape.slice(x.shape.length - nd);
  return { batch: numel(lead), channels, lead, dims3: to3(sp, 1) };
}

/** A per-dim tuple of 1 to 3 entries padded in front to three with `fill`. */
export function to3(v: readonly number[], fill: number): [number, number, number] {
  const p = [fill, fill, fill];
  for (let i = 0; i < v.length; i++) p[3 - v.length + i] = v[i];
  return [p[0], p[1], p[2]];
}

export function checkTuple(op: string, v: readonly unknown[], nd: number, what: string): void {
  if (!Array.isArray(v) || v.length !== nd) fail(op, `${what} must have ${nd} entries, got ${JSON.stringify(v)}`);
}
