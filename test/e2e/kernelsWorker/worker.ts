// The kernel check's Web Worker (bundled for the browser by esbuild.mjs, no Node built-ins): creates the
// WebAssembly backend through the web entry, runs the check graph with [wasm, reference] and with the
// reference kernels alone, and posts the outputs, the backend of each node and how the backend ran.
import { createWebBackend } from '../../../kernels/src/web/index';
import { referenceBackend, runGraph, wasmExecBackend, type RunResult } from '../../../kernels/src/exec/index';
import { supportsRelaxedSimd } from '../../../kernels/src/wasm/detect';
import { checkModel, SEED } from './graph';
import type { BackendRun, KernelsReply, KernelsRequest, WorkerCrashRun } from './protocol';

/** The few worker-scope globals used here (the project compiles without the DOM library). */
interface WorkerScope {
  onmessage: ((e: { data: KernelsRequest }) => void) | null;
  postMessage(message: KernelsReply): void;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}
const scope = globalThis as unknown as WorkerScope;

function output(r: RunResult, what: string): number[] {
  if (r.status !== 'ok') throw new Error(`${what}: run ${r.status}: ${r.message ?? ''}`);
  return Array.from(r.outputs[0]!.data);
}

async function runBackend(req: KernelsRequest, relaxed: 'auto' | false): Promise<BackendRun> {
  const m = checkModel();
  const t0 = performance.now();
  const backend = await createWebBackend({ wasmBaseUrl: req.wasmBaseUrl, relaxed });
  const t1 = performance.now();
  try {
    await backend.ready();
    const t2 = performance.now();
    const fast = wasmExecBackend(backend);
    const backends = [fast, referenceBackend];
    const cold = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends });
    const warm = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends });
    const lastMode = backend.lastMode;
    // The fast path a plain `shapelens run` takes: conv+ReLU and linear+ReLU fused.
    const fused = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends, detail: 'outputs' });
    const ref = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends: [referenceBackend] });
    return {
      relaxedOption: relaxed,
      crossOriginIsolated: scope.crossOriginIsolated === true,
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      relaxedSimdSupported: supportsRelaxedSimd(),
      hardwareConcurrency: scope.navigator?.hardwareConcurrency ?? 0,
      variant: backend.variant,
      shared: backend.shared,
      threads: backend.threads,
      lastMode,
      bytesInUse: backend.bytesInUse,
      createMs: t1 - t0,
      readyMs: t2 - t1,
      wasmColdMs: cold.ms,
      wasmWarmMs: warm.ms,
      referenceMs: ref.ms,
      nodes: cold.nodes.map((n) => ({ op: n.op, path: n.path, backend: n.backend })),
      wasm: output(cold, 'wasm'),
      wasmWarm: output(warm, 'wasm, second run'),
      wasmFused: output(fused, 'wasm, fused'),
      reference: output(ref, 'reference'),
    };
  } finally {
    await backend.dispose();
  }
}

/** Makes pool worker 1 throw inside a tile until it has claimed one, then runs again on its replacement. */
async function workerCrash(req: KernelsRequest): Promise<WorkerCrashRun> {
  const m = checkModel();
  // 'always': every job of more than one tile is offered to the workers (no single-thread plan).
  const backend = await createWebBackend({ wasmBaseUrl: req.wasmBaseUrl, parallel: 'always' });
  try {
    await backend.ready();
    const threadsBefore = backend.threads;
    const backends = [wasmExecBackend(backend), referenceBackend];
    let attempts = -1;
    let message = '';
    for (let i = 1; i <= 20; i++) {
      backend.injectWorkerCrash(1);
      const r = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends });
      if (r.status !== 'ok') {
        attempts = i;
        message = r.message ?? r.status;
        break;
      }
    }
    await backend.ready();
    const after = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends });
    return { attempts, message, threadsBefore, threadsAfter: backend.threads, after: output(after, 'wasm, after the worker was replaced') };
  } finally {
    await backend.dispose();
  }
}

scope.onmessage = (e) => {
  const req = e.data;
  void (async (): Promise<KernelsReply> => {
    const runs: BackendRun[] = [];
    for (const relaxed of req.relaxed) runs.push(await runBackend(req, relaxed));
    return { ok: true, runs, workerCrash: scope.crossOriginIsolated === true ? await workerCrash(req) : null };
  })().then(
    (reply) => scope.postMessage(reply),
    (err: unknown) => scope.postMessage({ ok: false, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) }),
  );
};
