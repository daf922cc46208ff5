// The interface every engine of the kernel benchmark implements: ShapeLens, onnxruntime-web, tfjs-wasm.
import type { Workload } from './workloads';

/** A workload loaded into one engine: weights prepared, input bound, ready to time. */
export interface EngineRun {
  /** One forward pass, its output read back to JavaScript memory (what a caller would need). */
  run(): Promise<void>;
  /** One forward pass's output in PyTorch's layout (NCHW or [N, F]), for the agreement check. */
  output(): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface Engine {
  readonly name: string;
  readonly threads: number;
  /** null when the engine can run this workload, else the reason printed in its table cell. */
  unsupported(w: Workload): string | null;
  setup(w: Workload, input: Float32Array): Promise<EngineRun>;
}
