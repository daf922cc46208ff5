// Explanations for hovers: the output-size arithmetic of a window layer with this call's numbers,
// the parameter count broken down by tensor, and what a norm layer computes its statistics over.
import type { CallRecord } from './tracer';
import { Tensor } from '../torch/tensor';
import { dimStr, type Dim } from '../torch/dim';

const DIM_NAMES: Record<number, string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

export function explainCall(c: CallRecord): string[] {
  const out: string[] = [];
  const st = c.module.module!;
  const w = st.layer?.window;
  const x = c.inputs[0];
  const y = c.output;
  if (w && x && y instanceof Tensor) {
    const nd = w.k.length;
    const names = DIM_NAMES[nd] ?? w.k.map((_, i) => `d${i}`);
    for (let i = 0; i < nd; i++) {
      const L = x.shape[x.rank - nd + i]!;
      const O = y.shape[y.rank - nd + i]!;
      const k = w.k[i]!;
      const s = w.stride[i]!;
      const d = w.dilation[i]!;
      const pl = w.padL[i]!;
      const pr = w.padR[i]!;
      const Ls = dimStr(L);
      if (w.kind === 'convTranspose') {
        const op = typeof L === 'number' && typeof O === 'number' ? O - ((L - 1) * s - 2 * pl + d * (k - 1) + 1) : 0;
        out.push(`${names[i]}′ = (${Ls}−1)·${s} − 2·${pl} + ${d}·(${k}−1) + ${op} + 1 = ${dimStr(O)}`);
      } else {
        const [lo, hi] = w.kind === 'pool' && w.ceil ? ['⌈', '⌉'] : ['⌊', '⌋'];
        const pad = pl === pr ? `2·${pl}` : `${pl} + ${pr}`;
        out.push(`${names[i]}′ = ${lo}(${Ls} + ${pad} − ${d}·(${k}−1) − 1)/${s}${hi} + 1 = ${dimStr(O)}${w.kind === 'pool' && w.ceil ? ' (ceil_mode)' : ''}`);
      }
    }
  }
  // Parameters by tensor: "456 = weight 6×3×5×5 (450) + bias 6".
  const own = [...st.params.entries()].filter((e): e is [string, Tensor] => e[1] !== null);
  if (own.length && st.layer) {
    const total = own.reduce((n, [, p]) => n + (p.count ?? 0), 0);
    const parts = own.map(([n, p]) => (p.rank > 1 ? `${n} ${p.shape.join('×')} (${p.count})` : `${n} ${p.count}`));
    out.push(`${total.toLocaleString('en-US')} params = ${parts.join(' + ')}`);
  }
  const norm = normStats(c.module.cls.name, x, c.module.module!.training);
  if (norm) out.push(norm);
  return out;
}

/** What a norm layer's statistics cover, with this input's sizes. */
function normStats(type: string, x: Tensor | undefined, training: boolean): string | null {
  if (!x) return null;
  const s = (ds: Dim[]): string => `[${ds.map((d) => dimStr(d)).join(', ')}]`;
  const rest = x.shape.slice(2).map(() => 1);
  if (/^(Lazy)?BatchNorm[123]d$/.test(type)) {
    return `statistics ${s([1, x.shape[1]!, ...rest])} over N${x.rank > 2 ? ' and every position' : ''}: the batch's in training, running_mean/running_var in eval (now: ${training ? 'training' : 'eval'})`;
  }
  if (/^(Lazy)?InstanceNorm[123]d$/.test(type)) return `statistics ${s([x.shape[0]!, x.shape[1]!, ...rest])}: per sample and channel over the positions, in training and eval alike`;
  if (type === 'GroupNorm') return `statistics per sample and group ([N, G, ${rest.join(', ')}]) over each group's channels and positions, in training and eval alike`;
  if (type === 'LayerNorm') return 'statistics per sample (and per leading position) over the normalized_shape dims, in training and eval alike';
  return null;
}
