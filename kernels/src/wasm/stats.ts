// A tensor's mean, sum of squared deviations, min and max in one parallel SIMD pass (the executor's
// per-node statistics of tensors that live in the kernels' memory; exec/stats.ts finishes them).
import type { NDArray } from '../ndarray';
import type { KernelContext } from './context';
import * as S from './layout';

/** Moments of n float32 values; a non-finite mean or m2 means some value was NaN or infinite. */
export interface Moments {
  n: number;
  mean: number;
  /** Σ(x − mean)². */
  m2: number;
  min: number;
  max: number;
}

/** Elements per tile: big enough that claiming a tile costs nothing, small enough to share a 100K-element map. */
const CHUNK = 32768;

export async function runStats(ctx: KernelContext, x: NDArray): Promise<Moments> {
  const n = x.data.length;
  if (n === 0) return { n, mean: NaN, m2: NaN, min: NaN, max: NaN };
  const xPtr = ctx.input(x, 'stats');
  const ntiles = Math.ceil(n / CHUNK);
  // On the heap, not the arena: statistics are taken between ops, and must leave nothing behind.
  const outPtr = ctx.heap.alloc(ntiles * 40);
  const params = ctx.params();
  try {
    ctx.setSlots(params, { [S.C_H]: n, [S.C_W]: CHUNK, [S.C_X_PTR]: xPtr, [S.C_OUT_PTR]: outPtr });
    await ctx.run('stats', params, ntiles, `${ntiles}`);
    // Tile t summed d = x − c_t: Σx = S_t + n_t·c_t, and around the overall mean m,
    // Σ(x − m)² = Q_t − 2(m − c_t)·S_t + n_t·(m − c_t)².
    const t = new Float64Array(ctx.heap.memory.buffer, outPtr, ntiles * 5);
    const count = (i: number) => Math.min(CHUNK, n - i * CHUNK);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < ntiles; i++) {
      sum += t[5 * i]! + count(i) * t[5 * i + 4]!;
      min = Math.min(min, t[5 * i + 2]!);
      max = Math.max(max, t[5 * i + 3]!);
    }
    const mean = sum / n;
    let m2 = 0;
    for (let i = 0; i < ntiles; i++) {
      const d = mean - t[5 * i + 4]!;
      m2 += t[5 * i + 1]! - 2 * d * t[5 * i]! + count(i) * d * d;
    }
    return { n, mean, m2, min, max };
  } finally {
    ctx.heap.release(params);
    ctx.heap.release(outPtr);
  }
}
