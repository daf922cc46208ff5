// The one error type checkpoint loading raises, and the size limits it enforces.

/**
 * What went wrong, for callers that react differently (the panel shows `unsafe` prominently, a
 * `state-dict` error lists keys): `io` the file cannot be read; `format` not a checkpoint we know;
 * `truncated` the bytes end early; `corrupt` inconsistent content; `too-large` a limit was hit;
 * `unsafe` the pickle names a global outside the allowlist; `unsupported` valid PyTorch content we
 * cannot load (sparse, quantized, complex); `state-dict` keys or shapes do not fit the model.
 */
export type CheckpointErrorKind = 'io' | 'format' | 'truncated' | 'corrupt' | 'too-large' | 'unsafe' | 'unsupported' | 'state-dict';

export class CheckpointError extends Error {
  constructor(
    readonly kind: CheckpointErrorKind,
    message: string,
    /** True when no reader check caught the problem and a lower-level exception was converted. */
    readonly internal = false,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface CheckpointLimits {
  /** Largest file accepted (default 2 GiB). */
  readonly maxFileBytes?: number;
  /** Largest safetensors JSON header (default 100 MB; the format's own reader caps it the same way). */
  readonly maxHeaderBytes?: number;
  /**
   * Largest tensor materialised, in bytes of its loaded dtype (default 2 GiB). Needed because a
   * stride-0 view (an `expand`ed tensor) is stored once but copies out at its full size.
   */
  readonly maxTensorBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_HEADER_BYTES = 100 * 1000 * 1000;
export const DEFAULT_MAX_TENSOR_BYTES = 2 * 1024 ** 3;

export interface ResolvedLimits {
  readonly maxFileBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxTensorBytes: number;
}

export function resolveLimits(l: CheckpointLimits | undefined): ResolvedLimits {
  return {
    maxFileBytes: l?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxHeaderBytes: l?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxTensorBytes: l?.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES,
  };
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export function checkFileSize(size: number, limits: ResolvedLimits): void {
  if (size > limits.maxFileBytes) {
    throw new CheckpointError('too-large', `checkpoint is ${formatBytes(size)}, over the ${formatBytes(limits.maxFileBytes)} limit`);
  }
}

/** A pickle named a global outside the allowlist; `global` is its dotted name (`posix.system`). */
export class UnsafeGlobalError extends CheckpointError {
  constructor(
    readonly global: string,
    message: string,
  ) {
    super('unsafe', message);
  }
}
