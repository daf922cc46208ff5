// Browser entry of the WebAssembly fast path: fetches the .wasm next to a base URL and runs the
// pool on Web Workers, which can share the memory only on cross-origin-isolated pages (otherwise
// every op runs on the calling thread with the non-shared build).
import { createWasmBackend, type BackendOptions, type WasmBackend } from '../wasm/backend';
import { workerMain } from '../pool/workerMain';
import type { WorkerHost } from '../pool/host';

/** The few DOM types used here (the project compiles without the DOM library). */
interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  onerror: ((ev: { message?: string; preventDefault(): void }) => void) | null;
}
interface WebGlobals {
  Worker: new (url: string) => WebWorker;
  Blob: new (parts: string[], opts: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string };
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  fetch(url: string): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

export interface WebBackendOptions extends BackendOptions {
  /** URL of the directory holding kernels-*.wasm (copied there from out/kernels by the web build). */
  wasmBaseUrl: string;
}

export const webWorkerHost: WorkerHost = {
  spawn(init, onExit) {
    const g = globalThis as unknown as WebGlobals;
    const src = `self.onmessage = (e) => { self.onmessage = null; (${workerMain.toString()})(e.data); };`;
    const w = new g.Worker(g.URL.createObjectURL(new g.Blob([src], { type: 'text/javascript' })));
    let done = false;
    // A Web Worker has no exit event: an uncaught error is its death (the pool replaces it).
    // preventDefault: the pool handles it (the run fails with a message), so it must not go on to the
    // owner's global scope as an uncaught error, and from there to the page that started the owner.
    w.onerror = (ev) => {
      ev.preventDefault();
      if (done) return;
      done = true;
      w.terminate();
      onExit(ev.message ?? 'worker error');
    };
    w.postMessage(init);
    return { terminate: () => w.terminate() };
  },
};

export async function createWebBackend(opts: WebBackendOptions): Promise<WasmBackend> {
  const g = globalThis as unknown as WebGlobals;
  const base = opts.wasmBaseUrl.endsWith('/') ? opts.wasmBaseUrl : `${opts.wasmBaseUrl}/`;
  return createWasmBackend(
    {
      loadBinary: async (file) => {
        const r = await g.fetch(base + file);
        if (!r.ok) throw new Error(`could not load the WebAssembly kernels from ${base + file}: HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      },
      host: g.crossOriginIsolated ? webWorkerHost : null,
      cores: g.navigator?.hardwareConcurrency ?? 1,
    },
    opts,
  );
}

export type { WasmBackend } from '../wasm/backend';
