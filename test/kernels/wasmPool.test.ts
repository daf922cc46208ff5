// The worker pool behind the fast path: 1 and 2 threads give identical results, a worker that dies
// fails the run with a message (never a hang) and is replaced, cancellation rejects before an op.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConvAttrs, MaxPoolAttrs } from '../../server/src/engine/graph/ir';
import { assertClose, backend, copy, disposeAll, randn } from './wasmHelpers';
import { createNodeBackend } from '../../kernels/src/node/index';
import { KernelPool } from '../../kernels/src/pool/pool';

after(disposeAll);

const same = (p: number): ConvAttrs => ({ nd: 2, stride: [1, 1], padBefore: [p, p], padAfter: [p, p], dilation: [1, 1], groups: 1, bias: true });

test('1 and 2 threads compute bit-identical results (dense conv, depthwise, pooling, linear)', async () => {
  const one = await backend({ threads: 1, relaxed: false });
  const two = await backend({ threads: 2, relaxed: false, parallel: 'always' });
  assert.equal(two.threads, 2);
  const x = randn([2, 16, 20, 20], 1);
  const w = randn([24, 16, 3, 3], 2, 0.2);
  const dw = randn([16, 1, 3, 3], 3);
  const b = randn([24], 4);
  const mp: MaxPoolAttrs = { nd: 2, kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], ceilMode: false, returnIndices: false };
  const lw = randn([30, 16 * 20 * 20], 5, 0.05);
  const modes: string[] = [];
  const results = async (be: typeof one) => {
    const dense = copy(await be.conv(be.prepareConv(w, b, same(1)), x));
    modes.push(be.lastMode);
    return [
      dense,
      copy(await be.conv(be.prepareConv(dw, null, { ...same(1), groups: 16, bias: false }), x)),
      copy(await be.maxPool(x, mp)),
      copy(await be.linear(be.prepareLinear(lw, null), { shape: [2, 16 * 20 * 20], dtype: 'float32', data: x.data })),
    ];
  };
  const r1 = await results(one);
  const r2 = await results(two);
  assert.deepEqual(modes, ['single', 'multi'], 'the 2-thread backend really ran the conv on both threads');
  r1.forEach((t, i) => assert.deepEqual(r2[i]!.data, t.data, `op ${i}`));
  one.resetArena();
  two.resetArena();
});

test('the adaptive plan measures one thread against all of them on a layer\'s first runs, then picks one', async () => {
  const be = await backend({ threads: 2, relaxed: false });
  const h = be.prepareConv(randn([32, 16, 3, 3], 1), null, { ...same(1), bias: false });
  const x = randn([1, 16, 24, 24], 2);
  const first = copy(await be.conv(h, x));
  // The first three calls probe (kernels still tier up and caches are cold then), later ones choose.
  for (let i = 1; i < 3; i++) {
    assert.equal(be.lastMode, 'probe', `call ${i}`);
    assert.deepEqual((await be.conv(h, x)).data, first.data);
  }
  assert.equal(be.lastMode, 'probe');
  const fourth = await be.conv(h, x);
  const mode: string = be.lastMode;
  assert.ok(mode === 'single' || mode === 'multi', mode);
  assert.deepEqual(fourth.data, first.data);
  be.resetArena();
});

test('a worker that dies during an op fails that op with a message, is restarted, and the next op works', async () => {
  const be = await createNodeBackend({ threads: 2, relaxed: false, parallel: 'always', poisonOutputs: true });
  try {
    await be.ready();
    const a = same(1);
    const w = randn([64, 32, 3, 3], 1, 0.1);
    const h = be.prepareConv(w, null, { ...a, bias: false });
    const x = randn([1, 32, 40, 40], 2);
    const want = copy(await be.conv(h, x));
    // The worker only crashes if it claims a tile; it spins on new jobs, so it almost always does
    // within a few attempts of a 60-tile job.
    let failure: Error | null = null;
    for (let attempt = 0; attempt < 20 && !failure; attempt++) {
      be.injectWorkerCrash(1);
      await be.conv(h, x).catch((e: Error) => {
        failure = e;
      });
    }
    assert.ok(failure, 'the crash never happened');
    assert.match((failure as Error).message, /kernel worker 1 died.*restarted.*failed/);
    await be.ready();
    assert.equal(be.threads, 2);
    assertClose('after the restart', await be.conv(h, x), want, 0);
  } finally {
    await be.dispose();
  }
});

test('an output kept on the heap outlives the arena reset until freed, and an op that fails frees the output it had allocated', async () => {
  const be = await createNodeBackend({ threads: 2, relaxed: false, parallel: 'always' });
  try {
    await be.ready();
    const h = be.prepareConv(randn([16, 8, 3, 3], 1, 0.1), null, { ...same(1), bias: false });
    const x = randn([1, 8, 24, 24], 2);
    const want = copy(await be.conv(h, x));
    be.resetArena();
    const y = await be.conv(h, x, { keep: true });
    assert.ok(be.holds(y) && be.keptCount === 1);
    be.resetArena();
    // Reused as the next op's input in place (no copy into the arena), and still intact after it.
    const uploaded = be.uploadedBytes;
    const z = await be.conv(be.prepareConv(randn([16, 16, 1, 1], 3, 0.1), null, { ...same(0), bias: false }), y, { keep: true });
    assert.equal(be.uploadedBytes, uploaded);
    be.resetArena();
    assertClose('kept output after a reset and another op', y, want, 0);
    assert.equal(be.free(y), true);
    assert.equal(be.free(y), false, 'a second free is refused');
    assert.equal(be.free(want), false, 'an array the backend did not keep is not freed');
    assert.equal(be.free(z), true);
    // The worker only crashes if it claims a tile: a job of many tiles, so it does within a few attempts.
    const big = be.prepareConv(randn([64, 32, 3, 3], 4, 0.1), null, { ...same(1), bias: false });
    const bigX = randn([1, 32, 40, 40], 5);
    // Its plan and scratch space stay allocated after the first call: that call sets the baseline.
    assert.equal(be.free(await be.conv(big, bigX, { keep: true })), true);
    be.resetArena();
    let failure: Error | null = null;
    for (let attempt = 0; attempt < 20 && !failure; attempt++) {
      be.injectWorkerCrash(1);
      const before = be.bytesInUse;
      await be.conv(big, bigX, { keep: true }).then(
        (r) => assert.equal(be.free(r), true),
        (e: Error) => (failure = e),
      );
      be.resetArena();
      assert.equal(be.bytesInUse, before, `attempt ${attempt}: the op's output was freed`);
    }
    assert.ok(failure, 'the crash never happened');
    assert.equal(be.keptCount, 0);
  } finally {
    await be.dispose();
  }
});

test('an aborted signal rejects the op before it starts, with an AbortError', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const ac = new AbortController();
  ac.abort();
  const h = be.prepareConv(randn([2, 2, 1, 1], 1), null, { ...same(0), bias: false });
  await assert.rejects(be.conv(h, randn([1, 2, 3, 3], 2), { signal: ac.signal }), (e: Error) => e.name === 'AbortError');
  // The backend is still usable afterwards.
  assert.equal((await be.conv(h, randn([1, 2, 3, 3], 2))).shape.join(), '1,2,3,3');
  be.resetArena();
});

test('a pool over a non-shared memory (browsers without cross-origin isolation) keeps working after the memory grows', async () => {
  // Growing a non-shared memory detaches its buffer and every view of it, the pool's control block too.
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  const tiles: number[] = [];
  const pool = new KernelPool({
    module: new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])),
    memory, fns: [(_params, tile) => tiles.push(tile)], fnNames: ['job'], ctrlPtr: 64, threads: 1, host: null,
  });
  await pool.run(0, 0, 2, 'k');
  memory.grow(1);
  pool.injectCrash(1);
  await pool.run(0, 0, 3, 'k');
  assert.deepEqual(tiles, [0, 1, 0, 1, 2]);
  await pool.ready();
  await pool.dispose();
  await assert.rejects(pool.run(0, 0, 1, 'k'), /disposed/);
});
