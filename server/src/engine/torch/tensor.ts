// The abstract tensor: a shape, a dtype, and what the receptive-field analysis needs to know
// (which input spatial dim each tensor dim follows, and which input region the centre unit sees).
import { Fraction } from './fraction';
import { dimStr, prod, type Dim } from './dim';

export type DType = 'float32' | 'int64' | 'bool';

/**
 * Dependency of a tensor's centre unit on one spatial dim of the model's first input.
 * 'ok': the unit at index i sees input positions [a + j·i, b + j·i] (jump j = jn/jd);
 * 'nonuniform': upsampling made unit spacing uneven, only the jump is meaningful;
 * 'global': the unit depends on the whole input (global pooling, a squeeze-excitation gate);
 * 'indep': the field depends on the input size (adaptive pooling to a size > 1).
 */
export interface RFDim {
  st: 'ok' | 'nonuniform' | 'global' | 'indep';
  a: number;
  b: number;
  j: Fraction;
  /** The model input's length along this dim (when a number): "covers the whole input" needs it. */
  n?: number;
}

export interface ParamInfo {
  requiresGrad: boolean;
  /** What the layer's reset_parameters needs beyond the layer kind (kernels/src/init.ts runs it). */
  init?: ParamInit;
}

/** Constructor arguments that change a parameter's default initialisation. */
export interface ParamInit {
  /** nn.Embedding(padding_idx=...): that row starts at zero (normalised to a non-negative index). */
  paddingIdx?: number;
  /** nn.PReLU(init=...): the fill value (0.25 by default). */
  preluInit?: number;
}

export class Tensor {
  /** Set on nn.Parameter tensors: identity matters (shared weights are counted once). */
  param: ParamInfo | null = null;
  /**
   * Known element values, for small 1-D tensors made from literals (torch.linspace, arange, tensor([...])):
   * `[x.item() for x in torch.linspace(0, 0.1, 12)]` (stochastic-depth rates) must stay known.
   */
  data: number[] | null = null;
  constructor(
    public shape: Dim[],
    public dtype: DType = 'float32',
    /** Per tensor dim: the index of the first input's spatial dim it follows, or -1. */
    public tags: number[] = shape.map(() => -1),
    /** Per spatial dim of the first input; null when the tensor does not depend on it. */
    public dep: RFDim[] | null = null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  get numel(): Dim {
    return prod(this.shape);
  }
  /** The element count when every dim is a number. */
  get count(): number | null {
    let n = 1;
    for (const d of this.shape) {
      if (typeof d !== 'number') return null;
      n *= d;
    }
    return n;
  }
}

/** A tensor with known values (rank 0 for one value, else 1-D). */
export function dataTensor(values: number[], dtype: DType, scalar = false): Tensor {
  const t = new Tensor(scalar ? [] : [values.length], dtype);
  t.data = values;
  return t;
}

export function shapeStr(s: readonly Dim[]): string {
  return '[' + s.map((d) => dimStr(d)).join(', ') + ']';
}

/** The first model input: every spatial dim tagged, centre unit sees itself. */
export function inputTensor(shape: Dim[], dtype: DType, first: boolean): Tensor {
  if (dtype !== 'float32' || shape.length < 3) return new Tensor(shape, dtype);
  // Every image-like input is laid out (N, C, spatial...); only the first one carries a field.
  const tags = shape.map((_, i) => (i >= 2 ? i - 2 : -1));
  const dep: RFDim[] | null = first ? shape.slice(2).map((d) => ({ st: 'ok', a: 0, b: 0, j: Fraction.ONE, n: typeof d === 'number' ? d : undefined })) : null;
  return new Tensor(shape, dtype, tags, dep);
}

/** How many merges of an upsampled path with another path traces have made (read by the size lint). */
export let upsampledMerges = 0;

/** Union of the fields of tensors combined element-wise (residual add, cat, gating). */
export function unionDep(deps: (RFDim[] | null)[]): RFDim[] | null {
  const present = deps.filter((d): d is RFDim[] => d !== null);
  if (!present.length) return null;
  if (present.length === 1) return present[0]!;
  const n = Math.min(...present.map((d) => d.length));
  const out: RFDim[] = [];
  for (let i = 0; i < n; i++) {
    const ds = present.map((d) => d[i]!);
    const local = ds.filter((d) => d.st !== 'global');
    // The grid of a merged tensor is that of its non-global operands, preferably an evenly spaced
    // one (an FPN's lateral branch, not the branch resized onto it).
    const j = (ds.find((d) => d.st === 'ok') ?? local[0] ?? ds[0]!).j;
    const n = ds[0]!.n;
    if (ds.some((d) => d.st === 'global')) out.push({ st: 'global', a: 0, b: 0, j, n });
    else if (ds.some((d) => d.st === 'indep')) out.push({ st: 'indep', a: 0, b: 0, j, n });
    else if (ds.some((d) => d.st === 'nonuniform') || ds.some((d) => !d.j.equals(j))) {
      // An upsampled path meeting another one (a U-Net skip): its sizes may only match for some inputs.
      if (ds.some((d) => d.st !== 'nonuniform')) upsampledMerges++;
      out.push({ st: 'nonuniform', a: 0, b: 0, j, n });
    } else out.push({ st: 'ok', a: Math.min(...ds.map((d) => d.a)), b: Math.max(...ds.map((d) => d.b)), j, n });
  }
  return out;
}

/** Marks spatial dims as seen whole (a reduction or a Linear over them). */
export function globalize(dep: RFDim[] | null, spatial: Iterable<number>): RFDim[] | null {
  if (!dep) return null;
  const out = dep.slice();
  for (const s of spatial) if (out[s]) out[s] = { ...out[s]!, st: 'global' };
  return out;
}

/** The spatial indices carried by the given tensor dims. */
export function spatialOf(t: Tensor, dims: number[]): number[] {
  return dims.map((d) => t.tags[d]!).filter((s) => s >= 0);
}

/** A sliding window (conv or pool) along spatial index s: k, stride, left padding, dilation. */
export function windowDep(dep: RFDim[] | null, s: number, k: number, stride: number, padLeft: number, dilation: number): RFDim[] | null {
  if (!dep || s < 0 || !dep[s]) return dep;
  const d = dep[s]!;
  const out = dep.slice();
  const ja = d.j.toNumber();
  out[s] = { st: d.st, a: d.a - ja * padLeft, b: d.b + ja * (dilation * (k - 1) - padLeft), j: d.j.mul(Fraction.of(stride)), n: d.n };
  return out;
}

/** Upsampling along spatial index s by a rational factor: unit spacing becomes uneven. */
export function upsampleDep(dep: RFDim[] | null, s: number, factor: Fraction): RFDim[] | null {
  if (!dep || s < 0 || !dep[s]) return dep;
  const d = dep[s]!;
  const out = dep.slice();
  out[s] = { st: d.st === 'global' || d.st === 'indep' ? d.st : 'nonuniform', a: d.a, b: d.b, j: d.j.div(factor), n: d.n };
  return out;
}

/**
 * Whether output unit `unit`, spanning map positions [lo, hi] along spatial index s, sees the whole
 * input in the measured sense: its field reaches the first input pixel and past the middle.
 */
export function coversInput(dep: RFDim[] | null, s: number, lo: number, hi: number): boolean {
  const d = s >= 0 ? dep?.[s] : undefined;
  if (!d || d.n === undefined || d.st !== 'ok') return d?.st === 'global';
  const j = d.j.toNumber();
  return d.a + j * lo <= 0 && d.b + j * hi >= (d.n - 1) / 2;
}

