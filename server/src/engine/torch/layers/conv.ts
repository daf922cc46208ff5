// nn.Conv1d/2d/3d and nn.ConvTranspose1d/2d/3d: argument parsing with PyTorch's construction
// checks, parameters, and the forward shape rule (output size from window.ts).
import type { Range } from '../../syntax/ast';
import { raise } from '../../interp/errors';
import { PyList, PyTuple, type PyClass, type PyObject, type Value } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { dim, int, bool, str, tuple } from '../args';
import { convOutDim, convTransposeOutDim, samePadding } from '../window';
import * as D from '../dim';
import { countOf, type Dim } from '../dim';
import { atLeast, same } from '../assume';
import { Fraction } from '../fraction';
import { Tensor, shapeStr, upsampleDep, windowDep } from '../tensor';
import { argFix, defineLayer, inputOf, layerError, moduleLabel, newParam, tupleAttr } from '../nnModule';

export interface ConvGeometry {
  nd: number;
  inC: number;
  outC: number;
  k: number[];
  stride: number[];
  /** Left and right padding per spatial dim (they differ only for padding='same' with even kernels). */
  padL: number[];
  padR: number[];
  dilation: number[];
  groups: number;
  bias: boolean;
}

/** Parses `padding` (int, tuple, 'same', 'valid') into left/right pads. */
export function parsePadding(v: Value | undefined, nd: number, k: number[], dilation: number[], stride: number[], site: Range): [number[], number[]] {
  if (typeof v === 'string') {
    if (v === 'valid') return [Array(nd).fill(0), Array(nd).fill(0)];
    if (v === 'same') {
      if (stride.some((s) => s !== 1)) raise('ValueError', "padding='same' is not supported for strided convolutions", site, 'conv-padding');
      const pads = k.map((kk, i) => samePadding(kk, dilation[i]!));
      return [pads.map((p) => p[0]), pads.map((p) => p[1])];
    }
    raise('ValueError', `Invalid padding string '${v}', should be one of {'valid', 'same'}`, site, 'conv-padding');
  }
  const p = tuple(v, nd, 'padding', site, 0);
  return [p, p.slice()];
}

/** Shape rule of an N-d convolution, shared by nn.ConvNd and F.convNd. */
export function convForward(x: Tensor, g: ConvGeometry, site: Range, fail: (msg: string, code: string) => never, label: string): Tensor {
  const nd = g.nd;
  if (x.rank !== nd + 2 && x.rank !== nd + 1) {
    fail(`${label} expects a ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input, but got a ${x.rank}D input ${shapeStr(x.shape)}`, 'conv-rank');
  }
  const batched = x.rank === nd + 2;
  const cDim = batched ? 1 : 0;
  const c = x.shape[cDim]!;
  if (!same(c, g.inC, site, `${label}'s in_channels=${g.inC}`)) {
    fail(`${label} expects ${g.inC} input channels (in_channels=${g.inC}${g.groups > 1 ? `, groups=${g.groups}` : ''}), but its input ${shapeStr(x.shape)} has ${c} channels`, 'conv-in-channels');
  }
  const spatial = x.shape.slice(cDim + 1);
  const out: Dim[] = [];
  for (let i = 0; i < nd; i++) {
    const padded = D.add(spatial[i]!, g.padL[i]! + g.padR[i]!);
    const eff = g.dilation[i]! * (g.k[i]! - 1) + 1;
    if (!atLeast(padded, eff)) {
      const halved = x.dep?.[x.tags[cDim + 1 + i]!]?.j;
      const note = halved && halved.d === 1 && halved.n > 1 && Number.isInteger(Math.log2(halved.n)) ? `; the input has been halved ${Math.log2(halved.n)} times by then` : '';
      fail(`${label}: input ${spatial.map((s) => D.dimStr(s)).join('x')} is smaller than the kernel ${g.k.map((kk, j) => g.dilation[j]! * (kk - 1) + 1).join('x')} (padded size ${spatial.map((s, j) => D.dimStr(D.add(s, g.padL[j]! + g.padR[j]!))).join('x')})${note}`, 'size-below-kernel');
    }
    out.push(convOutDim(spatial[i]!, g.k[i]!, g.stride[i]!, g.padL[i]!, g.padR[i]!, g.dilation[i]!));
  }
  const shape = [...x.shape.slice(0, cDim), g.outC, ...out];
  let dep = x.dep;
  for (let i = 0; i < nd; i++) dep = windowDep(dep, x.tags[cDim + 1 + i]!, g.k[i]!, g.stride[i]!, g.padL[i]!, g.dilation[i]!);
  return new Tensor(shape, 'float32', [...x.tags.slice(0, cDim), -1, ...x.tags.slice(cDim + 1)], dep);
}

const CONV_SIG = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode'];
const TCONV_SIG = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode'];

function checkGroups(inC: number, outC: number, groups: number, site: Range): void {
  if (groups <= 0) raise('ValueError', 'groups must be a positive integer', site, 'conv-groups');
  if (inC % groups !== 0) raise('ValueError', `in_channels must be divisible by groups (in_channels=${inC}, groups=${groups})`, site, 'conv-groups');
  if (outC % groups !== 0) raise('ValueError', `out_channels must be divisible by groups (out_channels=${outC}, groups=${groups})`, site, 'conv-groups');
}

export function defineConvs(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  for (const nd of [1, 2, 3]) {
    const name = `Conv${nd}d`;
    out.set(name, defineLayer(ip, base, name, {
      sig: CONV_SIG,
      required: 3,
      attrs: (b) => convAttrs(b, nd),
      defaults: { groups: 1, padding_mode: 'zeros' },
      build(_ip, self, b, site) {
        const inC = int(b.get('in_channels'), 'in_channels', site);
        const outC = int(b.get('out_channels'), 'out_channels', site);
        const k = tuple(b.get('kernel_size'), nd, 'kernel_size', site);
        const stride = tuple(b.get('stride'), nd, 'stride', site, 1);
        const dilation = tuple(b.get('dilation'), nd, 'dilation', site, 1);
        const groups = int(b.get('groups'), 'groups', site, 1);
        const hasBias = bool(b.get('bias'), true);
        const mode = str(b.get('padding_mode'), 'zeros');
        if (!['zeros', 'reflect', 'replicate', 'circular'].includes(mode)) raise('ValueError', `padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='${mode}'`, site, 'conv-padding');
        checkGroups(inC, outC, groups, site);
        const [padL, padR] = parsePadding(b.get('padding'), nd, k, dilation, stride, site);
        const g: ConvGeometry = { nd, inC, outC, k, stride, padL, padR, dilation, groups, bias: hasBias };
        const m = self.module!;
        m.params.set('weight', newParam([outC, inC / groups, ...k]));
        m.params.set('bias', hasBias ? newParam([outC]) : null);
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            if (!(x instanceof Tensor)) return x;
            const c = x.shape[x.rank === nd + 2 ? 1 : 0];
            const fix = typeof c === 'number' && groups === 1 ? argFix(me, 'in_channels', 0, c) : undefined;
            return convForward(x, g, a.site, (msg, code) => layerError(me, a.site, 'RuntimeError', msg, code, code === 'conv-in-channels' ? fix : undefined), moduleLabel(me));
          },
          macs: (_in, o) => convMacs(me(self), o, g),
          describe: () => describeConv(g),
          window: { kind: 'conv', k, stride, padL, padR, dilation, bias: hasBias },
        };
      },
    }));
    const tname = `ConvTranspose${nd}d`;
    out.set(tname, defineLayer(ip, base, tname, {
      sig: TCONV_SIG,
      required: 3,
      attrs: (b) => {
        const m = convAttrs(b, nd);
        m.set('output_padding', tupleAttr(b.get('output_padding'), nd, 0));
        return m;
      },
      defaults: { groups: 1, padding_mode: 'zeros' },
      build(_ip, self, b, site) {
        const inC = int(b.get('in_channels'), 'in_channels', site);
        const outC = int(b.get('out_channels'), 'out_channels', site);
        const k = tuple(b.get('kernel_size'), nd, 'kernel_size', site);
        const stride = tuple(b.get('stride'), nd, 'stride', site, 1);
        const pad = tuple(b.get('padding'), nd, 'padding', site, 0);
        const outPad = tuple(b.get('output_padding'), nd, 'output_padding', site, 0);
        const dilation = tuple(b.get('dilation'), nd, 'dilation', site, 1);
        const groups = int(b.get('groups'), 'groups', site, 1);
        const hasBias = bool(b.get('bias'), true);
        if (str(b.get('padding_mode'), 'zeros') !== 'zeros') raise('ValueError', `Only "zeros" padding mode is supported for ${tname}`, site, 'conv-padding');
        checkGroups(inC, outC, groups, site);
        const m = self.module!;
        m.params.set('weight', newParam([inC, outC / groups, ...k]));
        m.params.set('bias', hasBias ? newParam([outC]) : null);
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            if (!(x instanceof Tensor)) return x;
            const fail = (msg: string, code: string): never => layerError(me, a.site, 'RuntimeError', msg, code);
            if (x.rank !== nd + 2 && x.rank !== nd + 1) fail(`${moduleLabel(me)} expects a ${nd + 1}D or ${nd + 2}D input, but got ${shapeStr(x.shape)}`, 'conv-rank');
            const cDim = x.rank === nd + 2 ? 1 : 0;
            if (!same(x.shape[cDim]!, inC, a.site, `${moduleLabel(me)}'s in_channels=${inC}`)) fail(`${moduleLabel(me)} expects ${inC} input channels (in_channels=${inC}), but its input ${shapeStr(x.shape)} has ${x.shape[cDim]} channels`, 'conv-in-channels');
            for (let i = 0; i < nd; i++) {
              if (outPad[i]! >= stride[i]! && outPad[i]! >= dilation[i]!) fail(`${moduleLabel(me)}: output padding must be smaller than either stride or dilation, but got output_padding=${outPad[i]}, stride=${stride[i]}, dilation=${dilation[i]}`, 'conv-padding');
            }
            let spatial: Dim[] = x.shape.slice(cDim + 1).map((L, i) => convTransposeOutDim(L, k[i]!, stride[i]!, pad[i]!, outPad[i]!, dilation[i]!));
            // forward(x, output_size=...) picks the output padding that reaches the requested size.
            const req = a.pos[1] ?? a.kw.get('output_size');
            if (req instanceof PyTuple || req instanceof PyList) {
              const want = req.items.slice(-nd).map((v, i) => dim(v, `output_size[${i}]`, a.site));
              spatial = x.shape.slice(cDim + 1).map((L, i) => {
                const lo = convTransposeOutDim(L, k[i]!, stride[i]!, pad[i]!, 0, dilation[i]!);
                const w = want[i]!;
                if (typeof lo === 'number' && typeof w === 'number' && (w < lo || w > lo + stride[i]! - 1)) fail(`${moduleLabel(me)}: requested an output size of ${want.join('x')}, but valid sizes range from ${lo} to ${lo + stride[i]! - 1} (for an input of ${x.shape.slice(cDim + 1).join('x')})`, 'conv-output-size');
                return want[i]!;
              });
            }
            if (spatial.some((s) => !atLeast(s, 1))) fail(`${moduleLabel(me)}: output size ${spatial.map((d) => D.dimStr(d)).join('x')} is too small`, 'size-below-kernel');
            let dep = x.dep;
            for (let i = 0; i < nd; i++) {
              const tag = x.tags[cDim + 1 + i]!;
              // Stride 1 is an ordinary window (a conv with the flipped kernel and full padding): an even grid.
              if (stride[i] === 1) dep = windowDep(dep, tag, k[i]!, 1, dilation[i]! * (k[i]! - 1) - pad[i]!, dilation[i]!);
              else dep = upsampleDep(dep, tag, Fraction.of(stride[i]!));
            }
            return new Tensor([...x.shape.slice(0, cDim), outC, ...spatial], 'float32', [...x.tags.slice(0, cDim), -1, ...x.tags.slice(cDim + 1)], dep);
          },
          // torchinfo counts weight+bias elements per output position, here per input position.
          macs: (inp, o) => {
            const x = inp[0];
            if (!x) return 0;
            const per = countOf(x.shape.slice(x.rank - nd));
            return (inC * (outC / groups) * k.reduce((p, d) => p * d, 1) + (hasBias ? outC : 0)) * countOf([o.shape[0] ?? 1]) * per;
          },
          describe: () => `${inC}→${outC}, k=${k.join('x')}, s=${stride.join('x')}`,
          window: { kind: 'convTranspose', k, stride, padL: pad, padR: pad, dilation, bias: hasBias },
        };
      },
    }));
  }
}

const me = (o: PyObject): PyObject => o;

/** kernel_size, stride, padding and dilation as the tuples PyTorch keeps on a conv module. */
function convAttrs(b: Map<string, Value>, nd: number): Map<string, Value> {
  const pad = b.get('padding');
  return new Map<string, Value>([
    ['kernel_size', tupleAttr(b.get('kernel_size'), nd, 1)],
    ['stride', tupleAttr(b.get('stride'), nd, 1)],
    ['padding', typeof pad === 'string' ? pad : tupleAttr(pad, nd, 0)],
    ['dilation', tupleAttr(b.get('dilation'), nd, 1)],
  ]);
}

/** torchinfo: (weight + bias elements) x batch x output positions. */
export function convMacs(_self: PyObject, o: Tensor, g: ConvGeometry): number {
  const weights = g.outC * (g.inC / g.groups) * g.k.reduce((p, d) => p * d, 1) + (g.bias ? g.outC : 0);
  const batched = o.rank === g.nd + 2;
  const positions = countOf(o.shape.slice(batched ? 2 : 1)) * (batched ? countOf([o.shape[0]!]) : 1);
  return weights * positions;
}

function describeConv(g: ConvGeometry): string {
  const parts = [`${g.inC}→${g.outC}`, `k=${g.k.join('x')}`];
  if (g.stride.some((s) => s !== 1)) parts.push(`s=${g.stride.join('x')}`);
  if (g.padL.some((p) => p !== 0)) parts.push(`p=${g.padL.join('x')}`);
  if (g.dilation.some((d) => d !== 1)) parts.push(`d=${g.dilation.join('x')}`);
  if (g.groups !== 1) parts.push(`g=${g.groups}`);
  return parts.join(', ');
}
