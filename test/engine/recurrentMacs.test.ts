// Multiply-accumulates of recurrent layers and cells, whose forward returns a tuple: torchinfo's rule
// (every weight and bias element once per time step and sample) applied to the first tensor returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser } from '../../server/src/engine';
import { FIXTURES } from '../support/paths';

const FILE = join(FIXTURES, 'models', 'rnn_cells.py');

function layers(model: string, shape: number[]) {
  const a = analyzeSource(readFileSync(FILE, 'utf8'), { file: FILE, model, inputs: [{ shape, dtype: 'float32' }] });
  return a.reports[0]!.layers;
}

test('an LSTM counts its parameters once per time step and sample; each cell once per sample', async () => {
  await loadParser();
  // nn.LSTM(4, 8, num_layers=2, bias=False): 4·8·4 + 8·8·4 + 8·8·4 + 8·8·4 = 896 weights, over [N=2, T=5].
  const lstm = layers('NoBiasLSTM', [2, 5, 4]).find((l) => l.path === 'rnn')!;
  assert.equal(lstm.params, 896);
  assert.equal(lstm.macs, 896 * 2 * 5);
  // LSTMCell(8, 16) returns (h, c) for a batch of 4 at every one of the 5 steps.
  const cells = layers('CellStack', [5, 4, 8]).filter((l) => l.path === 'lstm');
  assert.equal(cells.length, 5);
  for (const c of cells) {
    assert.equal(c.params, 4 * 16 * (8 + 16) + 2 * 4 * 16);
    assert.equal(c.macs, c.params * 4);
  }
});
