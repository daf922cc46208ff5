// Recurrent and attention layers CNN code mixes in (CRNN text readers, audio heads): nn.RNN, nn.LSTM,
// nn.GRU, their single-step cells nn.RNNCell, nn.LSTMCell, nn.GRUCell, and nn.MultiheadAttention, with
// PyTorch's parameter layout and output tuples.
import { PyList, PyTuple, type PyClass, type Value } from '../../interp/values';
import type { Interp } from '../../interp/interpreter';
import { bool, int, str } from '../args';
import { Tensor, globalize, shapeStr, spatialOf } from '../tensor';
import * as D from '../dim';
import { defineLayer, inputOf, layerError, moduleLabel, newParam } from '../nnModule';
import { same } from '../assume';

const GATES: Record<string, number> = { RNN: 1, LSTM: 4, GRU: 3 };

export function defineRecurrent(ip: Interp, base: PyClass, out: Map<string, PyClass>): void {
  for (const kind of ['RNN', 'LSTM', 'GRU']) {
    out.set(kind, defineLayer(ip, base, kind, {
      sig: ['input_size', 'hidden_size', 'num_layers', ...(kind === 'RNN' ? ['nonlinearity'] : []), 'bias', 'batch_first', 'dropout', 'bidirectional', ...(kind === 'LSTM' ? ['proj_size'] : [])],
      required: 2,
      defaults: { num_layers: 1, bias: true, batch_first: false, bidirectional: false },
      build(_ip, self, b, site) {
        const inSize = int(b.get('input_size'), 'input_size', site);
        const hidden = int(b.get('hidden_size'), 'hidden_size', site);
        const layers = int(b.get('num_layers'), 'num_layers', site, 1);
        const hasBias = bool(b.get('bias'), true);
        const batchFirst = bool(b.get('batch_first'), false);
        const dirs = bool(b.get('bidirectional'), false) ? 2 : 1;
        const proj = kind === 'LSTM' ? int(b.get('proj_size'), 'proj_size', site, 0) : 0;
        if (kind === 'RNN') str(b.get('nonlinearity'), 'tanh');
        const hOut = proj || hidden;
        const g = GATES[kind]!;
        const m = self.module!;
        // PyTorch's _flat_weights order: per layer, per direction: w_ih, w_hh, b_ih, b_hh, w_hr.
        for (let l = 0; l < layers; l++) {
          for (let d = 0; d < dirs; d++) {
            const sfx = `_l${l}${d ? '_reverse' : ''}`;
            m.params.set(`weight_ih${sfx}`, newParam([g * hidden, l === 0 ? inSize : dirs * hOut]));
            m.params.set(`weight_hh${sfx}`, newParam([g * hidden, hOut]));
            if (hasBias) {
              m.params.set(`bias_ih${sfx}`, newParam([g * hidden]));
              m.params.set(`bias_hh${sfx}`, newParam([g * hidden]));
            }
            if (proj) m.params.set(`weight_hr${sfx}`, newParam([proj, hidden]));
          }
        }
        return {
          forward(ip2, me, a) {
            const x = inputOf(me, a, ip2);
            if (!(x instanceof Tensor)) return x;
            if (x.rank !== 2 && x.rank !== 3) layerError(me, a.site, 'ValueError', `${moduleLabel(me)}: expected input to be 2D or 3D, got ${x.rank}D ${shapeStr(x.shape)}`, 'rnn-rank');
            const last = x.shape[x.rank - 1]!;
            if (!same(last, inSize, a.site, `${moduleLabel(me)}'s input_size=${inSize}`)) {
              layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: input.size(-1) must be equal to input_size. Expected ${inSize}, got ${D.dimStr(last)} (input ${shapeStr(x.shape)})`, 'rnn-input-size');
            }
            // A recurrence carries information along the whole sequence.
            const dep = globalize(x.dep, spatialOf(x, x.shape.map((_, i) => i)));
            const batched = x.rank === 3;
            const n = batched ? x.shape[batchFirst ? 0 : 1]! : null;
            const y = new Tensor([...x.shape.slice(0, -1), dirs * hOut], 'float32', [...x.tags.slice(0, -1), -1], dep);
            const state = (size: number): Tensor => new Tensor(n === null ? [dirs * layers, size] : [dirs * layers, n, size], 'float32', undefined, dep);
            const h = state(hOut);
            const rest: Value = kind === 'LSTM' ? new PyTuple([h, state(hidden)]) : h;
            return new PyTuple([y, rest]);
          },
          // torchinfo: every weight and bias element once per (time step x batch) of the output.
          macs: (_i, o) => D.countOf(o.shape.slice(0, 2)) * [...m.params.values()].reduce((s, p) => s + (p?.count ?? 0), 0),
          describe: () => `${inSize}→${hidden}${layers > 1 ? `, ${layers} layers` : ''}${dirs > 1 ? ', bidirectional' : ''}`,
        };
      },
    }));
  }

  for (const kind of ['RNN', 'LSTM', 'GRU']) defineCell(ip, base, out, kind);

  out.set('MultiheadAttention', defineLayer(ip, base, 'MultiheadAttention', {
    sig: ['embed_dim', 'num_heads', 'dropout', 'bias', 'add_bias_kv', 'add_zero_attn', 'kdim', 'vdim', 'batch_first'],
    required: 2,
    defaults: { batch_first: false },
    build(ip2, self, b, site) {
      const e = int(b.get('embed_dim'), 'embed_dim', site);
      const heads = int(b.get('num_heads'), 'num_heads', site);
      if (heads <= 0 || e % heads !== 0) layerError(self, site, 'AssertionError', `embed_dim must be divisible by num_heads (embed_dim=${e}, num_heads=${heads})`, 'mha-heads');
      const kdim = b.get('kdim') === undefined || b.get('kdim') === null ? e : int(b.get('kdim'), 'kdim', site);
      const vdim = b.get('vdim') === undefined || b.get('vdim') === null ? e : int(b.get('vdim'), 'vdim', site);
      const hasBias = bool(b.get('bias'), true);
      const batchFirst = bool(b.get('batch_first'), false);
      const m = self.module!;
      if (kdim === e && vdim === e) m.params.set('in_proj_weight', newParam([3 * e, e]));
      else {
        m.params.set('q_proj_weight', newParam([e, e]));
        m.params.set('k_proj_weight', newParam([e, kdim]));
        m.params.set('v_proj_weight', newParam([e, vdim]));
      }
      if (hasBias) m.params.set('in_proj_bias', newParam([3 * e]));
      if (bool(b.get('add_bias_kv'), false)) {
        m.params.set('bias_k', newParam([1, 1, e]));
        m.params.set('bias_v', newParam([1, 1, e]));
      }
      // out_proj is a child Linear that forward uses through its weights, never by calling it.
      const linear = out.get('Linear')!;
      m.children.set('out_proj', ip2.instantiate(linear, { pos: [e, e], kw: new Map([['bias', hasBias]]), site }) as never);
      return {
        forward(ip3, me, a) {
          const q = a.pos[0] ?? a.kw.get('query');
          const k = a.pos[1] ?? a.kw.get('key');
          if (!(q instanceof Tensor) || !(k instanceof Tensor)) return inputOf(me, a, ip3);
          if (!same(q.shape[q.rank - 1]!, e, a.site, `${moduleLabel(me)}'s embed_dim=${e}`)) {
            layerError(me, a.site, 'AssertionError', `${moduleLabel(me)}: was expecting embedding dimension of ${e}, but got ${D.dimStr(q.shape[q.rank - 1]!)} (query ${shapeStr(q.shape)})`, 'mha-embed');
          }
          const dep = globalize(q.dep, spatialOf(q, q.shape.map((_, i) => i)));
          const y = new Tensor(q.shape.slice(), 'float32', q.tags.slice(), dep);
          const need = a.kw.get('need_weights') ?? a.pos[4] ?? true;
          if (need === false) return new PyTuple([y, null]);
          const [L, S, N] = q.rank === 3 ? (batchFirst ? [q.shape[1]!, k.shape[1]!, q.shape[0]!] : [q.shape[0]!, k.shape[0]!, q.shape[1]!]) : [q.shape[0]!, k.shape[0]!, null];
          const avg = a.kw.get('average_attn_weights') ?? true;
          const w = new Tensor(N === null ? (avg === false ? [heads, L, S] : [L, S]) : avg === false ? [N, heads, L, S] : [N, L, S], 'float32', undefined, dep);
          return new PyTuple([y, w]);
        },
        describe: () => `E=${e}, heads=${heads}`,
      };
    },
  }));
}

/**
 * nn.RNNCell / nn.LSTMCell / nn.GRUCell: one time step. input [N, input_size] or unbatched
 * [input_size]; hx [N, H] (LSTMCell: the pair (h, c)), zeros when absent; returns h' (LSTMCell:
 * (h', c')) of hx's shape. PyTorch's checks and messages (1.13).
 */
function defineCell(ip: Interp, base: PyClass, out: Map<string, PyClass>, kind: string): void {
  const name = `${kind}Cell`;
  out.set(name, defineLayer(ip, base, name, {
    sig: ['input_size', 'hidden_size', 'bias', ...(kind === 'RNN' ? ['nonlinearity'] : [])],
    required: 2,
    defaults: { bias: true },
    build(_ip, self, b, site) {
      const inSize = int(b.get('input_size'), 'input_size', site);
      const hidden = int(b.get('hidden_size'), 'hidden_size', site);
      const hasBias = bool(b.get('bias'), true);
      if (kind === 'RNN') str(b.get('nonlinearity'), 'tanh');
      const g = GATES[kind]!;
      const m = self.module!;
      m.params.set('weight_ih', newParam([g * hidden, inSize]));
      m.params.set('weight_hh', newParam([g * hidden, hidden]));
      if (hasBias) {
        m.params.set('bias_ih', newParam([g * hidden]));
        m.params.set('bias_hh', newParam([g * hidden]));
      }
      return {
        forward(ip2, me, a) {
          const x = inputOf(me, a, ip2);
          if (!(x instanceof Tensor)) return x;
          if (x.rank !== 1 && x.rank !== 2) layerError(me, a.site, 'AssertionError', `${name}: Expected input to be 1-D or 2-D but received ${x.rank}-D tensor`, 'rnn-rank');
          const last = x.shape[x.rank - 1]!;
          if (!same(last, inSize, a.site, `${moduleLabel(me)}'s input_size=${inSize}`)) {
            layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: input has inconsistent input_size: got ${D.dimStr(last)} expected ${inSize}`, 'rnn-input-size');
          }
          const batch = x.rank === 2 ? x.shape[0]! : null;
          const hx = a.pos[1] ?? a.kw.get('hx');
          const given = hx instanceof Tensor ? [hx] : (hx instanceof PyTuple || hx instanceof PyList) ? hx.items : [];
          given.forEach((t, k) => {
            if (!(t instanceof Tensor)) return;
            if (batch !== null && t.rank === 2 && !same(t.shape[0]!, batch, a.site, `${moduleLabel(me)}'s batch`)) {
              layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: Input batch size ${D.dimStr(batch)} doesn't match hidden${k} batch size ${D.dimStr(t.shape[0]!)}`, 'rnn-hidden');
            }
            const h = t.shape[t.rank - 1]!;
            if (!same(h, hidden, a.site, `${moduleLabel(me)}'s hidden_size=${hidden}`)) {
              layerError(me, a.site, 'RuntimeError', `${moduleLabel(me)}: hidden${k} has inconsistent hidden_size: got ${D.dimStr(h)}, expected ${hidden}`, 'rnn-hidden');
            }
          });
          const dep = globalize(x.dep, spatialOf(x, x.shape.map((_, i) => i)));
          const state = (): Tensor => new Tensor(batch === null ? [hidden] : [batch, hidden], 'float32', undefined, dep);
          return kind === 'LSTM' ? new PyTuple([state(), state()]) : state();
        },
        // torchinfo: every weight and bias element once per sample.
        macs: (i) => D.countOf(i[0]?.rank === 2 ? [i[0].shape[0]!] : []) * [...m.params.values()].reduce((s, p) => s + (p?.count ?? 0), 0),
        describe: () => `${inSize}→${hidden}`,
      };
    },
  }));
}
