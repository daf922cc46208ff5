// Memory management of the kernels' WebAssembly memory: a first-fit free-list heap for long-lived
// buffers (packed weights, plans) and an arena on top of it for a run's activations.

/** Every block starts on a cache line, so SIMD loads of a buffer never straddle two blocks' lines. */
const ALIGN = 64;
/**
 * Never handed out: kernels read a little past the end of their inputs (the last tile of the flat
 * output grid, see kernels/assembly/pack.ts), and those reads must stay inside the memory.
 */
const GUARD = 64 * 1024;
const PAGE = 65536;

export class WasmHeapError extends Error {
  override name = 'WasmHeapError';
}

export class Heap {
  /** Free blocks [start, size], sorted by start, never adjacent (coalesced). */
  private free: Array<[number, number]> = [];
  private sizes = new Map<number, number>();
  private end: number;
  private inUse = 0;
  private peak = 0;
  /** Every ArrayBuffer/SharedArrayBuffer object this memory has exposed, so views made before a grow are recognised. */
  private readonly buffers = new Set<ArrayBufferLike>();

  constructor(
    readonly memory: WebAssembly.Memory,
    start: number,
    private readonly maxBytes: number,
  ) {
    const base = align(start);
    this.end = memory.buffer.byteLength - GUARD;
    if (this.end > base) this.free.push([base, this.end - base]);
    this.buffers.add(memory.buffer);
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  /** The most bytes in use at once since the last `resetPeak` (tests: activations freed after their last use). */
  get peakBytesInUse(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.inUse;
  }

  /** Allocates `bytes` (rounded up to 64), growing the memory when needed. */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const [s, n] = this.free[i]!;
      if (n < size) continue;
      if (n === size) this.free.splice(i, 1);
      else this.free[i] = [s + size, n - size];
      this.sizes.set(s, size);
      this.inUse += size;
      if (this.inUse > this.peak) this.peak = this.inUse;
      return s;
    }
    this.grow(size);
    return this.alloc(bytes);
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new WasmHeapError(`release of a pointer the heap did not hand out (${ptr})`);
    this.sizes.delete(ptr);
    this.inUse -= size;
    this.insertFree(ptr, size);
  }

  /** A Float32Array over `n` floats at `ptr` (valid until the memory grows, for non-shared memory). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  /** Whether `a` is a view into this memory (then its byteOffset is its pointer). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer) || a.buffer === this.memory.buffer;
  }

  private insertFree(ptr: number, size: number): void {
    const f = this.free;
    let i = 0;
    while (i < f.length && f[i]![0] < ptr) i++;
    f.splice(i, 0, [ptr, size]);
    // Merge with the next block, then with the previous one.
    if (i + 1 < f.length && f[i]![0] + f[i]![1] === f[i + 1]![0]) {
      f[i]![1] += f[i + 1]![1];
      f.splice(i + 1, 1);
    }
    if (i > 0 && f[i - 1]![0] + f[i - 1]![1] === f[i]![0]) {
      f[i - 1]![1] += f[i]![1];
      f.splice(i, 1);
    }
  }

  private grow(size: number): void {
    const current = this.memory.buffer.byteLength;
    // Grow by at least a quarter of the current size, so a run of allocations grows rarely.
    const need = Math.ceil((size + GUARD) / PAGE);
    const room = Math.floor((this.maxBytes - current) / PAGE);
    const pages = Math.min(Math.max(need, Math.ceil(current / 4 / PAGE)), room);
    if (pages < need) {
      throw new WasmHeapError(
        `the kernels' memory would exceed its limit: ${mib(this.inUse + size)} MiB needed, limit ${mib(this.maxBytes)} MiB`,
      );
    }
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new WasmHeapError(`could not grow the kernels' memory to ${mib(current + pages * PAGE)} MiB: ${(e as Error).message}`);
    }
    this.buffers.add(this.memory.buffer);
    const oldEnd = this.end;
    this.end = this.memory.buffer.byteLength - GUARD;
    this.insertFree(oldEnd, this.end - oldEnd);
  }
}

/** Allocations that live until `reset()`: a run's activations. */
export class Arena {
  private ptrs: number[] = [];

  constructor(private readonly heap: Heap) {}

  alloc(bytes: number): number {
    const p = this.heap.alloc(bytes);
    this.ptrs.push(p);
    return p;
  }

  /** Frees everything allocated since the last reset; views handed out before become invalid. */
  reset(): void {
    for (const p of this.ptrs) this.heap.release(p);
    this.ptrs = [];
  }

  get count(): number {
    return this.ptrs.length;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}
