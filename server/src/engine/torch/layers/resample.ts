// Modules that change spatial resolution without weights: Upsample, PixelShuffle/Unshuffle and
// the padding layers. Shared with F.interpolate, F.pixel_shuffle and F.pad.
import * as D from '../dim';
import type { Dim } from '../dim';
import { same, atLeast } from '../assume';
import { dim } from '../args';
import type { Range } from '../../syntax/ast';
import { PyFloat, PyList, PyTuple, isNumber, numVal, type PyClass, type Value } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { int, str, tuple } from '../args';
import { Fraction } from '../fraction';
import { Tensor, shapeStr, upsampleDep, windowDep } from '../tensor';
import { defineLayer, inputOf, layerError, moduleLabel } from '../nnModule';

/** F.interpolate's shape rule: a size, or a scale factor per spatial dim (output = floor(L·s)). */
export function interpolate(x: Tensor, size: Value | undefined, scale: Value | undefined, site: Range, fail: (m: string, c: string) => never): Tensor {
  const nd = x.rank - 2;
  if (nd < 1) fail(`interpolate expects a 3D, 4D or 5D input, but got ${shapeStr(x.shape)}`, 'interp-rank');
  const hasSize = size !== undefined && size !== null;
  const hasScale = scale !== undefined && scale !== null;
  if (hasSize === hasScale) fail(hasSize ? 'only one of size or scale_factor should be defined' : 'either size or scale_factor should be defined', 'interp-args');
  let out: Dim[];
  let factors: Fraction[];
  if (hasSize) {
    // Sizes taken from another tensor (size=x.shape[2:]) may be symbolic.
    const items = size instanceof PyTuple || size instanceof PyList ? size.items : Array(nd).fill(size);
    if (items.length !== nd) fail(`size shape must match input shape. Input is ${nd}D, size is ${items.length}`, 'interp-args');
    out = items.map((v: Value, i: number) => dim(v, `size[${i}]`, site));
    // The grid of a fixed-size resize: exact when both sizes are numbers, else left as is.
    factors = out.map((o, i) => {
      const L = x.shape[2 + i]!;
      if (typeof o === 'number' && typeof L === 'number') return new Fraction(o, L);
      const q = D.divExact(o, L);
      return typeof q === 'number' ? Fraction.of(q) : Fraction.ONE;
    });
  } else {
    const sc = scale instanceof PyTuple || scale instanceof PyList ? scale.items : Array(nd).fill(scale);
    if (sc.length !== nd) fail(`scale_factor shape must match input shape. Input is ${nd}D, scale_factor size is ${sc.length}`, 'interp-args');
    const fs = sc.map((v: Value) => (isNumber(v) ? numVal(v) : v instanceof PyFloat ? v.v : NaN));
    if (fs.some((f) => Number.isNaN(f))) fail('scale_factor must be a number', 'interp-args');
    out = x.shape.slice(2).map((L, i) => scaleDim(L, fs[i]!));
    factors = fs.map((f) => Fraction.of(f));
  }
  let dep = x.dep;
  for (let i = 0; i < nd; i++) dep = upsampleDep(dep, x.tags[2 + i]!, factors[i]!);
  return new Tensor([...x.shape.slice(0, 2), ...out], x.dtype, x.tags.slice(), dep);
}

export function pixelShuffle(x: Tensor, r: number, site: Range, fail: (m: string, c: string) => never): Tensor {
  if (x.rank < 3) fail(`pixel_shuffle expects input to have at least 3 dimensions, but got input with ${x.rank} dimension(s)`, 'pixel-shuffle');
  const c = x.shape[x.rank - 3]!;
  const q = D.divExact(c, r * r);
  if (q === null) fail(`pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${D.dimStr(c)} is not divisible by ${r * r}`, 'pixel-shuffle');
  const shape = x.shape.slice();
  shape[x.rank - 3] = q!;
  shape[x.rank - 2] = D.mul(shape[x.rank - 2]!, r);
  shape[x.rank - 1] = D.mul(shape[x.rank - 1]!, r);
  let dep = upsampleDep(x.dep, x.tags[x.rank - 2]!, Fraction.of(r));
  dep = upsampleDep(dep, x.tags[x.rank - 1]!, Fraction.of(r));
  return new Tensor(shape, x.dtype, [...x.tags.slice(0, -3), -1, ...x.tags.slice(-2)], dep);
}

export function pixelUnshuffle(x: Tensor, r: number, site: Range, fail: (m: string, c: string) => never): Tensor {
  if (x.rank < 3) fail(`pixel_unshuffle expects input to have at least 3 dimensions, but got input with ${x.rank} dimension(s)`, 'pixel-shuffle');
  const h = x.shape[x.rank - 2]!;
  const w = x.shape[x.rank - 1]!;
  if (!same(D.mod(h, r), 0, site, `pixel_unshuffle(${r})`) || !same(D.mod(w, r), 0, site, `pixel_unshuffle(${r})`)) fail(`pixel_unshuffle expects height and width to be divisible by downscale_factor ${r}, but got ${D.dimStr(h)}x${D.dimStr(w)}`, 'pixel-shuffle');
  const shape = x.shape.slice();
  shape[x.rank - 3] = D.mul(x.shape[x.rank - 3]!, r * r);
  shape[x.rank - 2] = D.floordiv(h, r);
  shape[x.rank - 1] = D.floordiv(w, r);
  let dep = windowDep(x.dep, x.tags[x.rank - 2]!, r, r, 0, 1);
  dep = windowDep(dep, x.tags[x.rank - 1]!, r, r, 0, 1);
  return new Tensor(shape, x.dtype, [...x.tags.slice(0, -3), -1, ...x.tags.slice(-2)], dep);
}

/** F.pad: pads the last dims, given as (left, right, top, bottom, ...) from the last dim backwards. */
export function pad(x: Tensor, pads: Dim[], site: Range, fail: (m: string, c: string) => never): Tensor {
  if (pads.length % 2) fail('Padding length must be divisible by 2', 'pad');
  const n = pads.length / 2;
  if (n > x.rank) fail(`Padding length too large: ${pads.length} for a ${x.rank}D input`, 'pad');
  const shape = x.shape.slice();
  let dep = x.dep;
  for (let i = 0; i < n; i++) {
    const d = x.rank - 1 - i;
    const l = pads[2 * i]!;
    const r = pads[2 * i + 1]!;
    shape[d] = D.add(shape[d]!, D.add(l, r));
    if (!atLeast(shape[d]!, 1)) fail(`the padded size of dim ${d} would be ${D.dimStr(shape[d]!)}`, 'pad');
    if (typeof l === 'number') dep = windowDep(dep, x.tags[d]!, 1, 1, l, 1);
  }
  return new Tensor(shape, x.dtype, x.tags.slice(), dep);
}

export function defineResample(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  for (const name of ['Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d']) {
    out.set(name, defineLayer(ip, base, name, {
      sig: name === 'Upsample' ? ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor'] : ['size', 'scale_factor'],
      build(_ip, _self, b) {
        const size = b.get('size');
        const scale = b.get('scale_factor');
        const mode = str(b.get('mode'), name === 'UpsamplingBilinear2d' ? 'bilinear' : 'nearest');
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            if (!(x instanceof Tensor)) return x;
            return interpolate(x, size, scale, a.site, (m, c) => layerError(me, a.site, 'ValueError', `${moduleLabel(me)}: ${m}`, c));
          },
          describe: () => `${scale !== undefined && scale !== null ? `×${numVal(scale as number)}` : 'size'}, ${mode}`,
        };
      },
    }));
  }
  for (const [name, down] of [['PixelShuffle', false], ['PixelUnshuffle', true]] as const) {
    out.set(name, defineLayer(ip, base, name, {
      sig: [down ? 'downscale_factor' : 'upscale_factor'],
      required: 1,
      build(_ip, _self, b, site) {
        const r = int(b.get(down ? 'downscale_factor' : 'upscale_factor'), 'factor', site);
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            if (!(x instanceof Tensor)) return x;
            const fail = (m: string, c: string): never => layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: ${m}`, c);
            return down ? pixelUnshuffle(x, r, a.site, fail) : pixelShuffle(x, r, a.site, fail);
          },
          describe: () => `r=${r}`,
        };
      },
    }));
  }
  for (const nd of [1, 2, 3]) {
    for (const kind of ['Zero', 'Constant', 'Reflection', 'Replication', 'Circular']) {
      if (kind === 'Zero' && nd !== 2) continue;
      const name = `${kind}Pad${nd}d`;
      out.set(name, defineLayer(ip, base, name, {
        sig: kind === 'Constant' ? ['padding', 'value'] : ['padding'],
        required: kind === 'Constant' ? 2 : 1,
        build(_ip, _self, b, site) {
          const pads = tuple(b.get('padding'), 2 * nd, 'padding', site);
          return {
            forward(ip2, me, a) {
              const x = inputOf(me, a, ip2);
              if (!(x instanceof Tensor)) return x;
              if (x.rank !== nd + 1 && x.rank !== nd + 2) layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)} expects a ${nd + 1}D or ${nd + 2}D input, got ${shapeStr(x.shape)}`, 'pad');
              if (kind === 'Reflection') {
                for (let i = 0; i < nd; i++) {
                  const L = x.shape[x.rank - 1 - i]!;
                  if (typeof L === 'number' && (pads[2 * i]! >= L || pads[2 * i + 1]! >= L)) layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: padding size should be less than the corresponding input dimension, but got padding (${pads[2 * i]}, ${pads[2 * i + 1]}) for a dim of size ${L}`, 'pad');
                }
              }
              return pad(x, pads, a.site, (m, c) => layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: ${m}`, c));
            },
            describe: () => `pad=${pads.join(',')}`,
          };
        },
      }));
    }
  }
}

/** ⌊L·s⌋ for a scale factor s: exact for integer and 1/k factors over symbolic sizes. */
function scaleDim(L: Dim, s: number): Dim {
  if (typeof L === 'number') return Math.floor(L * s);
  if (Number.isInteger(s)) return D.mul(L, s);
  const inv = 1 / s;
  if (Number.isInteger(inv)) return D.floordiv(L, inv);
  const f = Fraction.of(s);
  return D.floordiv(D.mul(L, f.n), f.d);
}
