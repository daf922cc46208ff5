// Records every module call of a forward pass in execution order (parents before children), as
// PyTorch's forward hooks would see them: path, output, and the cost of the call.
import { countOf } from '../torch/dim';
import { PyTuple, type CallArgs, type PyObject, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { Tensor } from '../torch/tensor';
import type { GraphRecorder } from '../graph/recorder';

export interface CallRecord {
  module: PyObject;
  path: string;
  depth: number;
  callLine: number;
  inputs: Tensor[];
  /** Undefined while the call is open (it raised, if it stays so). */
  output: Value | undefined;
  macs: number;
}

export class Tracer {
  readonly calls: CallRecord[] = [];
  private depth = 0;
  /** Where the most recent flatten/view came from, for "Linear in_features" messages. */
  lastFlatten: string | null = null;
  /** Which module call produced a tensor (for "conv feeds straight into BatchNorm"). */
  readonly producer = new WeakMap<Tensor, CallRecord>();
  /** The value each source line (0-based) assigned or returned during the trace; the last execution wins. */
  readonly values = new Map<number, Value>();

  /** Records the op graph when the kernels will run this trace. */
  graph: GraphRecorder | null = null;

  constructor(private readonly ip: Interp) {}

  noteValue(line: number, v: Value): void {
    this.values.set(line, v);
  }

  noteFlatten(where: string): void {
    this.lastFlatten = where;
  }

  callModule(m: PyObject, a: CallArgs): Value {
    const path = m.module!.path;
    let rec: CallRecord | null = null;
    if (path !== null) {
      rec = { module: m, path, depth: this.depth, callLine: a.site.sl + 1, inputs: a.pos.filter((x): x is Tensor => x instanceof Tensor), output: undefined, macs: 0 };
      this.calls.push(rec);
    }
    this.depth++;
    if (path !== null) this.graph?.enter(path, a.site);
    let out: Value | undefined;
    try {
      out = this.ip.callForward(m, a);
    } finally {
      this.depth--;
      if (path !== null) this.graph?.leave(out);
    }
    if (rec) {
      rec.output = out;
      rec.macs = macsOf(m, rec.inputs, out);
      if (out instanceof Tensor && !rec.inputs.includes(out)) this.producer.set(out, rec);
    }
    return out;
  }
}

/**
 * torchinfo's count: a layer's own rule, else batch x its direct parameters. A layer returning a
 * tuple (an LSTM's output and state, an LSTMCell's (h, c)) is counted by its first tensor.
 */
function macsOf(m: PyObject, inputs: Tensor[], result: Value): number {
  const layer = m.module!.layer;
  const out = result instanceof PyTuple && result.items[0] instanceof Tensor ? result.items[0] : result;
  if (!layer || !(out instanceof Tensor)) return 0;
  if (layer.macs) return layer.macs(inputs, out);
  let direct = 0;
  for (const p of m.module!.params.values()) if (p) direct += p.count ?? 0;
  return direct ? direct * countOf([out.shape[0] ?? 1]) : 0;
}
