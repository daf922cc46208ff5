// Reference slicing (start/stop/step per dim) and index_select along one dim.
import { stridesOf, type NDArray } from '../ndarray';
import type { IndexSelectAttrs, SliceAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, around, checkDim, fail, shapeStr, stridedOffsets } from './util';

export function slice(inputs: readonly NDArray[], a: SliceAttrs): NDArray[] {
  const op = 'slice';
  const x = arg(op, inputs, 0, 'x');
  const rank = x.shape.length;
  if (a.start.length !== rank || a.stop.length !== rank || a.step.length !== rank) fail(op, `start/stop/step need one entry per dim of ${shapeStr(x.shape)}`);
  for (let d = 0; d < rank; d++) {
    if (!(a.step[d] >= 1) || !(a.start[d] >= 0) || a.start[d] > a.stop[d] || a.stop[d] > x.shape[d]) {
      fail(op, `slice ${a.start[d]}:${a.stop[d]}:${a.step[d]} is not normalised for dim ${d} of size ${x.shape[d]}`);
    }
  }
  const outShape = x.shape.map((_, d) => Math.ceil((a.stop[d] - a.start[d]) / a.step[d]));
  const st = stridesOf(x.shape);
  const y = alloc(x.dtype, outShape);
  let base = 0;
  for (let d = 0; d < rank; d++) base += a.start[d] * st[d];
  const idx = stridedOffsets(outShape, st.map((s, d) => s * a.step[d]));
  for (let e = 0; e < idx.length; e++) y.data[e] = x.data[base + idx[e]];
  return [y];
}

export function indexSelect(inputs: readonly NDArray[], a: IndexSelectAttrs): NDArray[] {
  const op = 'index_select';
  const x = arg(op, inputs, 0, 'x');
  const idx = arg(op, inputs, 1, 'indices');
  checkDim(op, a.dim, x.shape.length);
  if (idx.dtype !== 'int64' || idx.shape.length > 1) fail(op, `indices must be a 1-D int64 tensor, got ${idx.dtype} ${shapeStr(idx.shape)}`);
  const [outer, size, inner] = around(x.shape, a.dim);
  const n = idx.data.length;
  for (const i of idx.data) if (!Number.isInteger(i) || i < 0 || i >= size) fail(op, `index ${i} is out of range for dim ${a.dim} of size ${size}`);
  const shape = x.shape.slice();
  shape[a.dim] = n;
  const y = alloc(x.dtype, shape);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = (o * size + idx.data[j]) * inner;
      const dst = (o * n + j) * inner;
      for (let r = 0; r < inner; r++) y.data[dst + r] = x.data[src + r];
    }
  }
  return [y];
}
