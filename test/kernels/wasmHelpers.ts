// Shared by the WebAssembly fast-path tests: seeded tensors, the tolerance check, and backends.
import assert from 'node:assert/strict';
import { float32, type NDArray } from '../../kernels/src/ndarray';
import { rng } from '../support/rng';
import { createNodeBackend, type NodeBackendOptions } from '../../kernels/src/node/index';
import type { WasmBackend } from '../../kernels/src/wasm/backend';
import { runRef } from '../../kernels/src/ref/index';
import type { Graph, OpName, OpNode } from '../../server/src/engine/graph/ir';

export function randn(shape: readonly number[], seed: number, scale = 1): NDArray {
  const r = rng(seed);
  const t = float32(shape);
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = (r() * 2 - 1) * scale;
  return t;
}

/**
 * max|got - want| / max(1, max|want|) <= tol (1e-4 by default), and no NaN where the reference has
 * none. The fast path accumulates in float32 in its own order (bias first, taps in packed order,
 * fused multiply-add in the relaxed build), the reference in float64: for sums of a few hundred
 * O(1) products the difference is ~1e-6 of the largest magnitude; an unwritten (NaN-poisoned) or
 * misplaced element is off by O(1).
 */
export function assertClose(what: string, got: NDArray, want: NDArray, tol = 1e-4): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  let scale = 1;
  for (const v of want.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!;
    const w = want.data[i]!;
    if (Number.isNaN(w)) {
      assert.ok(Number.isNaN(g), `${what}: element ${i} is ${g}, the reference has NaN`);
      continue;
    }
    if (w === Infinity || w === -Infinity) {
      assert.equal(g, w, `${what}: element ${i}`);
      continue;
    }
    assert.ok(Math.abs(g - w) <= tol * scale, `${what}: element ${i} is ${g}, the reference has ${w}`);
  }
}

export function relu(t: NDArray): NDArray {
  return { shape: t.shape, dtype: 'float32', data: Float32Array.from(t.data, (v) => (v > 0 || Number.isNaN(v) ? v : 0)) };
}

/** Copies an arena view out (arena memory is reused after resetArena). */
export function copy(t: NDArray): NDArray {
  return { shape: t.shape.slice(), dtype: t.dtype, data: new Float32Array(t.data as Float32Array) };
}

/** A backend with NaN-poisoned outputs; every test file shares one per configuration. */
const cache = new Map<string, Promise<WasmBackend>>();
export function backend(opts: NodeBackendOptions): Promise<WasmBackend> {
  const key = JSON.stringify(opts);
  let b = cache.get(key);
  if (!b) {
    b = createNodeBackend({ poisonOutputs: true, ...opts }).then(async (be) => {
      await be.ready();
      return be;
    });
    cache.set(key, b);
  }
  return b;
}

export async function disposeAll(): Promise<void> {
  for (const b of cache.values()) await (await b).dispose();
  cache.clear();
}

/** The four configurations the fast-path tests run in: both builds, on one thread and on two (always split). */
export const CONFIGS: readonly NodeBackendOptions[] = [
  { threads: 1, relaxed: false },
  { threads: 1, relaxed: true },
  { threads: 2, relaxed: false, parallel: 'always' },
  { threads: 2, relaxed: true, parallel: 'always' },
];

export function describeConfig(o: NodeBackendOptions): string {
  return `${o.relaxed ? 'relaxed SIMD' : 'SIMD128'}, ${o.threads} thread${o.threads === 1 ? '' : 's'}${o.sharedMemory === false ? ', non-shared memory' : ''}`;
}

/**
 * One node over the given inputs as a graph, with its reference outputs (which also give the outputs'
 * shapes and dtypes; `want` is the first, `wants` all of them, each a graph output); `output` stands
 * in for a node the reference refuses (only its support is asked then).
 */
export function nodeGraph(op: OpName, attrs: unknown, inputs: readonly NDArray[], output?: NDArray): { graph: Graph; want: NDArray; wants: NDArray[] } {
  const wants = output ? [output] : runRef(op, inputs, attrs as never);
  const outIds = wants.map((_, k) => inputs.length + k);
  const node = { op, attrs, inputs: inputs.map((_, i) => i), outputs: outIds, path: op, line: 1 } as OpNode;
  const graph: Graph = {
    values: [...inputs.map((x, i) => ({ id: i, shape: x.shape.slice(), dtype: x.dtype })), ...wants.map((w, k) => ({ id: inputs.length + k, shape: w.shape.slice(), dtype: w.dtype }))],
    nodes: [node],
    inputs: inputs.map((_, i) => i),
    outputs: outIds,
  };
  return { graph, want: wants[0]!, wants };
}
