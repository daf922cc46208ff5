// Symbolic dimensions: a Dim is an integer, or a Sym, a polynomial with integer coefficients over
// named symbols (N, H, W) and floor-division atoms (⌊(H−1)/2⌋), the forms that conv, pool,
// flatten and upsample produce. Kept canonical, so equal expressions have equal keys.

export type Dim = number | Sym;

/** A factor of a monomial: a symbol, or ⌊num/den⌋ of a polynomial. */
type Atom = { kind: 'var'; key: string; name: string } | { kind: 'floor'; key: string; num: Sym; den: number };

interface Term {
  /** Atoms in key order, repeated for powers; empty for the constant term. */
  atoms: Atom[];
  coef: number;
}

/** Thrown when an expression would grow past what is useful to show ("shape too complex"). */
export class TooComplex extends Error {}

const MAX_TERMS = 48;
const MAX_DEPTH = 16;

export class Sym {
  /** Terms by monomial key ('' for the constant). Never holds a zero coefficient. */
  readonly terms: Map<string, Term>;
  readonly key: string;
  readonly depth: number;
  constructor(terms: Map<string, Term>) {
    this.terms = terms;
    if (terms.size > MAX_TERMS) throw new TooComplex(`an expression of ${terms.size} terms`);
    const keys = [...terms.keys()].sort();
    this.key = keys.map((k) => `${terms.get(k)!.coef}*${k}`).join('+');
    let depth = 0;
    for (const t of terms.values()) for (const a of t.atoms) if (a.kind === 'floor') depth = Math.max(depth, a.num.depth + 1);
    if (depth > MAX_DEPTH) throw new TooComplex(`floors nested ${depth} deep`);
    this.depth = depth;
  }
  get constant(): number {
    return this.terms.get('')?.coef ?? 0;
  }
}

const monoKey = (atoms: Atom[]): string => atoms.map((a) => a.key).join('·');

function build(terms: Iterable<Term>): Dim {
  const m = new Map<string, Term>();
  for (const t of terms) {
    if (!t.coef) continue;
    const k = monoKey(t.atoms);
    const prev = m.get(k);
    const coef = (prev?.coef ?? 0) + t.coef;
    if (coef) m.set(k, { atoms: t.atoms, coef });
    else m.delete(k);
  }
  if (m.size === 0) return 0;
  if (m.size === 1 && m.has('')) return m.get('')!.coef;
  return new Sym(m);
}

function termsOf(d: Dim): Term[] {
  return typeof d === 'number' ? (d ? [{ atoms: [], coef: d }] : []) : [...d.terms.values()];
}

export function symbol(name: string): Sym {
  return new Sym(new Map([[name, { atoms: [{ kind: 'var', key: name, name }], coef: 1 }]]));
}

export function isSym(d: unknown): d is Sym {
  return d instanceof Sym;
}

export function add(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  return build([...termsOf(a), ...termsOf(b)]);
}

export function neg(a: Dim): Dim {
  return typeof a === 'number' ? -a : build(termsOf(a).map((t) => ({ atoms: t.atoms, coef: -t.coef })));
}

export function sub(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return add(a, neg(b));
}

export function mul(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  const out: Term[] = [];
  for (const x of termsOf(a)) {
    for (const y of termsOf(b)) {
      const atoms = [...x.atoms, ...y.atoms].sort((p, q) => (p.key < q.key ? -1 : p.key > q.key ? 1 : 0));
      out.push({ atoms, coef: x.coef * y.coef });
    }
  }
  return build(out);
}

/** ⌊a/k⌋ for a positive integer k, simplified: exact parts come out, nested floors merge. */
export function floordiv(a: Dim, k: number): Dim {
  if (typeof a === 'number') return Math.floor(a / k);
  if (k === 1) return a;
  const q: Term[] = [];
  const r: Term[] = [];
  for (const t of termsOf(a)) {
    const qc = Math.floor(t.coef / k);
    q.push({ atoms: t.atoms, coef: qc });
    r.push({ atoms: t.atoms, coef: t.coef - qc * k });
  }
  const rest = build(r);
  const whole = build(q);
  if (typeof rest === 'number') return add(whole, Math.floor(rest / k));
  // ⌊(⌊A/a⌋ + c)/k⌋ = ⌊(A + c·a)/(a·k)⌋
  const nonConst = [...rest.terms.values()].filter((t) => t.atoms.length);
  if (nonConst.length === 1 && nonConst[0]!.coef === 1 && nonConst[0]!.atoms.length === 1 && nonConst[0]!.atoms[0]!.kind === 'floor') {
    const f = nonConst[0]!.atoms[0] as Extract<Atom, { kind: 'floor' }>;
    return add(whole, floordiv(add(f.num, rest.constant * f.den), f.den * k));
  }
  const atom: Atom = { kind: 'floor', key: `⌊${rest.key}/${k}⌋`, num: rest, den: k };
  return add(whole, new Sym(new Map([[atom.key, { atoms: [atom], coef: 1 }]])));
}

/** ⌈a/k⌉ = ⌊(a + k − 1)/k⌋, which keeps the canonical floor form. */
export function ceildiv(a: Dim, k: number): Dim {
  if (typeof a === 'number') return Math.ceil(a / k) + 0;
  return floordiv(add(a, k - 1), k);
}

export function mod(a: Dim, k: number): Dim {
  return sub(a, mul(k, floordiv(a, k)));
}

/** a / b when it divides exactly (by a number, or by a single monomial such as N); else null. */
export function divExact(a: Dim, b: Dim): Dim | null {
  if (typeof a === 'number' && typeof b === 'number') return b !== 0 && a % b === 0 ? a / b : null;
  if (typeof b === 'number') {
    if (b === 0) return null;
    const ts = termsOf(a);
    return ts.every((t) => t.coef % b === 0) ? build(ts.map((t) => ({ atoms: t.atoms, coef: t.coef / b }))) : null;
  }
  const bt = termsOf(b);
  if (bt.length !== 1) return sameKey(a, b) ? 1 : longDivide(a, b);
  const { atoms: div, coef: c } = bt[0]!;
  const out: Term[] = [];
  for (const t of termsOf(a)) {
    if (t.coef % c !== 0) return null;
    const left = t.atoms.slice();
    for (const d of div) {
      const i = left.findIndex((x) => x.key === d.key);
      if (i < 0) return null;
      left.splice(i, 1);
    }
    out.push({ atoms: left, coef: t.coef / c });
  }
  return build(out);
}

/** Degree first, then key: an order on monomials for long division. */
function leading(d: Dim): Term | null {
  const ts = termsOf(d);
  if (!ts.length) return null;
  return ts.reduce((m, t) => (t.atoms.length > m.atoms.length || (t.atoms.length === m.atoms.length && monoKey(t.atoms) > monoKey(m.atoms)) ? t : m));
}

/** a / b by multivariate long division when it is exact (N·P / P for a product of sizes P); else null. */
function longDivide(a: Dim, b: Dim): Dim | null {
  const lb = leading(b)!;
  let rest: Dim = a;
  let q: Dim = 0;
  for (let i = 0; i < 64; i++) {
    const lr = leading(rest);
    if (!lr) return q;
    if (lr.coef % lb.coef !== 0) return null;
    const left = lr.atoms.slice();
    for (const at of lb.atoms) {
      const j = left.findIndex((x) => x.key === at.key);
      if (j < 0) return null;
      left.splice(j, 1);
    }
    const t = build([{ atoms: left, coef: lr.coef / lb.coef }]);
    q = add(q, t);
    rest = sub(rest, mul(t, b));
  }
  return null;
}

function sameKey(a: Dim, b: Dim): boolean {
  return typeof a !== 'number' && typeof b !== 'number' && a.key === b.key;
}

/** true/false when decidable for every value of the symbols; null when it depends on them. */
export function eq(a: Dim, b: Dim): boolean | null {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  const d = sub(a, b);
  if (typeof d === 'number') return d === 0;
  return null;
}


export function evaluate(d: Dim, env: ReadonlyMap<string, number>): number {
  if (typeof d === 'number') return d;
  let s = 0;
  for (const t of d.terms.values()) {
    let v = t.coef;
    for (const a of t.atoms) {
      if (a.kind === 'var') {
        const x = env.get(a.name);
        if (x === undefined) return NaN;
        v *= x;
      } else v *= Math.floor(evaluate(a.num, env) / a.den);
    }
    s += v;
  }
  return s;
}

export function symbolsOf(d: Dim, out = new Set<string>()): Set<string> {
  if (typeof d === 'number') return out;
  for (const t of d.terms.values()) for (const a of t.atoms) a.kind === 'var' ? out.add(a.name) : symbolsOf(a.num, out);
  return out;
}

/** `⌊(H−1)/2⌋+1` (display) or `floor((H - 1)/2) + 1` (ascii, for JSON). */
export function dimStr(d: Dim, style: 'unicode' | 'ascii' = 'unicode'): string {
  if (typeof d === 'number') return String(d);
  const u = style === 'unicode';
  const minus = u ? '−' : ' - ';
  const plus = u ? '+' : ' + ';
  const times = u ? '·' : '*';
  const atomStr = (a: Atom): string => {
    if (a.kind === 'var') return a.name;
    const inner = dimStr(a.num, style);
    const wrapped = a.num.terms.size > 1 ? `(${inner})` : inner;
    return u ? `⌊${wrapped}/${a.den}⌋` : `floor(${wrapped}/${a.den})`;
  };
  const monoStr = (t: Term): string => {
    const parts: string[] = [];
    for (let i = 0; i < t.atoms.length; ) {
      let j = i;
      while (j < t.atoms.length && t.atoms[j]!.key === t.atoms[i]!.key) j++;
      const base = atomStr(t.atoms[i]!);
      parts.push(j - i > 1 ? (u ? `${base}${superscript(j - i)}` : `${base}**${j - i}`) : base);
      i = j;
    }
    return parts.join(times);
  };
  const terms = [...d.terms.values()].sort((x, y) => (x.atoms.length === 0 ? 1 : y.atoms.length === 0 ? -1 : monoKey(x.atoms) < monoKey(y.atoms) ? -1 : 1));
  let s = '';
  terms.forEach((t, i) => {
    const mag = Math.abs(t.coef);
    const body = t.atoms.length ? (mag === 1 ? monoStr(t) : `${mag}${times}${monoStr(t)}`) : String(mag);
    if (i === 0) s = (t.coef < 0 ? (u ? '−' : '-') : '') + body;
    else s += (t.coef < 0 ? minus : plus) + body;
  });
  return s;
}

function superscript(n: number): string {
  return String(n).replace(/\d/g, (c) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(c)]!);
}

export function prod(ds: Dim[]): Dim {
  let p: Dim = 1;
  for (const d of ds) p = mul(p, d);
  return p;
}

/** The product of dims when all are numbers, else 0 (a cost that depends on symbols is not counted). */
export function countOf(ds: Dim[]): number {
  let p = 1;
  for (const d of ds) {
    if (typeof d !== 'number') return 0;
    p *= d;
  }
  return p;
}
