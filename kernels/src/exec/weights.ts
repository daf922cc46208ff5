// Fills a model's parameters and buffers: from a matched checkpoint state dict, else PyTorch's default
// initialisation from a seed; prepared tensors are cached per parameter so unchanged layers keep theirs.
import type { NDArray } from '../ndarray';
import type { GraphParam } from '../../../server/src/engine/graph/api';
import { initParameter, type InitOptions, type LayerKind } from '../init';
import { loadStateDict, type StateDictResult } from '../weights/stateDict';
import type { CheckpointLimits } from '../weights/errors';

/** A parameter the executor cannot fill (no known default and no checkpoint value). */
export class WeightsError extends Error {
  override name = 'WeightsError';
  constructor(
    message: string,
    readonly keys: string[],
  ) {
    super(message);
  }
}

/** PyTorch class name (GraphParam.layer) → the family whose reset_parameters applies; null when none is known. */
export function layerKind(layer: string): LayerKind | null {
  const name = layer.replace(/^Lazy/, '');
  if (/^Conv[123]d$/.test(name)) return 'conv';
  if (/^ConvTranspose[123]d$/.test(name)) return 'conv_transpose';
  if (name === 'Linear' || name === 'NonDynamicallyQuantizableLinear') return 'linear';
  if (/^BatchNorm[123]d$/.test(name) || name === 'SyncBatchNorm') return 'batch_norm';
  if (/^InstanceNorm[123]d$/.test(name)) return 'instance_norm';
  if (name === 'GroupNorm') return 'group_norm';
  if (name === 'LayerNorm') return 'layer_norm';
  if (name === 'Embedding') return 'embedding';
  if (name === 'PReLU') return 'prelu';
  if (/^(RNN|LSTM|GRU)(Cell)?$/.test(name)) return 'rnn';
  return null;
}

function moduleOf(key: string): string {
  const i = key.lastIndexOf('.');
  return i < 0 ? '' : key.slice(0, i + 1);
}

/** What init.ts needs beyond the parameter itself: the sibling weight's shape (bias bounds), the hidden size (RNNs). */
function initOptions(p: GraphParam, byKey: ReadonlyMap<string, GraphParam>, kind: LayerKind): InitOptions {
  const prefix = moduleOf(p.key);
  if (kind === 'rnn') {
    // An LSTM with proj_size has weight_hr_l0 [proj, hidden]; otherwise weight_hh_l0 (or a cell's
    // weight_hh) is [gates·hidden, hidden].
    const hr = byKey.get(`${prefix}weight_hr_l0`);
    if (hr && hr.shape.length === 2) return { hiddenSize: hr.shape[1] };
    const hh = byKey.get(`${prefix}weight_hh_l0`) ?? byKey.get(`${prefix}weight_hh`);
    return hh && hh.shape.length === 2 ? { hiddenSize: hh.shape[1] } : {};
  }
  const w = byKey.get(`${prefix}weight`);
  return { ...(w ? { weightShape: w.shape } : {}), ...p.init };
}

/** PyTorch's default value of one parameter or buffer under `seed` (same seed, same key → same tensor). */
export function defaultWeight(p: GraphParam, all: readonly GraphParam[], seed: number): NDArray {
  const kind = layerKind(p.layer);
  if (!kind) {
    throw new WeightsError(`no default initialisation is known for '${p.key}' (${p.buffer ? 'a buffer' : 'a parameter'} of ${p.layer}, set by the model's own code): load a checkpoint`, [p.key]);
  }
  const byKey = new Map(all.map((q) => [q.key, q]));
  try {
    return initParameter(seed, p.key, kind, p.shape, initOptions(p, byKey, kind));
  } catch (e) {
    throw new WeightsError(`cannot initialise '${p.key}': ${(e as Error).message}`, [p.key]);
  }
}

/** Reads a checkpoint's bytes and matches its state dict to the model's params (strict by default). Throws CheckpointError / StateDictError. */
export function loadWeights(bytes: Uint8Array, params: readonly GraphParam[], opts: { strict?: boolean; modelName?: string; limits?: CheckpointLimits } = {}): StateDictResult {
  const expected = params.map((p) => ({ key: p.key, shape: p.shape, dtype: p.dtype }));
  // A plain Uint8Array view: a Node Buffer's slice() is a view, not the copy the readers' slice() expects.
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return loadStateDict(plain, expected, { strict: opts.strict ?? true, modelName: opts.modelName, limits: opts.limits });
}

export interface WeightSource {
  /** Seed of the default initialisation (for every param a checkpoint does not provide). */
  seed: number;
  /** A loaded, matched state dict (loadWeights). Entries it lacks (non-strict loads) get the default init. */
  checkpoint?: StateDictResult;
}

export interface PreparedWeights {
  /** state_dict key → tensor, for every param that has a value. */
  values: Map<string, NDArray>;
  /** Keys filled from the checkpoint and by default initialisation. */
  loaded: string[];
  initialised: string[];
  /** The loader's notes (prefix stripped, dtypes widened, keys skipped in a non-strict load). */
  messages: string[];
}

/**
 * Fills every param. A param that needs a default the executor does not know throws a WeightsError,
 * but only when the graph reads it (`value >= 0`); unread ones are left out.
 */
export function prepareWeights(params: readonly GraphParam[], src: WeightSource, cache?: Map<string, NDArray>, used?: Map<string, NDArray>): PreparedWeights {
  const values = new Map<string, NDArray>();
  const loaded: string[] = [];
  const initialised: string[] = [];
  const unknown: string[] = [];
  for (const p of params) {
    // A second name of a shared tensor is the first name's tensor (PyTorch's load_state_dict writes both into one).
    if (p.aliasOf) {
      const first = values.get(p.aliasOf);
      if (first) values.set(p.key, first);
      continue;
    }
    const fromCkpt = src.checkpoint?.tensors.get(p.key);
    if (fromCkpt) {
      values.set(p.key, fromCkpt);
      loaded.push(p.key);
      continue;
    }
    const ck = `${p.key}\u0000${p.shape.join(',')}\u0000${p.dtype}\u0000${p.layer}\u0000${src.seed >>> 0}`;
    let t = cache?.get(ck);
    if (!t) {
      if (p.shape.some((d) => d < 0)) continue; // a symbolic param belongs to a model with no graph
      if (!layerKind(p.layer)) {
        if (p.value >= 0) unknown.push(p.key);
        continue;
      }
      t = defaultWeight(p, params, src.seed);
    }
    used?.set(ck, t);
    values.set(p.key, t);
    initialised.push(p.key);
  }
  if (unknown.length) {
    const list = unknown.map((k) => `'${k}'`).join(', ');
    throw new WeightsError(`no default initialisation is known for ${list} (set by the model's own code, not a torch.nn layer): load a checkpoint with these keys`, unknown);
  }
  return { values, loaded, initialised, messages: src.checkpoint ? [...src.checkpoint.messages] : [] };
}

/**
 * Weights prepared once per model and reused across runs: a parameter keeps the same NDArray object
 * while its key, shape, dtype, layer and seed (or the checkpoint) are unchanged, so an edit that changes
 * one layer re-initialises that layer only, and a backend's per-weight packing stays valid for the rest.
 * Each `get` returns a fresh map over the shared tensors: a train-mode run writing updated BatchNorm
 * statistics into it does not change what the next `get` returns. Use one cache per model.
 */
export class WeightCache {
  private entries = new Map<string, NDArray>();
  private last: { params: readonly GraphParam[]; seed: number; ckpt: StateDictResult | undefined; result: PreparedWeights } | null = null;

  get(params: readonly GraphParam[], src: WeightSource): PreparedWeights {
    const l = this.last;
    if (l && l.params === params && l.seed === src.seed && l.ckpt === src.checkpoint) return { ...l.result, values: new Map(l.result.values) };
    const used = new Map<string, NDArray>();
    const result = prepareWeights(params, src, this.entries, used);
    // Keep only what this model uses now: entries of removed or changed layers are dropped.
    this.entries = used;
    this.last = { params, seed: src.seed, ckpt: src.checkpoint, result };
    return { ...result, values: new Map(result.values) };
  }

  /** Number of default-initialised tensors held (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
}
