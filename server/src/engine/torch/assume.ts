// Equalities a symbolic trace had to assume (fc1's in_features = 16·⌊(H−4)/4⌋², a residual add's two
// sizes): recorded so the input can be solved for afterwards. Concrete sizes never reach here.
import type { Range } from '../syntax/ast';
import * as D from './dim';
import type { Dim } from './dim';

export interface Constraint {
  lhs: Dim;
  rhs: Dim;
  site: Range;
  /** What needs it, for messages: "fc1's in_features=400". */
  what: string;
}

let sink: Constraint[] | null = null;

/** Runs `f` with constraints going to `list` (the engine is synchronous: one trace at a time). */
export function collecting<T>(list: Constraint[], f: () => T): T {
  const saved = sink;
  sink = list;
  try {
    return f();
  } finally {
    sink = saved;
  }
}

/**
 * Whether a == b. Numbers compare as numbers; when the answer depends on the symbols the trace
 * assumes equality, records it, and answers true. Only a provable difference answers false.
 */
export function same(a: Dim, b: Dim, site: Range, what: string): boolean {
  const e = D.eq(a, b);
  if (e !== null) return e;
  sink?.push({ lhs: a, rhs: b, site, what });
  return true;
}

/** a >= b for validity checks (a window larger than its input): undecidable counts as true. */
export function atLeast(a: Dim, b: Dim): boolean {
  const d = D.sub(a, b);
  return typeof d !== 'number' || d >= 0;
}
