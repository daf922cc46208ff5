// The graph the tracer records and the kernels execute: values, nodes and every op's attributes (types only).
//
// Conventions that hold for every op (the tracer normalises, the kernels never interpret defaults):
// - Tensors are contiguous and row-major; a value's `shape` is its exact, concrete shape.
// - A dim index in an attribute is already non-negative (`dim=-1` on a 4-D tensor is written 3).
// - Per-dim tuples are spelled out for every dim they apply to (`kernel: [3, 3]`, never `3`).
// - Optional inputs are announced by boolean attributes (`bias: true`) and, when present, appear in
//   `GraphNode.inputs` in the order the op's documentation gives; absent ones are simply omitted.
// - Spatial ops (conv, pools, norms, interpolate) act on the last `nd` dims; the dim before them is
//   the channel dim and every dim before that is batch (PyTorch's unbatched (C, *spatial) inputs
//   therefore need no special case).
// - Aliasing ops that copy nothing in PyTorch (`contiguous`, `clone`, `detach`, `.to(same dtype)`,
//   `nn.Identity`) are not nodes: the tracer reuses the input value id.

export type DType = 'float32' | 'int64' | 'bool';

export interface GraphValue {
  /** Index of this value in `Graph.values`. */
  id: number;
  shape: number[];
  dtype: DType;
  /**
   * Set when the value is a model parameter or buffer: its `state_dict` key, as
   * `load_state_dict` would look it up ("features.0.weight", "bn1.running_mean",
   * "bn1.num_batches_tracked"). The executor fills it from a checkpoint or from the default
   * initialisation (kernels/src/init.ts).
   */
  param?: string;
  /** Set when the value is a literal constant: its elements in row-major order (`numel(shape)` of them; bools as 0/1). */
  const?: number[];
}

export interface GraphNode<K extends OpName = OpName> {
  op: K;
  /** Value ids, in the op's documented order; absent optional inputs are omitted. */
  inputs: number[];
  /** Value ids of the results, in the op's documented order. */
  outputs: number[];
  attrs: OpAttrs[K];
  /** Module path of the innermost module call that ran this op ("layer1.0.conv1"); '' for functional calls at top level. */
  path: string;
  /** 1-based source line of the call that produced this op, in the analysed file. */
  line: number;
}

/** A node whose `attrs` type follows its `op` (switch on `node.op` to narrow). */
export type OpNode = { [K in OpName]: GraphNode<K> }[OpName];

export interface Graph {
  values: GraphValue[];
  /** In execution order: every input of a node is a graph input, a param, a const or an earlier node's output. */
  nodes: OpNode[];
  /** The forward() arguments, in order. */
  inputs: number[];
  /** The forward() results, flattened in order (a tuple output lists each tensor). */
  outputs: number[];
  /**
   * Every module call as forward hooks see them (parents before children, the root first), when the
   * tracer recorded the graph; hand-built graphs may leave it out.
   */
  calls?: GraphCall[];
}

/** One module call: the nodes it ran and its output. */
export interface GraphCall {
  /** named_modules() path; '' is the root. */
  path: string;
  depth: number;
  /** 1-based line of the call. */
  line: number;
  /** Its nodes are first .. last - 1 (none for a call that only passed a value on, e.g. nn.Identity). */
  first: number;
  last: number;
  /** Value id of its (first) output tensor, or -1 when it returned none. */
  output: number;
}

// ---------------------------------------------------------------- convolution

/**
 * nn.Conv1d/2d/3d and F.conv*d. Inputs: x [*batch, C_in, *spatial], weight [C_out, C_in/groups, *kernel],
 * bias [C_out] when `bias`. Output [*batch, C_out, *out] with out from window.ts convOutSize.
 * padding='same' and padding=k are resolved into padBefore/padAfter; padding_mode other than
 * 'zeros' is a separate `pad` node before the conv (whose own padding is then 0).
 */
export interface ConvAttrs {
  /** Number of spatial dims (1, 2 or 3). */
  nd: 1 | 2 | 3;
  /** Step between window starts, in input elements, per spatial dim. */
  stride: number[];
  /** Zero padding added before the first element of each spatial dim (top/left/front), in elements. */
  padBefore: number[];
  /** Zero padding added after the last element of each spatial dim (bottom/right/back), in elements. */
  padAfter: number[];
  /** Spacing between kernel taps, per spatial dim (1 = dense). */
  dilation: number[];
  /** C_in and C_out are split into this many independent groups (C_in = groups for depthwise). */
  groups: number;
  /** Whether a bias input follows the weight. */
  bias: boolean;
}

/**
 * nn.ConvTranspose1d/2d/3d and F.conv_transpose*d. Inputs: x [*batch, C_in, *spatial],
 * weight [C_in, C_out/groups, *kernel], bias [C_out] when `bias`. Output size per dim from
 * window.ts convTransposeOutSize; a module's forward(output_size=...) is resolved into outputPadding.
 */
export interface ConvTransposeAttrs {
  nd: 1 | 2 | 3;
  /** Upsampling step per spatial dim: input element i lands at output i·stride (before padding is removed). */
  stride: number[];
  /** PyTorch's `padding`: this many elements are cropped from BOTH ends of each spatial dim of the full result. */
  padding: number[];
  /** Extra elements appended at the END of each spatial dim (only the bias reaches them where no tap lands). */
  outputPadding: number[];
  dilation: number[];
  groups: number;
  bias: boolean;
}

/** F.pad and nn.*Pad*d. Input x of any rank; output shape[i] = x.shape[i] + before[i] + after[i]. */
export interface PadAttrs {
  /** 'constant' fills with `value`; 'reflect' mirrors without repeating the edge; 'replicate' repeats the edge; 'circular' wraps. */
  mode: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** Elements added before the first element of each dim, one entry per input dim (0 where not padded). Negative crops (constant mode only). */
  before: number[];
  /** Elements added after the last element of each dim, one entry per input dim. */
  after: number[];
  /** Fill value for 'constant' (0 for other modes). */
  value: number;
}

// ---------------------------------------------------------------- pooling

/**
 * nn.MaxPool*d and F.max_pool*d. Input [*batch, C, *spatial]. Outputs: y, and when `returnIndices`
 * the int64 argmax indices (flattened over the spatial dims of each channel, as PyTorch returns them).
 * Output size per dim from window.ts poolOutSize(len, kernel, stride, padding, dilation, ceilMode).
 */
export interface MaxPoolAttrs {
  nd: 1 | 2 | 3;
  /** Window extent per spatial dim, in taps. */
  kernel: number[];
  /** Step between windows per spatial dim (PyTorch's default stride=kernel already filled in). */
  stride: number[];
  /** Implicit -inf padding on BOTH sides of each spatial dim (at most half the effective kernel). */
  padding: number[];
  dilation: number[];
  /** PyTorch's ceil_mode: a last partial window is kept when it starts inside the input or the left padding. */
  ceilMode: boolean;
  returnIndices: boolean;
}

/**
 * nn.AvgPool*d and F.avg_pool*d. Input [*batch, C, *spatial]. Output size per dim from window.ts
 * poolOutSize(len, kernel, stride, padding, 1, ceilMode). The divisor of a window is, in this order:
 * divisorOverride when set; else with countIncludePad the window clipped to the padded input
 * (padding counts, the part past the right padding from ceil_mode does not); else the number of
 * real input elements in the window.
 */
export interface AvgPoolAttrs {
  nd: 1 | 2 | 3;
  kernel: number[];
  stride: number[];
  /** Implicit zero padding on BOTH sides of each spatial dim (at most half the kernel). */
  padding: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  /** PyTorch's divisor_override, or null. */
  divisorOverride: number | null;
}

/**
 * nn.AdaptiveAvgPool*d / F.adaptive_avg_pool*d, and F.interpolate(mode='area'). Input [*batch, C, *spatial];
 * output window i of a dim spans window.ts adaptiveWindow(i, len, out).
 */
export interface AdaptiveAvgPoolAttrs {
  nd: 1 | 2 | 3;
  /** Output size per spatial dim (a None in PyTorch's output_size is resolved to the input size). */
  outSize: number[];
}

/** nn.AdaptiveMaxPool*d. Same windows as adaptive_avg_pool; outputs y and, when `returnIndices`, int64 indices as max_pool's. */
export interface AdaptiveMaxPoolAttrs {
  nd: 1 | 2 | 3;
  outSize: number[];
  returnIndices: boolean;
}

// ---------------------------------------------------------------- normalisation

/**
 * nn.BatchNorm1d/2d/3d and F.batch_norm, statistics over every dim but the channel dim (dim 1;
 * a 2-D [N, C] input is allowed). Inputs in this order, each only when announced:
 * x, running_mean [C] and running_var [C] (`runningStats`), weight [C] (`weight`), bias [C] (`bias`),
 * num_batches_tracked [] int64 (`numBatchesTracked`).
 * Outputs: y; then, when `training && runningStats`, the updated running_mean and running_var
 * ((1−f)·old + f·batch, with the batch variance unbiased: ·n/(n−1), n = elements per channel);
 * then, when also `numBatchesTracked`, num_batches_tracked + 1. f = momentum, or with momentum
 * null (cumulative average) f = 1/(num_batches_tracked + 1).
 */
export interface BatchNormAttrs {
  /**
   * Normalise with the batch's statistics (biased variance) instead of the running ones. The tracer
   * writes PyTorch's `bn_training`: module.training, or true when the module keeps no running stats.
   */
  training: boolean;
  /** Weight of the batch statistic in the running-stat update; null = cumulative moving average. */
  momentum: number | null;
  /** Added to the variance before the square root. */
  eps: number;
  runningStats: boolean;
  weight: boolean;
  bias: boolean;
  numBatchesTracked: boolean;
}

/**
 * nn.LayerNorm and F.layer_norm: statistics (biased variance) over the last normalizedShape.length
 * dims of each row. Inputs: x, weight [*normalizedShape] (`weight`), bias [*normalizedShape] (`bias`).
 */
export interface LayerNormAttrs {
  /** The trailing dims normalised together; must equal x.shape's last dims. */
  normalizedShape: number[];
  eps: number;
  weight: boolean;
  bias: boolean;
}

/**
 * nn.GroupNorm and F.group_norm: x [N, C, *] split into `groups` groups of C/groups channels, statistics
 * (biased variance) per (sample, group). Inputs: x, weight [C] (`weight`), bias [C] (`bias`).
 */
export interface GroupNormAttrs {
  groups: number;
  eps: number;
  weight: boolean;
  bias: boolean;
}

/**
 * nn.InstanceNorm1d/2d/3d and F.instance_norm: statistics per (sample, channel) over the spatial dims.
 * Inputs: x [N, C, *spatial] (an unbatched [C, *spatial] input is one sample), running_mean [C] and
 * running_var [C] (`runningStats`), weight [C] (`weight`), bias [C] (`bias`).
 * Outputs: y; then, when `useInputStats && runningStats`, the updated running stats: for each channel
 * (1−m)·old + m·(mean over the batch of the per-instance mean, resp. unbiased per-instance variance).
 */
export interface InstanceNormAttrs {
  /** PyTorch's use_input_stats: module.training or not track_running_stats. False normalises with the running stats. */
  useInputStats: boolean;
  momentum: number;
  eps: number;
  runningStats: boolean;
  weight: boolean;
  bias: boolean;
}

/**
 * nn.LocalResponseNorm: y = x / (k + alpha/size · Σ x²)^beta, the sum over channels
 * c−⌊size/2⌋ .. c+⌊(size−1)/2⌋ (clipped; the divisor stays `size`). Input [N, C, *].
 */
export interface LocalResponseNormAttrs {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

// ---------------------------------------------------------------- dense

/** nn.Linear / F.linear: y = x·Wᵀ + b. Inputs: x [*, in], weight [out, in], bias [out] (`bias`). Output [*, out]. */
export interface LinearAttrs {
  bias: boolean;
}

/**
 * torch.matmul / @ / bmm / mm / mv: 1-D·1-D is a dot product (0-d result); a 1-D left operand is
 * [1, n] and a 1-D right operand [n, 1] with that dim removed from the result; leading (batch) dims
 * broadcast. Inputs: a, b.
 */
export type MatmulAttrs = Record<string, never>;

/**
 * nn.Embedding / F.embedding: rows of the table. Inputs: indices (int64, any shape), weight [num, dim].
 * Output [*indices.shape, dim]. padding_idx only affects gradients and initialisation; max_norm
 * (which rewrites the table during forward) is not representable: the tracer reports it.
 */
export type EmbeddingAttrs = Record<string, never>;

/**
 * torch.einsum with its equation normalised: no spaces, an explicit `->` output (implicit mode's
 * output, the letters used once in alphabetical order, A–Z before a–z, is written out), and no
 * ellipsis (the tracer spells each `...` dim as a letter of its own). Inputs: one tensor per term,
 * all float32 or all int64 (the output has their dtype). A letter repeated within a term takes the
 * diagonal; letters missing from the output are summed; a size-1 dim broadcasts against the same
 * letter's size elsewhere (as PyTorch allows).
 */
export interface EinsumAttrs {
  /** e.g. "bij,bjk->bik", "ii->", "i,j->ij": comma-separated terms, `->`, the output term (may be empty). */
  equation: string;
}

// ---------------------------------------------------------------- recurrent

/**
 * nn.RNN / nn.LSTM / nn.GRU forward (eval-mode semantics: inter-layer dropout is inactive; the tracer
 * refuses train mode with dropout > 0 and numLayers > 1). Let D = 2 if bidirectional else 1,
 * H = hiddenSize, P = projSize || H (the size of h), G = 1 (rnn), 4 (lstm), 3 (gru).
 * Inputs, in this order:
 * - x: [T, N, inputSize], or [N, T, inputSize] with `batchFirst`, or unbatched [T, inputSize];
 * - when `initialState`: h0 [D·numLayers, N, P] (unbatched [D·numLayers, P]), and for lstm c0 [D·numLayers, N, H];
 *   absent, both start at zero;
 * - then for each layer k and direction (forward, then reverse), in PyTorch's state_dict order:
 *   weight_ih_l{k}[_reverse] [G·H, k = 0 ? inputSize : D·P], weight_hh_l{k} [G·H, P],
 *   bias_ih_l{k} [G·H] and bias_hh_l{k} [G·H] (when `bias`), weight_hr_l{k} [P, H] (lstm with projSize > 0).
 * Outputs: output (x's layout with the last dim D·P; the directions concatenated, forward first),
 * h_n [D·numLayers, N, P], and for lstm c_n [D·numLayers, N, H] (unbatched: without N). State row
 * l·D + d is layer l, direction d. Gates as PyTorch orders the rows of the weights:
 * rnn h' = act(W_ih x + b_ih + W_hh h + b_hh);
 * lstm rows i, f, g, o: c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(c'), then h' = W_hr h' with projSize;
 * gru rows r, z, n: n = tanh(W_in x + b_in + σ(r)⊙(W_hn h + b_hn)), h' = (1 − σ(z))⊙n + σ(z)⊙h.
 * The reverse direction reads the sequence from its last step to its first; its output at step t is
 * its state after reading step t. nn.RNNCell/LSTMCell/GRUCell record a one-step, one-layer node
 * between reshapes (x [N, in] as [1, N, in], hx as [1, N, H]; h_n back as the cell's [N, H]).
 */
export interface RnnAttrs {
  /** nn.RNN's nonlinearity picks rnn_tanh or rnn_relu. */
  mode: 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** x and output are [N, T, *] (h_n and c_n never are); ignored for unbatched 2-D input. */
  batchFirst: boolean;
  /** Whether each layer and direction has bias_ih and bias_hh inputs. */
  bias: boolean;
  /** LSTM's proj_size: h is projected from H to P = projSize by weight_hr; 0 = no projection (always 0 for rnn/gru). */
  projSize: number;
  /** Whether h0 (and for lstm c0) follow x. */
  initialState: boolean;
}

// ---------------------------------------------------------------- element-wise

/**
 * One element-wise function of one tensor. Float results for float inputs; for int64 inputs,
 * relu/relu6/hardtanh/clamp/abs/neg/sign/square/floor/ceil/round/trunc keep int64, logical_not gives
 * bool, and every other fn gives float32 (PyTorch's int → float promotion).
 */
export type UnaryAttrs =
  | { fn: 'relu' | 'relu6' | 'selu' | 'silu' | 'mish' | 'sigmoid' | 'tanh' | 'hardswish' | 'hardsigmoid' | 'softsign' | 'tanhshrink' | 'logsigmoid' }
  | { fn: 'exp' | 'expm1' | 'log' | 'log2' | 'log10' | 'log1p' | 'sqrt' | 'rsqrt' | 'abs' | 'neg' | 'reciprocal' | 'square' | 'sign' }
  | { fn: 'sin' | 'cos' | 'tan' | 'erf' | 'floor' | 'ceil' | 'trunc' | 'frac' | 'logical_not' }
  /** Round half to even, as torch.round (decimals=0). */
  | { fn: 'round' }
  /** x ≥ 0 ? x : negativeSlope·x (nn.LeakyReLU default 0.01; RReLU in eval mode uses (lower+upper)/2). */
  | { fn: 'leaky_relu'; negativeSlope: number }
  /** x > 0 ? x : alpha·(eˣ − 1). */
  | { fn: 'elu'; alpha: number }
  /** max(0, x) + min(0, alpha·(e^(x/alpha) − 1)). */
  | { fn: 'celu'; alpha: number }
  /** 'none': x·Φ(x) with the exact normal CDF; 'tanh': PyTorch's tanh approximation. */
  | { fn: 'gelu'; approximate: 'none' | 'tanh' }
  /** min(max(x, min), max); nn.ReLU6 is relu6, not this. */
  | { fn: 'hardtanh'; min: number; max: number }
  /** x·beta > threshold ? x : log(1 + e^(beta·x))/beta. */
  | { fn: 'softplus'; beta: number; threshold: number }
  /** |x| > lambd ? x : 0. */
  | { fn: 'hardshrink'; lambd: number }
  /** x > lambd ? x − lambd : x < −lambd ? x + lambd : 0. */
  | { fn: 'softshrink'; lambd: number }
  /** x > threshold ? x : value. */
  | { fn: 'threshold'; threshold: number; value: number }
  /** torch.clamp with either bound optional (null = unbounded); max wins when min > max, as in PyTorch. */
  | { fn: 'clamp'; min: number | null; max: number | null }
  /** x raised to a constant exponent (x ** 2, x.pow(0.5)); a tensor exponent is binary pow. */
  | { fn: 'pow_scalar'; exponent: number };
export type UnaryFn = UnaryAttrs['fn'];

/**
 * One element-wise function of two tensors that broadcast (a Python number operand is a 0-d const
 * value). Output dtype: bool for comparisons and logical ops; otherwise the higher of the input
 * kinds bool < int64 < float32, and float32 for div with rounding 'none' and for atan2.
 * Inputs: a, b.
 */
export type BinaryAttrs =
  /** a + alpha·b, a − alpha·b (torch.add/sub's alpha; 1 for the operators). */
  | { fn: 'add' | 'sub'; alpha: number }
  | { fn: 'mul' }
  /** a / b; 'trunc' rounds toward zero and 'floor' down (torch.div rounding_mode; // and floor_divide are 'floor'). */
  | { fn: 'div'; rounding: 'none' | 'trunc' | 'floor' }
  /** remainder: Python's %, sign of b; fmod: C's fmod, sign of a. */
  | { fn: 'remainder' | 'fmod' }
  | { fn: 'pow' | 'atan2' }
  /** NaN-propagating element-wise max/min (torch.maximum/minimum, torch.max(a, b)). */
  | { fn: 'maximum' | 'minimum' }
  | { fn: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' }
  /** Operands are truthy when non-zero. */
  | { fn: 'logical_and' | 'logical_or' | 'logical_xor' };
export type BinaryFn = BinaryAttrs['fn'];

/** torch.where(cond, a, b) (also masked_fill as where(mask, value, x)). Inputs: cond (bool), a, b; all broadcast. */
export type WhereAttrs = Record<string, never>;

/** nn.PReLU / F.prelu: x ≥ 0 ? x : w·x, w per channel (dim 1; inputs of rank < 2 have one channel). Inputs: x, weight [C] or [1]. */
export type PreluAttrs = Record<string, never>;

/**
 * nn.Dropout, Dropout1d/2d/3d and F.dropout*. In eval mode (training false) or with p = 0 the output
 * is the input. In training mode an element (or a whole feature map) is kept with probability 1−p
 * and scaled by 1/(1−p); p = 1 zeroes everything.
 *
 * The mask is reproducible, not PyTorch's: unit u (an element, or with featureDims = k the k
 * trailing dims of one [n, c] slice, numbered in row-major order over the leading dims) is dropped
 * when dropoutUniform(seed, u) < p, where dropoutUniform (kernels/src/ref/dropout.ts) is the
 * murmur3 finaliser of seed + u·0x9E3779B9 mapped to [0, 1). The executor sets `seed` to
 * dropoutNodeSeed(runSeed, nodeIndex) before a run, so a run's masks depend on --seed and on the
 * node's position only; the tracer may write 0.
 */
export interface DropoutAttrs {
  p: number;
  training: boolean;
  /** Trailing dims sharing one mask value: 0 for element-wise dropout, 1/2/3 for dropout1d/2d/3d. */
  featureDims: 0 | 1 | 2 | 3;
  /** 32-bit unsigned seed of this node's mask (see above). */
  seed: number;
}

// ---------------------------------------------------------------- resampling

/**
 * F.interpolate, nn.Upsample and nn.UpsamplingNearest2d/Bilinear2d. Input [*batch, C, *spatial], float32.
 * mode 'area' is adaptive_avg_pool, not this op.
 */
export interface InterpolateAttrs {
  /** 'linear' is linear/bilinear/trilinear by nd; 'cubic' is bicubic (nd = 2 in PyTorch, any nd here). */
  mode: 'nearest' | 'nearest-exact' | 'linear' | 'cubic';
  nd: 1 | 2 | 3;
  /** Output size per spatial dim: `size`, or ⌊in·scale_factor⌋ as PyTorch computes it (in double precision). */
  size: number[];
  /**
   * The scale factors PyTorch hands the kernel, per spatial dim: the user's scale_factor when one was
   * given and recompute_scale_factor is not True; null when `size` was given or the factor was
   * recomputed. The kernel then maps output to input coordinates with 1/scale (rounded to float32)
   * instead of in/out, which changes which input pixel nearest picks (5 → ×1.7 → 8 pixels).
   */
  scales: (number | null)[];
  /** align_corners for linear/cubic (false for the nearest modes). */
  alignCorners: boolean;
}

/** nn.PixelShuffle: [*, C·r², H, W] → [*, C, H·r, W·r]. */
export interface PixelShuffleAttrs {
  upscale: number;
}

/** nn.PixelUnshuffle: [*, C, H·r, W·r] → [*, C·r², H, W]. */
export interface PixelUnshuffleAttrs {
  downscale: number;
}

// ---------------------------------------------------------------- shape and data movement

/** view/reshape/flatten/unflatten/squeeze/unsqueeze: the same elements in row-major order under `shape`. */
export interface ReshapeAttrs {
  /** The explicit output shape (no −1). */
  shape: number[];
}

/** permute/transpose/t/movedim/.T: output dim i is input dim perm[i]. */
export interface PermuteAttrs {
  perm: number[];
}

/** expand/expand_as/broadcast_to (repeat is reshape → expand → reshape). Input dims align right; size-1 dims repeat. */
export interface ExpandAttrs {
  /** The full output shape (may have more leading dims than the input). */
  shape: number[];
}

/** torch.cat: inputs joined along `dim`; output dtype is the promotion of the inputs'. */
export interface CatAttrs {
  dim: number;
}

/** torch.stack: inputs of equal shape joined along a new dim `dim` (0 ≤ dim ≤ rank). */
export interface StackAttrs {
  dim: number;
}

/** split/chunk/unbind(as split + reshape)/tensor_split: one output per size, consecutive along `dim`. */
export interface SplitAttrs {
  dim: number;
  /** Output extents along dim; they sum to the input's size there. */
  sizes: number[];
}

/**
 * Basic indexing x[a:b:s, ...] and narrow: per input dim, elements start, start+step, ... < stop.
 * Integer indices (x[:, 0]) are a 1-wide slice followed by a reshape.
 */
export interface SliceAttrs {
  /** One entry per input dim, 0 ≤ start ≤ size (already clipped and made non-negative). */
  start: number[];
  /** One entry per input dim, start ≤ stop ≤ size. */
  stop: number[];
  /** One entry per input dim, ≥ 1. Output extent is ⌈(stop − start)/step⌉. */
  step: number[];
}

/** index_select, and x[..., idx] with an integer list or int64 tensor. Inputs: x, indices (1-D int64, may be a const). */
export interface IndexSelectAttrs {
  dim: number;
}

/** float()/long()/bool()/to(dtype)/type_as when the dtype changes. Float → int64 truncates toward zero; → bool is x ≠ 0. */
export interface CastAttrs {
  dtype: DType;
}

/** torch.zeros/ones/full (and *_like) of a fixed shape: no inputs. */
export interface FullAttrs {
  shape: number[];
  value: number;
  dtype: DType;
}

// ---------------------------------------------------------------- reductions

/**
 * sum/mean/prod/amax/amin/var/std (and max/min over a dim: amax + arg_reduce). Output drops the
 * reduced dims, or keeps them as 1 with keepdim. sum/prod of int64 or bool give int64; amax/amin keep
 * the dtype; mean/var/std give float32. amax/amin propagate NaN.
 */
export type ReduceAttrs =
  | {
      fn: 'sum' | 'mean' | 'prod' | 'amax' | 'amin';
      /** The reduced dims: sorted, unique, non-negative; a full reduction lists every dim (never "empty means all"). */
      dims: number[];
      keepdim: boolean;
    }
  | {
      fn: 'var' | 'std';
      dims: number[];
      keepdim: boolean;
      /** Divisor is n − correction (unbiased=True is 1, unbiased=False is 0). */
      correction: number;
    };

/** argmax/argmin (first index of the extreme value; a NaN counts as the extreme). Output int64. */
export interface ArgReduceAttrs {
  fn: 'argmax' | 'argmin';
  /** Reduced dim, or null: over the flattened tensor (output 0-d, or all-ones shape with keepdim). */
  dim: number | null;
  keepdim: boolean;
}

/** softmax/log_softmax/softmin (softmin = softmax of neg) along one dim. */
export interface SoftmaxAttrs {
  dim: number;
  log: boolean;
}

/** torch.cumsum along dim (int64/bool inputs give int64). */
export interface CumsumAttrs {
  dim: number;
}

// ---------------------------------------------------------------- the vocabulary

/** Every op the graph may contain, with its attributes. */
export interface OpAttrs {
  conv: ConvAttrs;
  conv_transpose: ConvTransposeAttrs;
  pad: PadAttrs;
  max_pool: MaxPoolAttrs;
  avg_pool: AvgPoolAttrs;
  adaptive_avg_pool: AdaptiveAvgPoolAttrs;
  adaptive_max_pool: AdaptiveMaxPoolAttrs;
  batch_norm: BatchNormAttrs;
  layer_norm: LayerNormAttrs;
  group_norm: GroupNormAttrs;
  instance_norm: InstanceNormAttrs;
  local_response_norm: LocalResponseNormAttrs;
  linear: LinearAttrs;
  matmul: MatmulAttrs;
  embedding: EmbeddingAttrs;
  einsum: EinsumAttrs;
  rnn: RnnAttrs;
  unary: UnaryAttrs;
  binary: BinaryAttrs;
  where: WhereAttrs;
  prelu: PreluAttrs;
  dropout: DropoutAttrs;
  interpolate: InterpolateAttrs;
  pixel_shuffle: PixelShuffleAttrs;
  pixel_unshuffle: PixelUnshuffleAttrs;
  reshape: ReshapeAttrs;
  permute: PermuteAttrs;
  expand: ExpandAttrs;
  cat: CatAttrs;
  stack: StackAttrs;
  split: SplitAttrs;
  slice: SliceAttrs;
  index_select: IndexSelectAttrs;
  cast: CastAttrs;
  full: FullAttrs;
  reduce: ReduceAttrs;
  arg_reduce: ArgReduceAttrs;
  softmax: SoftmaxAttrs;
  cumsum: CumsumAttrs;
}

export type OpName = keyof OpAttrs;
