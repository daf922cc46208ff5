// The kernels' memory manager: allocation, coalescing of freed blocks, growth, its limit, arenas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, Heap, WasmHeapError } from '../../kernels/src/wasm/heap';

const newMemory = (pages: number, max: number) => new WebAssembly.Memory({ initial: pages, maximum: max });

test('blocks are 64-byte aligned, disjoint, and freed space is reused after coalescing', () => {
  const heap = new Heap(newMemory(4, 16), 100, 16 * 65536);
  const a = heap.alloc(10);
  const b = heap.alloc(100);
  const c = heap.alloc(1000);
  for (const p of [a, b, c]) assert.equal(p % 64, 0);
  assert.ok(a + 64 <= b && b + 128 <= c);
  heap.release(a);
  heap.release(b);
  // a and b merged into one 192-byte hole: a 150-byte block fits at a.
  assert.equal(heap.alloc(150), a);
  assert.throws(() => heap.release(12345), WasmHeapError);
});

test('the heap grows the memory when full and refuses to pass its limit with the figures', () => {
  const mem = newMemory(2, 8);
  const heap = new Heap(mem, 0, 8 * 65536);
  const big = heap.alloc(3 * 65536);
  assert.ok(mem.buffer.byteLength >= 4 * 65536);
  assert.ok(big + 3 * 65536 <= mem.buffer.byteLength);
  assert.throws(() => heap.alloc(20 * 65536), /exceed its limit: .* MiB needed, limit 0.5 MiB/);
});

test('an arena frees everything it handed out at reset', () => {
  const heap = new Heap(newMemory(4, 4), 0, 4 * 65536);
  const arena = new Arena(heap);
  const before = heap.bytesInUse;
  arena.alloc(1000);
  arena.alloc(5000);
  assert.ok(heap.bytesInUse > before);
  arena.reset();
  assert.equal(heap.bytesInUse, before);
  assert.equal(arena.count, 0);
});

test('views into the memory are recognised, also after the memory grew', () => {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 8, shared: true });
  const heap = new Heap(mem, 0, 8 * 65536);
  const early = heap.f32(heap.alloc(16), 4);
  heap.alloc(4 * 65536);
  assert.ok(heap.owns(early));
  assert.ok(!heap.owns(new Float32Array(4)));
});
