// The tfjs engine of the kernel benchmark: @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD) in Node,
// the workload assembled from tf ops in NHWC with the shared weights transposed to HWIO.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { Engine, EngineRun } from './engine';
import type { Layer, Param, Workload } from './workloads';

/** OIHW → HWIO (conv2d) or, for a depthwise conv, [C, 1, kh, kw] → [kh, kw, C, 1]. */
function convFilter(p: Param, depthwise: boolean): tf.Tensor4D {
  const [o, i, kh, kw] = p.shape as [number, number, number, number];
  const out = new Float32Array(p.data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = p.data[((a * i + b) * kh + y) * kw + x]!;
  return depthwise ? tf.tensor4d(out, [kh, kw, o, 1]) : tf.tensor4d(out, [kh, kw, i, o]);
}

/**
 * [out, in] → [in, out] for matMul. When the linear layer reads a flattened NCHW tensor of shape
 * [c, h, w], tfjs flattens NHWC instead, so the input rows are permuted from (c, h, w) order to
 * (h, w, c) order: the same function, the layout a converter would produce.
 */
function linearWeight(p: Param, flattenedFrom: number[] | undefined): tf.Tensor2D {
  const [fout, fin] = p.shape as [number, number];
  const [c, h, w] = flattenedFrom ? (flattenedFrom.slice(1) as [number, number, number]) : [fin, 1, 1];
  const out = new Float32Array(p.data.length);
  for (let o = 0; o < fout; o++)
    for (let ci = 0; ci < c; ci++)
      for (let hw = 0; hw < h * w; hw++) out[(hw * c + ci) * fout + o] = p.data[o * fin + ci * h * w + hw]!;
  return tf.tensor2d(out, [fin, fout]);
}

function nchwToNhwc(data: Float32Array, shape: number[]): Float32Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(b * h * w + p) * c + ch] = data[(b * c + ch) * h * w + p]!;
  return out;
}

function nhwcToNchw(data: Float32Array, shape: number[]): Float32Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(b * c + ch) * h * w + p] = data[(b * h * w + p) * c + ch]!;
  return out;
}

/** How many layers read each value, so a conv or linear is fused with a ReLU only when nothing else reads its output. */
function readers(layers: Layer[]): Map<string, number> {
  const m = new Map<string, number>();
  const read = (v: string) => m.set(v, (m.get(v) ?? 0) + 1);
  for (const l of layers) {
    if (l.op === 'add') {
      read(l.a);
      read(l.b);
    } else read(l.x);
  }
  return m;
}

type Step = (env: Map<string, tf.Tensor>) => void;

/** Compiles the workload into tf op calls; weights become tensors once, here. */
function compile(w: Workload, weights: tf.Tensor[]): Step[] {
  const uses = readers(w.layers);
  const steps: Step[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    weights.push(t);
    return t;
  };
  for (let i = 0; i < w.layers.length; i++) {
    const l = w.layers[i]!;
    const next = w.layers[i + 1];
    const fuseRelu = next?.op === 'relu' && (l.op === 'conv' || l.op === 'linear') && next.x === l.y && uses.get(l.y) === 1;
    const y = fuseRelu ? next.y : undefined;
    if (fuseRelu) i++;
    const activation = fuseRelu ? 'relu' : 'linear';
    switch (l.op) {
      case 'conv': {
        const depthwise = l.groups === l.cin && l.groups > 1;
        if (l.groups !== 1 && !depthwise) throw new Error(`tfjs engine: grouped conv with ${l.groups} groups is not a workload here`);
        const filter = keep(convFilter(w.params.get(l.w)!, depthwise));
        const bias = keep(tf.tensor1d(w.params.get(l.b)!.data));
        const out = y ?? l.y;
        const stride: [number, number] = [l.stride, l.stride];
        steps.push((env) => {
          const x = env.get(l.x) as tf.Tensor4D;
          env.set(
            out,
            depthwise
              ? tf.fused.depthwiseConv2d({ x, filter, strides: stride, pad: l.pad, bias, activation })
              : tf.fused.conv2d({ x, filter, strides: stride, pad: l.pad, bias, activation }),
          );
        });
        break;
      }
      case 'linear': {
        const flat = w.layers.find((f): f is Extract<Layer, { op: 'flatten' }> => f.op === 'flatten' && f.y === l.x);
        const b = keep(linearWeight(w.params.get(l.w)!, flat ? w.shapes.get(flat.x) : undefined));
        const bias = keep(tf.tensor1d(w.params.get(l.b)!.data));
        const out = y ?? l.y;
        steps.push((env) => env.set(out, tf.fused.matMul({ a: env.get(l.x) as tf.Tensor2D, b, bias, activation })));
        break;
      }
      case 'relu':
        steps.push((env) => env.set(l.y, tf.relu(env.get(l.x)!)));
        break;
      case 'maxpool':
        steps.push((env) => env.set(l.y, tf.maxPool(env.get(l.x) as tf.Tensor4D, l.k, l.stride, l.pad)));
        break;
      case 'add':
        steps.push((env) => env.set(l.y, tf.add(env.get(l.a)!, env.get(l.b)!)));
        break;
      case 'gap':
        steps.push((env) => env.set(l.y, tf.mean(env.get(l.x)!, [1, 2], true)));
        break;
      case 'flatten': {
        const [n, f] = w.shapes.get(l.y) as [number, number];
        steps.push((env) => env.set(l.y, tf.reshape(env.get(l.x)!, [n, f])));
        break;
      }
    }
  }
  return steps;
}

let ready: Promise<void> | undefined;

/** Selects the wasm backend once per process; tfjs reads SIMD support itself and never uses threads in Node. */
async function initTfjs(): Promise<void> {
  ready ??= (async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
    await tf.ready();
    if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('tfjs-backend-wasm: SIMD is not available, the figures would not be comparable');
  })();
  return ready;
}

export const tfjsWasmEngine: Engine = {
  name: 'tfjs-wasm',
  threads: 1,
  unsupported: () => null,
  async setup(w: Workload, input: Float32Array): Promise<EngineRun> {
    await initTfjs();
    const weights: tf.Tensor[] = [];
    const steps = compile(w, weights);
    const inShape = w.shapes.get(w.input) as [number, number, number, number];
    const x = tf.tensor4d(nchwToNhwc(input, inShape), [inShape[0], inShape[2], inShape[3], inShape[1]]);
    const forward = (): tf.Tensor =>
      tf.tidy(() => {
        const env = new Map<string, tf.Tensor>([[w.input, x]]);
        for (const s of steps) s(env);
        return env.get(w.output)!;
      });
    const outShape = w.shapes.get(w.output)!;
    return {
      async run() {
        const y = forward();
        await y.data();
        y.dispose();
      },
      async output() {
        const y = forward();
        const data = (await y.data()) as Float32Array;
        y.dispose();
        return outShape.length === 4 ? nhwcToNchw(data, outShape) : data;
      },
      async dispose() {
        x.dispose();
        for (const t of weights) t.dispose();
      },
    };
  },
};
