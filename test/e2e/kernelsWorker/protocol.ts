// Messages between the kernel-check page and its Web Worker (the page passes them through unchanged to
// the Playwright side), so the worker and test/e2e/kernels.ts agree on one shape.

export interface KernelsRequest {
  /** Absolute URL of the folder serving kernels-*.wasm. */
  wasmBaseUrl: string;
  /** One backend per entry: its `relaxed` option ('auto': relaxed SIMD where supported; false: plain SIMD128). */
  relaxed: Array<'auto' | false>;
}

export interface BackendRun {
  relaxedOption: 'auto' | false;
  /** What the worker's global scope offers. */
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  relaxedSimdSupported: boolean;
  hardwareConcurrency: number;
  /** What the backend chose. */
  variant: 'relaxed' | 'simd128';
  shared: boolean;
  threads: number;
  /** How the last pool job ran ('multi'/'probe' mean the workers took part). */
  lastMode: 'single' | 'multi' | 'probe';
  bytesInUse: number;
  /** createWebBackend (fetch + compile + instantiate + spawning workers) and waiting for the workers. */
  createMs: number;
  readyMs: number;
  /** runGraph wall times: first wasm run (packs the weights), second one (packed weights reused), reference only. */
  wasmColdMs: number;
  wasmWarmMs: number;
  referenceMs: number;
  /** Per node, in order: op and the backend that ran it, in the detailed wasm run. */
  nodes: Array<{ op: string; path: string; backend: string }>;
  /** The graph's output of each run (plain arrays: they cross two message boundaries and Playwright). */
  wasm: number[];
  wasmWarm: number[];
  wasmFused: number[];
  reference: number[];
}

/**
 * Cross-origin isolated only: a pool worker made to throw inside a tile (injectWorkerCrash) until it
 * claims one. Proves the Web Workers compute tiles and that a dying Web Worker fails the run with a
 * message and is replaced (webWorkerHost's error path).
 */
export interface WorkerCrashRun {
  /** Runs until worker 1 claimed a tile and died (-1: it never did). */
  attempts: number;
  /** The failed run's message. */
  message: string;
  threadsBefore: number;
  threadsAfter: number;
  /** The graph's output of a run after the replacement worker started. */
  after: number[];
}

export type KernelsReply = { ok: true; runs: BackendRun[]; workerCrash: WorkerCrashRun | null } | { ok: false; error: string };
