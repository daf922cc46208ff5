// The compiled kernel module: which of the four builds to use, its exports by name, and the
// job-function table the pool dispatches by index.
import { supportsRelaxedSimd, supportsSharedMemory } from './detect';

export type Variant = 'relaxed' | 'simd128';

/** The .wasm files `npm run build` writes to out/kernels (kernels/assembly/build.mjs). */
export function variantFile(variant: Variant, shared: boolean): string {
  return `kernels-${variant}-${shared ? 'shared' : 'local'}.wasm`;
}

/** Parallel job exports, in the order of their FN index. */
export const JOB_FNS = ['conv_pack', 'conv_gemm', 'dw_conv', 'pool2d', 'pool2x2', 'linear', 'affine', 'moments', 'row_affine', 'stats', 'activation', 'binary', 'softmax', 'resample', 'strided'] as const;
export type JobName = (typeof JOB_FNS)[number];
export const FN: { [K in JobName]: number } = Object.fromEntries(JOB_FNS.map((n, i) => [n, i])) as { [K in JobName]: number };

export interface KernelExports {
  peak_madd(iters: number, xy: number): number;
}

export interface VariantChoice {
  variant: Variant;
  shared: boolean;
}

/**
 * relaxed: 'auto' uses relaxed SIMD where the engine validates it; true insists (error if absent);
 * false always takes the SIMD128 build. Shared memory wherever it exists, even for one thread:
 * growing a non-shared memory detaches its buffer, which empties every NDArray view handed out.
 */
export function chooseVariant(relaxed: boolean | 'auto'): VariantChoice {
  const hasRelaxed = supportsRelaxedSimd();
  if (relaxed === true && !hasRelaxed) {
    throw new Error('relaxed SIMD was requested but this JavaScript engine does not support it (Node 20 needs --experimental-wasm-relaxed-simd)');
  }
  return { variant: relaxed !== false && hasRelaxed ? 'relaxed' : 'simd128', shared: supportsSharedMemory() };
}
