// Graph nodes for built-in nn layers, read from the module's stored arguments (PyTorch's own attribute
// forms: kernel_size=(3, 3), padding='same', eps, momentum...) after its shape rule accepted the call.
import type { CallArgs, PyObject, Value } from '../interp/values';
import { PyList, PyTuple, isNumber, numVal } from '../interp/values';
import { Tensor } from '../torch/tensor';
import { samePadding } from '../torch/window';
import type { GraphRecorder } from './recorder';
import type { RnnAttrs, UnaryAttrs } from './ir';

const attr = (m: PyObject, name: string): Value | undefined => m.attrs.get(name);
function num(m: PyObject, name: string, dflt: number): number {
  const v = attr(m, name);
  return v !== undefined && v !== null && isNumber(v) ? numVal(v) : dflt;
}
function nullableNum(m: PyObject, name: string, dflt: number | null): number | null {
  const v = attr(m, name);
  if (v === null) return null;
  return v !== undefined && isNumber(v) ? numVal(v) : dflt;
}
function flag(m: PyObject, name: string, dflt: boolean): boolean {
  const v = attr(m, name);
  return typeof v === 'boolean' ? v : dflt;
}
/** A per-dim argument (int or tuple) as nd numbers. */
function nums(m: PyObject, name: string, nd: number, dflt: number): number[] {
  const v = attr(m, name);
  if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => (isNumber(x) ? numVal(x) : dflt));
  const n = v !== undefined && v !== null && isNumber(v) ? numVal(v) : dflt;
  return Array(nd).fill(n);
}

/** The element-wise function of an activation module, or null when it isn't one. */
function activation(m: PyObject, cls: string): UnaryAttrs | null {
  switch (cls) {
    case 'ReLU':
      return { fn: 'relu' };
    case 'ReLU6':
      return { fn: 'relu6' };
    case 'LeakyReLU':
      return { fn: 'leaky_relu', negativeSlope: num(m, 'negative_slope', 0.01) };
    case 'RReLU':
      return { fn: 'leaky_relu', negativeSlope: (num(m, 'lower', 1 / 8) + num(m, 'upper', 1 / 3)) / 2 };
    case 'ELU':
      return { fn: 'elu', alpha: num(m, 'alpha', 1) };
    case 'CELU':
      return { fn: 'celu', alpha: num(m, 'alpha', 1) };
    case 'GELU':
      return { fn: 'gelu', approximate: attr(m, 'approximate') === 'tanh' ? 'tanh' : 'none' };
    case 'Hardtanh':
      return { fn: 'hardtanh', min: num(m, 'min_val', -1), max: num(m, 'max_val', 1) };
    case 'Softplus':
      return { fn: 'softplus', beta: num(m, 'beta', 1), threshold: num(m, 'threshold', 20) };
    case 'Hardshrink':
      return { fn: 'hardshrink', lambd: num(m, 'lambd', 0.5) };
    case 'Softshrink':
      return { fn: 'softshrink', lambd: num(m, 'lambd', 0.5) };
    case 'Threshold':
      return { fn: 'threshold', threshold: num(m, 'threshold', 0), value: num(m, 'value', 0) };
    case 'SELU':
    case 'SiLU':
    case 'Mish':
    case 'Sigmoid':
    case 'Tanh':
    case 'Hardswish':
    case 'Hardsigmoid':
    case 'Softsign':
    case 'Tanhshrink':
    case 'LogSigmoid':
      return { fn: cls.toLowerCase() as 'selu' };
  }
  return null;
}

/** Records the node(s) of one built-in layer call. */
export function emitLayer(g: GraphRecorder, self: PyObject, a: CallArgs, out: Value): void {
  const cls = self.cls.builtinBase?.name ?? self.cls.name;
  const site = a.site;
  const x = a.pos[0] ?? a.kw.get('input');
  const st = self.module!;
  const p = (name: string): Tensor | null => st.params.get(name) ?? st.buffers.get(name) ?? null;
  const y = out instanceof Tensor ? out : (out instanceof PyTuple || out instanceof PyList) && out.items[0] instanceof Tensor ? out.items[0] : null;
  if (!(x instanceof Tensor) || !y) return g.miss(cls, site);
  const outs = out instanceof Tensor ? [out] : (out as PyTuple).items.filter((t): t is Tensor => t instanceof Tensor);
  const nd = Number(/([123])d$/.exec(cls)?.[1] ?? 0) as 1 | 2 | 3;
  const act = activation(self, cls);
  if (act) return g.node('unary', [x], act, [y], site, cls);

  let m: RegExpExecArray | null;
  if ((m = /^Conv([123])d$/.exec(cls))) {
    const k = nums(self, 'kernel_size', nd, 1);
    const stride = nums(self, 'stride', nd, 1);
    const dilation = nums(self, 'dilation', nd, 1);
    const padding = attr(self, 'padding');
    let before: number[], after: number[];
    if (padding === 'same') {
      const pads = k.map((kk, i) => samePadding(kk, dilation[i]!));
      before = pads.map((q) => q[0]);
      after = pads.map((q) => q[1]);
    } else if (padding === 'valid') before = after = Array(nd).fill(0);
    else before = after = nums(self, 'padding', nd, 0);
    const w = p('weight')!;
    const b = p('bias');
    const conv = { nd, stride, dilation, groups: num(self, 'groups', 1), bias: !!b };
    const mode = attr(self, 'padding_mode');
    if (typeof mode === 'string' && mode !== 'zeros' && (before.some((v) => v) || after.some((v) => v))) {
      // PyTorch pads with the mode first, then convolves without padding.
      const lead = x.rank - nd;
      const padded = new Tensor(x.shape.map((d, i) => (i < lead ? d : (d as number) + before[i - lead]! + after[i - lead]!)), x.dtype);
      g.node('pad', [x], { mode: mode as 'reflect', before: [...Array(lead).fill(0), ...before], after: [...Array(lead).fill(0), ...after], value: 0 }, [padded], site, cls);
      return g.node('conv', b ? [padded, w, b] : [padded, w], { ...conv, padBefore: Array(nd).fill(0), padAfter: Array(nd).fill(0) }, [y], site, cls);
    }
    return g.node('conv', b ? [x, w, b] : [x, w], { ...conv, padBefore: before, padAfter: after }, [y], site, cls);
  }
  if ((m = /^ConvTranspose([123])d$/.exec(cls))) {
    const k = nums(self, 'kernel_size', nd, 1);
    const stride = nums(self, 'stride', nd, 1);
    const padding = nums(self, 'padding', nd, 0);
    const dilation = nums(self, 'dilation', nd, 1);
    // forward(output_size=...) is an output padding that reaches the requested size.
    const spatialIn = x.shape.slice(x.rank - nd) as number[];
    const spatialOut = y.shape.slice(y.rank - nd) as number[];
    const outputPadding = spatialIn.map((L, i) => spatialOut[i]! - ((L - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (k[i]! - 1) + 1));
    const w = p('weight')!;
    const b = p('bias');
    return g.node('conv_transpose', b ? [x, w, b] : [x, w], { nd, stride, padding, outputPadding, dilation, groups: num(self, 'groups', 1), bias: !!b }, [y], site, cls);
  }
  if ((m = /^(Max|Avg)Pool([123])d$/.exec(cls))) {
    const kernel = nums(self, 'kernel_size', nd, 1);
    const strideV = attr(self, 'stride');
    const stride = strideV === null || strideV === undefined || (strideV instanceof PyTuple && !strideV.items.length) || (strideV instanceof PyList && !strideV.items.length) ? kernel.slice() : nums(self, 'stride', nd, 1);
    const padding = nums(self, 'padding', nd, 0);
    const ceilMode = flag(self, 'ceil_mode', false);
    if (m[1] === 'Max') return g.node('max_pool', [x], { nd, kernel, stride, padding, dilation: nums(self, 'dilation', nd, 1), ceilMode, returnIndices: outs.length > 1 }, outs, site, cls);
    return g.node('avg_pool', [x], { nd, kernel, stride, padding, ceilMode, countIncludePad: flag(self, 'count_include_pad', true), divisorOverride: nullableNum(self, 'divisor_override', null) }, outs, site, cls);
  }
  if ((m = /^Adaptive(Max|Avg)Pool([123])d$/.exec(cls))) {
    const outSize = y.shape.slice(y.rank - nd) as number[];
    if (m[1] === 'Avg') return g.node('adaptive_avg_pool', [x], { nd, outSize }, [y], site, cls);
    return g.node('adaptive_max_pool', [x], { nd, outSize, returnIndices: outs.length > 1 }, outs, site, cls);
  }
  if (/^BatchNorm[123]d$/.test(cls)) {
    const rm = p('running_mean');
    const rv = p('running_var');
    const nbt = p('num_batches_tracked');
    const w = p('weight');
    const b = p('bias');
    const track = !!(rm && rv);
    const training = st.training || !track;
    const momentum = nullableNum(self, 'momentum', 0.1);
    const extra = training && track ? [rm!, rv!, ...(nbt ? [nbt] : [])] : [];
    // Train mode updates the running statistics in place: later reads see the new values.
    const updated = extra.map((t) => new Tensor(t.shape.slice(), t.dtype));
    g.node('batch_norm', [x, ...(track ? [rm!, rv!] : []), ...(w ? [w] : []), ...(b ? [b] : []), ...(track && nbt ? [nbt] : [])], { training, momentum, eps: num(self, 'eps', 1e-5), runningStats: track, weight: !!w, bias: !!b, numBatchesTracked: track && !!nbt }, [y, ...updated], site, cls);
    extra.forEach((t, i) => g.rebind(t, updated[i]!));
    return;
  }
  if (/^InstanceNorm[123]d$/.test(cls)) {
    const rm = p('running_mean');
    const rv = p('running_var');
    const w = p('weight');
    const b = p('bias');
    const track = !!(rm && rv);
    const useInputStats = st.training || !track;
    const updated = useInputStats && track ? [new Tensor(rm!.shape.slice()), new Tensor(rv!.shape.slice())] : [];
    g.node('instance_norm', [x, ...(track ? [rm!, rv!] : []), ...(w ? [w] : []), ...(b ? [b] : [])], { useInputStats, momentum: num(self, 'momentum', 0.1), eps: num(self, 'eps', 1e-5), runningStats: track, weight: !!w, bias: !!b }, [y, ...updated], site, cls);
    if (updated.length) {
      g.rebind(rm!, updated[0]!);
      g.rebind(rv!, updated[1]!);
    }
    return;
  }
  if (cls === 'LayerNorm') {
    const w = p('weight');
    const b = p('bias');
    const ns = attr(self, 'normalized_shape');
    const normalizedShape = ns instanceof PyTuple || ns instanceof PyList ? ns.items.map((v) => (isNumber(v) ? numVal(v) : -1)) : [];
    return g.node('layer_norm', [x, ...(w ? [w] : []), ...(b ? [b] : [])], { normalizedShape, eps: num(self, 'eps', 1e-5), weight: !!w, bias: !!b }, [y], site, cls);
  }
  if (cls === 'GroupNorm') {
    const w = p('weight');
    const b = p('bias');
    return g.node('group_norm', [x, ...(w ? [w] : []), ...(b ? [b] : [])], { groups: num(self, 'num_groups', 1), eps: num(self, 'eps', 1e-5), weight: !!w, bias: !!b }, [y], site, cls);
  }
  if (cls === 'LocalResponseNorm') return g.node('local_response_norm', [x], { size: num(self, 'size', 1), alpha: num(self, 'alpha', 1e-4), beta: num(self, 'beta', 0.75), k: num(self, 'k', 1) }, [y], site, cls);
  if (cls === 'Linear') {
    const b = p('bias');
    return g.node('linear', b ? [x, p('weight')!, b] : [x, p('weight')!], { bias: !!b }, [y], site, cls);
  }
  if (cls === 'Embedding') return g.node('embedding', [x, p('weight')!], {}, [y], site, cls);
  if (cls === 'RNN' || cls === 'LSTM' || cls === 'GRU') return emitRecurrent(g, self, cls, a, x, out);
  if (cls === 'RNNCell' || cls === 'LSTMCell' || cls === 'GRUCell') return emitCell(g, self, cls, a, x, out);
  if (cls === 'PReLU') return g.node('prelu', [x, p('weight')!], {}, [y], site, cls);
  if (cls === 'Flatten' || cls === 'Unflatten') return g.node('reshape', [x], { shape: y.shape as number[] }, [y], site, cls);
  if (cls === 'Identity') return g.alias(y, x);
  if (/^(Dropout[123]?d?|AlphaDropout|FeatureAlphaDropout)$/.test(cls)) {
    const prob = num(self, 'p', 0.5);
    if (!st.training || prob === 0) return g.alias(y, x);
    if (cls.includes('Alpha')) return g.miss(`${cls} in training mode`, site);
    const featureDims = cls === 'Dropout' ? 0 : (Number(cls.slice(7, 8)) as 1 | 2 | 3);
    return g.node('dropout', [x], { p: prob, training: true, featureDims, seed: 0 }, [y], site, cls);
  }
  if (cls === 'Softmax' || cls === 'LogSoftmax' || cls === 'Softmin') {
    const d = attr(self, 'dim');
    const dim = typeof d === 'number' ? (d < 0 ? d + x.rank : d) : x.rank === 0 || x.rank === 1 || x.rank === 3 ? 0 : 1;
    if (cls === 'Softmin') {
      const neg = new Tensor(x.shape.slice(), x.dtype);
      g.node('unary', [x], { fn: 'neg' }, [neg], site, cls);
      return g.node('softmax', [neg], { dim, log: false }, [y], site, cls);
    }
    return g.node('softmax', [x], { dim, log: cls === 'LogSoftmax' }, [y], site, cls);
  }
  if (cls === 'PixelShuffle') return g.node('pixel_shuffle', [x], { upscale: num(self, 'upscale_factor', 1) }, [y], site, cls);
  if (cls === 'PixelUnshuffle') return g.node('pixel_unshuffle', [x], { downscale: num(self, 'downscale_factor', 1) }, [y], site, cls);
  if ((m = /^(Zero|Constant|Reflection|Replication|Circular)Pad([123])d$/.exec(cls))) {
    const flat = nums(self, 'padding', 2 * nd, 0);
    const pads = flat.length === 2 * nd ? flat : Array(2 * nd).fill(flat[0] ?? 0);
    const mode = ({ Zero: 'constant', Constant: 'constant', Reflection: 'reflect', Replication: 'replicate', Circular: 'circular' } as const)[m[1] as 'Zero'];
    return g.node('pad', [x], { mode, ...padSides(pads, x.rank), value: mode === 'constant' ? num(self, 'value', 0) : 0 }, [y], site, cls);
  }
  if (cls === 'Upsample' || cls === 'UpsamplingNearest2d' || cls === 'UpsamplingBilinear2d') {
    const mode = cls === 'UpsamplingBilinear2d' ? 'bilinear' : typeof attr(self, 'mode') === 'string' ? (attr(self, 'mode') as string) : 'nearest';
    const align = cls === 'UpsamplingBilinear2d' ? true : flag(self, 'align_corners', false);
    const scale = attr(self, 'scale_factor');
    return emitInterpolate(g, x, y, mode, align, scale ?? null, attr(self, 'recompute_scale_factor') === true, site, cls);
  }
  g.miss(cls, site);
}

/**
 * The rnn mode of a recurrent layer or cell (RNN's nonlinearity picks tanh or relu) and its initial
 * state: hx positionally or by keyword, an LSTM's the pair (h0, c0); null (recorded as missing) when
 * either is something the rnn op does not take.
 */
function modeAndState(g: GraphRecorder, self: PyObject, cls: string, a: CallArgs): { mode: RnnAttrs['mode']; initial: Tensor[] } | null {
  const nonlin = attr(self, 'nonlinearity');
  const kind = cls.replace(/Cell$/, '');
  const mode = kind === 'LSTM' ? 'lstm' : kind === 'GRU' ? 'gru' : nonlin === 'relu' ? 'rnn_relu' : nonlin === undefined || nonlin === null || nonlin === 'tanh' ? 'rnn_tanh' : null;
  if (!mode) {
    g.miss(`${cls} (nonlinearity '${String(nonlin)}')`, a.site);
    return null;
  }
  const hx = a.pos[1] ?? a.kw.get('hx');
  if (hx instanceof Tensor && mode !== 'lstm') return { mode, initial: [hx] };
  if (mode === 'lstm' && (hx instanceof PyTuple || hx instanceof PyList) && hx.items.length === 2 && hx.items.every((t) => t instanceof Tensor)) return { mode, initial: hx.items as Tensor[] };
  if (hx !== undefined && hx !== null) {
    g.miss(`${cls} (an initial state that is not ${mode === 'lstm' ? 'a pair of tensors' : 'a tensor'})`, a.site);
    return null;
  }
  return { mode, initial: [] };
}

/**
 * nn.RNN/LSTM/GRU: one rnn node. The shape rule returns (output, h_n) or (output, (h_n, c_n)); those very
 * tensors become the node's outputs, so `out, (h, c) = self.lstm(x)` and `h[-1]` read them.
 */
function emitRecurrent(g: GraphRecorder, self: PyObject, cls: 'RNN' | 'LSTM' | 'GRU', a: CallArgs, x: Tensor, out: Value): void {
  const site = a.site;
  const st = self.module!;
  const rest = out instanceof PyTuple ? out.items[1] : undefined;
  const states = rest instanceof Tensor ? [rest] : rest instanceof PyTuple ? rest.items : [];
  const y = out instanceof PyTuple ? out.items[0] : undefined;
  if (!(y instanceof Tensor) || !states.length || !states.every((t): t is Tensor => t instanceof Tensor)) return g.miss(cls, site);
  const numLayers = num(self, 'num_layers', 1);
  const dropout = num(self, 'dropout', 0);
  if (st.training && dropout > 0 && numLayers > 1) return g.miss(`${cls} in training mode with dropout=${dropout}`, site);
  const mi = modeAndState(g, self, cls, a);
  if (!mi) return;
  const { mode, initial } = mi;
  const bidirectional = flag(self, 'bidirectional', false);
  // A constructor's `bias` is never kept as an attribute (on most layers it names the parameter):
  // the layer registers bias_ih_l0 exactly when it has biases.
  const bias = !!st.params.get('bias_ih_l0');
  const projSize = mode === 'lstm' ? num(self, 'proj_size', 0) : 0;
  const weights: Tensor[] = [];
  for (let l = 0; l < numLayers; l++) {
    for (let d = 0; d < (bidirectional ? 2 : 1); d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      for (const name of ['weight_ih', 'weight_hh', ...(bias ? ['bias_ih', 'bias_hh'] : []), ...(projSize ? ['weight_hr'] : [])]) {
        const w = st.params.get(name + sfx);
        if (!w) return g.miss(`${cls} (parameter ${name + sfx} is missing)`, site);
        weights.push(w);
      }
    }
  }
  const attrs = { mode, inputSize: num(self, 'input_size', x.shape[x.rank - 1] as number), hiddenSize: num(self, 'hidden_size', 0), numLayers, bidirectional, batchFirst: flag(self, 'batch_first', false), bias, projSize, initialState: initial.length > 0 } as const;
  g.node('rnn', [x, ...initial, ...weights], attrs, [y, ...(states as Tensor[])], site, cls);
}

/**
 * nn.RNNCell/LSTMCell/GRUCell: one step of a one-layer rnn node. x [N, in] (unbatched [in]) becomes a
 * sequence of one step [1, N, in] ([1, in]), hx [N, H] the initial state [1, N, H] ([1, H]); the
 * node's h_n (and c_n) reshaped back are the tensors the cell returned.
 */
function emitCell(g: GraphRecorder, self: PyObject, cls: 'RNNCell' | 'LSTMCell' | 'GRUCell', a: CallArgs, x: Tensor, out: Value): void {
  const site = a.site;
  const st = self.module!;
  const returned = out instanceof Tensor ? [out] : out instanceof PyTuple ? out.items : [];
  if (!returned.length || !returned.every((t): t is Tensor => t instanceof Tensor)) return g.miss(cls, site);
  const mi = modeAndState(g, self, cls, a);
  if (!mi) return;
  const { mode, initial } = mi;
  // The layer registers bias_ih/bias_hh exactly when it has biases.
  const bias = !!st.params.get('bias_ih');
  const weights: Tensor[] = [];
  for (const name of ['weight_ih', 'weight_hh', ...(bias ? ['bias_ih', 'bias_hh'] : [])]) {
    const w = st.params.get(name);
    if (!w) return g.miss(`${cls} (parameter ${name} is missing)`, site);
    weights.push(w);
  }
  if (!x.shape.every((d) => typeof d === 'number')) return g.miss(`${cls} on a symbolic shape`, site);
  const hiddenSize = num(self, 'hidden_size', 0);
  // One step of a sequence: a leading dim of 1 on the input and on every state.
  const step = (t: Tensor): Tensor => {
    const s = new Tensor([1, ...(t.shape as number[])], t.dtype);
    g.node('reshape', [t], { shape: s.shape as number[] }, [s], site, cls);
    return s;
  };
  const xs = step(x);
  const states0 = initial.map(step);
  const y = new Tensor([1, ...(returned[0]!.shape as number[])], 'float32');
  const finals = returned.map((t) => new Tensor([1, ...(t.shape as number[])], 'float32'));
  const attrs = { mode, inputSize: num(self, 'input_size', x.shape[x.rank - 1] as number), hiddenSize, numLayers: 1, bidirectional: false, batchFirst: false, bias, projSize: 0, initialState: states0.length > 0 } as const;
  g.node('rnn', [xs, ...states0, ...weights], attrs, [y, ...finals], site, cls);
  returned.forEach((t, k) => g.node('reshape', [finals[k]!], { shape: t.shape as number[] }, [t], site, cls));
}

/** F.pad's flat (last dim first) pair list as per-dim before/after amounts for a tensor of `rank` dims. */
export function padSides(pads: number[], rank: number): { before: number[]; after: number[] } {
  const before = Array(rank).fill(0);
  const after = Array(rank).fill(0);
  for (let i = 0; 2 * i + 1 < pads.length; i++) {
    before[rank - 1 - i] = pads[2 * i]!;
    after[rank - 1 - i] = pads[2 * i + 1]!;
  }
  return { before, after };
}

/** An interpolate node (nn.Upsample and F.interpolate); mode 'area' is adaptive average pooling. */
export function emitInterpolate(g: GraphRecorder, x: Tensor, y: Tensor, mode: string, alignCorners: boolean, scale: Value, recompute: boolean, site: CallArgs['site'], label: string): void {
  const nd = (x.rank - 2) as 1 | 2 | 3;
  const size = y.shape.slice(2) as number[];
  if (mode === 'area') return g.node('adaptive_avg_pool', [x], { nd, outSize: size }, [y], site, label);
  const kind = mode === 'nearest' ? 'nearest' : mode === 'nearest-exact' ? 'nearest-exact' : mode === 'bicubic' ? 'cubic' : /linear$/.test(mode) ? 'linear' : null;
  if (!kind || nd < 1 || nd > 3) return g.miss(`${label} (mode '${mode}')`, site);
  const factors = scale === null || recompute ? null : scale instanceof PyTuple || scale instanceof PyList ? scale.items.map((v) => (isNumber(v) ? numVal(v) : null)) : isNumber(scale) ? Array(nd).fill(numVal(scale)) : null;
  const scales = factors ?? Array(nd).fill(null);
  g.node('interpolate', [x], { mode: kind, nd, size, scales, alignCorners: kind === 'linear' || kind === 'cubic' ? alignCorners : false }, [y], site, label);
}

