// Element-wise tensor arithmetic and comparison with PyTorch's broadcasting rule, and matmul.
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { PyFloat, Unknown, isNumber, typeName, type Value } from '../interp/values';
import { Tensor, globalize, shapeStr, unionDep, type DType } from './tensor';
import * as D from './dim';
import type { Dim } from './dim';
import { same } from './assume';
import { emitOperator } from '../graph/emitOps';
import type { Interp } from '../interp/interpreter';

/** Broadcasts shapes (right-aligned); raises PyTorch's message when a pair of dims differs. */
export function broadcastShapes(shapes: Dim[][], site: Range): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (let k = 0; k < shapes.length; k++) {
      const s = shapes[k]!;
      const x = s[s.length - rank + i];
      if (x === undefined || x === 1) continue;
      if (d !== 1 && !same(x, d, site, `broadcasting ${shapes.map((q) => shapeStr(q)).join(' and ')} (dim ${i})`)) {
        raise('RuntimeError', `The size of tensor a (${D.dimStr(d)}) must match the size of tensor b (${D.dimStr(x)}) at non-singleton dimension ${i}: shapes ${shapes.map((q) => shapeStr(q)).join(' and ')} do not broadcast`, site, 'broadcast');
      }
      d = x;
    }
    out.push(d);
  }
  return out;
}

/** Result of an element-wise op over tensors: broadcast shape, tags of the non-singleton operand, union of fields. */
export function elementwise(ts: Tensor[], site: Range, dtype?: DType): Tensor {
  if (ts.length === 1) {
    const t = ts[0]!;
    return new Tensor(t.shape.slice(), dtype ?? t.dtype, t.tags.slice(), t.dep);
  }
  const shape = broadcastShapes(ts.map((t) => t.shape), site);
  const rank = shape.length;
  const tags = shape.map((d, i) => {
    let tag = -1;
    for (const t of ts) {
      const j = t.rank - rank + i;
      if (j < 0) continue;
      const tt = t.tags[j]!;
      if (D.eq(t.shape[j]!, d) === true && tt >= 0) tag = tag === -1 || tag === tt ? tt : -2;
    }
    return tag < 0 ? -1 : tag;
  });
  const dt: DType = dtype ?? (ts.some((t) => t.dtype === 'float32') ? 'float32' : ts.some((t) => t.dtype === 'int64') ? 'int64' : 'bool');
  // The larger operand first: a broadcast gate (x * w) must not lend its grid to the result.
  const size = (t: Tensor): number => t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1e6), 1);
  const bySize = ts.slice().sort((a, b) => size(b) - size(a));
  return new Tensor(shape, dt, tags, unionDep(bySize.map((t) => t.dep)));
}

function asTensorOperand(v: Value): Tensor | null | Unknown {
  if (v instanceof Tensor) return v;
  if (isNumber(v)) return new Tensor([], v instanceof PyFloat ? 'float32' : typeof v === 'boolean' ? 'bool' : 'int64');
  if (v instanceof Unknown) return v;
  return null;
}

export function tensorBinop(ip: Interp, op: string, l: Value, r: Value, site: Range): Value {
  const a = asTensorOperand(l);
  const b = asTensorOperand(r);
  if (a instanceof Unknown || b instanceof Unknown) return new Unknown((a instanceof Unknown ? a : (b as Unknown)).reason);
  if (!a || !b) {
    const other = !a ? l : r;
    if (other instanceof Object && 'items' in other) return new Unknown(`tensor ${op} ${typeName(other)}`);
    return raise('TypeError', `unsupported operand type(s) for ${op}: '${typeName(l)}' and '${typeName(r)}'`, site, 'type-error');
  }
  const g = ip.tracer?.graph;
  if (op === '@') {
    const mm = matmul(a, b, site);
    if (g) emitOperator(g, op, l, r, mm, site);
    return mm;
  }
  const dt: DType | undefined = op === '/' ? 'float32' : undefined;
  const out = elementwise([a, b], site, dt);
  // A python float scalar makes an integer tensor float (x * 0.5).
  if ((l instanceof PyFloat || r instanceof PyFloat) && out.dtype !== 'float32') out.dtype = 'float32';
  if (g) emitOperator(g, op, l, r, out, site);
  return out;
}

export function tensorUnary(ip: Interp, op: string, v: Tensor, site: Range): Value {
  const out = new Tensor(v.shape.slice(), v.dtype, v.tags.slice(), v.dep);
  const g = ip.tracer?.graph;
  if (g) {
    if (op === '+') g.alias(out, v);
    else if (op === '-') g.node('unary', [v], { fn: 'neg' }, [out], site, 'operator -');
    else if (op === '~' && v.dtype === 'bool') g.node('unary', [v], { fn: 'logical_not' }, [out], site, 'operator ~');
    else g.miss(`operator ${op}`, site);
  }
  return out;
}

export function tensorCompare(ip: Interp, op: string, l: Value, r: Value, site: Range): Value {
  const a = asTensorOperand(l);
  const b = asTensorOperand(r);
  if (a instanceof Unknown || b instanceof Unknown || !a || !b) return new Unknown('comparison of a tensor with an unknown value');
  if (op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
    const out = elementwise([a, b], site, 'bool');
    const g = ip.tracer?.graph;
    if (g) emitOperator(g, op, l, r, out, site);
    return out;
  }
  return new Unknown(`tensor comparison ${op}`);
}

/** torch.matmul semantics for 1-D, 2-D and batched operands. */
export function matmul(a: Tensor, b: Tensor, site: Range, what = 'matmul'): Tensor {
  if (a.rank === 0 || b.rank === 0) raise('RuntimeError', `both arguments to ${what} need to be at least 1D, but they are ${a.rank}D and ${b.rank}D`, site, 'matmul');
  const inner = (x: Dim, y: Dim): void => {
    if (!same(x, y, site, `${what} of ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`)) {
      raise('RuntimeError', `mat1 and mat2 shapes cannot be multiplied (${D.dimStr(a.shape.length >= 2 ? D.prod(a.shape.slice(0, -1)) : 1)}x${D.dimStr(x)} and ${D.dimStr(y)}x${D.dimStr(b.rank >= 2 ? b.shape[b.rank - 1]! : 1)}): ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`, site, 'matmul');
    }
  };
  const dep = globalize(unionDep([a.dep, b.dep]), [...a.tags, ...b.tags].filter((t) => t >= 0));
  if (a.rank === 1 && b.rank === 1) {
    inner(a.shape[0]!, b.shape[0]!);
    return new Tensor([], a.dtype, [], dep);
  }
  if (a.rank === 1) {
    inner(a.shape[0]!, b.shape[b.rank - 2]!);
    const s = [...b.shape.slice(0, -2), b.shape[b.rank - 1]!];
    return new Tensor(s, b.dtype, s.map(() => -1), dep);
  }
  if (b.rank === 1) {
    inner(a.shape[a.rank - 1]!, b.shape[0]!);
    const s = a.shape.slice(0, -1);
    return new Tensor(s, a.dtype, a.tags.slice(0, -1), dep);
  }
  inner(a.shape[a.rank - 1]!, b.shape[b.rank - 2]!);
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], site);
  const s = [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!];
  return new Tensor(s, a.dtype, s.map(() => -1), dep);
}
