// Records the op graph while the tracer runs forward at a concrete input: every tensor a recorded op
// produces gets a value id; parameters and buffers become values named by their state_dict key; small
// literal tensors become constants. What has no node is listed as unsupported, never silently skipped.
import type { Range } from '../syntax/ast';
import { PyList, PyTuple, type PyObject, type Value } from '../interp/values';
import { Tensor } from '../torch/tensor';
import type { GraphParam } from './api';
import type { Graph, GraphCall, GraphValue, OpAttrs, OpName, OpNode } from './ir';

export class GraphRecorder {
  readonly values: GraphValue[] = [];
  readonly nodes: OpNode[] = [];
  readonly unsupported: { op: string; line: number }[] = [];
  readonly params: GraphParam[] = [];
  private readonly ids = new WeakMap<Tensor, number>();
  private readonly paramOf = new Map<Tensor, GraphParam>();
  /** Module paths of the calls in progress; nodes take the innermost. */
  private readonly pathStack: string[] = [];
  inputs: number[] = [];
  /** Set once a shape is not concrete: the graph can't be executed. */
  symbolic = false;

  /**
   * Registers every state_dict entry of the model: module by module through `_modules` as PyTorch's
   * state_dict walks them (a module registered under two names is visited under both), each module's
   * parameters then buffers. A tensor met again (a tied weight) becomes an alias of its first key.
   */
  constructor(root: PyObject) {
    const walk = (m: PyObject, prefix: string, depth: number): void => {
      const st = m.module!;
      const layer = m.cls.builtinBase?.name ?? m.cls.name;
      const add = (name: string, t: Tensor | null, buffer: boolean): void => {
        if (!t) return;
        const key = prefix + name;
        const shape = t.shape.map((d) => (typeof d === 'number' ? d : -1));
        const first = this.paramOf.get(t);
        const entry: GraphParam = {
          key, value: -1, shape, dtype: t.dtype, layer, name, buffer, ...(t.param?.init ? { init: t.param.init } : {}), ...(first ? { aliasOf: first.key } : {}),
        };
        if (!first) this.paramOf.set(t, entry);
        this.params.push(entry);
      };
      for (const [name, t] of st.params) add(name, t, false);
      for (const [name, t] of st.buffers) add(name, t, true);
      // A module cannot contain itself; the depth bound only guards against a cycle the user built.
      if (depth < 200) for (const [name, c] of st.children) if (c?.module) walk(c, `${prefix}${name}.`, depth + 1);
    };
    walk(root, '', 0);
  }

  readonly calls: GraphCall[] = [];
  private readonly openCalls: GraphCall[] = [];

  /** A module call starts (its nodes follow until `leave`). */
  enter(path: string, site: Range): void {
    const c: GraphCall = { path, depth: this.pathStack.length, line: site.sl + 1, first: this.nodes.length, last: this.nodes.length, output: -1 };
    this.pathStack.push(path);
    this.calls.push(c);
    this.openCalls.push(c);
  }
  leave(out: Value | undefined): void {
    this.pathStack.pop();
    const c = this.openCalls.pop();
    if (!c) return;
    c.last = this.nodes.length;
    const first = out instanceof Tensor ? out : (out instanceof PyTuple || out instanceof PyList) && out.items[0] instanceof Tensor ? out.items[0] : null;
    c.output = first ? (this.valueOf(first) ?? -1) : -1;
  }

  private newValue(t: Tensor, extra?: Partial<GraphValue>): number {
    const shape: number[] = [];
    for (const d of t.shape) {
      if (typeof d !== 'number') this.symbolic = true;
      shape.push(typeof d === 'number' ? d : -1);
    }
    const id = this.values.length;
    this.values.push({ id, shape, dtype: t.dtype, ...extra });
    this.ids.set(t, id);
    return id;
  }

  addInput(t: Tensor): void {
    this.inputs.push(this.newValue(t));
  }

  /** The value id of a tensor an op reads, or null when nothing recorded where it came from. */
  valueOf(t: Tensor): number | null {
    const id = this.ids.get(t);
    if (id !== undefined) return id;
    const p = this.paramOf.get(t);
    if (p) {
      p.value = this.newValue(t, { param: p.key });
      return p.value;
    }
    if (t.data && t.count === t.data.length) return this.newValue(t, { const: t.data.slice() });
    return null;
  }

  /** A number operand (x * 0.5) as a 0-d constant. */
  scalar(v: number, dtype: 'float32' | 'int64' | 'bool'): number {
    const id = this.values.length;
    this.values.push({ id, shape: [], dtype, const: [v] });
    return id;
  }

  /** After an in-place update (train-mode running statistics): later reads of `t` see `updated`. */
  rebind(t: Tensor, updated: Tensor): void {
    const id = this.ids.get(updated);
    if (id !== undefined) this.ids.set(t, id);
  }

  /** `out` is the same data as `input` (contiguous, clone, Identity, eval-mode dropout). */
  alias(out: Tensor, input: Tensor): void {
    if (out === input) return;
    const id = this.valueOf(input);
    if (id !== null) this.ids.set(out, id);
  }

  /**
   * Records one node. Inputs are tensors or value ids (constants made by `scalar`). When an input
   * has no known origin the op is listed as unsupported instead (its producer was not recorded).
   */
  node<K extends OpName>(op: K, inputs: (Tensor | number)[], attrs: OpAttrs[K], outputs: Tensor[], site: Range, label = op as string): void {
    const ins: number[] = [];
    for (const x of inputs) {
      const id = typeof x === 'number' ? x : this.valueOf(x);
      if (id === null) return this.miss(`${label} (an input comes from an operation ShapeLens cannot run)`, site);
      ins.push(id);
    }
    const outs = outputs.map((t) => this.newValue(t));
    this.nodes.push({ op, inputs: ins, outputs: outs, attrs, path: this.pathStack[this.pathStack.length - 1] ?? '', line: site.sl + 1 } as OpNode);
  }

  miss(op: string, site: Range): void {
    const line = site.sl + 1;
    if (!this.unsupported.some((u) => u.op === op && u.line === line)) this.unsupported.push({ op, line });
  }

  /** The finished graph (after `close`), or null when it can't be executed. */
  graph: Graph | null = null;

  /** Ends the recording at forward's result (a tensor, or tuples/lists of them, flattened in order). */
  close(out: Value | undefined, site: Range): void {
    const flat: Tensor[] = [];
    const walk = (v: Value | undefined): boolean => {
      if (v instanceof Tensor) return flat.push(v) > 0;
      if (v instanceof PyTuple || v instanceof PyList) return v.items.every(walk);
      return false;
    };
    if (!walk(out)) return this.miss('a forward result that is not a tensor or a tuple of tensors', site);
    const outs: number[] = [];
    for (const t of flat) {
      const id = this.valueOf(t);
      if (id === null) return this.miss('the output (it comes from an operation ShapeLens cannot run)', site);
      outs.push(id);
    }
    if (this.symbolic) return this.miss('a symbolic input size (give a concrete input shape)', site);
    // Second names of shared tensors read the first name's value.
    const byKey = new Map(this.params.map((p) => [p.key, p]));
    for (const p of this.params) if (p.aliasOf) p.value = byKey.get(p.aliasOf)!.value;
    if (this.unsupported.length) return;
    this.graph = { values: this.values, nodes: this.nodes, inputs: this.inputs, outputs: outs, calls: this.calls };
  }
}
