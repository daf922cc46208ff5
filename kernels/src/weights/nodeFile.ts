// Node-only helper: reads a checkpoint file from disk, refusing oversized files before reading them.
import { statSync, readFileSync } from 'node:fs';
import { CheckpointError, checkFileSize, resolveLimits, type CheckpointLimits } from './errors';

/** The file's bytes; a missing/unreadable file or one over `maxFileBytes` is a CheckpointError. */
export function readCheckpointBytes(path: string, limits?: CheckpointLimits): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new CheckpointError('io', `${path} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError('io', `cannot read ${path}: ${(e as Error).message}`);
  }
  checkFileSize(size, resolveLimits(limits));
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new CheckpointError('io', `cannot read ${path}: ${(e as Error).message}`);
  }
}
