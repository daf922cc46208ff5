// The loop every pool worker runs. It is shipped to workers as source text (Function.toString), so it
// must be self-contained: no imports, no module-level names, only its argument and globals.
import type { WorkerInit } from './protocol';

export function workerMain(init: WorkerInit): void {
  const L = init.layout;
  const instance = new WebAssembly.Instance(init.module, {
    env: {
      memory: init.memory,
      abort: () => {
        throw new Error('kernel abort');
      },
    },
  });
  const exportsByName = instance.exports as Record<string, unknown>;
  const fns = init.fnNames.map((n) => exportsByName[n] as (params: number, tile: number, thread: number) => void);
  const ctrl = new Int32Array(init.memory.buffer, init.ctrlPtr, L.SIZE);
  const me = init.index;
  let seen = Atomics.load(ctrl, L.GEN);
  Atomics.store(ctrl, L.READY + me, 1);
  for (;;) {
    // Spin a little first: the next layer's job usually follows within microseconds, and a futex
    // wake-up costs tens of them.
    for (let i = 0; i < init.spin && Atomics.load(ctrl, L.GEN) === seen; i++);
    if (Atomics.load(ctrl, L.GEN) === seen) Atomics.wait(ctrl, L.GEN, seen);
    if (Atomics.load(ctrl, L.STOP) !== 0) return;
    seen = Atomics.load(ctrl, L.GEN);
    for (;;) {
      const cur = Atomics.load(ctrl, L.NEXT);
      const tag = cur >>> L.TILE_BITS;
      if (tag === 0) break;
      const tile = cur & ((1 << L.TILE_BITS) - 1);
      if (tile >= Atomics.load(ctrl, L.NTILES)) break;
      if (Atomics.compareExchange(ctrl, L.NEXT, cur, cur + 1) !== cur) continue;
      // The claim succeeded, so this job is live until we report the tile: its slots are current.
      const ntiles = Atomics.load(ctrl, L.NTILES);
      if (tile >= ntiles) break;
      Atomics.store(ctrl, L.BUSY + me, 1);
      if (Atomics.load(ctrl, L.CRASH) === me) {
        Atomics.store(ctrl, L.CRASH, 0);
        throw new Error(`injected crash of kernel worker ${me}`);
      }
      fns[Atomics.load(ctrl, L.FN)]!(Atomics.load(ctrl, L.PARAMS), tile, me);
      Atomics.store(ctrl, L.BUSY + me, 0);
      if (Atomics.add(ctrl, L.DONE, 1) + 1 === ntiles) Atomics.notify(ctrl, L.DONE);
    }
  }
}
