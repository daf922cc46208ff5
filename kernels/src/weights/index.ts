// Public API of checkpoint loading (platform-neutral: bytes in, tensors out; no file system).
export { CheckpointError, UnsafeGlobalError, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_TENSOR_BYTES } from './errors';
export type { CheckpointErrorKind, CheckpointLimits } from './errors';
export { CheckpointTensor } from './checkpointTensor';
export type { SourceDType } from './dtypes';
export { readCheckpoint, tensorValues } from './checkpoint';
export type { Checkpoint, CheckpointFormat } from './checkpoint';
export { readSafetensors } from './safetensors';
export { readTorchZip, readTorchLegacy, forEachTensor } from './torchPt';
export { loadStateDict, findStateDict, matchStateDict, errorText, StateDictError, NESTED_KEYS } from './stateDict';
export type { ExpectedEntry, FoundStateDict, Mismatch, StateDictResult, StateDictOptions } from './stateDict';
export { PyDict, PyTuple, PySet, PyHost } from './pyValues';
export type { PyValue } from './pyValues';
