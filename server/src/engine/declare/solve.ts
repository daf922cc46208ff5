// Solving for the input: a symbolic trace records the equalities it had to assume (fc1's
// in_features = 16·⌊(⌊(H−4)/2⌋−4)/2⌋², two sizes meeting in a cat); this finds the input sizes that
// satisfy them, by evaluating the expressions (cheap) over candidate sizes, and says what it found.
import type { Constraint } from '../torch/assume';
import * as D from '../torch/dim';

export interface Solution {
  /** Values for the symbols that the constraints fix (empty when none or when only a pattern is known). */
  bindings: Map<string, number>;
  /** What to tell the user, and how loudly; null when there was nothing to solve. */
  note: { severity: 'error' | 'information'; code: string; message: string; constraint: Constraint } | null;
}

const MAX_SIZE = 2048;
const PAIR_MAX = 256;
const BATCH_PROBES = [1, 2, 3, 5];

function bareSymbol(d: D.Dim): string | null {
  if (!D.isSym(d) || d.terms.size !== 1) return null;
  const t = [...d.terms.values()][0]!;
  return t.coef === 1 && t.atoms.length === 1 && t.atoms[0]!.kind === 'var' ? t.atoms[0]!.name : null;
}

function holds(cs: Constraint[], env: Map<string, number>): boolean {
  return cs.every((c) => {
    const l = D.evaluate(c.lhs, env);
    const r = D.evaluate(c.rhs, env);
    return !Number.isNaN(l) && l === r;
  });
}

/**
 * @param symbols every symbol of the input shapes
 * @param batch the symbols that stand for a batch dim (kept symbolic when the constraints allow)
 * @param spatialHint names in display order for messages ("H = W")
 */
export function solve(raw: Constraint[], symbols: string[], batch: Set<string>): Solution {
  // Messages name layers by path and say where: "fc1's in_features=400", "torch.cat at line 88".
  const constraints = raw.map((c) => ({ ...c, what: c.what.replace(/ \(\w+\)'s /, "'s ").replace(/^(torch\.cat|torch\.stack|broadcasting)\b/, `$1 at line ${c.site.sl + 1}`) }));
  const bindings = new Map<string, number>();
  if (!constraints.length) return { bindings, note: null };
  // Direct bindings first: C = 3 from the first conv's in_channels.
  let rest = constraints.slice();
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of rest) {
      const [s, v] = bareSymbol(c.lhs) !== null && typeof c.rhs === 'number' ? [bareSymbol(c.lhs)!, c.rhs] : bareSymbol(c.rhs) !== null && typeof c.lhs === 'number' ? [bareSymbol(c.rhs)!, c.lhs] : [null, 0];
      if (s !== null && !bindings.has(s)) {
        bindings.set(s, v);
        changed = true;
      }
    }
    rest = rest.filter((c) => !(D.symbolsOf(c.lhs).size + D.symbolsOf(c.rhs).size > 0 && [...D.symbolsOf(c.lhs), ...D.symbolsOf(c.rhs)].every((x) => bindings.has(x)) && holds([c], bindings)));
  }
  const free = symbols.filter((s) => !bindings.has(s));
  const spatial = free.filter((s) => !batch.has(s));
  const batchFree = free.filter((s) => batch.has(s));
  const involved = new Set<string>();
  for (const c of rest) for (const s of [...D.symbolsOf(c.lhs), ...D.symbolsOf(c.rhs)]) involved.add(s);
  const target = rest[0];
  if (!target) return { bindings, note: null };

  /** Whether an assignment of the spatial symbols works for every probed batch size (batch stays symbolic). */
  const works = (assign: Map<string, number>): boolean => {
    for (const nb of batchFree.length ? BATCH_PROBES : [0]) {
      const env = new Map(bindings);
      for (const [k, v] of assign) env.set(k, v);
      for (const b of batchFree) env.set(b, nb);
      if (!holds(rest, env)) return false;
    }
    return true;
  };
  const constrained = spatial.filter((s) => involved.has(s));
  if (!constrained.length) {
    // Only the batch is involved (a view with a fixed batch): find the batch sizes that work.
    const bs = batchFree.filter((s) => involved.has(s));
    const found: number[] = [];
    for (let v = 1; v <= 256 && found.length < 8; v++) {
      const env = new Map(bindings);
      for (const b of bs) env.set(b, v);
      for (const s of spatial) env.set(s, 1);
      if (holds(rest, env)) found.push(v);
    }
    if (found.length === 1) {
      for (const b of bs) bindings.set(b, found[0]!);
      return { bindings, note: { severity: 'information', code: 'input-solved', message: `${target.what} only works for a batch of ${found[0]}`, constraint: target } };
    }
    if (!found.length) return { bindings, note: { severity: 'error', code: 'unsatisfiable', message: `No batch size satisfies ${target.what}`, constraint: target } };
    return { bindings, note: null };
  }
  // Equal spatial sizes first (square images), then independent ones for two symbols.
  const solutions: Map<string, number>[] = [];
  let assumedEqual = constrained.length > 1;
  for (let v = 1; v <= MAX_SIZE && solutions.length < 64; v++) {
    const a = new Map(constrained.map((s) => [s, v] as [string, number]));
    if (works(a)) solutions.push(a);
  }
  if (!solutions.length && constrained.length === 2) {
    assumedEqual = false;
    const [p, q] = constrained as [string, string];
    for (let u = 1; u <= PAIR_MAX && solutions.length < 64; u++) {
      for (let v = 1; v <= PAIR_MAX && solutions.length < 64; v++) {
        const a = new Map([[p, u], [q, v]]);
        if (works(a)) solutions.push(a);
      }
    }
  }
  const names = constrained.join(' = ');
  if (!solutions.length) {
    return {
      bindings,
      note: { severity: 'error', code: 'unsatisfiable', message: `No input size satisfies ${target.what}: it needs ${D.dimStr(target.lhs)} = ${D.dimStr(target.rhs)}${constrained.length > 1 ? '' : ` for some ${names}`}, and no ${names} up to ${MAX_SIZE} gives that`, constraint: target },
    };
  }
  const first = constrained[0]!;
  const values = solutions.map((s) => s.get(first)!);
  // Many solutions repeating with a period: a divisibility rule, not a size.
  if (solutions.length >= 8 && (assumedEqual || constrained.length === 1)) {
    const ok = (v: number): boolean => works(new Map(constrained.map((s) => [s, v] as [string, number])));
    const start = values[0]!;
    const member = Array.from({ length: 512 }, (_, i) => ok(start + i));
    for (let m = 1; m <= 64; m++) {
      let periodic = true;
      for (let i = 0; i + m < member.length && periodic; i++) if (member[i] !== member[i + m]) periodic = false;
      if (!periodic) continue;
      const residues = [...new Set(member.slice(0, m).map((b, i) => (b ? (start + i) % m : -1)).filter((r) => r >= 0))].sort((a, b) => a - b);
      // Every size from some point on works (adaptive pooling before the Linear): nothing to fix.
      if (residues.length === m) return { bindings, note: null };
      const rule = residues.length === 1 && residues[0] === 0 ? `a multiple of ${m}` : residues.map((r) => (r ? `${m}k+${r}` : `${m}k`)).join(' or ');
      return { bindings, note: { severity: 'information', code: 'input-divisibility', message: `${names} must be ${rule} for ${target.what}${assumedEqual ? ` (assuming ${names})` : ''}`, constraint: target } };
    }
  }
  const best = solutions[0]!;
  for (const [k, v] of best) bindings.set(k, v);
  const others = values.slice(1, 4).filter((v, i, all) => all.indexOf(v) === i && v !== values[0]);
  const also = others.length && (assumedEqual || constrained.length === 1) ? `; ${names} = ${others.join(', ')}${solutions.length > 4 ? ', …' : ''} also work` : '';
  return {
    bindings,
    // {input} is filled in by the caller with the solved input shape.
    note: { severity: 'information', code: 'input-solved', message: `input must be {input} for ${target.what}${assumedEqual ? ` (assuming ${names})` : ''}${also}`, constraint: target },
  };
}
