// The onnxruntime-web engine of the kernel benchmark: its WASM SIMD backend in Node, the workload
// as an ONNX model built in memory (no file, no Python), all graph optimisations on.
import * as ort from 'onnxruntime-web';
import type { Engine, EngineRun } from './engine';
import { workloadToOnnx } from './onnxModel';
import type { Workload } from './workloads';

/**
 * onnxruntime-web creates its thread pool once, when the first session initialises the wasm
 * module, so one process can only measure one thread count: the harness runs the 2-thread
 * measurements in a child process (see harness.ts).
 */
let initialisedWith: number | undefined;

export function onnxWasmEngine(threads: number): Engine {
  return {
    name: 'onnxruntime-web',
    threads,
    unsupported: () => null,
    async setup(w: Workload, input: Float32Array): Promise<EngineRun> {
      if (initialisedWith === undefined) {
        ort.env.wasm.numThreads = threads;
        initialisedWith = threads;
      } else if (initialisedWith !== threads) {
        throw new Error(`onnxruntime-web already runs with ${initialisedWith} thread(s) in this process; ${threads} needs another process`);
      }
      const session = await ort.InferenceSession.create(workloadToOnnx(w), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const feeds = { [w.input]: new ort.Tensor('float32', input, w.shapes.get(w.input)!) };
      const forward = async (): Promise<Float32Array> => {
        const out = await session.run(feeds);
        return out[w.output]!.data as Float32Array;
      };
      return {
        async run() {
          await forward();
        },
        output: forward,
        async dispose() {
          await session.release();
        },
      };
    },
  };
}
