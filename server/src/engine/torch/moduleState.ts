// What an nn.Module instance holds besides ordinary attributes: registered children, parameters and
// buffers (in registration order, as PyTorch keeps them), where it was built, and for built-in
// layers their parsed arguments and shape rule.
import type { Range } from '../syntax/ast';
import type { CallArgs, PyObject, Value } from '../interp/values';
import type { Tensor } from './tensor';
import type { Interp } from '../interp/interpreter';

/** A built-in layer's behaviour once constructed (nn.Conv2d(3, 6, 5) -> its forward shape rule). */
export interface LayerImpl {
  /** Shape rule of forward(); throws PyRaise for inputs PyTorch would reject. */
  forward(ip: Interp, self: PyObject, a: CallArgs): Value;
  /** Multiply-accumulates of one call, counted as torchinfo does. */
  macs?(input: Tensor[], output: Tensor): number;
  /** One-line description of the arguments for hovers and tables, e.g. "3→6, k=5". */
  describe?(): string;
  /** Sliding-window geometry, for the architecture lints. */
  window?: WindowInfo;
}

/** What the lints need to know about a conv/pool: per spatial dim kernel, stride, padding, dilation. */
export interface WindowInfo {
  kind: 'conv' | 'pool' | 'convTranspose';
  k: number[];
  stride: number[];
  padL: number[];
  padR: number[];
  dilation: number[];
  bias?: boolean;
  ceil?: boolean;
}

export class ModuleState {
  readonly children = new Map<string, PyObject | null>();
  readonly params = new Map<string, Tensor | null>();
  readonly buffers = new Map<string, Tensor | null>();
  layer: LayerImpl | null = null;
  /** named_modules() path once the root model is built; null for modules not reachable from it. */
  path: string | null = null;
  training = true;
  /** The arguments the module was constructed with (a file's own `Net(num_classes=10)`). */
  ctorArgs: CallArgs | null = null;
  /** Whether the constructor call is in the analysed file (its argument syntax can be edited there). */
  builtInFile = false;
  constructor(readonly ctor: Range | null) {}
}

/** Every module reachable from root in named_modules() order (shared modules once, first path). */
export function namedModules(root: PyObject): [string, PyObject][] {
  const out: [string, PyObject][] = [];
  const seen = new Set<PyObject>();
  const walk = (m: PyObject, prefix: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.push([prefix, m]);
    for (const [name, c] of m.module!.children) if (c) walk(c, prefix ? `${prefix}.${name}` : name);
  };
  walk(root, '');
  return out;
}

/** parameters(): unique parameter tensors in registration order. */
export function parametersOf(root: PyObject): Tensor[] {
  const out: Tensor[] = [];
  const seen = new Set<Tensor>();
  for (const [, m] of namedModules(root)) {
    for (const p of m.module!.params.values()) if (p && !seen.has(p)) (seen.add(p), out.push(p));
  }
  return out;
}

/**
 * Parameter counts of every module under root, in one bottom-up pass when no parameter tensor is
 * shared (the common case: counts add up); with shared tensors, each module is counted on its own.
 */
export function paramCounter(root: PyObject): (m: PyObject) => number {
  // Sharing: a parameter in two modules, or a module under two parents (self.conv1 and self.net[0]).
  const all = new Set<Tensor>();
  const seen = new Set<PyObject>();
  let shared = false;
  const stack = [root];
  while (stack.length && !shared) {
    const m = stack.pop()!;
    if (seen.has(m)) {
      shared = true;
      break;
    }
    seen.add(m);
    for (const p of m.module!.params.values()) {
      if (!p) continue;
      if (all.has(p)) shared = true;
      all.add(p);
    }
    for (const c of m.module!.children.values()) if (c) stack.push(c);
  }
  const memo = new Map<PyObject, number>();
  if (shared) return (m) => memo.get(m) ?? (memo.set(m, countParams(m).total), memo.get(m)!);
  const visit = (m: PyObject, onPath: Set<PyObject>): number => {
    const known = memo.get(m);
    if (known !== undefined) return known;
    onPath.add(m);
    let n = 0;
    for (const p of m.module!.params.values()) if (p) n += p.count ?? 0;
    const kids = new Set<PyObject>();
    for (const c of m.module!.children.values()) if (c && !onPath.has(c)) kids.add(c);
    for (const c of kids) n += visit(c, onPath);
    onPath.delete(m);
    memo.set(m, n);
    return n;
  };
  return (m) => visit(m, new Set());
}

export function countParams(root: PyObject): { total: number; trainable: number } {
  let total = 0;
  let trainable = 0;
  // A plain walk (no paths): this runs once per traced call.
  const seenM = new Set<PyObject>();
  const seenP = new Set<Tensor>();
  const stack = [root];
  while (stack.length) {
    const m = stack.pop()!;
    if (seenM.has(m)) continue;
    seenM.add(m);
    for (const p of m.module!.params.values()) {
      if (!p || seenP.has(p)) continue;
      seenP.add(p);
      const n = p.count ?? 0;
      total += n;
      if (p.param?.requiresGrad !== false) trainable += n;
    }
    for (const c of m.module!.children.values()) if (c) stack.push(c);
  }
  return { total, trainable };
}
