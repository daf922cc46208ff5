// Max/avg pooling (fixed and adaptive) in 1, 2 and 3 dims, as modules and as the shape rule
// F.max_pool2d & co. share.
import { dimStr } from '../dim';
import { atLeast } from '../assume';
import type { Range } from '../../syntax/ast';
import { PyTuple, type PyClass, type Value } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { bool, int, tuple, type Bound } from '../args';
import { poolOutDim } from '../window';
import { Tensor, coversInput, shapeStr, windowDep, type RFDim } from '../tensor';
import { Fraction } from '../fraction';
import { defineLayer, inputOf, layerError, moduleLabel } from '../nnModule';

export interface PoolGeometry {
  nd: number;
  kind: 'max' | 'avg';
  k: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
  ceil: boolean;
}

export function poolGeometry(b: Bound, nd: number, kind: 'max' | 'avg', site: Range): PoolGeometry {
  const k = tuple(b.get('kernel_size'), nd, 'kernel_size', site);
  const s = b.get('stride');
  const stride = s === undefined || s === null || (s instanceof PyTuple && s.items.length === 0) ? k.slice() : tuple(s, nd, 'stride', site);
  return {
    nd,
    kind,
    k,
    stride,
    pad: tuple(b.get('padding'), nd, 'padding', site, 0),
    dilation: kind === 'max' ? tuple(b.get('dilation'), nd, 'dilation', site, 1) : Array(nd).fill(1),
    ceil: bool(b.get('ceil_mode'), false),
  };
}

export function poolForward(x: Tensor, g: PoolGeometry, site: Range, fail: (msg: string, code: string) => never, label: string): Tensor {
  const nd = g.nd;
  if (x.rank !== nd + 1 && x.rank !== nd + 2) fail(`${label} expects a ${nd + 1}D or ${nd + 2}D input, but got a ${x.rank}D input ${shapeStr(x.shape)}`, 'pool-rank');
  for (let i = 0; i < nd; i++) {
    const eff = g.dilation[i]! * (g.k[i]! - 1) + 1;
    if (g.pad[i]! * 2 > eff) fail(`${label}: pad should be at most half of effective kernel size, but got pad=${g.pad[i]}, kernel_size=${g.k[i]} and dilation=${g.dilation[i]}`, 'pool-padding');
  }
  const lead = x.rank - nd;
  const spatial = x.shape.slice(lead);
  const out = spatial.map((L, i) => poolOutDim(L, g.k[i]!, g.stride[i]!, g.pad[i]!, g.dilation[i]!, g.ceil));
  if (out.some((o) => !atLeast(o, 1))) {
    const halved = spatial.map((_, i) => x.dep?.[x.tags[lead + i]!]?.j).find((j) => j && j.d === 1 && j.n > 1);
    const note = halved && Number.isInteger(Math.log2(halved.n)) ? `; the input has been halved ${Math.log2(halved.n)} times by then` : '';
    fail(`${label}: input ${spatial.map((d) => dimStr(d)).join('x')} is smaller than the ${g.kind} pooling window ${g.k.join('x')}: output size would be ${out.map((d) => dimStr(d)).join('x')} (input ${shapeStr(x.shape)})${note}`, 'size-below-kernel');
  }
  let dep = x.dep;
  // A window sized from the input (F.avg_pool1d(x, x.shape[-1])) is a global pooling, but a concrete
  // trace cannot tell it from a fixed one that happens to span the map (F.avg_pool2d(out, 4) on 4x4,
  // which is not): both keep an ordinary field.
  for (let i = 0; i < nd; i++) dep = windowDep(dep, x.tags[lead + i]!, g.k[i]!, g.stride[i]!, g.pad[i]!, g.dilation[i]!);
  return new Tensor([...x.shape.slice(0, lead), ...out], x.dtype, x.tags.slice(), dep);
}

/** Output sizes of adaptive pooling (`None` keeps the input size). */
export function adaptiveSizes(v: Value | undefined, nd: number, site: Range): (number | null)[] {
  if (v instanceof PyTuple || (v && typeof v === 'object' && 'items' in v)) {
    const items = (v as PyTuple).items;
    if (items.length !== nd) return Array(nd).fill(int(items[0], 'output_size', site));
    return items.map((x, i) => (x === null ? null : int(x, `output_size[${i}]`, site)));
  }
  return Array(nd).fill(int(v, 'output_size', site));
}

export function adaptiveForward(x: Tensor, nd: number, sizes: (number | null)[], fail: (msg: string, code: string) => never, label: string): Tensor {
  if (x.rank !== nd + 1 && x.rank !== nd + 2) fail(`${label} expects a ${nd + 1}D or ${nd + 2}D input, but got a ${x.rank}D input ${shapeStr(x.shape)}`, 'pool-rank');
  const lead = x.rank - nd;
  const out = sizes.map((s, i) => (s === null ? x.shape[lead + i]! : s));
  if (out.some((o) => typeof o === 'number' && o < 0)) fail(`${label}: output size must be non-negative`, 'pool-size');
  const dep = x.dep ? x.dep.slice() : null;
  const tags = x.tags.slice();
  for (let i = 0; i < nd; i++) {
    if (sizes[i] === null) continue;
    const tag = x.tags[lead + i]!;
    // Pooling to one element sees the whole input; to a fixed size > 1 the field depends on the
    // input size. The effective stride grows by in/out, so a later resize back has the right grid.
    if (dep && tag >= 0 && dep[tag]) {
      const d = dep[tag] as RFDim;
      const inLen = x.shape[lead + i]!;
      const o = out[i] as number;
      const j = typeof inLen === 'number' && o > 0 ? d.j.mul(new Fraction(inLen, o)) : d.j;
      // To a size > 1 the field depends on the input size, unless the centre unit already sees
      // the whole input (a feature map whose field outgrew a small input).
      let whole = sizes[i] === 1 || d.st === 'global';
      if (!whole && typeof inLen === 'number' && o > 1) {
        const c = Math.floor(o / 2);
        whole = coversInput(dep, tag, Math.floor((c * inLen) / o), Math.ceil(((c + 1) * inLen) / o) - 1);
      }
      dep[tag] = { ...d, j, st: whole ? 'global' : 'indep' };
    }
  }
  return new Tensor([...x.shape.slice(0, lead), ...out], x.dtype, tags, dep);
}

export function definePools(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  for (const nd of [1, 2, 3]) {
    for (const kind of ['max', 'avg'] as const) {
      const name = `${kind === 'max' ? 'Max' : 'Avg'}Pool${nd}d`;
      const sig = kind === 'max' ? ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'] : ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'];
      out.set(name, defineLayer(ip, base, name, {
        sig,
        required: 1,
        // PyTorch keeps these as given; a missing stride is the kernel size.
        attrs: (b) => new Map<string, Value>([['stride', b.get('stride') ?? b.get('kernel_size') ?? null]]),
        defaults: kind === 'max' ? { padding: 0, dilation: 1, return_indices: false, ceil_mode: false } : { padding: 0, ceil_mode: false, count_include_pad: true, divisor_override: null },
        build(_ip, _self, b, site) {
          const g = poolGeometry(b, nd, kind, site);
          const withIdx = bool(b.get('return_indices'), false);
          return {
            forward(ip2, me, a) {
              const x = inputOf(me, a, ip2);
              if (!(x instanceof Tensor)) return x;
              const y = poolForward(x, g, a.site, (msg, code) => layerError(me, a.site, 'RuntimeError', msg, code), moduleLabel(me));
              return withIdx ? new PyTuple([y, new Tensor(y.shape.slice(), 'int64', y.tags.slice(), y.dep)]) : y;
            },
            describe: () => `k=${g.k.join('x')}, s=${g.stride.join('x')}${g.pad.some((p) => p) ? `, p=${g.pad.join('x')}` : ''}${g.ceil ? ', ceil' : ''}`,
            window: { kind: 'pool', k: g.k, stride: g.stride, padL: g.pad, padR: g.pad, dilation: g.dilation, ceil: g.ceil },
          };
        },
      }));
      const aname = `Adaptive${kind === 'max' ? 'Max' : 'Avg'}Pool${nd}d`;
      out.set(aname, defineLayer(ip, base, aname, {
        sig: kind === 'max' ? ['output_size', 'return_indices'] : ['output_size'],
        required: 1,
        build(_ip, _self, b, site) {
          const sizes = adaptiveSizes(b.get('output_size'), nd, site);
          const withIdx = bool(b.get('return_indices'), false);
          return {
            forward(ip2, me, a) {
              const x = inputOf(me, a, ip2);
              if (!(x instanceof Tensor)) return x;
              const y = adaptiveForward(x, nd, sizes, (msg, code) => layerError(me, a.site, 'RuntimeError', msg, code), moduleLabel(me));
              return withIdx ? new PyTuple([y, new Tensor(y.shape.slice(), 'int64', y.tags.slice(), y.dep)]) : y;
            },
            describe: () => `out=${sizes.map((s) => s ?? 'None').join('x')}`,
          };
        },
      }));
    }
  }
}
