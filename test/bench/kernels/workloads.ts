// The kernel benchmark's workloads, defined once in PyTorch's layout (NCHW activations, OIHW conv
// weights, [out, in] linear weights) with seeded weights that every engine shares, plus their MACs.
import { convOutSize, poolOutSize } from '../../../server/src/engine/torch/window';
import { rng } from '../../support/rng';

export type Layer =
  | { op: 'conv'; x: string; y: string; w: string; b: string; cin: number; cout: number; k: number; stride: number; pad: number; groups: number }
  | { op: 'relu'; x: string; y: string }
  | { op: 'maxpool'; x: string; y: string; k: number; stride: number; pad: number }
  | { op: 'add'; a: string; b: string; y: string }
  /** adaptive_avg_pool2d to 1x1 (ResNet's avgpool): the mean over H and W. */
  | { op: 'gap'; x: string; y: string }
  /** torch.flatten(x, 1) of an NCHW tensor: channel-major order. */
  | { op: 'flatten'; x: string; y: string }
  | { op: 'linear'; x: string; y: string; w: string; b: string; fin: number; fout: number };

export interface Param {
  shape: number[];
  data: Float32Array;
}

export interface Workload {
  id: string;
  title: string;
  /** 'model' rows need a whole-network executor; 'layer' rows are one convolution. */
  kind: 'layer' | 'model';
  input: string;
  output: string;
  layers: Layer[];
  /** Every value's NCHW (or [N, F]) shape, the input and output included. */
  shapes: Map<string, number[]>;
  params: Map<string, Param>;
  /** Multiply-accumulates of the convolutions and linear layers (what GFLOP/s counts, at 2 FLOPs each). */
  macs: number;
}

/**
 * Builds a workload layer by layer, computing output sizes with the shape engine's formulas and
 * drawing weights from one seeded generator. Weights are He-uniform (bound √(6/fan_in)) rather than
 * PyTorch's default √(1/fan_in) so activations keep their scale through ResNet-18's 17 convs: with
 * the default the output would shrink to the last biases and the engines' agreement check would
 * compare little more than those biases.
 */
class Builder {
  readonly layers: Layer[] = [];
  readonly shapes = new Map<string, number[]>();
  readonly params = new Map<string, Param>();
  macs = 0;
  private n = 0;
  private readonly rand: () => number;

  constructor(seed: number, readonly input: string, inputShape: number[]) {
    this.rand = rng(seed);
    this.shapes.set(input, inputShape);
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  private uniform(shape: number[], bound: number): Param {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (this.rand() * 2 - 1) * bound;
    return { shape, data };
  }

  shape(v: string): number[] {
    const s = this.shapes.get(v);
    if (!s) throw new Error(`workload: unknown value ${v}`);
    return s;
  }

  /** A convolution with bias (a BatchNorm after it is folded into weight and bias). */
  conv(x: string, cout: number, k: number, stride: number, pad: number, groups = 1): string {
    const [n, cin, h, w] = this.shape(x) as [number, number, number, number];
    const ho = convOutSize(h, k, stride, pad, pad, 1);
    const wo = convOutSize(w, k, stride, pad, pad, 1);
    const y = this.fresh('conv');
    const fanIn = (cin / groups) * k * k;
    this.params.set(`${y}.w`, this.uniform([cout, cin / groups, k, k], Math.sqrt(6 / fanIn)));
    this.params.set(`${y}.b`, this.uniform([cout], 0.1));
    this.layers.push({ op: 'conv', x, y, w: `${y}.w`, b: `${y}.b`, cin, cout, k, stride, pad, groups });
    this.shapes.set(y, [n, cout, ho, wo]);
    this.macs += n * cout * ho * wo * fanIn;
    return y;
  }

  relu(x: string): string {
    const y = this.fresh('relu');
    this.layers.push({ op: 'relu', x, y });
    this.shapes.set(y, this.shape(x));
    return y;
  }

  maxpool(x: string, k: number, stride: number, pad: number): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const y = this.fresh('pool');
    this.layers.push({ op: 'maxpool', x, y, k, stride, pad });
    this.shapes.set(y, [n, c, poolOutSize(h, k, stride, pad, 1, false), poolOutSize(w, k, stride, pad, 1, false)]);
    return y;
  }

  add(a: string, b: string): string {
    const y = this.fresh('add');
    this.layers.push({ op: 'add', a, b, y });
    this.shapes.set(y, this.shape(a));
    return y;
  }

  gap(x: string): string {
    const [n, c] = this.shape(x) as [number, number];
    const y = this.fresh('gap');
    this.layers.push({ op: 'gap', x, y });
    this.shapes.set(y, [n, c, 1, 1]);
    return y;
  }

  flatten(x: string): string {
    const [n, ...rest] = this.shape(x) as [number, ...number[]];
    const y = this.fresh('flat');
    this.layers.push({ op: 'flatten', x, y });
    this.shapes.set(y, [n, rest.reduce((a, b) => a * b, 1)]);
    return y;
  }

  linear(x: string, fout: number): string {
    const [n, fin] = this.shape(x) as [number, number];
    const y = this.fresh('fc');
    this.params.set(`${y}.w`, this.uniform([fout, fin], Math.sqrt(6 / fin)));
    this.params.set(`${y}.b`, this.uniform([fout], 0.1));
    this.layers.push({ op: 'linear', x, y, w: `${y}.w`, b: `${y}.b`, fin, fout });
    this.shapes.set(y, [n, fout]);
    this.macs += n * fin * fout;
    return y;
  }

  done(id: string, title: string, kind: 'layer' | 'model', output: string): Workload {
    return { id, title, kind, input: this.input, output, layers: this.layers, shapes: this.shapes, params: this.params, macs: this.macs };
  }
}

/** The PyTorch CIFAR-10 tutorial's Net at 3x32x32. */
function cifarNet(seed: number): Workload {
  const b = new Builder(seed, 'x', [1, 3, 32, 32]);
  let v = b.maxpool(b.relu(b.conv('x', 6, 5, 1, 0)), 2, 2, 0);
  v = b.maxpool(b.relu(b.conv(v, 16, 5, 1, 0)), 2, 2, 0);
  v = b.flatten(v);
  v = b.relu(b.linear(v, 120));
  v = b.relu(b.linear(v, 84));
  return b.done('cifar-net', 'CIFAR-10 tutorial net, 3x32x32', 'model', b.linear(v, 10));
}

function singleConv(seed: number, id: string, title: string, cin: number, hw: number, cout: number, k: number, stride: number, pad: number, groups = 1): Workload {
  const b = new Builder(seed, 'x', [1, cin, hw, hw]);
  return b.done(id, title, 'layer', b.conv('x', cout, k, stride, pad, groups));
}

/** torchvision's BasicBlock: conv3x3-bn-relu-conv3x3-bn, plus the identity or a 1x1-conv-bn downsample, then relu. */
function basicBlock(b: Builder, x: string, planes: number, stride: number): string {
  const cin = b.shape(x)[1]!;
  const out = b.conv(b.relu(b.conv(x, planes, 3, stride, 1)), planes, 3, 1, 1);
  const identity = stride !== 1 || cin !== planes ? b.conv(x, planes, 1, stride, 0) : x;
  return b.relu(b.add(out, identity));
}

/** torchvision.models.resnet18 in eval mode with every BatchNorm folded into the conv before it. */
function resnet18(seed: number): Workload {
  const b = new Builder(seed, 'x', [1, 3, 224, 224]);
  let v = b.maxpool(b.relu(b.conv('x', 64, 7, 2, 3)), 3, 2, 1);
  for (const [planes, stride] of [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ] as const) {
    v = basicBlock(b, v, planes, stride);
    v = basicBlock(b, v, planes, 1);
  }
  v = b.flatten(b.gap(v));
  return b.done('resnet18', 'ResNet-18 (BN folded), 3x224x224', 'model', b.linear(v, 1000));
}

/** The workloads of issue 5, in table order. Built lazily: ResNet-18's weights alone are 47 MB. */
export const WORKLOADS: readonly { id: string; build: () => Workload }[] = [
  { id: 'cifar-net', build: () => cifarNet(1) },
  { id: 'conv3x3-64-56', build: () => singleConv(2, 'conv3x3-64-56', 'conv 3x3 64→64 pad 1, 56x56', 64, 56, 64, 3, 1, 1) },
  { id: 'conv3x3-128-28', build: () => singleConv(3, 'conv3x3-128-28', 'conv 3x3 128→128 pad 1, 28x28', 128, 28, 128, 3, 1, 1) },
  { id: 'conv7x7s2-3-64-224', build: () => singleConv(4, 'conv7x7s2-3-64-224', 'conv 7x7 s2 pad 3 3→64, 224x224', 3, 224, 64, 7, 2, 3) },
  { id: 'dwconv3x3-32-112', build: () => singleConv(5, 'dwconv3x3-32-112', 'depthwise 3x3 pad 1 x32, 112x112', 32, 112, 32, 3, 1, 1, 32) },
  { id: 'resnet18', build: () => resnet18(6) },
];

/** The seeded input every engine receives for a workload. */
export function workloadInput(w: Workload, seed = 1234): Float32Array {
  const r = rng(seed);
  const shape = w.shapes.get(w.input)!;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = r() * 2 - 1;
  return data;
}
