// The WebAssembly SIMD fast path as an executor backend: conv (1-D/2-D), linear, matmul, 2-D pools,
// eval-mode BatchNorm, same-shape add and ReLU; every other node falls through to the next backend.
import type { NDArray } from '../ndarray';
import type { ConvAttrs, Graph, OpNode } from '../../../server/src/engine/graph/ir';
import type { WasmBackend } from '../wasm/backend';
import type { ConvHandle } from '../wasm/conv';
import { convSupported } from '../wasm/conv';
import type { LinearHandle } from '../wasm/linear';
import { matmulSupported } from '../wasm/linear';
import { poolSupported } from '../wasm/pool2d';
import type { Backend } from './backend';

export interface WasmExecBackend extends Backend {
  /** Releases the packed weights of layers the last complete run did not use (an edit removed or changed them). */
  endRun(complete: boolean): void;
  /** Number of layers with packed weights held. */
  readonly prepared: number;
}

interface Prepared {
  handle: ConvHandle | LinearHandle;
  /** What the packing depends on besides the weight object: the bias object and the conv attributes. */
  bias: NDArray | null;
  key: string;
  used: number;
}

/**
 * Wraps a WasmBackend. Weights are packed once per weight tensor and reused while the executor hands
 * the same NDArray (weights.ts keeps parameter objects stable while a layer is unchanged); a changed
 * layer gets a new object, and the old packing is released after the next complete run.
 *
 * Each op's output is copied out of the kernels' memory and the run arena reset after it: views into
 * a non-shared WebAssembly memory are detached when it grows, and the arena frees only all at once,
 * so keeping activations there would hold every intermediate of a run. The copy costs one memcpy per
 * op (small next to a convolution); chaining ops inside the arena needs per-buffer release there.
 * One run at a time per backend (the ops share the arena).
 */
/** A float32 vector of C copies of v (the identity statistics of the ReLU-as-affine trick). */
function filled(C: number, v: number): NDArray {
  return { shape: [C], dtype: 'float32', data: new Float32Array(C).fill(v) };
}

export function wasmExecBackend(wb: WasmBackend): WasmExecBackend {
  const layers = new Map<NDArray, Prepared>();
  let generation = 0;
  let runStarted = false;

  const f32 = (g: Graph, v: number | undefined) => v !== undefined && g.values[v]?.dtype === 'float32';

  const prepare = (weight: NDArray, bias: NDArray | null, key: string, make: () => ConvHandle | LinearHandle): ConvHandle | LinearHandle => {
    const p = layers.get(weight);
    if (p && p.bias === bias && p.key === key) {
      p.used = generation;
      return p.handle;
    }
    if (p) wb.release(p.handle);
    const handle = make();
    layers.set(weight, { handle, bias, key, used: generation });
    return handle;
  };

  const convKey = (a: ConvAttrs) => JSON.stringify([a.nd, a.stride, a.padBefore, a.padAfter, a.dilation, a.groups, a.bias]);

  const exec = async (node: OpNode, ins: readonly NDArray[]): Promise<NDArray> => {
    switch (node.op) {
      case 'conv': {
        const bias = node.attrs.bias ? ins[2]! : null;
        const h = prepare(ins[1]!, bias, convKey(node.attrs), () => wb.prepareConv(ins[1]!, bias, node.attrs)) as ConvHandle;
        return wb.conv(h, ins[0]!);
      }
      case 'linear': {
        const bias = node.attrs.bias ? ins[2]! : null;
        const h = prepare(ins[1]!, bias, 'linear', () => wb.prepareLinear(ins[1]!, bias)) as LinearHandle;
        return wb.linear(h, ins[0]!);
      }
      case 'matmul':
        return wb.matmul(ins[0]!, ins[1]!);
      case 'max_pool':
        return wb.maxPool(ins[0]!, node.attrs);
      case 'avg_pool':
        return wb.avgPool(ins[0]!, node.attrs);
      case 'batch_norm': {
        const a = node.attrs;
        let i = 3;
        const weight = a.weight ? ins[i++]! : null;
        const bias = a.bias ? ins[i++]! : null;
        return wb.batchNormEval(ins[0]!, { mean: ins[1]!, variance: ins[2]!, weight, bias, eps: a.eps });
      }
      case 'binary':
        return wb.add(ins[0]!, ins[1]!);
      case 'unary': {
        // ReLU as the fast path's per-channel affine with scale 1 and shift 0 and its fused ReLU: x·1 + 0 is x exactly.
        const C = ins[0]!.shape[1]!;
        return wb.batchNormEval(ins[0]!, { mean: filled(C, 0), variance: filled(C, 1), weight: null, bias: null, eps: 0 }, { relu: true });
      }
      default:
        throw new Error(`the wasm backend has no kernel for ${node.op}`);
    }
  };

  return {
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
    async run(node, ins) {
      if (!runStarted) {
        runStarted = true;
        generation++;
      }
      try {
        const y = await exec(node, ins);
        return [{ shape: y.shape.slice(), dtype: 'float32', data: new Float32Array(y.data as Float32Array) }];
      } finally {
        wb.resetArena();
      }
    },
    endRun(complete) {
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
}
