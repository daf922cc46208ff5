// einsum equations in the graph's normal form (explicit output, no ellipsis, no spaces), as PyTorch reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { einsumEquation } from '../../server/src/engine/graph/emitOps';

test('implicit outputs list the letters used once in ASCII order (torch: einsum("bA", y) is y.T)', () => {
  assert.equal(einsumEquation('ij,jk', [2, 2]), 'ij,jk->ik');
  assert.equal(einsumEquation('ba', [2]), 'ba->ab');
  assert.equal(einsumEquation('bA', [2]), 'bA->Ab');
  assert.equal(einsumEquation('ii', [2]), 'ii->');
  assert.equal(einsumEquation(' bqd , bkd -> bqk ', [3, 3]), 'bqd,bkd->bqk');
});

test('ellipsis dims become unused letters, aligned right across operands and leading an implicit output', () => {
  // torch: einsum('...ij,...jk', [5, 2, 3, 4], [2, 4, 6]) has shape [5, 2, 3, 6].
  assert.equal(einsumEquation('...ij,...jk', [4, 3]), 'ABij,Bjk->ABik');
  assert.equal(einsumEquation('...ij,...jk->...ik', [4, 3]), 'ABij,Bjk->ABik');
  // torch: einsum('i...i', [3, 2, 3]) has shape [2].
  assert.equal(einsumEquation('i...i', [3]), 'iAi->A');
  assert.equal(einsumEquation('...', [0]), '->');
});

test('equations that do not fit their operands are refused (null), not guessed', () => {
  assert.equal(einsumEquation('ij,jk', [2]), null);
  assert.equal(einsumEquation('i.j', [2]), null);
  assert.equal(einsumEquation('ij1', [3]), null);
  assert.equal(einsumEquation('...ijk', [2]), null);
});
