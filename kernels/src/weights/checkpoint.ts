// Entry point for reading any checkpoint: picks the reader from the bytes and guarantees that
// bad input surfaces as a CheckpointError, whatever inside the readers tripped over it.
import { CheckpointError, checkFileSize, resolveLimits, type CheckpointLimits } from './errors';
import { CheckpointTensor } from './checkpointTensor';
import { PyDict, type PyValue } from './pyValues';
import { looksLikeSafetensors, readSafetensors } from './safetensors';
import { looksLikeZip, readTorchLegacy, readTorchZip } from './torchPt';

export type CheckpointFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

export interface Checkpoint {
  readonly format: CheckpointFormat;
  /**
   * What the file holds: for .safetensors a dict of tensors; for torch.save whatever object was
   * saved (a state dict, or a dict nesting one), with tensors as CheckpointTensor.
   */
  readonly root: PyValue;
}

// The first byte of a pickle: PROTO (protocol 2+), or a protocol-0/1 opening (GLOBAL, MARK,
// EMPTY_DICT, EMPTY_LIST, INT, LONG, NONE, STRING, UNICODE, INST, PERSID).
const PICKLE_STARTS = new Set([0x80, 0x63, 0x28, 0x7d, 0x5d, 0x49, 0x4c, 0x4e, 0x53, 0x56, 0x69, 0x50]);

/** Reads a checkpoint from its bytes. Throws only CheckpointError. */
export function readCheckpoint(input: Uint8Array, limits?: CheckpointLimits): Checkpoint {
  // A plain view, so a Node Buffer (whose slice() does not copy) behaves like any Uint8Array.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return guard(() => {
    checkFileSize(bytes.length, resolveLimits(limits));
    if (looksLikeZip(bytes)) return { format: 'torch-zip', root: readTorchZip(bytes, limits) };
    if (looksLikeSafetensors(bytes)) {
      const root = new PyDict(false);
      for (const [k, t] of readSafetensors(bytes, limits)) root.set(k, t);
      return { format: 'safetensors', root };
    }
    if (bytes.length && PICKLE_STARTS.has(bytes[0]!)) return { format: 'torch-legacy', root: readTorchLegacy(bytes, limits) };
    if (bytes.length === 0) throw new CheckpointError('truncated', 'checkpoint file is empty');
    throw new CheckpointError('format', 'not a checkpoint ShapeLens reads: expected .safetensors or a PyTorch .pt/.pth written by torch.save');
  });
}

/** Values of a tensor, converting any failure to a CheckpointError (materialising allocates). */
export function tensorValues(t: CheckpointTensor) {
  return guard(() => t.toNDArray());
}

/**
 * Runs `f`, turning anything but a CheckpointError into one: a reader bug must still reach the
 * user as a message about their file, and a failed allocation as a size problem.
 */
export function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    if (e instanceof RangeError) throw new CheckpointError('too-large', `checkpoint needs more memory than available (${e.message})`, true);
    throw new CheckpointError('corrupt', `checkpoint could not be read (${e instanceof Error ? e.message : String(e)})`, true);
  }
}
