// Microbenchmark of the WebAssembly fast path alone: the heavy convolutions of issue 5 against the
// machine's SIMD multiply-add peak measured in the same run (interleaved, so load from other
// processes hits both alike). `npm run bench:wasm`; the cross-runtime comparison is harness.ts.
import type { ConvAttrs } from '../../../server/src/engine/graph/ir';
import { createNodeBackend, type WasmBackend } from '../../../kernels/src/node/index';
import { float32, type NDArray } from '../../../kernels/src/ndarray';
import { rng } from '../../support/rng';

interface Workload {
  name: string;
  x: number[];
  w: number[];
  stride: number;
  pad: number;
  groups: number;
}

const WORKLOADS: Workload[] = [
  { name: '3x3 conv 64->64 @56x56', x: [1, 64, 56, 56], w: [64, 64, 3, 3], stride: 1, pad: 1, groups: 1 },
  { name: '3x3 conv 128->128 @28x28', x: [1, 128, 28, 28], w: [128, 128, 3, 3], stride: 1, pad: 1, groups: 1 },
  { name: '7x7/2 conv 3->64 @224x224', x: [1, 3, 224, 224], w: [64, 3, 7, 7], stride: 2, pad: 3, groups: 1 },
  { name: 'depthwise 3x3 32ch @112x112', x: [1, 32, 112, 112], w: [32, 1, 3, 3], stride: 1, pad: 1, groups: 32 },
];

interface Config {
  label: string;
  relaxed: boolean;
  threads: number;
  parallel?: 'always';
  backend?: WasmBackend;
}

const CONFIGS: Config[] = [
  { label: 'SIMD128, 1 thread', relaxed: false, threads: 1 },
  { label: 'SIMD128, 2 threads', relaxed: false, threads: 2 },
  { label: 'relaxed, 1 thread', relaxed: true, threads: 1 },
  { label: 'relaxed, 2 threads', relaxed: true, threads: 2 },
  // Without the adaptive plan: what two threads give (or cost, when the other core is busy).
  { label: 'relaxed, 2 threads forced', relaxed: true, threads: 2, parallel: 'always' },
];

function randn(shape: number[], seed: number): NDArray {
  const r = rng(seed);
  const t = float32(shape);
  (t.data as Float32Array).forEach((_, i, d) => (d[i] = r() * 2 - 1));
  return t;
}

function flops(w: Workload): number {
  const [, , H, W] = w.x as [number, number, number, number];
  const [OC, ICg, KH, KW] = w.w as [number, number, number, number];
  const OH = Math.floor((H + 2 * w.pad - KH) / w.stride) + 1;
  const OW = Math.floor((W + 2 * w.pad - KW) / w.stride) + 1;
  return 2 * OC * OH * OW * ICg * KH * KW;
}

const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;

async function main(): Promise<void> {
  const reps = Number(process.env.REPS ?? 15);
  for (const c of CONFIGS) {
    c.backend = await createNodeBackend({ threads: c.threads, relaxed: c.relaxed, parallel: c.parallel });
    await c.backend.ready();
  }
  const plain = CONFIGS[0]!.backend!;
  const fused = CONFIGS[2]!.backend!;
  console.log(`WebAssembly kernels: relaxed build ${fused.variant === 'relaxed' ? 'available' : 'NOT available'}; ${reps} interleaved repetitions per cell`);
  // Peaks are sampled between the convolutions in short runs: their median compares with the
  // convolutions' median time, their best with the best time (the least disturbed by other load).
  const peaks = { madd: [] as number[], fma: [] as number[], maddBest: 0, fmaBest: 0 };
  const samplePeaks = () => {
    peaks.madd.push(plain.peakGflops(3, 'median'));
    peaks.fma.push(fused.peakGflops(3, 'median'));
    peaks.maddBest = Math.max(peaks.maddBest, plain.peakGflops(3, 'best'));
    peaks.fmaBest = Math.max(peaks.fmaBest, fused.peakGflops(3, 'best'));
  };
  const results: Array<{ w: Workload; c: Config; times: number[]; modes: Set<string> }> = [];
  for (const w of WORKLOADS) {
    const x = randn(w.x, 1);
    const wt = randn(w.w, 2);
    const b = randn([w.w[0]!], 3);
    const attrs: ConvAttrs = { nd: 2, stride: [w.stride, w.stride], padBefore: [w.pad, w.pad], padAfter: [w.pad, w.pad], dilation: [1, 1], groups: w.groups, bias: true };
    const handles = CONFIGS.map((c) => c.backend!.prepareConv(wt, b, attrs));
    const xs = CONFIGS.map((c) => c.backend!.upload(x));
    const rows = CONFIGS.map((c) => ({ w, c, times: [] as number[], modes: new Set<string>() }));
    // Warm-up: V8 runs the first calls in its baseline tier, and the thread plans probe first.
    for (let i = 0; i < 3; i++) for (const [k, c] of CONFIGS.entries()) await c.backend!.conv(handles[k]!, xs[k]!);
    for (let r = 0; r < reps; r++) {
      samplePeaks();
      for (const [k, c] of CONFIGS.entries()) {
        const t0 = performance.now();
        await c.backend!.conv(handles[k]!, xs[k]!);
        rows[k]!.times.push(performance.now() - t0);
        rows[k]!.modes.add(c.backend!.lastMode);
        c.backend!.resetArena();
        xs[k] = c.backend!.upload(x);
      }
    }
    CONFIGS.forEach((c, k) => c.backend!.release(handles[k]!));
    results.push(...rows);
  }
  const pMadd = median(peaks.madd);
  const pFma = median(peaks.fma);
  console.log(`SIMD128 multiply-add peak, one core: median ${pMadd.toFixed(1)}, best ${peaks.maddBest.toFixed(1)} GFLOP/s; relaxed fused multiply-add: median ${pFma.toFixed(1)}, best ${peaks.fmaBest.toFixed(1)} GFLOP/s`);
  const pct = (gf: number, peak: number) => `${((100 * gf) / peak).toFixed(0)}%`;
  const rows = results.map(({ w, c, times, modes }) => {
    const ms = median(times);
    const best = Math.min(...times);
    const gf = flops(w) / ms / 1e6;
    const gfBest = flops(w) / best / 1e6;
    return [
      w.name, c.label, ms.toFixed(2), gf.toFixed(1), pct(gf, pMadd), c.relaxed ? pct(gf, pFma) : '',
      best.toFixed(2), pct(gfBest, peaks.maddBest), c.relaxed ? pct(gfBest, peaks.fmaBest) : '',
      c.threads > 1 && !c.parallel ? [...modes].join('/') : '',
    ];
  });
  // Percentages of the one-core peak: a 2-thread row can pass 100%.
  const head = ['workload', 'config', 'median ms', 'GFLOP/s', '% SIMD128', '% FMA', 'best ms', '% SIMD128 (best)', '% FMA (best)', 'thread plan'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const c of CONFIGS) await c.backend!.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
