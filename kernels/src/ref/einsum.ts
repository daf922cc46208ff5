// Reference torch.einsum over a normalised equation: a generic loop over the output index space and, per
// output element, over the summed letters, with float64 accumulation.
import { numel, stridesOf, type NDArray } from '../ndarray';
import type { EinsumAttrs } from '../../../server/src/engine/graph/ir';
import { alloc, fail, shapeStr, store } from './util';

const LETTER = /^[A-Za-z]$/;

export function einsum(inputs: readonly NDArray[], a: EinsumAttrs): NDArray[] {
  const op = 'einsum';
  const eq = a.equation;
  const arrow = eq.indexOf('->');
  if (arrow < 0 || eq.includes('...') || /\s/.test(eq)) fail(op, `equation '${eq}' is not normalised (explicit '->', no '...', no spaces)`);
  const terms = eq.slice(0, arrow).split(',');
  const outTerm = eq.slice(arrow + 2);
  if (terms.length !== inputs.length) fail(op, `equation '${eq}' has ${terms.length} operand terms but ${inputs.length} inputs were given`);
  const dtype = inputs[0]!.dtype;
  if (dtype === 'bool' || inputs.some((t) => t.dtype !== dtype)) fail(op, `operands must all be float32 or all int64, got ${inputs.map((t) => t.dtype).join(', ')}`);

  // Every letter's extent: equal wherever it appears, except that a size-1 dim broadcasts.
  const size = new Map<string, number>();
  terms.forEach((term, k) => {
    const t = inputs[k]!;
    if (term.length !== t.shape.length) fail(op, `term '${term}' has ${term.length} subscripts but operand ${k} ${shapeStr(t.shape)} has ${t.shape.length} dims`);
    for (let i = 0; i < term.length; i++) {
      const c = term[i]!;
      if (!LETTER.test(c)) fail(op, `'${c}' in equation '${eq}' is not a subscript letter`);
      const prev = size.get(c);
      const n = t.shape[i]!;
      if (prev === undefined || prev === 1) size.set(c, n);
      else if (n !== 1 && n !== prev) fail(op, `subscript '${c}' is ${prev} in one operand and ${n} in operand ${k} (equation '${eq}')`);
    }
  });
  for (const c of outTerm) {
    if (!size.has(c)) fail(op, `output subscript '${c}' does not appear in an operand term (equation '${eq}')`);
    if (outTerm.indexOf(c) !== outTerm.lastIndexOf(c)) fail(op, `output subscript '${c}' appears more than once (equation '${eq}')`);
  }

  // The loop runs over output letters then summed letters; each operand steps by its stride per letter
  // (the strides of a repeated letter add up, which walks the diagonal; a broadcast size-1 dim adds 0).
  const letters = [...outTerm, ...[...size.keys()].filter((c) => !outTerm.includes(c))];
  const extents = letters.map((c) => size.get(c)!);
  const nOut = outTerm.length;
  const steps = inputs.map((t, k) => {
    const st = stridesOf(t.shape);
    const s = new Array<number>(letters.length).fill(0);
    const term = terms[k]!;
    for (let i = 0; i < term.length; i++) if (t.shape[i] !== 1) s[letters.indexOf(term[i]!)] += st[i]!;
    return s;
  });
  const outShape = extents.slice(0, nOut);
  const y = alloc(dtype, outShape);
  const inner = numel(extents.slice(nOut));
  const idx = new Array<number>(letters.length).fill(0);
  const offs = new Array<number>(inputs.length).fill(0);
  const total = numel(outShape);
  if (inner === 0) return [y];
  for (let o = 0; o < total; o++) {
    let acc = 0;
    for (let r = 0; r < inner; r++) {
      let prod = 1;
      for (let k = 0; k < inputs.length; k++) prod *= inputs[k]!.data[offs[k]!]!;
      acc += prod;
      // Advance the odometer: the last letter fastest, so the output index follows row-major order.
      for (let d = letters.length - 1; d >= 0; d--) {
        idx[d]!++;
        for (let k = 0; k < inputs.length; k++) offs[k]! += steps[k]![d]!;
        if (idx[d]! < extents[d]!) break;
        for (let k = 0; k < inputs.length; k++) offs[k]! -= steps[k]![d]! * extents[d]!;
        idx[d] = 0;
      }
    }
    y.data[o] = store(dtype, acc);
  }
  return [y];
}
