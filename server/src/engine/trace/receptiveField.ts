// Reads a traced tensor's receptive field and jump per spatial dim of the first input, combining
// per-dim states the way the measured ground truth does (any unknown dim makes the whole unknown).
import { Tensor } from '../torch/tensor';
import type { RF } from '../report';

export function fieldOf(t: Tensor, inputRank: number, nsp: number): { rf: RF; jump: (number | string | null)[] | null } {
  if (!nsp || t.rank !== inputRank || !t.dep) return { rf: null, jump: null };
  const st: string[] = [];
  const rf: number[] = [];
  const jump: (number | string | null)[] = [];
  for (let s = 0; s < nsp; s++) {
    const d = t.dep[s];
    const aligned = t.tags[2 + s] === s;
    if (!d) return { rf: null, jump: null };
    if (d.st === 'global') {
      st.push('global');
      // A dim squeezed to one unit has no grid to step along.
      jump.push(aligned && t.shape[2 + s] !== 1 ? d.j.toJSON() : null);
      continue;
    }
    if (!aligned || d.st === 'indep') return { rf: null, jump: null };
    st.push(d.st);
    rf.push(Math.round(d.b - d.a + 1));
    jump.push(d.j.toJSON());
  }
  if (st.every((s) => s === 'ok')) return { rf, jump };
  if (st.some((s) => s === 'global')) return { rf: 'global', jump: jump.some((j) => j !== null) ? jump : null };
  return { rf: null, jump };
}
