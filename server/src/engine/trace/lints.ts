// Architecture lints over a finished trace: things PyTorch accepts but a careful engineer would
// change. Each has a code and a one-line rationale, is a warning or information (never an error),
// and is said once per layer, at the line that built it.
import type { Range } from '../syntax/ast';
import type { Interp } from '../interp/interpreter';
import type { PyObject } from '../interp/values';
import type { Fix } from '../interp/errors';
import type { CallRecord, Tracer } from './tracer';
import { Tensor } from '../torch/tensor';
import { convOutSize, poolOutSize } from '../torch/window';
import { fieldOf } from './receptiveField';

const NORMS = /^(BatchNorm[123]d|LazyBatchNorm[123]d|SyncBatchNorm)$/;

export function runLints(ip: Interp, tracer: Tracer, input?: { shape: (number | string)[]; dtype: string }): void {
  // Findings are grouped by (code, construction site): a helper or a cfg loop that builds eight
  // layers on one line gets one message naming them, not eight.
  const groups = new Map<string, { at: Range; code: string; severity: 'warning' | 'information'; paths: string[]; message: string; fix?: Fix }>();
  const seen = new Set<string>();
  const say = (m: PyObject, code: string, severity: 'warning' | 'information', message: string, fix?: Fix): void => {
    const at: Range | null = m.module!.ctor;
    const path = m.module!.path ?? m.cls.name;
    if (!at || seen.has(`${code}:${path}`)) return;
    seen.add(`${code}:${path}`);
    const key = `${code}:${at.sl}:${at.sc}`;
    const g = groups.get(key);
    if (g) g.paths.push(path);
    else groups.set(key, { at, code, severity, paths: [path], message, fix });
  };
  const keepsSize: CallRecord[] = [];
  const shrinks: CallRecord[] = [];
  for (const c of tracer.calls) {
    const m = c.module;
    const layer = m.module!.layer;
    // A conv bias followed directly by BatchNorm is cancelled by the normalisation.
    if (NORMS.test(m.cls.name) && c.inputs[0]) {
      const from = tracer.producer.get(c.inputs[0]);
      const w = from?.module.module!.layer?.window;
      if (from && w?.kind === 'conv' && w.bias) {
        say(from.module, 'bias-before-batchnorm', 'information', `the conv bias is cancelled by the BatchNorm right after it (its mean subtraction removes any per-channel constant): bias=False saves a parameter per channel`, biasFix(from.module));
      }
    }
    const w = layer?.window;
    const x = c.inputs[0];
    if (!w || !x || !(c.output instanceof Tensor)) continue;
    const nd = w.k.length;
    const spatial = x.shape.slice(x.rank - nd);
    if (w.kind === 'convTranspose') {
      const bad = w.k.map((k, i) => k % w.stride[i]! !== 0);
      if (bad.some((b) => b)) say(m, 'checkerboard', 'information', `kernel_size ${w.k.join('x')} is not a multiple of stride ${w.stride.join('x')}, so output pixels receive uneven numbers of contributions (checkerboard artefacts); kernel_size = a multiple of the stride, or upsampling + conv, avoids it`);
      continue;
    }
    // Input pixels that no output unit sees: the gaps when stride > effective kernel, or the tail
    // that floor division leaves out (not counting padding).
    const gaps = w.k.map((k, i) => w.stride[i]! > w.dilation[i]! * (k - 1) + 1);
    if (gaps.some((g) => g)) {
      // 1x1 strided convs (ResNet shortcuts) subsample on purpose: not worth a word.
      if (w.k.every((k) => k === 1)) continue;
      say(m, 'stride-exceeds-kernel', 'information', `stride ${w.stride.join('x')} is larger than the ${w.dilation.some((d) => d > 1) ? 'dilated ' : ''}kernel ${w.k.map((k, i) => w.dilation[i]! * (k - 1) + 1).join('x')}, so some input pixels reach no output`);
      continue;
    }
    if (!spatial.every((L) => typeof L === 'number')) continue;
    const dropped = (spatial as number[]).map((L, i) => {
      const out = w.kind === 'pool' ? poolOutSize(L, w.k[i]!, w.stride[i]!, w.padL[i]!, w.dilation[i]!, !!w.ceil) : convOutSize(L, w.k[i]!, w.stride[i]!, w.padL[i]!, w.padR[i]!, w.dilation[i]!);
      const lastEnd = (out - 1) * w.stride[i]! + w.dilation[i]! * (w.k[i]! - 1) + 1; // in padded coordinates
      return Math.max(0, L + w.padL[i]! - lastEnd);
    });
    // Pooling's floor-mode truncation is the documented behaviour everyone relies on; a strided conv that drops input is the surprise.
    if (w.kind === 'conv' && dropped.some((d) => d > 0)) {
      const dims = ['rows', 'columns', 'planes'];
      const what = dropped.map((d, i) => (d ? `${d} ${nd === 1 ? 'samples' : nd === 2 ? dims[i] : ['frames', 'rows', 'columns'][i]}` : '')).filter((s) => s);
      say(m, 'drops-input', 'information', `on an input of ${spatial.join('x')}, the last ${what.join(' and ')} of the input are never seen (${spatial.map((L, i) => `${L} + ${w.padL[i]! + w.padR[i]!} padding − ${w.dilation[i]! * (w.k[i]! - 1) + 1} is not a multiple of stride ${w.stride[i]}`).filter((_, i) => dropped[i]).join('; ')})`);
    }
    if (w.kind === 'conv' && w.stride.every((s) => s === 1) && w.k.some((k) => k > 1)) {
      const out = c.output.shape.slice(c.output.rank - nd);
      (out.every((o, i) => o === spatial[i]) ? keepsSize : shrinks).push(c);
    }
  }
  // Information only: a stride-1 conv that shrinks the map among several that keep it.
  if (keepsSize.length >= 2) {
    for (const c of shrinks) {
      const w = c.module.module!.layer!.window!;
      if (!w.k.every((k) => k % 2 === 1)) continue;
      say(c.module, 'padding-keeps-size', 'information', `padding=${w.k.map((k, i) => (w.dilation[i]! * (k - 1)) / 2).join('x')} would keep the map size, as ${keepsSize.length} other stride-1 convs of this model do; without it each side loses ${w.k.map((k, i) => (w.dilation[i]! * (k - 1)) / 2 - w.padL[i]!).join('x')} pixels`);
    }
  }
  // A field larger than the input while still at full resolution (no downsampling yet): the layers
  // after it mostly look at padding. Deeper, downsampled stages outgrowing the input are normal.
  if (input && input.dtype === 'float32' && input.shape.length >= 3) {
    const spatial = input.shape.slice(2);
    for (const c of tracer.calls) {
      const w = c.module.module!.layer?.window;
      if (!w || w.kind !== 'conv' || !(c.output instanceof Tensor)) continue;
      const f = fieldOf(c.output, input.shape.length, spatial.length);
      if (!Array.isArray(f.rf) || !f.jump?.every((j) => j === 1)) continue;
      const over = f.rf.map((r, i) => typeof spatial[i] === 'number' && r > (spatial[i] as number));
      if (over.some((o) => o)) {
        say(c.module, 'rf-exceeds-input', 'information', `the receptive field here is already ${f.rf.join('x')} on a ${spatial.join('x')} input, before any downsampling: the layers after it mostly see padding (a net sized for larger inputs?)`);
        break;
      }
    }
  }
  for (const g of groups.values()) {
    const who = g.paths.length === 1 ? g.paths[0]! : g.paths.length <= 4 ? g.paths.join(', ') : `${g.paths.slice(0, 3).join(', ')} and ${g.paths.length - 3} more built here`;
    ip.report(g.at, g.severity, g.code, `${who}: ${g.message}`, undefined, g.fix);
  }
}


/** `bias=False` for a conv built in the file: replaces `bias=True`, or goes before the closing parenthesis. */
function biasFix(m: PyObject): Fix | undefined {
  const st = m.module!;
  const syntax = st.builtInFile ? st.ctorArgs?.syntax : undefined;
  if (!syntax || !st.ctor) return undefined;
  const given = syntax.find((a) => a.kind === 'kw' && a.name === 'bias');
  if (given) return given.value.k === 'const' ? { title: 'Set bias=False', r: given.value.r, newText: 'False' } : undefined;
  if (syntax.some((a) => a.kind === 'dstar') || syntax.filter((a) => a.kind === 'pos').length > 7) return undefined;
  const end = { sl: st.ctor.el, sc: st.ctor.ec - 1, el: st.ctor.el, ec: st.ctor.ec - 1 };
  return { title: 'Add bias=False', r: end, newText: syntax.length ? ', bias=False' : 'bias=False' };
}
