// The WebAssembly SIMD fast path behind one object: load the kernel module, own its memory and the
// worker pool, prepare layers once (packed weights), and run ops one at a time on NDArrays whose
// data lives in the kernels' memory (outputs are views into a per-run arena, or heap blocks the caller
// frees with `free` when the op ran with `keep`).
import type { AvgPoolAttrs, BinaryAttrs, ConvAttrs, ConvTransposeAttrs, InterpolateAttrs, MaxPoolAttrs, PadAttrs, ReduceAttrs } from '../../../server/src/engine/graph/ir';
import { numel, type NDArray } from '../ndarray';
import { KernelPool, type JobFn } from '../pool/pool';
import type { WorkerHost } from '../pool/host';
import { CTRL } from '../pool/protocol';
import { KernelContext } from './context';
import { Arena, Heap } from './heap';
import { chooseVariant, JOB_FNS, variantFile, type KernelExports, type Variant } from './module';
import { disposeConv, prepareConv, runConv, type BatchNormFold, type ConvHandle } from './conv';
import { disposeConv3d, prepareConv3d, runConv3d, type Conv3dHandle } from './conv3d';
import { disposeConvTranspose, prepareConvTranspose, runConvTranspose, type ConvTransposeHandle, type ConvTransposeOptions } from './convTranspose';
import { disposePoolPlans, runPool, type PoolPlans } from './pool2d';
import { disposeLinear, prepareLinear, runLinear, runMatmul, type LinearHandle } from './linear';
import { runBatchNormEval, type BatchNormEval } from './elementwise';
import { runStats, type Moments } from './stats';
import { activationOf, runActivation, runBinary, type Activation } from './activation';
import { runBroadcast } from './broadcast';
import { runCat } from './join';
import { runSoftmax } from './softmax';
import { runInterpolate } from './resample';
import { runPad } from './pad';
import { runStrided, type View } from './views';
import { runReduce } from './reduce';
import { runEinsum, type EinsumPlan } from './einsum';
import { runBatchNormTrain, runGroupNorm, runInstanceNorm, runLayerNorm, type BatchNormTrain, type InstanceNormParams, type NormAffine } from './norm';

/** A layer with prepared (packed) weights. */
export type LayerHandle = ConvHandle | Conv3dHandle | ConvTransposeHandle | LinearHandle;

export interface BackendOptions {
  /** Threads per op, the calling thread included; default: the platform's core count. */
  threads?: number;
  /** 'auto' (default): relaxed SIMD where supported; false: plain SIMD128; true: relaxed or an error. */
  relaxed?: boolean | 'auto';
  /** Upper limit of the kernels' memory (weights, activations, scratch); default 2048 MiB. */
  maxMemoryMiB?: number;
  /** Tests: fill every output with NaN before the kernel writes it. */
  poisonOutputs?: boolean;
  /**
   * false: a plain, non-shared memory and one thread even where shared memory exists (what a browser
   * page without cross-origin isolation gets; tests run that path in Node with it).
   */
  sharedMemory?: false;
  /** Iterations an idle worker spins before sleeping (default 20000, about 0.1 ms). */
  spin?: number;
  /**
   * 'adaptive' (default): each layer runs on one thread or all of them, whichever measured faster
   * (re-measured every 16 calls, so a core that gets busy or free is noticed); 'always': all threads.
   */
  parallel?: 'adaptive' | 'always';
}

/** What a platform entry (kernels/src/node, kernels/src/web) supplies. */
export interface Platform {
  loadBinary(file: string): Promise<Uint8Array>;
  /** null where workers cannot share memory. */
  host: WorkerHost | null;
  cores: number;
}

export interface OpOptions {
  /** Apply ReLU to the result (fused into the kernel's store). */
  relu?: boolean;
  /** Checked before the op starts: an aborted signal rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Allocate the output on the heap instead of the arena: it survives `resetArena` and is owned by the
   * caller until `free(output)`. Only sound with a shared memory (or memory reserved beforehand): a
   * non-shared memory that grows detaches the view.
   */
  keep?: boolean;
}

const PAGE = 65536;
const CTRL_PTR = 64;
const PEAK_XY_PTR = 1024;
const HEAP_START = 4096;

export async function createWasmBackend(platform: Platform, opts: BackendOptions = {}): Promise<WasmBackend> {
  const threads = Math.max(1, Math.min(CTRL.MAX_THREADS, Math.floor(opts.threads ?? platform.cores)));
  const detected = chooseVariant(opts.relaxed ?? 'auto');
  const choice = opts.sharedMemory === false ? { ...detected, shared: false } : detected;
  const file = variantFile(choice.variant, choice.shared);
  const bytes = await platform.loadBinary(file);
  const module = await WebAssembly.compile(bytes);
  const maxBytes = Math.max(64, opts.maxMemoryMiB ?? 2048) * 1048576;
  const memory = new WebAssembly.Memory({ initial: 256, maximum: Math.floor(maxBytes / PAGE), shared: choice.shared } as WebAssembly.MemoryDescriptor);
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('kernel abort');
      },
    },
  });
  const ex = instance.exports as Record<string, unknown>;
  const fns = JOB_FNS.map((n) => ex[n] as JobFn);
  const pool = new KernelPool({
    module, memory, fns, fnNames: [...JOB_FNS], ctrlPtr: CTRL_PTR,
    threads: choice.shared ? threads : 1, host: choice.shared ? platform.host : null, spin: opts.spin, parallel: opts.parallel,
  });
  const heap = new Heap(memory, HEAP_START, maxBytes);
  const ctx = new KernelContext(heap, new Arena(heap), pool, choice.shared ? threads : 1, opts.poisonOutputs ?? false);
  return new WasmBackend(ctx, pool, ex as unknown as KernelExports, heap, choice.variant, choice.shared);
}

export class WasmBackend {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly poolPlans: PoolPlans = new Map();
  /** Outputs returned with `keep`, by their data view: the heap block each owns. */
  private readonly kept = new Map<ArrayBufferView, number>();

  constructor(
    private readonly ctx: KernelContext,
    private readonly pool: KernelPool,
    private readonly exports: KernelExports,
    private readonly heap: Heap,
    /** 'relaxed': fused multiply-add (relaxed SIMD); 'simd128': multiply then add. */
    readonly variant: Variant,
    /** Whether the memory is shared with worker threads. */
    readonly shared: boolean,
  ) {}

  /** Threads an op may use (the caller and the live workers). */
  get threads(): number {
    return this.pool.threads;
  }

  /** How the last op ran: on this thread, on all threads, or split to compare the two. */
  get lastMode(): 'single' | 'multi' | 'probe' {
    return this.pool.lastMode;
  }

  set poisonOutputs(on: boolean) {
    this.ctx.poisonOutputs = on;
  }

  // ---------------------------------------------------------------- layers with weights

  /** Packs a conv layer's weights once (optionally folding an eval-mode batch norm that follows it). */
  prepareConv(weight: NDArray, bias: NDArray | null, attrs: ConvAttrs, batchNorm?: BatchNormFold): ConvHandle {
    return prepareConv(this.ctx, weight, bias, attrs, batchNorm);
  }

  conv(h: ConvHandle, x: NDArray, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runConv(this.ctx, h, x, o.relu ?? false));
  }

  /** Packs a 3-D conv layer's weights once (run as 2-D convs over gathered depth slices). */
  prepareConv3d(weight: NDArray, bias: NDArray | null, attrs: ConvAttrs, batchNorm?: BatchNormFold): Conv3dHandle {
    return prepareConv3d(this.ctx, weight, bias, attrs, batchNorm);
  }

  conv3d(h: Conv3dHandle, x: NDArray, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runConv3d(this.ctx, h, x, o.relu ?? false));
  }

  /**
   * Packs a transposed conv layer's weights once, transposed and flipped into the equivalent conv's
   * (`convTransposeSupported` says which attributes the fast path takes).
   */
  prepareConvTranspose(weight: NDArray, bias: NDArray | null, attrs: ConvTransposeAttrs, batchNorm?: BatchNormFold, opts?: ConvTransposeOptions): ConvTransposeHandle {
    return prepareConvTranspose(this.ctx, weight, bias, attrs, batchNorm, opts);
  }

  convTranspose(h: ConvTransposeHandle, x: NDArray, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runConvTranspose(this.ctx, h, x, o.relu ?? false));
  }

  prepareLinear(weight: NDArray, bias: NDArray | null): LinearHandle {
    return prepareLinear(this.ctx, weight, bias);
  }

  linear(h: LinearHandle, x: NDArray, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runLinear(this.ctx, h, x, o.relu ?? false));
  }

  /** Frees a prepared layer's packed weights and plans. */
  release(h: LayerHandle): void {
    if (h.kind === 'conv') disposeConv(this.ctx, h);
    else if (h.kind === 'conv3d') disposeConv3d(this.ctx, h);
    else if (h.kind === 'convTranspose') disposeConvTranspose(this.ctx, h);
    else disposeLinear(this.ctx, h);
  }

  // ---------------------------------------------------------------- ops without weights

  maxPool(x: NDArray, attrs: MaxPoolAttrs, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runPool(this.ctx, this.poolPlans, 'max', x, attrs, o.relu ?? false));
  }

  avgPool(x: NDArray, attrs: AvgPoolAttrs, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runPool(this.ctx, this.poolPlans, 'avg', x, attrs, o.relu ?? false));
  }

  matmul(a: NDArray, b: NDArray, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runMatmul(this.ctx, a, b));
  }

  batchNormEval(x: NDArray, bn: BatchNormEval, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runBatchNormEval(this.ctx, x, bn, o.relu ?? false));
  }

  /** ReLU on its own; prefer the `relu` option of the op before it, which costs nothing. */
  relu(x: NDArray, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runActivation(this.ctx, x, activationOf({ fn: 'relu' })!));
  }

  /** a + b for tensors of one shape (a residual add; `relu` fuses the block's ReLU). */
  add(a: NDArray, b: NDArray, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runBinary(this.ctx, a, b, { op: 'add', alpha: 1 }, o.relu ?? false));
  }

  /** x's values under another shape of as many elements (reshape, flatten, view): one copy inside the kernels' memory. */
  reshape(x: NDArray, shape: readonly number[], o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, async () => {
      if (numel(shape) !== x.data.length) throw new Error(`reshape: shape [${shape.join(', ')}] is invalid for input of size ${x.data.length}`);
      const xPtr = this.ctx.input(x, 'reshape');
      const out = this.ctx.output(shape);
      // A fresh view of the input: making the output may have grown (and, unshared, detached) the memory.
      out.array.data.set(this.heap.f32(xPtr, x.data.length));
      return out.array;
    });
  }

  /** An element-wise activation (activationOf gives the code for a graph's unary node). */
  activation(x: NDArray, act: Activation, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runActivation(this.ctx, x, act));
  }

  /** a op b (add, sub, mul, true div) where broadcastPlan finds a kernel for the two shapes; `relu` fuses the ReLU after it. */
  arithmetic(a: NDArray, b: NDArray, attrs: BinaryAttrs, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runBroadcast(this.ctx, a, b, attrs, o.relu ?? false));
  }

  /** F.interpolate in nearest, nearest-exact, linear and cubic modes (one pass per resized dim). */
  interpolate(x: NDArray, attrs: InterpolateAttrs, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runInterpolate(this.ctx, x, attrs));
  }

  /** F.pad in any mode (the reference kernel's rules; what PyTorch refuses throws its message). */
  pad(x: NDArray, attrs: PadAttrs, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, async () => runPad(this.ctx, x, attrs));
  }

  /** A strided view of x (views.ts: permute, slice, expand, split, pixel shuffle) copied into a tensor of `shape`. */
  view(x: NDArray, v: View, shape: readonly number[], o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runStrided(this.ctx, x, v, shape));
  }

  /** sum, mean, var or std over the trailing dims (reduce.ts's trailingReduction says which reductions). */
  reduce(x: NDArray, attrs: ReduceAttrs, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runReduce(this.ctx, x, attrs));
  }

  /** A two-operand einsum that einsumPlan maps to a batched matrix product. */
  einsum(a: NDArray, b: NDArray, plan: EinsumPlan, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runEinsum(this.ctx, a, b, plan));
  }

  /** softmax (or log_softmax) along `dim`. */
  softmax(x: NDArray, dim: number, log: boolean, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, () => runSoftmax(this.ctx, x, dim, log));
  }

  /** torch.cat along `dim` (inputs of one shape outside it). */
  cat(xs: readonly NDArray[], dim: number, o: Pick<OpOptions, 'signal' | 'keep'> = {}): Promise<NDArray> {
    return this.enqueue(o, async () => runCat(this.ctx, xs, dim));
  }

  // ---------------------------------------------------------------- normalisation with computed statistics

  /** Batch norm with the batch's statistics: [y, new running mean, new running var, num_batches_tracked + 1] as far as given. */
  batchNormTrain(x: NDArray, bn: BatchNormTrain, o: OpOptions = {}): Promise<NDArray[]> {
    return this.enqueueMany(o, () => runBatchNormTrain(this.ctx, x, bn, o.relu ?? false));
  }

  /** Instance norm: [y] or, with input statistics and running statistics, [y, new running mean, new running var]. */
  instanceNorm(x: NDArray, p: InstanceNormParams, o: OpOptions = {}): Promise<NDArray[]> {
    return this.enqueueMany(o, () => runInstanceNorm(this.ctx, x, p, o.relu ?? false));
  }

  groupNorm(x: NDArray, groups: number, p: NormAffine, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runGroupNorm(this.ctx, x, groups, p, o.relu ?? false));
  }

  /** Layer norm over the trailing dims of x that hold `len` elements (weight and bias: `len` values each). */
  layerNorm(x: NDArray, len: number, p: NormAffine, o: OpOptions = {}): Promise<NDArray> {
    return this.enqueue(o, () => runLayerNorm(this.ctx, x, len, p, o.relu ?? false));
  }

  /** Sum, sum of squares, min and max of x in one parallel pass (x is copied in when it lives elsewhere). */
  moments(x: NDArray, o: Pick<OpOptions, 'signal'> = {}): Promise<Moments> {
    let m: Moments | null = null;
    return this.enqueue(o, async () => {
      m = await runStats(this.ctx, x);
      return x;
    }).then(() => m!);
  }

  // ---------------------------------------------------------------- memory

  /** Copies x into the arena (so later ops read it without a copy). */
  upload(x: NDArray): NDArray {
    const out = this.ctx.output(x.shape);
    out.array.data.set(x.data as Float32Array);
    return out.array;
  }

  /**
   * Frees every activation of the run (all NDArrays the ops returned since the last reset): call it
   * when a run ends, after copying out what must outlive it (`new Float32Array(y.data)`).
   */
  resetArena(): void {
    this.ctx.arena.reset();
  }

  /** Frees an output an op returned with `keep`; false (and nothing freed) for any other array. */
  free(x: NDArray): boolean {
    const ptr = this.kept.get(x.data);
    if (ptr === undefined) return false;
    this.kept.delete(x.data);
    this.heap.release(ptr);
    return true;
  }

  /** Whether x's data is a view of the kernels' memory (an arena output is, until `resetArena`). */
  inMemory(x: NDArray): boolean {
    return this.heap.owns(x.data);
  }

  /** Whether `x` is an output returned with `keep` and not yet freed. */
  holds(x: NDArray): boolean {
    return this.kept.has(x.data);
  }

  /** Outputs returned with `keep` and not yet freed. */
  get keptCount(): number {
    return this.kept.size;
  }

  get bytesInUse(): number {
    return this.heap.bytesInUse;
  }

  /** The most bytes in use at once since the last `resetPeak`. */
  get peakBytesInUse(): number {
    return this.heap.peakBytesInUse;
  }

  resetPeak(): void {
    this.heap.resetPeak();
  }

  /** Bytes the ops copied into the memory because an input was not already a view of it. */
  get uploadedBytes(): number {
    return this.ctx.uploadedBytes;
  }

  /**
   * Grows the memory now so that `bytes` more can be allocated without growing later. Only matters
   * where the memory is not shared (browsers without cross-origin isolation): there, growing
   * detaches the buffer and empties every NDArray the backend returned before.
   */
  reserve(bytes: number): void {
    this.heap.release(this.heap.alloc(bytes));
  }

  // ---------------------------------------------------------------- measurement and lifetime

  /**
   * The SIMD multiply-add peak of one core in GFLOP/s (fused multiply-add in the relaxed build),
   * measured for about `ms` milliseconds in runs of ~0.2 ms: the best run, or their median (which
   * is what a kernel's median time compares with on a machine with other load).
   */
  peakGflops(ms = 50, stat: 'best' | 'median' = 'best'): number {
    const xy = this.heap.f32(PEAK_XY_PTR, 8);
    xy.fill(0.999, 0, 4);
    xy.fill(0.001, 4, 8);
    const iters = 20000;
    this.exports.peak_madd(iters, PEAK_XY_PTR);
    const rates: number[] = [];
    const end = performance.now() + ms;
    do {
      const t0 = performance.now();
      this.exports.peak_madd(iters, PEAK_XY_PTR);
      const dt = performance.now() - t0;
      if (dt > 0) rates.push((iters * 96) / dt / 1e6);
    } while (performance.now() < end);
    rates.sort((a, b) => a - b);
    return stat === 'best' ? rates[rates.length - 1]! : rates[rates.length >> 1]!;
  }

  /** Resolves when every worker thread is up (ops never wait for this; tests and benchmarks do). */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Forgets the per-layer single/multi-thread measurements. */
  resetThreadPlans(): void {
    this.pool.resetPlans();
  }

  /** Tests: the worker with this thread id (1 ..) throws inside its next tile. */
  injectWorkerCrash(threadId: number): void {
    this.pool.injectCrash(threadId);
  }

  async dispose(): Promise<void> {
    await this.chain.catch(() => undefined);
    disposePoolPlans(this.ctx, this.poolPlans);
    await this.pool.dispose();
  }

  /** `enqueue` for ops with more outputs than the first (running statistics): only the first lives in the kernels' memory. */
  private async enqueueMany(o: OpOptions, fn: () => Promise<NDArray[]>): Promise<NDArray[]> {
    let rest: NDArray[] = [];
    const y = await this.enqueue(o, async () => {
      const ys = await fn();
      rest = ys.slice(1);
      return ys[0]!;
    });
    return [y, ...rest];
  }

  /** Runs ops one after another (they share the control block and scratch); a failed op frees the output it kept. */
  private enqueue(o: OpOptions, fn: () => Promise<NDArray>): Promise<NDArray> {
    const ctx = this.ctx;
    const run = async (): Promise<NDArray> => {
      if (o.signal?.aborted) throw abortError(o.signal);
      ctx.beginOp();
      ctx.keepOutputs = o.keep ?? false;
      try {
        const y = await fn();
        const at = ctx.pending.indexOf(y.data.byteOffset);
        if (at >= 0 && this.heap.owns(y.data)) this.kept.set(y.data, ctx.pending.splice(at, 1)[0]!);
        return y;
      } finally {
        // Only reached with pending blocks when the op failed (or, defensively, allocated more than its output).
        for (const p of ctx.pending.splice(0)) this.heap.release(p);
        ctx.keepOutputs = false;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as unknown;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error(reason instanceof Error ? reason.message : 'the run was cancelled');
  e.name = 'AbortError';
  return e;
}
