// A tensor found in a checkpoint: its shape and stored dtype at once, its values on first use.
import type { NDArray, KDType } from '../ndarray';
import { loadedDType, type SourceDType } from './dtypes';
import { PyBuildable, type PyValue } from './pyValues';

/**
 * Values are materialised lazily: a training checkpoint also holds optimizer state the model
 * never reads, and copying that out would double the memory for nothing. Every byte range is
 * validated when the checkpoint is read, so materialising only fails on a resource limit.
 */
export class CheckpointTensor extends PyBuildable {
  readonly pyType = 'Tensor';
  private cached: NDArray | undefined;

  constructor(
    readonly shape: readonly number[],
    /** The dtype the file stores (`float16`, `int32`, ...). */
    readonly sourceDtype: SourceDType,
    private readonly materialise: () => NDArray,
  ) {
    super();
  }

  /** The dtype the values load as: float32, int64 or bool. */
  get dtype(): KDType {
    return loadedDType(this.sourceDtype);
  }

  /** The values as a contiguous row-major NDArray (computed once, then shared). */
  toNDArray(): NDArray {
    this.cached ??= this.materialise();
    return this.cached;
  }

  /** BUILD on a tensor carries Python attributes (a subclass's __dict__); they do not change the values. */
  build(_state: PyValue): void {}
}
