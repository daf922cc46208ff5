// Exact rational numbers for jumps (effective strides), which become fractions after upsampling.

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

export class Fraction {
  static readonly ONE = new Fraction(1, 1);
  readonly n: number;
  readonly d: number;
  constructor(n: number, d: number) {
    if (d < 0) (n = -n), (d = -d);
    const g = gcd(n, d);
    this.n = n / g;
    this.d = d / g;
  }
  static of(x: number): Fraction {
    if (Number.isInteger(x)) return new Fraction(x, 1);
    // Scale factors like 0.5 or 1.5 are exact in binary; find a small denominator.
    for (let d = 2; d <= 1024; d++) if (Number.isInteger(x * d)) return new Fraction(Math.round(x * d), d);
    return new Fraction(Math.round(x * 1e6), 1e6);
  }
  mul(o: Fraction): Fraction {
    return new Fraction(this.n * o.n, this.d * o.d);
  }
  div(o: Fraction): Fraction {
    return new Fraction(this.n * o.d, this.d * o.n);
  }
  equals(o: Fraction): boolean {
    return this.n === o.n && this.d === o.d;
  }
  toNumber(): number {
    return this.n / this.d;
  }
  /** An integer when whole, else "n/d". */
  toJSON(): number | string {
    return this.d === 1 ? this.n : `${this.n}/${this.d}`;
  }
}
