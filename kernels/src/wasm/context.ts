// What the op files (conv, pool, linear, element-wise) share: the heap and arena, the pool, scratch
// space, and moving NDArrays in and out of the kernels' memory.
import { numel, type NDArray } from '../ndarray';
import type { Arena, Heap } from './heap';
import type { KernelPool } from '../pool/pool';
import type { JobName } from './module';
import { FN } from './module';
import { C_SLOTS, L_SLOTS } from './layout';

const PARAM_SLOTS = Math.max(C_SLOTS, L_SLOTS);

export class KernelContext {
  private scratchPtr = 0;
  private scratchBytes = 0;
  private i32View: Int32Array | null = null;
  /**
   * Set by the backend around one op: allocate its output on the heap (owned by the caller until
   * freed) instead of the arena. `pending` lists those outputs until the op has succeeded.
   */
  keepOutputs = false;
  readonly pending: number[] = [];
  /** Bytes `input` copied into the memory (inputs that were not already views of it). */
  uploadedBytes = 0;
  /** Arrays `input` copied into the arena, with the op they were copied for. */
  private readonly uploads = new WeakMap<Float32Array, { ptr: number; op: number }>();
  private op = 0;

  /** Called as each op starts: copies made for earlier ops are not reused. */
  beginOp(): void {
    this.op++;
  }

  constructor(
    readonly heap: Heap,
    readonly arena: Arena,
    readonly pool: KernelPool,
    /** Threads a job may use at most (the caller and every worker): sizes per-thread scratch. */
    readonly maxThreads: number,
    /** Fill every output with NaN before the kernel writes it (tests: an unwritten element cannot pass). */
    public poisonOutputs: boolean,
  ) {}

  /** A region of at least `bytes`, reused by every op (ops run one at a time). */
  scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr) this.heap.release(this.scratchPtr);
      this.scratchBytes = Math.ceil(bytes * 1.25);
      this.scratchPtr = this.heap.alloc(this.scratchBytes);
    }
    return this.scratchPtr;
  }

  /**
   * Pointer to `x`'s float32 data in the kernels' memory, copying it into the arena if it lives
   * elsewhere; within one op an array is copied once (a norm reads its input for the statistics,
   * then for the normalisation). Not across ops: the caller may change the array in between.
   */
  input(x: NDArray, op: string): number {
    if (x.dtype !== 'float32' || !(x.data instanceof Float32Array)) throw new Error(`${op}: the fast path takes float32 tensors, got ${x.dtype}`);
    if (x.data.length !== numel(x.shape)) throw new Error(`${op}: ${x.data.length} values for shape [${x.shape.join(', ')}]`);
    if (this.heap.owns(x.data)) return x.data.byteOffset;
    const up = this.uploads.get(x.data);
    if (up && up.op === this.op) return up.ptr;
    this.uploadedBytes += x.data.length * 4;
    const p = this.arena.alloc(x.data.length * 4);
    this.heap.f32(p, x.data.length).set(x.data);
    this.uploads.set(x.data, { ptr: p, op: this.op });
    return p;
  }

  /** A fresh tensor of this shape (a view into the kernels' memory): in the arena, or on the heap when `keepOutputs`. */
  output(shape: readonly number[]): { ptr: number; array: NDArray } {
    const n = numel(shape);
    let ptr: number;
    if (this.keepOutputs) {
      ptr = this.heap.alloc(n * 4);
      this.pending.push(ptr);
    } else ptr = this.arena.alloc(n * 4);
    const data = this.heap.f32(ptr, n);
    if (this.poisonOutputs) data.fill(NaN);
    return { ptr, array: { shape: shape.slice(), dtype: 'float32', data } };
  }

  /** Copies a small constant (weights, tables) into a long-lived heap block. */
  persistF32(values: ArrayLike<number>): number {
    const p = this.heap.alloc(Math.max(1, values.length) * 4);
    this.heap.f32(p, values.length).set(values);
    return p;
  }

  persistI32(values: ArrayLike<number>): number {
    const p = this.heap.alloc(Math.max(1, values.length) * 4);
    this.heap.i32(p, values.length).set(values);
    return p;
  }

  /** A new parameter block (long-lived: plans keep theirs). */
  params(): number {
    return this.heap.alloc(PARAM_SLOTS * 4);
  }

  /** Writes parameter slots (slot -> value) into a parameter block. */
  setSlots(params: number, slots: Record<number, number>): void {
    const m = this.mem32();
    const base = params >> 2;
    // for-in over integer keys: no entries array per call (small layers run this on every op).
    for (const k in slots) m[base + +k] = slots[k as unknown as number]!;
  }

  /**
   * The whole memory as int32, kept across ops: made again only when the buffer changed (a
   * non-shared memory that grew), instead of a new view per parameter write. Hot paths write slot
   * s of block p as m[(p >> 2) + s], after their last allocation (which may grow the memory).
   */
  mem32(): Int32Array {
    const buf = this.heap.memory.buffer;
    if (this.i32View === null || this.i32View.buffer !== buf) this.i32View = new Int32Array(buf);
    return this.i32View;
  }

  run(job: JobName, params: number, ntiles: number, key: string): Promise<void> {
    return this.pool.run(FN[job], params, ntiles, `${job}:${key}`);
  }

  /** `run` with the pool's plan key already built (`job:key`), so a layer's repeated calls build no string. */
  runKeyed(job: JobName, params: number, ntiles: number, fullKey: string): Promise<void> {
    return this.pool.run(FN[job], params, ntiles, fullKey);
  }
}

/** The float32 bit pattern of `v`, for the i32 parameter slots. */
export function f32bits(v: number): number {
  const b = new Float32Array([v]);
  return new Int32Array(b.buffer)[0]!;
}

/** Batch dims, channels and spatial dims of x for an op over the last `nd` dims. */
export function splitLayout(op: string, shape: readonly number[], nd: number): { lead: number[]; N: number; C: number; spatial: number[] } {
  if (shape.length < nd + 1) throw new Error(`${op}: input [${shape.join(', ')}] needs at least ${nd + 1} dims (channels and ${nd} spatial)`);
  const lead = shape.slice(0, shape.length - nd - 1);
  return { lead, N: lead.reduce((a, b) => a * b, 1), C: shape[shape.length - nd - 1]!, spatial: shape.slice(shape.length - nd) };
}
