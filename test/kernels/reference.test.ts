// The reference kernels against PyTorch: every fixture case run node by node and compared with what PyTorch computed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';
import { OP_NAMES, REF_KERNELS, runRef } from '../../kernels/src/ref/index';
import type { OpName } from '../../server/src/engine/graph/ir';
import { loadKernelFixtures, type KernelCase } from '../support/kernelFixtures';
import { assertMatchesTorch } from '../support/torchCheck';

const { cases } = loadKernelFixtures();

/**
 * The float tolerance: max|a − b| / max(1, max|b|) ≤ 1e-4. Scaling by the tensor's largest magnitude
 * (not per element) is what float32 accumulation supports: a sum's rounding error grows with the size
 * of its terms, not of its result, so an element that cancels to near zero carries the error of its
 * neighbours; the floor of 1 keeps tiny-valued tensors (softmax tails) from being judged on noise.
 * Our float64 accumulation sits well inside it (typical 1e-7); a wrong index or window is off by O(1).
 */
const TOL = 1e-4;

/** Compares one output with PyTorch's: same dtype and shape, every element (NaN where and only where PyTorch has NaN). */
const check = (what: string, got: NDArray | undefined, want: NDArray): void => assertMatchesTorch(what, got, want, TOL);

function copy(a: NDArray): NDArray {
  return { shape: a.shape.slice(), dtype: a.dtype, data: a.data.slice() };
}

/** Runs a case's nodes in order; checks every kernel returns fresh buffers and leaves its inputs untouched. */
function run(c: KernelCase): Map<string, NDArray> {
  const env = new Map(c.given);
  for (const n of c.nodes) {
    const ins = n.inputs.map((name) => {
      const t = env.get(name);
      assert.ok(t, `${c.id}: ${n.op} reads '${name}', which no earlier node or given tensor defines`);
      return t;
    });
    const before = ins.map(copy);
    const outs = runRef(n.op, ins, n.attrs as never);
    assert.equal(outs.length, n.outputs.length, `${c.id}: ${n.op} returned ${outs.length} outputs, the case expects ${n.outputs.length}`);
    for (const o of outs) assert.ok(!ins.some((i) => i.data.buffer === o.data.buffer), `${c.id}: ${n.op} returned a view of its input, not a fresh tensor`);
    ins.forEach((t, i) => assert.deepEqual(t.data, before[i].data, `${c.id}: ${n.op} modified its input ${n.inputs[i]}`));
    n.outputs.forEach((name, i) => env.set(name, outs[i]));
  }
  return env;
}

test('the kernel fixtures were read', () => {
  assert.ok(cases.length >= 200, `only ${cases.length} fixture cases`);
});

test('every fixture op has a reference kernel, and every kernel has fixtures', () => {
  const used = new Set(cases.flatMap((c) => c.nodes.map((n) => n.op)));
  const missing = [...used].filter((op) => !(op in REF_KERNELS));
  assert.deepEqual(missing, [], `fixture ops without a reference kernel: ${missing.join(', ')}`);
  const untested = OP_NAMES.filter((op: OpName) => !used.has(op));
  assert.deepEqual(untested, [], `reference kernels no fixture exercises: ${untested.join(', ')}`);
});

for (const c of cases) {
  test(`${c.nodes.map((n) => n.op).join('→')} ${c.id}`, () => {
    const env = run(c);
    for (const [name, want] of c.expected) check(`${c.id} ${name}`, env.get(name), want);
  });
}

test('check() rejects a wrong element, a wrong shape and a NaN PyTorch does not have', () => {
  const want: NDArray = { shape: [2, 2], dtype: 'float32', data: new Float32Array([1, 2, 3, 4]) };
  assert.throws(() => check('x', { ...want, data: new Float32Array([1, 2, 3, 4.01]) }, want));
  assert.throws(() => check('x', { ...want, shape: [4] }, want));
  assert.throws(() => check('x', { ...want, data: new Float32Array([1, NaN, 3, 4]) }, want));
  assert.throws(() => check('x', { ...want, data: new Float32Array([1, 2, 3, 0]) }, want));
  check('x', { ...want, data: new Float32Array([1, 2, 3, 4.0001]) }, want);
});
