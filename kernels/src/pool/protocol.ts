// The control block the caller and the pool's workers share (an Int32Array inside the kernels'
// WebAssembly memory) and the data a worker starts with.

/** Indices into the control block. */
export const CTRL = {
  /** Job generation: bumped (and notified) to post a job; workers Atomics.wait on it. */
  GEN: 0,
  /** Export index of the job function, its parameter block, its tile count. */
  FN: 1,
  PARAMS: 2,
  NTILES: 3,
  /** Next tile to claim, tagged with the job: (tag << 20) | tile. Tag 0 means "no job". */
  NEXT: 4,
  /** Tiles completed; the job is done when DONE === NTILES (notified on that transition). */
  DONE: 5,
  /** Non-zero: workers return. */
  STOP: 6,
  /** Fault injection for tests: the worker with this thread id throws on its next tile. */
  CRASH: 7,
  /** BUSY + thread id: 1 while that worker runs a tile. */
  BUSY: 8,
  /** READY + thread id: 1 once that worker has instantiated the module and waits for jobs. */
  READY: 8 + 64,
  MAX_THREADS: 64,
  SIZE: 8 + 64 + 64,
  TILE_BITS: 20,
  TAG_MASK: 0x7ff,
} as const;

export type CtrlLayout = typeof CTRL;

/** Everything a worker needs, sent once when it starts (structured-cloneable). */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrlPtr: number;
  /** Thread id >= 1 (0 is the calling thread); selects the worker's scratch. */
  index: number;
  /** Export names, indexed by the FN slot. */
  fnNames: string[];
  layout: CtrlLayout;
  /** Iterations to spin on the generation word before sleeping (jobs of one run come in quick succession). */
  spin: number;
}
