// Node entry of the WebAssembly fast path: reads the .wasm from out/kernels, runs the pool on
// worker_threads, and turns on relaxed SIMD in Node 20 (where it is still behind a V8 flag).
import { Worker } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import * as v8 from 'node:v8';
import { createWasmBackend, type BackendOptions, type WasmBackend } from '../wasm/backend';
import { supportsRelaxedSimd } from '../wasm/detect';
import { variantFile } from '../wasm/module';
import { workerMain } from '../pool/workerMain';
import type { WorkerHost } from '../pool/host';

export interface NodeBackendOptions extends BackendOptions {
  /** Directory holding kernels-*.wasm; default: the nearest out/kernels above this bundle. */
  wasmDir?: string;
}

/**
 * Node 20's V8 validates relaxed-SIMD opcodes only with --experimental-wasm-relaxed-simd. Worker
 * threads reject that flag in `execArgv` (ERR_WORKER_INVALID_EXEC_ARGV), but V8 flags are
 * process-wide, so setting it here at run time, before the module is compiled, covers the workers
 * too (they receive the compiled module). Newer V8s (Node 22, VS Code's Electron) have it on.
 */
export function enableRelaxedSimd(): boolean {
  if (supportsRelaxedSimd()) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return supportsRelaxedSimd();
}

/** The directory with the built kernels: walk up from this bundle to the `out/kernels` that `npm run build` fills. */
export function findWasmDir(start = __dirname): string {
  const probe = variantFile('simd128', true);
  for (let d = start; ; d = dirname(d)) {
    for (const c of [d, join(d, 'kernels'), join(d, 'out', 'kernels')]) if (existsSync(join(c, probe))) return c;
    if (dirname(d) === d) break;
  }
  throw new Error(`the WebAssembly kernels (${probe}) were not found above ${start}: run \`npm run build\``);
}

export const nodeWorkerHost: WorkerHost = {
  spawn(init, onExit) {
    const src = `const { workerData } = require('node:worker_threads');\n(${workerMain.toString()})(workerData);`;
    const w = new Worker(src, { eval: true, workerData: init });
    // An idle worker sleeps in Atomics.wait; it must not keep the process alive.
    w.unref();
    let done = false;
    const exit = (reason: string) => {
      if (done) return;
      done = true;
      onExit(reason);
    };
    w.on('error', (e) => exit(e instanceof Error ? e.message : String(e)));
    w.on('exit', (code) => exit(`exit code ${code}`));
    return { terminate: () => void w.terminate() };
  },
};

export async function createNodeBackend(opts: NodeBackendOptions = {}): Promise<WasmBackend> {
  if (opts.relaxed !== false) enableRelaxedSimd();
  const dir = opts.wasmDir ?? findWasmDir();
  return createWasmBackend(
    {
      loadBinary: async (file) => new Uint8Array(await readFile(join(dir, file))),
      host: nodeWorkerHost,
      cores: availableParallelism(),
    },
    opts,
  );
}

export type { WasmBackend } from '../wasm/backend';
