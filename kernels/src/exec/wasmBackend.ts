// The WebAssembly SIMD fast path as an executor backend: conv (1-D/2-D), linear, matmul, 2-D pools,
// eval-mode BatchNorm, same-shape add and ReLU; every other node falls through to the next backend.
import type { NDArray } from '../ndarray';
import type { ConvAttrs, Graph, OpNode } from '../../../server/src/engine/graph/ir';
import type { WasmBackend } from '../wasm/backend';
import type { BatchNormFold, ConvHandle } from '../wasm/conv';
import { convSupported } from '../wasm/conv';
import type { LinearHandle } from '../wasm/linear';
import { matmulSupported } from '../wasm/linear';
import { poolSupported } from '../wasm/pool2d';
import type { Backend, NodeContext } from './backend';

export interface WasmExecBackend extends Backend {
  /** Releases the packed weights of layers the last complete run did not use (an edit removed or changed them). */
  endRun(complete: boolean): void;
  /** Number of layers with packed weights held. */
  readonly prepared: number;
}

interface Prepared {
  handle: ConvHandle | LinearHandle;
  /** What the packing depends on besides the weight object: the bias object, a folded BatchNorm's tensors, the conv attributes. */
  bias: NDArray | null;
  folded: readonly NDArray[];
  key: string;
  used: number;
}

/** How many nodes read each value (graph outputs count as a reader), per graph. */
const readersOf = new WeakMap<Graph, Int32Array>();
function readers(g: Graph): Int32Array {
  let r = readersOf.get(g);
  if (!r) {
    r = new Int32Array(g.values.length);
    for (const n of g.nodes) for (const v of n.inputs) r[v]!++;
    for (const v of g.outputs) r[v]!++;
    readersOf.set(g, r);
  }
  return r;
}

/** A float32 vector of C copies of v (the identity statistics of the ReLU-as-affine trick). */
function filled(C: number, v: number): NDArray {
  return { shape: [C], dtype: 'float32', data: new Float32Array(C).fill(v) };
}

/**
 * Wraps a WasmBackend. Weights are packed once per weight tensor and reused while the executor hands
 * the same NDArray (weights.ts keeps parameter objects stable while a layer is unchanged); a changed
 * layer gets a new object, and the old packing is released after the next complete run.
 *
 * With a shared memory each op's output is a heap block in the kernels' memory (`keep`), handed to the
 * executor as a view: the next wasm op reads it in place, the executor copies it out only for another
 * backend or the caller (`owns`), and frees it after its last use (`release`). A shared memory's
 * views survive its growth. A non-shared one (a browser page without cross-origin isolation) detaches
 * every view when it grows, so there each output is copied out into a plain array instead. The arena
 * (inputs the executor handed over as plain arrays, per-op temporaries) is reset after every op.
 * One run at a time per backend (the ops share the arena).
 */
export function wasmExecBackend(wb: WasmBackend): WasmExecBackend {
  const keep = wb.shared;
  const layers = new Map<NDArray, Prepared>();
  let generation = 0;
  let runStarted = false;

  const f32 = (g: Graph, v: number | undefined) => v !== undefined && g.values[v]?.dtype === 'float32';

  const prepare = (weight: NDArray, bias: NDArray | null, key: string, make: () => ConvHandle | LinearHandle, folded: readonly NDArray[] = []): ConvHandle | LinearHandle => {
    const p = layers.get(weight);
    if (p && p.bias === bias && p.key === key && p.folded.length === folded.length && p.folded.every((t, i) => t === folded[i])) {
      p.used = generation;
      return p.handle;
    }
    if (p) wb.release(p.handle);
    const handle = make();
    layers.set(weight, { handle, bias, folded, key, used: generation });
    return handle;
  };

  /** Results computed ahead by a fused chain, by the index of the node they stand for. */
  const ahead = new Map<number, NDArray>();

  /**
   * In fused runs: the eval BatchNorm (conv only) and the ReLU that follow node i and alone read its
   * output, when this backend runs them (so the executor will ask it for them and get `ahead`).
   */
  const chainAfter = (ctx: NodeContext, canFoldBn: boolean): { bn: Extract<OpNode, { op: 'batch_norm' }> | null; bnIndex: number; reluIndex: number } => {
    const none = { bn: null, bnIndex: -1, reluIndex: -1 };
    if (!ctx.fuse) return none;
    const g = ctx.graph;
    const uses = readers(g);
    let at = ctx.index;
    let out = g.nodes[at]!.outputs[0]!;
    let bn: Extract<OpNode, { op: 'batch_norm' }> | null = null;
    let bnIndex = -1;
    const next = g.nodes[at + 1];
    if (canFoldBn && next?.op === 'batch_norm' && next.inputs[0] === out && uses[out] === 1 && next.outputs.length === 1 && api.supports(next, g)) {
      bn = next;
      bnIndex = at + 1;
      at++;
      out = next.outputs[0]!;
    }
    const relu = g.nodes[at + 1];
    const reluIndex = relu?.op === 'unary' && relu.attrs.fn === 'relu' && relu.inputs[0] === out && uses[out] === 1 && api.supports(relu, g) ? at + 1 : -1;
    return { bn, bnIndex, reluIndex };
  };
  const bnTensors = (bn: Extract<OpNode, { op: 'batch_norm' }>, ctx: NodeContext): BatchNormFold => {
    const v = (k: number) => ctx.value!(bn.inputs[k]!)!;
    let k = 3;
    const weight = bn.attrs.weight ? v(k++) : null;
    const bias = bn.attrs.bias ? v(k++) : null;
    return { mean: v(1), variance: v(2), weight, bias, eps: bn.attrs.eps };
  };

  // By attrs object (graph nodes keep theirs across runs): no JSON per conv call.
  const convKeys = new WeakMap<ConvAttrs, string>();
  const convKey = (a: ConvAttrs): string => {
    let k = convKeys.get(a);
    if (k === undefined) {
      k = JSON.stringify([a.nd, a.stride, a.padBefore, a.padAfter, a.dilation, a.groups, a.bias]);
      convKeys.set(a, k);
    }
    return k;
  };

  /** Marks the nodes a fused chain computed: the executor gets `y` for them without running anything. */
  const fused = (y: NDArray, ...indices: number[]): NDArray => {
    for (const i of indices) if (i >= 0) ahead.set(i, y);
    return y;
  };

  const exec = async (node: OpNode, ins: readonly NDArray[], ctx: NodeContext): Promise<NDArray> => {
    switch (node.op) {
      case 'conv': {
        const bias = node.attrs.bias ? ins[2]! : null;
        const chain = chainAfter(ctx, true);
        const fold = chain.bn ? bnTensors(chain.bn, ctx) : undefined;
        const foldedTensors = fold ? [fold.mean, fold.variance, ...(fold.weight ? [fold.weight] : []), ...(fold.bias ? [fold.bias] : [])] : [];
        const h = prepare(ins[1]!, bias, convKey(node.attrs) + (fold ? `+bn${fold.eps}` : ''), () => wb.prepareConv(ins[1]!, bias, node.attrs, fold), foldedTensors) as ConvHandle;
        return fused(await wb.conv(h, ins[0]!, { relu: chain.reluIndex >= 0, keep }), chain.bnIndex, chain.reluIndex);
      }
      case 'linear': {
        const bias = node.attrs.bias ? ins[2]! : null;
        const h = prepare(ins[1]!, bias, 'linear', () => wb.prepareLinear(ins[1]!, bias)) as LinearHandle;
        const chain = chainAfter(ctx, false);
        return fused(await wb.linear(h, ins[0]!, { relu: chain.reluIndex >= 0, keep }), chain.reluIndex);
      }
      case 'matmul':
        return wb.matmul(ins[0]!, ins[1]!, { keep });
      case 'max_pool':
        return wb.maxPool(ins[0]!, node.attrs, { keep });
      case 'avg_pool':
        return wb.avgPool(ins[0]!, node.attrs, { keep });
      case 'batch_norm': {
        const a = node.attrs;
        let i = 3;
        const weight = a.weight ? ins[i++]! : null;
        const bias = a.bias ? ins[i++]! : null;
        return wb.batchNormEval(ins[0]!, { mean: ins[1]!, variance: ins[2]!, weight, bias, eps: a.eps }, { keep });
      }
      case 'binary': {
        const chain = chainAfter(ctx, false);
        return fused(await wb.add(ins[0]!, ins[1]!, { relu: chain.reluIndex >= 0, keep }), chain.reluIndex);
      }
      case 'unary': {
        // ReLU as the fast path's per-channel affine with scale 1 and shift 0 and its fused ReLU: x·1 + 0 is x exactly.
        const C = ins[0]!.shape[1]!;
        return wb.batchNormEval(ins[0]!, { mean: filled(C, 0), variance: filled(C, 1), weight: null, bias: null, eps: 0 }, { relu: true, keep });
      }
      default:
        throw new Error(`the wasm backend has no kernel for ${node.op}`);
    }
  };

  const api: WasmExecBackend = {
    name: 'wasm',
    supports(node, g) {
      const x = node.inputs[0];
      if (!f32(g, x)) return false;
      switch (node.op) {
        case 'conv':
          return convSupported(node.attrs) && node.attrs.nd <= 2;
        case 'linear':
          return f32(g, node.inputs[1]);
        case 'matmul':
          return f32(g, node.inputs[1]) && matmulSupported(g.values[x!]!.shape, g.values[node.inputs[1]!]!.shape);
        case 'max_pool':
        case 'avg_pool':
          return poolSupported(node.attrs);
        case 'batch_norm':
          return !node.attrs.training && node.attrs.runningStats && g.values[x!]!.shape.length >= 2;
        case 'unary':
          return node.attrs.fn === 'relu' && g.values[x!]!.shape.length >= 2;
        case 'binary': {
          if (node.attrs.fn !== 'add' || node.attrs.alpha !== 1 || !f32(g, node.inputs[1])) return false;
          const [a, b] = [g.values[x!]!.shape, g.values[node.inputs[1]!]!.shape];
          return a.length === b.length && a.every((d, i) => d === b[i]);
        }
        default:
          return false;
      }
    },
    async run(node, ins, ctx) {
      if (!runStarted) {
        runStarted = true;
        generation++;
        ahead.clear();
      }
      const done = ahead.get(ctx.index);
      if (done) {
        ahead.delete(ctx.index);
        return [done];
      }
      try {
        const y = await exec(node, ins, ctx);
        if (keep) return [y];
        const copy: NDArray = { shape: y.shape.slice(), dtype: 'float32', data: new Float32Array(y.data as Float32Array) };
        // The chain's later nodes get the copied result (the arena is reset below).
        for (const [i, t] of ahead) if (t === y) ahead.set(i, copy);
        return [copy];
      } finally {
        wb.resetArena();
      }
    },
    owns: (value) => wb.holds(value),
    release(value) {
      wb.free(value);
    },
    endRun(complete) {
      // A failed run may leave results of a fused chain that were never asked for (the executor released them).
      ahead.clear();
      if (complete && runStarted) {
        for (const [w, p] of layers) {
          if (p.used === generation) continue;
          wb.release(p.handle);
          layers.delete(w);
        }
      }
      runStarted = false;
    },
    get prepared() {
      return layers.size;
    },
  };
  return api;
}
