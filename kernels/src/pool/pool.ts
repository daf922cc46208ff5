// The worker pool: runs a kernel job (N independent tiles) on the calling thread plus up to
// threads - 1 workers over the shared WebAssembly memory, with dynamic tile claiming, a per-layer
// choice between one thread and all of them, and failure reporting when a worker dies.
import { CTRL, type WorkerInit } from './protocol';
import type { WorkerHandle, WorkerHost } from './host';

export type JobFn = (params: number, tile: number, thread: number) => void;

export interface PoolOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** The calling thread's instance exports, indexed like `fnNames`. */
  fns: JobFn[];
  fnNames: string[];
  ctrlPtr: number;
  /** Total threads including the caller; 1 = no workers. */
  threads: number;
  host: WorkerHost | null;
  /** Spin iterations of an idle worker before it sleeps. */
  spin?: number;
  /** 'adaptive' (default): per job key, whichever of one thread or all was faster; 'always': all threads. */
  parallel?: 'adaptive' | 'always';
}

/** Timings the adaptive plan keeps per job key (usually one layer at one input shape). */
interface Plan {
  /** Milliseconds per tile on the caller alone / with the workers; NaN until measured. */
  single: number;
  multi: number;
  calls: number;
}

/** Re-measure both plans every this many calls of a key, so a core that became busy (or free) is noticed. */
const REPROBE = 16;
/**
 * A job whose tiles take under this many milliseconds in all on one thread runs there, and is
 * re-measured only every TINY_REPROBE calls: a probe wakes the workers, which costs more than such a job saves.
 */
const TINY_MS = 0.01;
const TINY_REPROBE = 256;
/** How many first calls of a layer are all probes. */
const WARM_PROBES = 3;
/** Multi-threading must win by this factor to be chosen (it costs wake-ups and shared caches). */
const MARGIN = 0.92;

export class WorkerDiedError extends Error {
  override name = 'WorkerDiedError';
}

export class KernelPool {
  private ctrlView: Int32Array;
  private readonly workers: Array<WorkerHandle | null> = [];
  private readonly alive: boolean[] = [];
  private gen = 0;
  private readonly plans = new Map<string, Plan>();
  /** Set by a worker's exit while a job runs; the job then fails. */
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private disposed = false;
  /** For tests and the benchmark: how the last job ran. */
  lastMode: 'single' | 'multi' | 'probe' = 'single';

  constructor(private readonly o: PoolOptions) {
    this.ctrlView = new Int32Array(o.memory.buffer, o.ctrlPtr, CTRL.SIZE);
    this.ctrlView.fill(0);
    const nWorkers = o.host ? Math.min(Math.max(0, o.threads - 1), CTRL.MAX_THREADS - 1) : 0;
    for (let i = 1; i <= nWorkers; i++) this.spawn(i);
  }

  /**
   * The control block. Growing a non-shared memory (browsers without cross-origin isolation) detaches
   * its buffer and every view of it, so the view is made again when the buffer changed.
   */
  private get ctrl(): Int32Array {
    const buf = this.o.memory.buffer;
    if (this.ctrlView.buffer !== buf) this.ctrlView = new Int32Array(buf, this.o.ctrlPtr, CTRL.SIZE);
    return this.ctrlView;
  }

  /** Threads that can take part in a job (the caller plus live workers). */
  get threads(): number {
    return 1 + this.alive.filter(Boolean).length;
  }

  /**
   * Runs tiles 0 .. ntiles-1 of export `fn` on `params`. `key` names the workload for the adaptive
   * plan (same key = same layer and shapes). Rejects if a worker dies during the job.
   */
  async run(fn: number, params: number, ntiles: number, key: string): Promise<void> {
    if (this.disposed) throw new Error('the kernel pool was disposed');
    if (ntiles <= 0) return;
    if (ntiles >= 1 << CTRL.TILE_BITS) throw new Error(`a kernel job of ${ntiles} tiles exceeds the pool's limit of ${(1 << CTRL.TILE_BITS) - 1}`);
    if (this.threads === 1 || ntiles < 2) {
      this.lastMode = 'single';
      this.runLocal(fn, params, 0, ntiles);
      return;
    }
    if (this.o.parallel === 'always') {
      this.lastMode = 'multi';
      await this.runShared(fn, params, 0, ntiles);
      return;
    }
    let plan = this.plans.get(key);
    if (!plan) {
      plan = { single: NaN, multi: NaN, calls: 0 };
      this.plans.set(key, plan);
    }
    plan.calls++;
    // The first calls of a layer run while V8 still tiers the kernels up and caches are cold: probe
    // each of them, so one unlucky first measurement does not fix the plan until the next re-probe.
    const tiny = plan.single * ntiles < TINY_MS;
    const multi = !tiny && plan.multi < plan.single * MARGIN;
    const reprobe = tiny ? TINY_REPROBE : REPROBE;
    if (plan.calls <= WARM_PROBES || (plan.calls - WARM_PROBES) % reprobe === 0) {
      // Probe: the first quarter of the tiles on this thread alone, the rest with every worker.
      this.lastMode = 'probe';
      const k = Math.max(1, Math.floor(ntiles / 4));
      const t0 = now();
      this.runLocal(fn, params, 0, k);
      const t1 = now();
      await this.runShared(fn, params, k, ntiles);
      const t2 = now();
      const single = (t1 - t0) / k;
      const multi = (t2 - t1) / (ntiles - k);
      // The latest probe counts most: it saw the machine as it is now.
      plan.single = Number.isNaN(plan.single) ? single : 0.25 * plan.single + 0.75 * single;
      plan.multi = Number.isNaN(plan.multi) ? multi : 0.25 * plan.multi + 0.75 * multi;
      return;
    }
    // A tiny job stays on this thread: at a few microseconds the timings are mostly noise, and
    // what the workers could save is less than waking them costs.
    if (multi) {
      this.lastMode = 'multi';
      const t0 = now();
      await this.runShared(fn, params, 0, ntiles);
      // Multi-threaded runs that keep being slow (a busy core) move this key to one thread within a
      // few calls; one outlier (the host preempting a worker for a moment) does not: at a quarter's
      // weight, a layer that two threads speed up 1.8x tips only on a run twice as slow as one thread.
      plan.multi = 0.75 * plan.multi + 0.25 * ((now() - t0) / ntiles);
    } else {
      this.lastMode = 'single';
      const t0 = now();
      this.runLocal(fn, params, 0, ntiles);
      plan.single = 0.5 * plan.single + 0.5 * ((now() - t0) / ntiles);
    }
  }

  /** Resolves once every worker has instantiated the module (jobs do not wait for this: tiles are claimed dynamically). */
  async ready(timeoutMs = 10000): Promise<void> {
    const end = now() + timeoutMs;
    for (;;) {
      if (this.alive.every((a, i) => !a || Atomics.load(this.ctrl, CTRL.READY + i + 1) === 1)) return;
      if (now() > end) throw new Error(`kernel workers did not start within ${timeoutMs} ms`);
      await sleep(2);
    }
  }

  /** Forgets the measured plans (e.g. after the machine's load changed a lot). */
  resetPlans(): void {
    this.plans.clear();
  }

  /** For tests: the worker with this thread id throws on its next tile. */
  injectCrash(threadId: number): void {
    Atomics.store(this.ctrl, CTRL.CRASH, threadId);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
    for (let i = 0; i < this.workers.length; i++) {
      this.alive[i] = false;
      this.workers[i]?.terminate();
      this.workers[i] = null;
    }
  }

  private runLocal(fn: number, params: number, from: number, to: number): void {
    const f = this.o.fns[fn]!;
    for (let t = from; t < to; t++) f(params, t, 0);
  }

  /** Posts tiles from .. ntiles-1 to every worker, takes part itself, waits for all of them. */
  private async runShared(fn: number, params: number, from: number, ntiles: number): Promise<void> {
    const c = this.ctrl;
    this.failure = null;
    this.gen = (this.gen + 1) | 0;
    const tag = (this.gen % CTRL.TAG_MASK) + 1;
    Atomics.store(c, CTRL.FN, fn);
    Atomics.store(c, CTRL.PARAMS, params);
    Atomics.store(c, CTRL.NTILES, ntiles);
    Atomics.store(c, CTRL.DONE, from);
    Atomics.store(c, CTRL.NEXT, (tag << CTRL.TILE_BITS) | from);
    Atomics.add(c, CTRL.GEN, 1);
    Atomics.notify(c, CTRL.GEN);
    const f = this.o.fns[fn]!;
    try {
      for (;;) {
        const cur = Atomics.load(c, CTRL.NEXT);
        const tile = cur & ((1 << CTRL.TILE_BITS) - 1);
        if (tile >= ntiles) break;
        if (Atomics.compareExchange(c, CTRL.NEXT, cur, cur + 1) !== cur) continue;
        f(params, tile, 0);
        if (Atomics.add(c, CTRL.DONE, 1) + 1 === ntiles) break;
      }
    } catch (e) {
      await this.abandon();
      throw e;
    }
    // Workers may still be finishing their last tiles: spin briefly (a tile is well under a
    // millisecond), then sleep on the DONE word while watching for a dying worker.
    const spinUntil = now() + 0.2;
    while (Atomics.load(c, CTRL.DONE) < ntiles && now() < spinUntil);
    while (Atomics.load(c, CTRL.DONE) < ntiles) {
      if (this.failure) {
        const err = this.failure;
        await this.abandon();
        throw err;
      }
      const seen = Atomics.load(c, CTRL.DONE);
      if (seen >= ntiles) break;
      await this.waitChange(CTRL.DONE, seen, 50);
    }
    Atomics.store(c, CTRL.NEXT, 0);
  }

  /** Stops handing out tiles of the current job and waits until no live worker is inside one. */
  private async abandon(): Promise<void> {
    const c = this.ctrl;
    Atomics.store(c, CTRL.NEXT, 0);
    const deadline = now() + 2000;
    for (;;) {
      const busy = this.alive.some((a, i) => a && Atomics.load(c, CTRL.BUSY + i + 1) !== 0);
      if (!busy) return;
      if (now() > deadline) {
        // A worker stuck in a tile for two seconds is as good as dead: replace it.
        this.alive.forEach((a, i) => {
          if (a && Atomics.load(c, CTRL.BUSY + i + 1) !== 0) this.restart(i + 1, 'stuck in a kernel');
        });
        return;
      }
      await sleep(1);
    }
  }

  /**
   * Resolves when ctrl[index] may have changed from `value`, after `timeoutMs`, or when a worker
   * dies. The timer also keeps Node's event loop alive: a pending Atomics.waitAsync does not.
   */
  private waitChange(index: number, value: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.wake = done;
      const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
      if (!waitAsync) {
        // No waitAsync (Firefox): poll every millisecond instead.
        clearTimeout(timer);
        setTimeout(done, 1);
        return;
      }
      const r = waitAsync(this.ctrl, index, value, timeoutMs);
      if (r.async) void (r.value as Promise<string>).then(done);
      else done();
    }).finally(() => {
      this.wake = null;
    });
  }

  private spawn(index: number): void {
    const o = this.o;
    const init: WorkerInit = {
      module: o.module,
      memory: o.memory,
      ctrlPtr: o.ctrlPtr,
      index,
      fnNames: o.fnNames,
      layout: CTRL,
      spin: o.spin ?? 20000,
    };
    Atomics.store(this.ctrl, CTRL.BUSY + index, 0);
    Atomics.store(this.ctrl, CTRL.READY + index, 0);
    this.alive[index - 1] = true;
    let exited = false;
    const handle = o.host!.spawn(init, (reason) => {
      if (exited || this.disposed) return;
      exited = true;
      if (this.workers[index - 1] !== handle) return;
      this.restart(index, reason);
    });
    this.workers[index - 1] = handle;
  }

  /** Marks a worker dead, fails the running job (if any), and starts a replacement. */
  private restart(index: number, reason: string): void {
    this.alive[index - 1] = false;
    const old = this.workers[index - 1];
    this.workers[index - 1] = null;
    old?.terminate();
    this.failure = new WorkerDiedError(`kernel worker ${index} died (${reason}); it was restarted and this run failed`);
    this.wake?.();
    if (!this.disposed) this.spawn(index);
  }
}

function now(): number {
  return performance.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
