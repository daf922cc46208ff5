// Lexical scopes of the interpreter: module globals, function locals and class bodies.
import type { Value } from './values';

export class Scope {
  /** Names declared `global` in this function scope. */
  globals: Set<string> | null = null;
  constructor(
    readonly parent: Scope | null,
    /** Class bodies are skipped when resolving names from nested functions (Python rule). */
    readonly isClass = false,
    /** A module's globals are its namespace's member map, shared so importers see later definitions. */
    readonly vars: Map<string, Value> = new Map(),
  ) {}

  lookup(name: string): Value | undefined {
    const own = this.vars.get(name);
    if (own !== undefined) return own;
    let s = this.parent;
    while (s) {
      if (!s.isClass) {
        const v = s.vars.get(name);
        if (v !== undefined) return v;
      }
      s = s.parent;
    }
    return undefined;
  }

  root(): Scope {
    let s: Scope = this;
    while (s.parent) s = s.parent;
    return s;
  }

  set(name: string, v: Value): void {
    if (this.globals?.has(name)) this.root().vars.set(name, v);
    else this.vars.set(name, v);
  }
}
