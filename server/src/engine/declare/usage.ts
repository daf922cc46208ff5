// Finds how a file itself runs its models, to use as the declared input: `net(torch.randn(2, 3, 32, 32))`
// at module level, in `if __name__ == "__main__":` or in a test()/main() function, and
// torchinfo.summary / torchsummary.summary calls. Records input shapes and constructor arguments.
import type { Expr, PyModule, Range } from '../syntax/ast';
import type { Interp } from '../interp/interpreter';
import { PyRaise, BudgetExceeded } from '../interp/errors';
import { Builtin, Namespace, PyClass, PyFunction, PyList, PyObject, PyTuple, Unknown, isInt, type CallArgs, type Value } from '../interp/values';
import { Tensor } from '../torch/tensor';
import type { InputSpec } from '../report';

export interface Usage {
  /** The module object the file called (or passed to summary()). */
  model: Value;
  inputs: InputSpec[];
  /** Where the file calls the model, and how, for messages. */
  site: Range;
  how: string;
}

function specOf(v: Value): InputSpec | null {
  if (!(v instanceof Tensor) || !v.shape.every((d) => typeof d === 'number')) return null;
  return { shape: v.shape.slice() as number[], dtype: v.dtype === 'int64' ? 'int64' : 'float32' };
}

function shapeFrom(v: Value | undefined): number[] | null {
  if (v instanceof PyTuple || v instanceof PyList) return v.items.length && v.items.every((x) => isInt(x)) ? v.items.map(Number) : null;
  return null;
}

/** Records the tensor arguments of a module call made by the file's own code. */
export function recordCall(ip: Interp, m: PyObject, a: CallArgs): void {
  if (ip.usages.some((u) => u.model === m)) return;
  const specs = a.pos.map(specOf);
  if (specs.length && specs.every((x) => x)) ip.usages.push({ model: m, inputs: specs as InputSpec[], site: a.site, how: `the call at line ${a.site.sl + 1}` });
}

/** The torchinfo / torchsummary modules: their summary() declares a model's input size. */
export function summaryNamespaces(ip: Interp): Namespace[] {
  const record = (model: Value, inputs: InputSpec[], how: string, site: Range): void => {
    if (model instanceof PyObject && inputs.length) ip.usages.push({ model, inputs, site, how: `${how} at line ${site.sl + 1}` });
  };
  const torchinfo = new Builtin('torchinfo.summary', (a) => {
    const model = a.pos[0] ?? a.kw.get('model') ?? null;
    const size = a.pos[1] ?? a.kw.get('input_size');
    const data = a.pos[2] ?? a.kw.get('input_data');
    const dtypes = a.kw.get('dtypes');
    const isLong = dtypes instanceof PyList && dtypes.items.some((d) => typeof d === 'string' && /long|int64/.test(d));
    let shapes: number[][] = [];
    const one = shapeFrom(size);
    if (one) shapes = [one];
    else if (size instanceof PyList || size instanceof PyTuple) shapes = size.items.map((x) => shapeFrom(x)).filter((x): x is number[] => x !== null);
    else if (data instanceof Tensor && data.count !== null) shapes = [data.shape.slice() as number[]];
    record(model, shapes.map((s) => ({ shape: s, dtype: isLong ? 'int64' : 'float32' })), 'torchinfo.summary', a.site);
    return new Unknown('a torchinfo summary');
  });
  const torchsummary = new Builtin('torchsummary.summary', (a) => {
    const model = a.pos[0] ?? a.kw.get('model') ?? null;
    const size = a.pos[1] ?? a.kw.get('input_size');
    const one = shapeFrom(size);
    const many = !one && (size instanceof PyList || size instanceof PyTuple) ? size.items.map((x) => shapeFrom(x)) : [];
    // torchsummary's input_size leaves out the batch dim.
    const shapes = one ? [one] : many.length && many.every((x) => x) ? (many as number[][]) : [];
    record(model, shapes.map((s) => ({ shape: [1, ...s], dtype: 'float32' })), 'torchsummary.summary (batch 1 assumed)', a.site);
    return null;
  });
  return [
    new Namespace('torchinfo', new Map<string, Value>([['summary', torchinfo]])),
    new Namespace('torchsummary', new Map<string, Value>([['summary', torchsummary]])),
  ];
}

/** Top-level `if __name__ == "__main__":` bodies, and test, main or demo functions callable without arguments. */
function probeRegions(mod: PyModule, ip: Interp): (() => void)[] {
  const out: (() => void)[] = [];
  const isName = (e: Expr): boolean => e.k === 'name' && e.id === '__name__';
  for (const s of mod.body) {
    if (s.k === 'if' && s.cond.k === 'cmp' && s.cond.ops[0] === '==' && (isName(s.cond.first) || isName(s.cond.rest[0]!))) {
      const body = s.body;
      out.push(() => void ip.execBlock(body, ip.globals, { ret: null }));
    }
    if (s.k === 'def' && /^(test|main|demo|_test|run|check|sanity|example)/i.test(s.name) && s.params.every((p) => p.kind !== 'normal' || p.dflt !== null)) {
      const f = ip.globals.vars.get(s.name);
      if (f instanceof PyFunction) out.push(() => void ip.callFunction(f, { pos: [], kw: new Map(), site: s.nameR }));
    }
  }
  return out;
}

/**
 * How the file calls a model: of class `cls`, or the module object `obj`. Module-level calls were
 * recorded while the file ran; the main block and test functions run here, once per file, with a
 * small step budget. Nothing they print or raise is reported.
 */
export function findUsage(ip: Interp, mod: PyModule, target: { cls: PyClass | null; obj: PyObject | null }): Usage | null {
  const matches = (u: Usage): boolean => u.model instanceof PyObject && (u.model === target.obj || (!!target.cls && u.model.cls === target.cls));
  const known = ip.usages.find(matches);
  if (known) return known;
  if (!ip.probedRegions) {
    ip.probedRegions = true;
    const diagCount = ip.diags.length;
    const savedSteps = ip.steps;
    try {
      for (const run of probeRegions(mod, ip)) {
        ip.steps = Math.max(0, ip.maxSteps - 300_000);
        try {
          run();
        } catch (e) {
          if (!(e instanceof PyRaise || e instanceof BudgetExceeded || e instanceof RangeError)) throw e;
        }
      }
    } finally {
      ip.steps = savedSteps;
      ip.diags.length = diagCount;
    }
  }
  return ip.usages.find(matches) ?? null;
}
