// The one thing the pool needs from a platform: start a worker that runs workerMain(init) and learn
// when it dies. Node (kernels/src/node) uses worker_threads, browsers (kernels/src/web) Web Workers.
import type { WorkerInit } from './protocol';

export interface WorkerHandle {
  terminate(): void;
}

export interface WorkerHost {
  /** Starts a worker; `onExit` is called once if it exits, throws or fails to start. */
  spawn(init: WorkerInit, onExit: (reason: string) => void): WorkerHandle;
}
