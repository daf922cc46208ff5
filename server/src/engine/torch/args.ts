// Binding Python call arguments to a built-in signature, and reading ints, tuples and flags
// out of them with PyTorch's own error messages for bad values.
import type { Range } from '../syntax/ast';
import { raise } from '../interp/errors';
import { PyFloat, PyList, PyTuple, Unknown, isInt, typeName, type CallArgs, type Value } from '../interp/values';
import { Tensor } from './tensor';
import { Sym, type Dim } from './dim';

export type Bound = Map<string, Value>;

/**
 * Maps positional and keyword arguments onto `sig` (parameter names in order; a leading '*'
 * marks the rest keyword-only). Missing names are absent from the map. Raises TypeError for
 * unexpected keywords, as Python would.
 */
export function bind(a: CallArgs, sig: string[], fname: string, required = 0): Bound {
  const out: Bound = new Map();
  let i = 0;
  let kwOnly = false;
  const names: string[] = [];
  for (const s of sig) {
    if (s === '*') {
      kwOnly = true;
      continue;
    }
    names.push(s);
    if (!kwOnly && i < a.pos.length) out.set(s, a.pos[i++]!);
  }
  if (i < a.pos.length) raise('TypeError', `${fname}() takes ${i} positional arguments but ${a.pos.length} were given`, a.site, 'type-error');
  for (const [k, v] of a.kw) {
    if (!names.includes(k)) raise('TypeError', `${fname}() got an unexpected keyword argument '${k}'`, a.site, 'type-error');
    if (out.has(k)) raise('TypeError', `${fname}() got multiple values for argument '${k}'`, a.site, 'type-error');
    out.set(k, v);
  }
  for (let j = 0; j < required; j++) {
    if (!out.has(names[j]!)) raise('TypeError', `${fname}() missing required argument: '${names[j]}'`, a.site, 'type-error');
  }
  return out;
}

/** Thrown inside shape rules when an argument is unknown: the caller turns it into an Unknown result. */
export class UnknownArg extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function int(v: Value | undefined, name: string, site: Range, dflt?: number): number {
  if (v === undefined || (v === null && dflt !== undefined)) {
    if (dflt === undefined) raise('TypeError', `missing argument '${name}'`, site, 'type-error');
    return dflt;
  }
  if (isInt(v)) return Number(v);
  if (v instanceof Unknown) throw new UnknownArg(`${name} is unknown (${v.reason})`);
  if (v instanceof Tensor) throw new UnknownArg(`${name} comes from a tensor value`);
  if (v instanceof Sym) throw new UnknownArg(`${name} is a symbolic size (${v.key})`);
  return raise('TypeError', `${name} must be an int, not ${typeName(v)}${v instanceof PyFloat ? ` (${v.v})` : ''}`, site, 'type-error');
}

/** A size that may be symbolic (`x.size(0)` of a symbolic batch). */
export function dim(v: Value | undefined, name: string, site: Range): Dim {
  if (v instanceof Sym) return v;
  return int(v, name, site);
}

/** Dims that must be numbers here (parameter shapes, kernel sizes): symbolic ones make the result unknown. */
export function concrete(ds: Dim[], what: string): number[] {
  for (const d of ds) if (typeof d !== 'number') throw new UnknownArg(`${what} depends on a symbolic size`);
  return ds as number[];
}

export function float(v: Value | undefined, name: string, site: Range, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (isInt(v)) return Number(v);
  if (v instanceof PyFloat) return v.v;
  if (v instanceof Unknown) throw new UnknownArg(`${name} is unknown (${v.reason})`);
  return raise('TypeError', `${name} must be a number, not ${typeName(v)}`, site, 'type-error');
}

export function bool(v: Value | undefined, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof Unknown) throw new UnknownArg(`a flag is unknown (${v.reason})`);
  return true;
}

export function str(v: Value | undefined, dflt: string): string {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string') return v;
  if (v instanceof Unknown) throw new UnknownArg(`a string argument is unknown (${v.reason})`);
  return dflt;
}

/** An int or a tuple of n ints (kernel_size=3 or (3, 3)), expanded to n entries. */
export function tuple(v: Value | undefined, n: number, name: string, site: Range, dflt?: number): number[] {
  if (v === undefined || (v === null && dflt !== undefined)) {
    if (dflt === undefined) raise('TypeError', `missing argument '${name}'`, site, 'type-error');
    return Array(n).fill(dflt);
  }
  if (v instanceof PyTuple || v instanceof PyList) {
    const xs = v.items.map((x, i) => int(x, `${name}[${i}]`, site));
    if (xs.length === 1) return Array(n).fill(xs[0]);
    if (xs.length !== n) raise('ValueError', `${name} must be an int or a tuple of ${n} ints, got ${xs.length} values`, site, 'value-error');
    return xs;
  }
  return Array(n).fill(int(v, name, site));
}

/** An optional list of dims, e.g. `dim=(2, 3)` or `dim=1`; null when absent. */
export function dims(v: Value | undefined, name: string, site: Range): number[] | null {
  if (v === undefined || v === null) return null;
  if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x, i) => int(x, `${name}[${i}]`, site));
  return [int(v, name, site)];
}

/** Shape arguments given either as varargs (view(1, 2)) or one sequence (view((1, 2))); dims may be symbolic. */
export function shapeArgs(pos: Value[], site: Range, name = 'size'): Dim[] {
  const src = pos.length === 1 && (pos[0] instanceof PyTuple || pos[0] instanceof PyList) ? (pos[0] as PyTuple).items : pos;
  return src.map((x, i) => dim(x, `${name}[${i}]`, site));
}

/** Like shapeArgs, for arguments that must be plain integers (dims orders, repeat counts). */
export function intArgs(pos: Value[], site: Range, name = 'dims'): number[] {
  const src = pos.length === 1 && (pos[0] instanceof PyTuple || pos[0] instanceof PyList) ? (pos[0] as PyTuple).items : pos;
  return src.map((x, i) => int(x, `${name}[${i}]`, site));
}

/** Normalises a possibly negative dim against a rank, with PyTorch's IndexError. */
export function normDim(d: number, rank: number, site: Range): number {
  const r = Math.max(rank, 1);
  if (d < -r || d >= r) raise('IndexError', `Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${d})`, site, 'dim-range');
  return d < 0 ? d + r : d;
}

export function tensorArg(v: Value | undefined, name: string, site: Range): Tensor {
  if (v instanceof Tensor) return v;
  if (v instanceof Unknown) throw new UnknownArg(v.reason);
  if (v === undefined) return raise('TypeError', `missing tensor argument '${name}'`, site, 'type-error');
  return raise('TypeError', `${name} must be a Tensor, not ${typeName(v)}`, site, 'type-error');
}
