// Finding the state dict inside a checkpoint and matching it to a model's parameters and buffers
// the way nn.Module.load_state_dict does (strict or not), with PyTorch's error text.
import { CheckpointError, type CheckpointLimits } from './errors';
import { CheckpointTensor } from './checkpointTensor';
import { guard, readCheckpoint, type Checkpoint } from './checkpoint';
import { loadedDType, SOURCE_DTYPES, type SourceDType } from './dtypes';
import { PyDict, pyTypeName } from './pyValues';
import type { KDType, NDArray } from '../ndarray';

/** One entry of the model's state_dict: PyTorch's key, shape and dtype. */
export interface ExpectedEntry {
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype: KDType;
}

export interface FoundStateDict {
  /** Checkpoint key → tensor, in the file's order. */
  readonly tensors: ReadonlyMap<string, CheckpointTensor>;
  /** `null` when the checkpoint itself is the state dict, else the key it was under ("state_dict"). */
  readonly sourceKey: string | null;
  /** `state_dict._metadata`: module prefix ("layer1.0.bn1", "" for the root) → its version. */
  readonly versions: ReadonlyMap<string, number | undefined> | null;
  /** Entries that are not tensors (skipped). */
  readonly ignored: readonly string[];
}

export interface Mismatch {
  readonly key: string;
  readonly expected: readonly number[];
  readonly got: readonly number[];
  readonly expectedDtype: KDType;
  /** The dtype the checkpoint stores. A mismatch is a shape mismatch unless the dtype kinds differ. */
  readonly gotDtype: SourceDType;
}

export interface StateDictResult {
  /** Model key → values, for every entry that loaded (all of them unless non-strict). */
  readonly tensors: Map<string, NDArray>;
  /** Model keys the checkpoint lacks, in model order. */
  readonly missing: string[];
  /** Checkpoint keys (after prefix stripping) the model lacks, in file order. */
  readonly unexpected: string[];
  readonly mismatched: Mismatch[];
  /** What was done on the way, for the user: where the state dict was, prefixes stripped, filled entries. */
  readonly messages: string[];
  readonly sourceKey: string | null;
  /** The prefix removed from every checkpoint key ("module."), or null. */
  readonly strippedPrefix: string | null;
}

export interface StateDictOptions {
  /** Like load_state_dict(strict=True) (the default): any missing/unexpected/mismatched key is an error. */
  readonly strict?: boolean;
  /** The model's class name, for the error's first line. */
  readonly modelName?: string;
  readonly limits?: CheckpointLimits;
}

/** Raised in strict mode; `result` holds the full comparison. */
export class StateDictError extends CheckpointError {
  constructor(
    message: string,
    readonly result: StateDictResult,
  ) {
    super('state-dict', message);
  }
}

/** The keys training scripts nest a state dict under, in the order they are tried. */
export const NESTED_KEYS = ['state_dict', 'model', 'model_state_dict', 'net'] as const;
const STRIPPABLE = ['module.', 'model.'] as const;

/** Reads a checkpoint and matches its state dict to `expected`. Throws CheckpointError / StateDictError. */
export function loadStateDict(bytes: Uint8Array, expected: readonly ExpectedEntry[], options: StateDictOptions = {}): StateDictResult {
  return matchStateDict(findStateDict(readCheckpoint(bytes, options.limits)), expected, options);
}

/** Locates the dict of tensors: the checkpoint itself, or one nested under NESTED_KEYS. */
export function findStateDict(ckpt: Checkpoint): FoundStateDict {
  const root = ckpt.root;
  if (!(root instanceof PyDict)) throw new CheckpointError('state-dict', `checkpoint holds a ${pyTypeName(root)}, not a dict of tensors`);
  const top = split(root);
  if (top.tensors.size && !top.ignored.length) return found(root, top, null);
  for (const key of NESTED_KEYS) {
    const v = root.get(key);
    if (v instanceof PyDict) {
      const nested = split(v);
      if (nested.tensors.size) return found(v, nested, key);
    }
  }
  if (top.tensors.size) return found(root, top, null);
  const keys = [...root.items()].map(([k]) => (typeof k === 'string' ? `"${k}"` : String(k))).slice(0, 12);
  throw new CheckpointError(
    'state-dict',
    `no state dict in the checkpoint: expected a dict of tensors, or one under ${NESTED_KEYS.map((k) => `"${k}"`).join(', ')}; its top-level keys are ${keys.join(', ') || '(none)'}`,
  );
}

function split(d: PyDict): { tensors: Map<string, CheckpointTensor>; ignored: string[] } {
  const tensors = new Map<string, CheckpointTensor>();
  const ignored: string[] = [];
  for (const [k, v] of d.items()) {
    if (typeof k === 'string' && v instanceof CheckpointTensor) tensors.set(k, v);
    else ignored.push(typeof k === 'string' ? k : String(k));
  }
  return { tensors, ignored };
}

function found(d: PyDict, parts: ReturnType<typeof split>, sourceKey: string | null): FoundStateDict {
  return { ...parts, sourceKey, versions: versions(d) };
}

function versions(d: PyDict): Map<string, number | undefined> | null {
  const meta = d.attrs?.get('_metadata');
  if (!(meta instanceof PyDict)) return null;
  const out = new Map<string, number | undefined>();
  for (const [k, v] of meta.items()) {
    if (typeof k !== 'string') continue;
    const ver = v instanceof PyDict ? v.get('version') : undefined;
    out.set(k, typeof ver === 'number' ? ver : undefined);
  }
  return out;
}

/** Compares a found state dict with the model's entries, like load_state_dict. */
export function matchStateDict(sd: FoundStateDict, expected: readonly ExpectedEntry[], options: StateDictOptions = {}): StateDictResult {
  const strict = options.strict ?? true;
  const messages: string[] = [];
  if (sd.sourceKey !== null) messages.push(`state dict found under checkpoint["${sd.sourceKey}"]`);
  if (sd.ignored.length) messages.push(`skipped ${sd.ignored.length} non-tensor entr${sd.ignored.length === 1 ? 'y' : 'ies'}: ${sd.ignored.slice(0, 8).map((k) => `"${k}"`).join(', ')}`);

  const wanted = new Set(expected.map((e) => e.key));
  let prefix = '';
  let tensors = sd.tensors;
  let vers = sd.versions;
  // Strip a prefix every key shares while that makes more keys match (DataParallel's "module.").
  for (let again = true; again; ) {
    again = false;
    for (const p of STRIPPABLE) {
      const keys = [...tensors.keys()];
      if (!keys.length || !keys.every((k) => k.startsWith(p))) continue;
      const stripped = new Map(keys.map((k) => [k.slice(p.length), tensors.get(k)!] as const));
      if (countIn(stripped, wanted) > countIn(tensors, wanted)) {
        tensors = stripped;
        vers = vers && stripVersions(vers, p);
        prefix += p;
        again = true;
      }
    }
  }
  if (prefix) messages.push(`stripped the prefix "${prefix}" from every checkpoint key`);

  const out = new Map<string, NDArray>();
  const missing: string[] = [];
  const mismatched: Mismatch[] = [];
  const widened = new Map<SourceDType, number>();
  for (const e of expected) {
    const t = tensors.get(e.key);
    if (!t) {
      if (isNumBatchesTracked(e.key) && predatesNumBatchesTracked(e.key, vers)) {
        // BatchNorm._load_from_state_dict: checkpoints from before version 2 lack the counter; it starts at 0.
        out.set(e.key, { shape: [], dtype: 'int64', data: new Float64Array([0]) });
        messages.push(`${e.key} is not in the checkpoint (saved before BatchNorm counted batches); set to 0 as PyTorch does`);
      } else missing.push(e.key);
      continue;
    }
    if (kindOf(e.dtype) !== SOURCE_DTYPES[t.sourceDtype].kind) {
      mismatched.push({ key: e.key, expected: e.shape, got: t.shape, expectedDtype: e.dtype, gotDtype: t.sourceDtype });
      continue;
    }
    // load_state_dict's backward compatibility: a 0-dim parameter accepts a 1-dim tensor (its first element).
    const scalarFromVector = e.shape.length === 0 && t.shape.length === 1 && t.shape[0]! >= 1;
    if (!scalarFromVector && !sameShape(e.shape, t.shape)) {
      mismatched.push({ key: e.key, expected: e.shape, got: t.shape, expectedDtype: e.dtype, gotDtype: t.sourceDtype });
      continue;
    }
    const arr = guard(() => t.toNDArray());
    out.set(e.key, scalarFromVector ? { shape: [], dtype: arr.dtype, data: arr.data.slice(0, 1) } : arr);
    if (t.sourceDtype !== e.dtype) widened.set(t.sourceDtype, (widened.get(t.sourceDtype) ?? 0) + 1);
  }
  for (const [d, n] of widened) messages.push(`${n} tensor${n === 1 ? '' : 's'} stored as ${d} loaded as ${loadedDType(d)}`);
  const unexpected = [...tensors.keys()].filter((k) => !wanted.has(k));
  const result: StateDictResult = { tensors: out, missing, unexpected, mismatched, messages, sourceKey: sd.sourceKey, strippedPrefix: prefix || null };
  if (strict && (missing.length || unexpected.length || mismatched.length)) throw new StateDictError(errorText(result, options.modelName), result);
  if (!strict) {
    if (missing.length) messages.push(`${missing.length} model entr${missing.length === 1 ? 'y' : 'ies'} not in the checkpoint kept their initial values`);
    if (unexpected.length) messages.push(`${unexpected.length} checkpoint entr${unexpected.length === 1 ? 'y' : 'ies'} not in the model were ignored`);
    if (mismatched.length) messages.push(`${mismatched.length} entr${mismatched.length === 1 ? 'y' : 'ies'} with a different shape or dtype were not loaded`);
  }
  return result;
}

/** PyTorch's wording: missing, then unexpected, then one line per size mismatch. */
export function errorText(r: StateDictResult, modelName?: string): string {
  const lines = [`Error(s) in loading state_dict${modelName ? ` for ${modelName}` : ''}:`];
  const quote = (ks: readonly string[]) => ks.map((k) => `"${k}"`).join(', ');
  if (r.missing.length) lines.push(`\tMissing key(s) in state_dict: ${quote(r.missing)}.`);
  if (r.unexpected.length) lines.push(`\tUnexpected key(s) in state_dict: ${quote(r.unexpected)}.`);
  for (const m of r.mismatched) {
    if (kindOf(m.expectedDtype) !== SOURCE_DTYPES[m.gotDtype].kind) {
      lines.push(`\tdtype mismatch for ${m.key}: copying a ${m.gotDtype} tensor from checkpoint, the dtype in current model is ${m.expectedDtype}.`);
    } else {
      lines.push(`\tsize mismatch for ${m.key}: copying a param with shape [${m.got.join(', ')}] from checkpoint, the shape in current model is [${m.expected.join(', ')}].`);
    }
  }
  return lines.join('\n');
}

function kindOf(d: KDType): 'float' | 'int' | 'bool' {
  return d === 'float32' ? 'float' : d === 'int64' ? 'int' : 'bool';
}

function countIn(m: ReadonlyMap<string, unknown>, wanted: ReadonlySet<string>): number {
  let n = 0;
  for (const k of m.keys()) if (wanted.has(k)) n++;
  return n;
}

function stripVersions(v: ReadonlyMap<string, number | undefined>, p: string): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  const bare = p.slice(0, -1);
  for (const [k, ver] of v) {
    if (k === bare) out.set('', ver);
    else if (k.startsWith(p)) out.set(k.slice(p.length), ver);
  }
  return out;
}

function isNumBatchesTracked(key: string): boolean {
  return key === 'num_batches_tracked' || key.endsWith('.num_batches_tracked');
}

/** BatchNorm's rule: tolerated when the module's saved version is absent or below 2. */
function predatesNumBatchesTracked(key: string, vers: ReadonlyMap<string, number | undefined> | null): boolean {
  const module = key.slice(0, Math.max(0, key.length - 'num_batches_tracked'.length - 1));
  const v = vers?.get(module);
  return v === undefined || v < 2;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
