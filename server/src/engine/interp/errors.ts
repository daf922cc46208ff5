// Control-flow signals of the interpreter. PyRaise is a Python exception the model code would raise
// (a shape error PyTorch would throw, or the user's own `raise`); the others are engine limits.
import type { Range } from '../syntax/ast';

export interface Related {
  r: Range;
  message: string;
  /** Set when the place is in another file than the diagnostic. */
  file?: string;
}

/** A text edit that fixes a diagnostic (a quick fix in the editor). */
export interface Fix {
  title: string;
  r: Range;
  newText: string;
}

/** A Python exception raised while interpreting user code: becomes an error diagnostic if uncaught. */
export class PyRaise extends Error {
  /** An edit that would make PyTorch accept the model, when one is clear. */
  fix?: Fix;
  /** Where the exception surfaces in the user's file (the innermost user-code call site). */
  site: Range | null;
  constructor(
    readonly excType: string,
    message: string,
    site: Range | null,
    readonly related: Related[] = [],
    /** Diagnostic code, e.g. 'conv-in-channels'. */
    readonly code = 'shape-error',
  ) {
    super(message);
    this.site = site;
  }
}

/** The step budget or recursion limit ran out (e.g. `while True:`). */
export class BudgetExceeded extends Error {
  constructor(
    message: string,
    readonly site: Range | null,
  ) {
    super(message);
  }
}

/** Python-side errors raised by builtins: a helper to keep call sites short. */
export function raise(excType: string, message: string, site: Range | null, code = 'shape-error', related: Related[] = []): never {
  throw new PyRaise(excType, message, site, related, code);
}
