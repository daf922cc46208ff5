// Reuses a model's report across versions of a file when nothing it depends on changed: the text and
// position of its definition, of every top-level function or class it reaches by name, and of every
// other top-level statement (assignments, calls, `if __name__ == ...` blocks run for their effects).
// Files importing project modules are never reused from (their imports can change unseen).
import type { PyModule, Stmt } from './syntax/ast';
import type { ModelInfo, ModelReport } from './report';

/** Top-level names each statement defines, and the identifiers it reads anywhere inside. */
function namesIn(node: unknown, out: Set<string>): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    const o = n as Record<string, unknown>;
    if (o.k === 'name' && typeof o.id === 'string') out.add(o.id);
    for (const key in o) if (key !== 'r' && key !== 'nameR') stack.push(o[key]);
  }
}

function defines(s: Stmt): string | null {
  return s.k === 'class' || s.k === 'def' ? s.name : null;
}

const KNOWN_MODULES = /^(torch|torchvision|math|typing|collections|functools|numpy|einops|dataclasses|itertools|copy|__future__)(\.|$)/;

/**
 * A function giving each model's key in this text (what its report depends on), or null when the
 * file can't be reused from. The file's statements are split up once for all its models.
 */
export function modelKeys(mod: PyModule, text: string, options: string): (m: ModelInfo) => string | null {
  const none = (): null => null;
  const lines = text.split('\n');
  const src = (s: Stmt): string => `${s.r.sl}:${lines.slice(s.r.sl, s.r.el + 1).join('\n')}`;
  const byName = new Map<string, Stmt>();
  const effects: string[] = [];
  for (const s of mod.body) {
    if ((s.k === 'from' && (s.level > 0 || !KNOWN_MODULES.test(s.module))) || (s.k === 'import' && s.names.some((x) => !KNOWN_MODULES.test(x.module)))) return none;
    const name = defines(s);
    if (name) byName.set(name, s);
    else effects.push(src(s));
  }
  return (m) => {
    if (m.kind === 'variable') return null; // a module-level instance can carry state between traces
    const root = byName.get(m.name);
    if (!root) return null;
    const seen = new Set<Stmt>();
    const todo = [root];
    while (todo.length) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      const used = new Set<string>();
      namesIn(s, used);
      for (const u of used) {
        const d = byName.get(u);
        if (d && !seen.has(d)) todo.push(d);
      }
    }
    const deps = [...seen].sort((x, y) => x.r.sl - y.r.sl).map(src);
    return JSON.stringify([m.name, m.kind, m.line, options, deps, effects]);
  };
}

/** The reports of one file's last analysis, by model key. */
export class ModelReportCache {
  private reports = new Map<string, ModelReport>();
  private next = new Map<string, ModelReport>();
  /** How many reports the last analysis reused. */
  reused = 0;

  begin(): void {
    this.next = new Map();
    this.reused = 0;
  }
  get(key: string): ModelReport | undefined {
    const r = this.reports.get(key);
    if (r) this.reused++;
    return r;
  }
  set(key: string, r: ModelReport): void {
    this.next.set(key, r);
  }
  end(): void {
    this.reports = this.next;
  }
}
