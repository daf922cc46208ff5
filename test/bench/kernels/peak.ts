// The WASM SIMD multiply-add peak the kernels are measured against, from the backend's own
// microbenchmark (WasmBackend.peakGflops, one core): on one thread, and on two by running it at the
// same moment in this thread and in a worker thread of this bundle and adding the two figures.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createNodeBackend, enableRelaxedSimd } from '../../../kernels/src/node';
import type { Peak } from './report';

const PEAK_MS = 300;

type PeakJob = { kernelPeak: { relaxed: boolean; ms: number } };

/** True in a worker this module started; the bundle's entry then calls servePeakWorker instead of the benchmark. */
export function isPeakWorker(): boolean {
  return !isMainThread && typeof (workerData as PeakJob | undefined)?.kernelPeak === 'object';
}

/** The worker's side: load a one-thread backend, say ready, measure on 'go', send the figure. */
export async function servePeakWorker(): Promise<void> {
  const { relaxed, ms } = (workerData as PeakJob).kernelPeak;
  const b = await createNodeBackend({ threads: 1, relaxed });
  parentPort!.once('message', () => {
    parentPort!.postMessage(b.peakGflops(ms));
    void b.dispose();
  });
  parentPort!.postMessage('ready');
}

async function peakOn(relaxed: boolean, threads: 1 | 2): Promise<number> {
  const b = await createNodeBackend({ threads: 1, relaxed });
  try {
    if (threads === 1) return b.peakGflops(PEAK_MS);
    const worker = new Worker(process.argv[1]!, { workerData: { kernelPeak: { relaxed, ms: PEAK_MS } } satisfies PeakJob });
    try {
      const messages: unknown[] = [];
      let wake: (() => void) | undefined;
      const push = (m: unknown) => {
        messages.push(m);
        wake?.();
      };
      worker.on('message', push);
      worker.on('error', push);
      worker.on('exit', (code) => push(new Error(`peak worker exited with code ${code}`)));
      const next = async (): Promise<unknown> => {
        while (!messages.length) await new Promise<void>((r) => (wake = r));
        const m = messages.shift();
        if (m instanceof Error) throw m;
        return m;
      };
      if ((await next()) !== 'ready') throw new Error('peak worker did not start');
      worker.postMessage('go');
      const mine = b.peakGflops(PEAK_MS);
      return mine + Number(await next());
    } finally {
      await worker.terminate();
    }
  } finally {
    await b.dispose();
  }
}

/** SIMD128 mul+add on 1 and 2 threads, and the relaxed-SIMD fused multiply-add where V8 has it. */
export async function measurePeaks(): Promise<Peak[]> {
  const peaks: Peak[] = [];
  for (const threads of [1, 2] as const) peaks.push({ threads, gflops: await peakOn(false, threads), label: 'SIMD128 f32x4 mul+add' });
  if (enableRelaxedSimd()) for (const threads of [1, 2] as const) peaks.push({ threads, gflops: await peakOn(true, threads), label: 'relaxed-SIMD f32x4 fma' });
  return peaks;
}
