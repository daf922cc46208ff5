// Reference torch.where(cond, a, b) with broadcasting of all three operands.
import type { NDArray } from '../ndarray';
import type { WhereAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, arg, broadcastIndex, broadcastShapes, promote } from './util';

export function where(inputs: readonly NDArray[], _a: WhereAttrs): NDArray[] {
  const op = 'where';
  const c = arg(op, inputs, 0, 'cond');
  const A = arg(op, inputs, 1, 'a');
  const B = arg(op, inputs, 2, 'b');
  const shape = broadcastShapes(op, [c.shape, A.shape, B.shape]);
  const ic = broadcastIndex(c.shape, shape);
  const ia = broadcastIndex(A.shape, shape);
  const ib = broadcastIndex(B.shape, shape);
  const y = alloc(promote(A.dtype, B.dtype), shape);
  for (let i = 0; i < ic.length; i++) y.data[i] = c.data[ic[i]] !== 0 ? A.data[ia[i]] : B.data[ib[i]];
  return [y];
}
