// Symbolic dim algebra: random chains of the operations shape rules use (add, mul, floor and ceil
// division, exact division) must evaluate exactly like the same arithmetic on plain integers, and
// the canonical forms must print as the short expressions users read.
import { rng } from '../support/rng';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as D from '../../server/src/engine/torch/dim';
import { convOutDim, poolOutDim } from '../../server/src/engine/torch/window';
import { convOutSize, poolOutSize } from '../../server/src/engine/torch/window';


test('random chains of shape arithmetic evaluate like integers', () => {
  const rand = rng(42);
  const pick = (n: number): number => Math.floor(rand() * n);
  for (let trial = 0; trial < 300; trial++) {
    let sym: D.Dim = D.symbol('H');
    const steps: ((x: number) => number)[] = [];
    for (let k = 0; k < 6; k++) {
      const c = pick(9) - 4;
      const s = pick(4) + 1;
      switch (pick(5)) {
        case 0:
          sym = D.add(sym, c);
          steps.push((x) => x + c);
          break;
        case 1:
          sym = D.mul(sym, s);
          steps.push((x) => x * s);
          break;
        case 2:
          sym = D.floordiv(sym, s);
          steps.push((x) => Math.floor(x / s));
          break;
        case 3:
          sym = D.ceildiv(sym, s);
          steps.push((x) => Math.ceil(x / s));
          break;
        default:
          sym = D.add(D.mul(sym, 2), D.symbol('W'));
          steps.push((x) => 2 * x + 5);
      }
    }
    for (let h = 1; h < 80; h++) {
      const want = steps.reduce((x, f) => f(x), h) + 0; // no -0
      assert.equal(D.evaluate(sym, new Map([['H', h], ['W', 5]])), want, `${D.dimStr(sym)} at H=${h}`);
    }
  }
});

test('the window formulas agree with their integer versions', () => {
  const H = D.symbol('H');
  for (const [k, s, p, d] of [[3, 1, 1, 1], [3, 2, 1, 1], [7, 2, 3, 1], [3, 2, 0, 2], [2, 2, 0, 1], [5, 3, 2, 1]] as const) {
    const conv = convOutDim(H, k, s, p, p, d);
    const pool = poolOutDim(H, k, s, Math.min(p, Math.floor(k / 2)), d, false);
    for (let h = d * (k - 1) + 1; h < 100; h++) {
      const env = new Map([['H', h]]);
      assert.equal(D.evaluate(conv, env), convOutSize(h, k, s, p, p, d));
      assert.equal(D.evaluate(pool, env), poolOutSize(h, k, s, Math.min(p, Math.floor(k / 2)), d, false));
    }
  }
});

test('canonical forms read as users write them', () => {
  const H = D.symbol('H');
  const conv = (x: D.Dim): D.Dim => convOutDim(x, 3, 2, 1, 1, 1);
  assert.equal(D.dimStr(conv(H)), '⌊(H+1)/2⌋'); // ⌊(H−1)/2⌋+1, with the constant folded in
  assert.equal(D.dimStr(conv(conv(H)), 'ascii'), 'floor((H + 3)/4)');
  assert.equal(D.eq(conv(conv(H)), D.ceildiv(H, 4)), true);
  assert.equal(D.dimStr(D.mul(16, D.mul(D.symbol('W'), H))), '16·H·W');
  assert.equal(D.divExact(D.mul(D.symbol('N'), D.add(D.mul(H, H), 3)), D.add(D.mul(H, H), 3)) !== null, true);
  assert.equal(D.eq(D.floordiv(D.mul(H, 2), 2), H), true);
});
