// Loops over a symbolic count (the time steps of a declared [T, N, F] input) are traced for one pass:
// what they compute keeps its shape, lists they fill stand for T items, and nothing raises a false
// error. Expectations sit under the code line as in the inline fixtures (`#   ^ [T, N, 16]`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource, loadParser } from '../../server/src/engine';

const SOURCE = `import torch
import torch.nn as nn


class ManualRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.GRUCell(8, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):  # x: [T, N, 8]
        h = torch.zeros(x.size(1), 16)
        outputs = []
        for t in range(x.size(0)):
            parts = []
            h = self.cell(x[t], h)
            #   ^ [N, 16]
            parts.append(h)
            parts.append(h)
            step = torch.cat(parts, dim=1)
            #   ^ [N, 32]
            outputs.append(h)
        y = torch.stack(outputs)
        #   ^ [T, N, 16]
        flat = torch.cat(outputs, dim=0)
        #   ^ [N*T, 16]
        n = len(outputs)
        return self.head(y)
        #   ^ [T, N, 4]
`;

const EXP = /^\s*#\s*\^\s*(.*)$/;

test('a loop over range(T) runs once: lists it fills count T, lists made inside it do not', async () => {
  await loadParser();
  const res = analyzeSource(SOURCE, { file: 'manual_rnn.py' });
  const r = res.reports[0]!;
  const lines = SOURCE.split('\n');
  let code = 0;
  let checked = 0;
  lines.forEach((line, i) => {
    const m = EXP.exec(line);
    if (!m) {
      if (line.trim()) code = i + 1;
      return;
    }
    const got = JSON.stringify(r.values.find((v) => v.line === code)?.shape).replace(/"/g, '').replace(/,/g, ', ');
    assert.equal(got, m[1]!.trim(), `line ${code}: ${lines[code - 1]!.trim()}`);
    checked++;
  });
  assert.equal(checked, 5);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  assert.ok(r.diagnostics.some((d) => d.code === 'symbolic-loop' && d.severity === 'information'), 'the one-pass trace is said');
});
