// PyTorch's default initialisation of each layer's parameters and buffers (reset_parameters), from a seeded generator.
import { allocData, numel, type KDType, type NDArray } from './ndarray';
import { keySeed, mulberry32, normalSampler, type Rng } from './prng';

/** The layer families whose reset_parameters differ. */
export type LayerKind =
  | 'conv' // nn.Conv1d/2d/3d
  | 'conv_transpose' // nn.ConvTranspose1d/2d/3d
  | 'linear' // nn.Linear (and LazyLinear once materialised)
  | 'batch_norm' // nn.BatchNorm1d/2d/3d, SyncBatchNorm
  | 'instance_norm' // nn.InstanceNorm1d/2d/3d
  | 'group_norm'
  | 'layer_norm'
  | 'embedding'
  | 'prelu'
  | 'rnn'; // nn.RNN/LSTM/GRU and their cells

export interface InitOptions {
  /** Shape of the layer's weight: a conv/linear bias's bound comes from the weight's fan-in. */
  weightShape?: readonly number[];
  /** nn.Embedding(padding_idx=...): that row starts at zero (non-negative index). */
  paddingIdx?: number | null;
  /** nn.RNN/LSTM/GRU hidden_size: every parameter (LSTM's projection weight_hr too) is uniform(±1/√hidden_size). */
  hiddenSize?: number;
  /** nn.PReLU(init=...), 0.25 by default. */
  preluInit?: number;
}

/** torch.nn.init._calculate_fan_in_and_fan_out: dim 1 × receptive field, dim 0 × receptive field. */
export function fanInOut(shape: readonly number[]): [fanIn: number, fanOut: number] {
  if (shape.length < 2) throw new Error(`fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${shape.join(', ')}])`);
  const rf = numel(shape.slice(2));
  return [shape[1] * rf, shape[0] * rf];
}

/** How a parameter is drawn: uniform(−bound, bound), normal(0, 1), or a constant fill. */
export type InitRule = { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } | { kind: 'fill'; value: number; dtype: KDType };

/** The rule PyTorch's reset_parameters applies to `name` ("weight", "bias", "running_var", "weight_ih_l0", ...) of a layer kind. */
export function initRule(kind: LayerKind, name: string, shape: readonly number[], opts: InitOptions = {}): InitRule {
  const bad = (): never => {
    throw new Error(`no default initialisation for parameter '${name}' of a ${kind} layer`);
  };
  switch (kind) {
    case 'conv':
    case 'conv_transpose':
    case 'linear': {
      // kaiming_uniform_(a=√5): gain √(2/(1+5)), bound = gain·√(3/fan_in) = 1/√fan_in; the bias uses the weight's fan_in.
      const ws = name === 'weight' ? shape : name === 'bias' ? opts.weightShape : bad();
      if (!ws) throw new Error(`the bias of a ${kind} layer needs the weight's shape (opts.weightShape) for its bound`);
      const [fanIn] = fanInOut(ws);
      if (name === 'weight') return { kind: 'uniform', bound: fanIn === 0 ? 0 : Math.sqrt(1 / 3) * Math.sqrt(3 / fanIn) };
      return { kind: 'uniform', bound: fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0 };
    }
    case 'batch_norm':
    case 'instance_norm':
    case 'group_norm':
    case 'layer_norm':
      if (name === 'weight' || name === 'running_var') return { kind: 'fill', value: 1, dtype: 'float32' };
      if (name === 'bias' || name === 'running_mean') return { kind: 'fill', value: 0, dtype: 'float32' };
      if (name === 'num_batches_tracked' && (kind === 'batch_norm' || kind === 'instance_norm')) return { kind: 'fill', value: 0, dtype: 'int64' };
      return bad();
    case 'embedding':
      return name === 'weight' ? { kind: 'normal', std: 1 } : bad();
    case 'prelu':
      return name === 'weight' ? { kind: 'fill', value: opts.preluInit ?? 0.25, dtype: 'float32' } : bad();
    case 'rnn': {
      if (!/^(weight|bias)_(ih|hh)_l\d+(_reverse)?$|^weight_hr_l\d+(_reverse)?$|^(weight|bias)_(ih|hh)$/.test(name)) bad();
      if (!opts.hiddenSize || opts.hiddenSize <= 0) throw new Error(`recurrent parameter '${name}' needs opts.hiddenSize`);
      return { kind: 'uniform', bound: 1 / Math.sqrt(opts.hiddenSize) };
    }
  }
}

/** Fills a new tensor of `shape` by the rule, drawing from `rng`. */
export function initWith(rule: InitRule, shape: readonly number[], rng: Rng, opts: InitOptions = {}): NDArray {
  const n = numel(shape);
  const dtype: KDType = rule.kind === 'fill' ? rule.dtype : 'float32';
  const data = allocData(dtype, n);
  if (rule.kind === 'fill') data.fill(rule.value);
  else if (rule.kind === 'uniform') for (let i = 0; i < n; i++) data[i] = rule.bound * (2 * rng() - 1);
  else {
    const normal = normalSampler(rng);
    for (let i = 0; i < n; i++) data[i] = rule.std * normal();
    const p = opts.paddingIdx;
    if (p !== undefined && p !== null && shape.length === 2) {
      const row = p < 0 ? p + shape[0] : p;
      if (row >= 0 && row < shape[0]) data.fill(0, row * shape[1], (row + 1) * shape[1]);
    }
  }
  return { shape: shape.slice(), dtype, data };
}

/**
 * The default value of one parameter or buffer. `key` is its state_dict key ("features.0.weight"):
 * the last segment is the parameter name, and the whole key seeds its own generator under `seed`,
 * so the same seed always gives the same model and a different seed a different one.
 */
export function initParameter(seed: number, key: string, kind: LayerKind, shape: readonly number[], opts: InitOptions = {}): NDArray {
  const name = key.slice(key.lastIndexOf('.') + 1);
  return initWith(initRule(kind, name, shape, opts), shape, mulberry32(keySeed(seed, key)), opts);
}
