// The ShapeLens engine of the kernel benchmark: the WebAssembly SIMD backend (kernels/src/wasm via
// the Node entry), one backend per thread count and SIMD variant, kept across workloads; each
// workload's weights are prepared (packed) once in setup, as the feature-map panel will do.
import type { ConvAttrs } from '../../../server/src/engine/graph/ir';
import { createNodeBackend, enableRelaxedSimd, type WasmBackend } from '../../../kernels/src/node';
import { float32, type NDArray } from '../../../kernels/src/ndarray';
import type { Engine, EngineRun } from './engine';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadParser, traceGraph } from '../../../server/src/engine';
import { referenceBackend, runGraph, wasmExecBackend } from '../../../kernels/src/exec';
import { ROOT } from '../../support/paths';
import { SHAPELENS, SHAPELENS_RELAXED } from './report';
import type { Layer, Param, Workload } from './workloads';

type Step = (env: Map<string, NDArray>) => Promise<void>;

function nd(p: Param): NDArray {
  return float32(p.shape, p.data);
}

function readerCounts(layers: readonly Layer[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of layers) for (const v of l.op === 'add' ? [l.a, l.b] : [l.x]) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/**
 * Translates a workload into backend calls, preparing every conv and linear layer now. The backend
 * has no stand-alone ReLU: it fuses ReLU into the op before it, which every ReLU of these workloads
 * follows (conv, linear, or ResNet's residual add) with no other reader of the pre-ReLU value.
 */
function compile(b: WasmBackend, w: Workload, release: (() => void)[]): Step[] {
  const readers = readerCounts(w.layers);
  const steps: Step[] = [];
  for (let i = 0; i < w.layers.length; i++) {
    const l = w.layers[i]!;
    const next = w.layers[i + 1];
    const fused = next?.op === 'relu' && l.op !== 'relu' && l.op !== 'flatten' && next.x === l.y && readers.get(l.y) === 1;
    const out = fused ? next.y : l.y;
    if (fused) i++;
    const relu = fused;
    switch (l.op) {
      case 'conv': {
        const attrs: ConvAttrs = { nd: 2, stride: [l.stride, l.stride], padBefore: [l.pad, l.pad], padAfter: [l.pad, l.pad], dilation: [1, 1], groups: l.groups, bias: true };
        const h = b.prepareConv(nd(w.params.get(l.w)!), nd(w.params.get(l.b)!), attrs);
        release.push(() => b.release(h));
        steps.push(async (env) => void env.set(out, await b.conv(h, env.get(l.x)!, { relu })));
        break;
      }
      case 'linear': {
        const h = b.prepareLinear(nd(w.params.get(l.w)!), nd(w.params.get(l.b)!));
        release.push(() => b.release(h));
        steps.push(async (env) => void env.set(out, await b.linear(h, env.get(l.x)!, { relu })));
        break;
      }
      case 'maxpool': {
        const attrs = { nd: 2 as const, kernel: [l.k, l.k], stride: [l.stride, l.stride], padding: [l.pad, l.pad], dilation: [1, 1], ceilMode: false, returnIndices: false };
        steps.push(async (env) => void env.set(out, await b.maxPool(env.get(l.x)!, attrs, { relu })));
        break;
      }
      case 'gap': {
        // adaptive_avg_pool2d to 1x1 is an average pool whose window is the whole plane.
        const [, , h, wd] = w.shapes.get(l.x) as [number, number, number, number];
        const attrs = { nd: 2 as const, kernel: [h, wd], stride: [h, wd], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null };
        steps.push(async (env) => void env.set(out, await b.avgPool(env.get(l.x)!, attrs, { relu })));
        break;
      }
      case 'add':
        steps.push(async (env) => void env.set(out, await b.add(env.get(l.a)!, env.get(l.b)!, { relu })));
        break;
      case 'flatten': {
        const shape = w.shapes.get(l.y)!;
        // A contiguous NCHW tensor flattened from dim 1 is the same buffer with a new shape.
        steps.push(async (env) => void env.set(l.y, { ...env.get(l.x)!, shape }));
        break;
      }
      case 'relu':
        throw new Error(`ShapeLens engine: a ReLU after ${l.x} that cannot be fused into the op producing it`);
    }
  }
  return steps;
}

/** Runs a workload as a sequence of backend ops: input copied in, output copied out, the run's arena freed. */
async function opRunner(b: WasmBackend, w: Workload, input: Float32Array): Promise<EngineRun> {
  const release: (() => void)[] = [];
  const steps = compile(b, w, release);
  const x = float32(w.shapes.get(w.input)!, input);
  const forward = async (): Promise<Float32Array> => {
    const env = new Map<string, NDArray>([[w.input, b.upload(x)]]);
    try {
      for (const s of steps) await s(env);
      return new Float32Array(env.get(w.output)!.data as Float32Array);
    } finally {
      b.resetArena();
    }
  };
  return {
    async run() {
      await forward();
    },
    output: forward,
    async dispose() {
      for (const r of release) r();
    },
  };
}

/** The model source each 'model' workload is traced from, as a user's file would be. */
const MODEL_SOURCES: Record<string, [file: string, model: string]> = {
  'cifar-net': ['examples/cifar_net.py', 'Net'],
  resnet18: ['test/fixtures/models/realworld/tv_resnet.py', 'resnet18'],
};

/**
 * A whole model the way the feature-map panel runs it: the shape engine traces the model's Python
 * source into an op graph, and the graph executor (kernels/src/exec) runs it with the wasm backend
 * (reference kernels for anything else). The workload's weights are loaded into the graph's state
 * dict in layer order; a conv followed by a BatchNorm gets an identity BatchNorm (mean 0, variance
 * 1 − eps, weight 1) whose bias is the workload's folded conv bias, so every engine computes the
 * same function.
 */
export async function shapelensModelRunner(b: WasmBackend, w: Workload, input: Float32Array): Promise<EngineRun> {
  const src = MODEL_SOURCES[w.id];
  if (!src) throw new Error(`ShapeLens engine: no model source for workload ${w.id}`);
  await loadParser();
  const file = join(ROOT, src[0]);
  const [tg] = traceGraph(readFileSync(file, 'utf8'), { file, model: src[1], inputs: [{ shape: w.shapes.get(w.input)!, dtype: 'float32' }] });
  const g = tg?.graph;
  if (!tg || !g) throw new Error(`ShapeLens engine: ${src[1]} has no graph: ${JSON.stringify(tg?.unsupported ?? tg?.diagnostics)}`);
  const keyOf = new Map(tg.params.map((p) => [p.value, p.key]));
  const values = new Map<string, NDArray>();
  const convs = w.layers.filter((l): l is Extract<Layer, { op: 'conv' }> => l.op === 'conv');
  const linears = w.layers.filter((l): l is Extract<Layer, { op: 'linear' }> => l.op === 'linear');
  let ci = 0;
  let li = 0;
  for (const n of g.nodes) {
    if (n.op === 'conv') {
      const l = convs[ci++]!;
      values.set(keyOf.get(n.inputs[1]!)!, nd(w.params.get(l.w)!));
      const bias = nd(w.params.get(l.b)!);
      if (n.attrs.bias) values.set(keyOf.get(n.inputs[2]!)!, bias);
      else {
        const bn = g.nodes.find((m) => m.op === 'batch_norm' && m.inputs[0] === n.outputs[0]);
        if (!bn || bn.op !== 'batch_norm') throw new Error('ShapeLens engine: a conv without bias and without a BatchNorm after it');
        const C = bias.shape[0]!;
        const [mean, variance, weight, beta] = bn.inputs.slice(1, 5).map((v) => keyOf.get(v)!);
        values.set(mean!, float32([C], new Float32Array(C)));
        values.set(variance!, float32([C], new Float32Array(C).fill(1 - bn.attrs.eps)));
        values.set(weight!, float32([C], new Float32Array(C).fill(1)));
        values.set(beta!, bias);
      }
    } else if (n.op === 'linear') {
      const l = linears[li++]!;
      values.set(keyOf.get(n.inputs[1]!)!, nd(w.params.get(l.w)!));
      values.set(keyOf.get(n.inputs[2]!)!, nd(w.params.get(l.b)!));
    }
  }
  if (ci !== convs.length || li !== linears.length) throw new Error(`ShapeLens engine: the traced ${src[1]} has ${ci} convs and ${li} linears, the workload ${convs.length} and ${linears.length}`);
  for (const p of tg.params) if (p.value >= 0 && !values.has(p.key)) values.set(p.key, { shape: p.shape, dtype: p.dtype, data: p.dtype === 'float32' ? new Float32Array(p.shape.reduce((a, d) => a * d, 1)) : new Float64Array(p.shape.reduce((a, d) => a * d, 1)) });
  const backends = [wasmExecBackend(b), referenceBackend];
  const x = float32(w.shapes.get(w.input)!, input);
  const forward = async (): Promise<Float32Array> => {
    const r = await runGraph(g, values, [x], { seed: 0, backends, updateState: false, detail: 'outputs' });
    if (r.status !== 'ok') throw new Error(`ShapeLens engine: the run failed: ${r.message}`);
    return new Float32Array(r.outputs[0]!.data as Float32Array);
  };
  return {
    async run() {
      await forward();
    },
    output: forward,
    async dispose() {},
  };
}

/**
 * ShapeLens with `threads` threads (the backend's adaptive mode: each layer runs on one thread or
 * all, whichever measured faster) and either the SIMD128 build or the relaxed-SIMD (FMA) build.
 */
export function shapelensEngine(threads: number, relaxed: boolean): Engine & { close(): Promise<void> } {
  let backend: Promise<WasmBackend> | undefined;
  const get = (): Promise<WasmBackend> => {
    backend ??= (async () => {
      const b = await createNodeBackend({ threads, relaxed });
      await b.ready();
      if (b.threads !== threads) throw new Error(`ShapeLens: asked for ${threads} threads, the pool has ${b.threads}`);
      return b;
    })();
    return backend;
  };
  return {
    name: relaxed ? SHAPELENS_RELAXED : SHAPELENS,
    threads,
    unsupported: () => (relaxed && !enableRelaxedSimd() ? 'n/a (this V8 has no relaxed SIMD)' : null),
    async setup(w, input) {
      const b = await get();
      return w.kind === 'model' ? shapelensModelRunner(b, w, input) : opRunner(b, w, input);
    },
    async close() {
      if (backend) await (await backend).dispose();
    },
  };
}
