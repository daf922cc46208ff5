// The WebAssembly SIMD fast path as an executor backend: conv and transposed conv (1-D/2-D/3-D),
// linear, matmul, max/avg pools (1-D/2-D/3-D; adaptive ones whose sizes divide), batch norm (eval
// and train), instance/group/layer norm, the common activations, softmax, interpolate, pad,
// sum/mean/var/std over trailing dims, two-operand einsum, add/sub/mul/div where the broadcast is
// per channel or over the last dims, cat, reshape and the strided views (permute, slice, expand,
// split, pixel shuffle); every other node falls through to the next backend.
import { numel, type NDArray } from '../ndarray';
import type { AvgPoolAttrs, ConvAttrs, ConvTransposeAttrs, Graph, MaxPoolAttrs, OpNode } from '../../../server/src/engine/graph/ir';
import type { LayerHandle, WasmBackend } from '../wasm/backend';
import type { BatchNormFold, ConvHandle } from '../wasm/conv';
import type { Conv3dHandle } from '../wasm/conv3d';
import type { ConvTransposeHandle } from '../wasm/convTranspose';
import type { LinearHandle } from '../wasm/linear';
import { adaptiveAsPlain } from '../wasm/adaptivePool';
import { normInputs } from '../ref/util';
import { asDepthColumns, asDepthSlices, asPooled3d, pool3dStages } from '../wasm/pool3d';
import type { Backend, NodeContext } from './backend';
import { wasmSupports } from './wasmSupport';
import { statsFromMoments } from './stats';
import { activationOf } from '../wasm/activation';
import { einsumPlan } from '../wasm/einsum';
import { expandView, permuteView, pixelShuffleView, pixelUnshuffleView, sliceView, splitViews } from '../wasm/views';

export interface WasmExecBackend extends Backend {
  /** Releases the packed weights of layers the last complete run did not use (an edit removed or changed them). */
  endRun(complete: boolean): void;
  /** Number of layers with packed weights held. */
  readonly prepared: number;
  /** How many times weights were packed since the backend was made (tests: nothing is repacked needlessly). */
  readonly packings: number;
}

interface Prepared {
  handle: LayerHandle;
  /** What the packing depends on besides the weight object: the bias object, a folded BatchNorm's tensors, the conv attributes. */
  bias: NDArray | null;
  folded: readonly NDArray[];
  key: string;
}

/**
 * A weight tensor's packings: one plain, one with the following BatchNorm folded in (fused runs).
 * Both are kept while the layer exists, so alternating detailed and fused runs (the CLI's rerun on
 * NaN, a panel that switches) does not repack the model every time.
 */
interface Layer {
  plain: Prepared | null;
  folded: Prepared | null;
  /** The run generation that last used either. */
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

/**
 * Wraps a WasmBackend. Weights are packed once per weight tensor and reused while the executor hands
 * the same NDArray (weights.ts keeps parameter objects stable while a layer is unchanged), plain and,
 * for fused runs, with the next BatchNorm folded in (both kept); a changed layer gets a new object,
 * and the old packings are released after the next complete run.
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
  const layers = new Map<NDArray, Layer>();
  let packings = 0;
  let generation = 0;
  let runStarted = false;


  const prepare = (weight: NDArray, bias: NDArray | null, key: string, make: () => LayerHandle, folded: readonly NDArray[] = []): LayerHandle => {
    let layer = layers.get(weight);
    if (!layer) {
      layer = { plain: null, folded: null, used: generation };
      layers.set(weight, layer);
    }
    layer.used = generation;
    const slot = folded.length > 0 ? 'folded' : 'plain';
    const p = layer[slot];
    if (p && p.bias === bias && p.key === key && p.folded.length === folded.length && p.folded.every((t, i) => t === folded[i])) return p.handle;
    if (p) wb.release(p.handle);
    const handle = make();
    packings++;
    layer[slot] = { handle, bias, folded, key };
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
    if (canFoldBn && next?.op === 'batch_norm' && !next.attrs.training && next.inputs[0] === out && uses[out] === 1 && next.outputs.length === 1 && wasmSupports(next, g)) {
      bn = next;
      bnIndex = at + 1;
      at++;
      out = next.outputs[0]!;
    }
    const relu = g.nodes[at + 1];
    const reluIndex = relu?.op === 'unary' && relu.attrs.fn === 'relu' && relu.inputs[0] === out && uses[out] === 1 && wasmSupports(relu, g) ? at + 1 : -1;
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
  const convKeys = new WeakMap<ConvAttrs | ConvTransposeAttrs, string>();
  const convKey = (a: ConvAttrs | ConvTransposeAttrs): string => {
    let k = convKeys.get(a);
    if (k === undefined) {
      k = 'padBefore' in a
        ? JSON.stringify([a.nd, a.stride, a.padBefore, a.padAfter, a.dilation, a.groups, a.bias])
        : JSON.stringify(['transposed', a.nd, a.stride, a.padding, a.outputPadding, a.dilation, a.groups, a.bias]);
      convKeys.set(a, k);
    }
    return k;
  };

  /** Marks the nodes a fused chain computed: the executor gets `y` for them without running anything. */
  const fused = (y: NDArray, ...indices: number[]): NDArray => {
    for (const i of indices) if (i >= 0) ahead.set(i, y);
    return y;
  };

  /** A 3-D pool as a pool over (H, W) per depth slice, then over D (pool3d.ts says why that is exact). */
  const pool3d = async (kind: 'max' | 'avg', x: NDArray, a: MaxPoolAttrs | AvgPoolAttrs): Promise<NDArray> => {
    const st = kind === 'max' ? pool3dStages('max', a as MaxPoolAttrs) : pool3dStages('avg', a as AvgPoolAttrs);
    const pool = (t: NDArray, at: MaxPoolAttrs | AvgPoolAttrs, k: boolean) => (kind === 'max' ? wb.maxPool(t, at as MaxPoolAttrs, { keep: k }) : wb.avgPool(t, at as AvgPoolAttrs, { keep: k }));
    let y = await pool(asDepthSlices(x), st.hw, false);
    // Without shared memory the second pool's allocation may grow (and detach) the memory the first wrote into.
    if (!keep) y = { shape: y.shape.slice(), dtype: 'float32', data: new Float32Array(y.data as Float32Array) };
    const z = await pool(asDepthColumns(y), st.d, keep);
    return asPooled3d(z, x, y.shape[2]!, y.shape[3]!);
  };

  /** Runs one node: its first output (in the kernels' memory), or all outputs where there are more (norms' running statistics). */
  const exec = async (node: OpNode, ins: readonly NDArray[], ctx: NodeContext): Promise<NDArray | NDArray[]> => {
    switch (node.op) {
      case 'conv':
      case 'conv_transpose': {
        // Every conv kind folds a following eval BatchNorm into its packed weights and fuses a ReLU.
        const a = node.attrs;
        const bias = a.bias ? ins[2]! : null;
        const chain = chainAfter(ctx, true);
        const fold = chain.bn ? bnTensors(chain.bn, ctx) : undefined;
        const foldedTensors = fold ? [fold.mean, fold.variance, ...(fold.weight ? [fold.weight] : []), ...(fold.bias ? [fold.bias] : [])] : [];
        const key = convKey(a) + (fold ? `+bn${fold.eps}` : '');
        const o = { relu: chain.reluIndex >= 0, keep };
        const w = ins[1]!;
        let y: NDArray;
        if (node.op === 'conv_transpose') {
          const h = prepare(w, bias, key, () => wb.prepareConvTranspose(w, bias, node.attrs, fold), foldedTensors) as ConvTransposeHandle;
          y = await wb.convTranspose(h, ins[0]!, o);
        } else if (node.attrs.nd === 3) {
          const h = prepare(w, bias, key, () => wb.prepareConv3d(w, bias, node.attrs, fold), foldedTensors) as Conv3dHandle;
          y = await wb.conv3d(h, ins[0]!, o);
        } else {
          const h = prepare(w, bias, key, () => wb.prepareConv(w, bias, node.attrs, fold), foldedTensors) as ConvHandle;
          y = await wb.conv(h, ins[0]!, o);
        }
        return fused(y, chain.bnIndex, chain.reluIndex);
      }
      case 'linear': {
        const bias = node.attrs.bias ? ins[2]! : null;
        const h = prepare(ins[1]!, bias, 'linear', () => wb.prepareLinear(ins[1]!, bias)) as LinearHandle;
        const chain = chainAfter(ctx, false);
        return fused(await wb.linear(h, ins[0]!, { relu: chain.reluIndex >= 0, keep }), chain.reluIndex);
      }
      case 'matmul':
        return wb.matmul(ins[0]!, ins[1]!, { keep });
      case 'adaptive_avg_pool': {
        const a = adaptiveAsPlain('avg', node.attrs, ins[0]!.shape)!;
        return a.nd === 3 ? pool3d('avg', ins[0]!, a) : wb.avgPool(ins[0]!, a, { keep });
      }
      case 'adaptive_max_pool': {
        const a = adaptiveAsPlain('max', node.attrs, ins[0]!.shape)!;
        return a.nd === 3 ? pool3d('max', ins[0]!, a) : wb.maxPool(ins[0]!, a, { keep });
      }
      case 'reshape':
        return wb.reshape(ins[0]!, node.attrs.shape, { keep });
      case 'max_pool':
        return node.attrs.nd === 3 ? pool3d('max', ins[0]!, node.attrs) : wb.maxPool(ins[0]!, node.attrs, { keep });
      case 'avg_pool':
        return node.attrs.nd === 3 ? pool3d('avg', ins[0]!, node.attrs) : wb.avgPool(ins[0]!, node.attrs, { keep });
      case 'batch_norm': {
        const a = node.attrs;
        const { runningMean, runningVar, weight, bias, next } = normInputs('batch_norm', ins, a);
        const chain = chainAfter(ctx, false);
        const relu = chain.reluIndex >= 0;
        if (!a.training) {
          return fused(await wb.batchNormEval(ins[0]!, { mean: runningMean!, variance: runningVar!, weight, bias, eps: a.eps }, { relu, keep }), chain.reluIndex);
        }
        const numBatchesTracked = a.numBatchesTracked ? ins[next]! : null;
        const ys = await wb.batchNormTrain(ins[0]!, { runningMean, runningVar, weight, bias, eps: a.eps, momentum: a.momentum, numBatchesTracked }, { relu, keep });
        fused(ys[0]!, chain.reluIndex);
        return ys;
      }
      case 'instance_norm': {
        const a = node.attrs;
        const { runningMean, runningVar, weight, bias } = normInputs('instance_norm', ins, a);
        const chain = chainAfter(ctx, false);
        const p = { useInputStats: a.useInputStats, runningMean, runningVar, momentum: a.momentum, weight, bias, eps: a.eps };
        const ys = await wb.instanceNorm(ins[0]!, p, { relu: chain.reluIndex >= 0, keep });
        fused(ys[0]!, chain.reluIndex);
        return ys;
      }
      case 'group_norm': {
        const a = node.attrs;
        const chain = chainAfter(ctx, false);
        const p = { weight: a.weight ? ins[1]! : null, bias: a.bias ? ins[a.weight ? 2 : 1]! : null, eps: a.eps };
        return fused(await wb.groupNorm(ins[0]!, a.groups, p, { relu: chain.reluIndex >= 0, keep }), chain.reluIndex);
      }
      case 'layer_norm': {
        const a = node.attrs;
        const chain = chainAfter(ctx, false);
        const p = { weight: a.weight ? ins[1]! : null, bias: a.bias ? ins[a.weight ? 2 : 1]! : null, eps: a.eps };
        return fused(await wb.layerNorm(ins[0]!, numel(a.normalizedShape), p, { relu: chain.reluIndex >= 0, keep }), chain.reluIndex);
      }
      case 'binary': {
        const chain = chainAfter(ctx, false);
        return fused(await wb.arithmetic(ins[0]!, ins[1]!, node.attrs, { relu: chain.reluIndex >= 0, keep }), chain.reluIndex);
      }
      case 'unary':
        return wb.activation(ins[0]!, activationOf(node.attrs)!, { keep });
      case 'cat':
        return wb.cat(ins, node.attrs.dim, { keep });
      case 'softmax':
        return wb.softmax(ins[0]!, node.attrs.dim, node.attrs.log, { keep });
      case 'reduce':
        return wb.reduce(ins[0]!, node.attrs, { keep });
      case 'einsum':
        return wb.einsum(ins[0]!, ins[1]!, einsumPlan(node.attrs.equation, ins[0]!.shape, ins[1]!.shape)!, { keep });
      case 'interpolate':
        return wb.interpolate(ins[0]!, node.attrs, { keep });
      case 'pad':
        return wb.pad(ins[0]!, node.attrs, { keep });
      case 'permute':
        return wb.view(ins[0]!, permuteView(ins[0]!.shape, node.attrs)!, ctx.graph.values[node.outputs[0]!]!.shape, { keep });
      case 'slice':
        return wb.view(ins[0]!, sliceView(ins[0]!.shape, node.attrs)!, ctx.graph.values[node.outputs[0]!]!.shape, { keep });
      case 'expand':
        return wb.view(ins[0]!, expandView(ins[0]!.shape, node.attrs)!, node.attrs.shape, { keep });
      case 'pixel_shuffle':
        return wb.view(ins[0]!, pixelShuffleView(ins[0]!.shape, node.attrs)!, ctx.graph.values[node.outputs[0]!]!.shape, { keep });
      case 'pixel_unshuffle':
        return wb.view(ins[0]!, pixelUnshuffleView(ins[0]!.shape, node.attrs)!, ctx.graph.values[node.outputs[0]!]!.shape, { keep });
      case 'split': {
        const views = splitViews(ins[0]!.shape, node.attrs)!;
        const outs: NDArray[] = [];
        for (const v of views) outs.push(await wb.view(ins[0]!, v, v.shape, { keep }));
        return outs;
      }
      default:
        throw new Error(`the wasm backend has no kernel for ${node.op}`);
    }
  };

  const api: WasmExecBackend = {
    name: 'wasm',
    supports: wasmSupports,
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
        const r = await exec(node, ins, ctx);
        const ys = Array.isArray(r) ? r : [r];
        if (keep) return ys;
        // Outputs in the arena are copied out before it is reset below (extra outputs such as running
        // statistics are plain arrays already); a fused chain's later nodes get the copy.
        return ys.map((y) => {
          if (!wb.inMemory(y)) return y;
          const copy: NDArray = { shape: y.shape.slice(), dtype: 'float32', data: new Float32Array(y.data as Float32Array) };
          for (const [i, t] of ahead) if (t === y) ahead.set(i, copy);
          return copy;
        });
      } finally {
        wb.resetArena();
      }
    },
    owns: (value) => wb.holds(value),
    async stats(value) {
      return statsFromMoments(await wb.moments(value));
    },
    release(value) {
      wb.free(value);
    },
    endRun(complete) {
      // A failed run may leave results of a fused chain that were never asked for (the executor released them).
      ahead.clear();
      if (complete && runStarted) {
        for (const [w, layer] of layers) {
          if (layer.used === generation) continue;
          for (const p of [layer.plain, layer.folded]) if (p) wb.release(p.handle);
          layers.delete(w);
        }
      }
      runStarted = false;
    },
    get prepared() {
      return layers.size;
    },
    get packings() {
      return packings;
    },
  };
  return api;
}
