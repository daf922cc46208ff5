// Re-analysing only the models an edit touches: reused reports equal a fresh analysis, and a model
// is traced again when its class, a helper it calls, or any module-level statement changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelReportCache, analyzeSource, loadParser } from '../../server/src/engine';

const FILE = `import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU())


class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = block(3, 8)
        self.head = nn.Linear(8 * 32 * 32, 10)

    def forward(self, x):  # x: [1, 3, 32, 32]
        return self.head(self.body(x).flatten(1))


class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5)

    def forward(self, x):  # x: [1, 1, 28, 28]
        return self.conv(x)


WIDTH = 8
`;

test('an edit re-traces exactly the models that depend on what changed', async () => {
  await loadParser();
  const cache = new ModelReportCache();
  const run = (text: string): { reused: number; same: boolean } => {
    const got = analyzeSource(text, { file: 'm.py', reuse: cache });
    const fresh = analyzeSource(text, { file: 'm.py' });
    return { reused: cache.reused, same: JSON.stringify(got) === JSON.stringify(fresh) };
  };
  assert.deepEqual(run(FILE), { reused: 0, same: true });
  assert.deepEqual(run(FILE), { reused: 2, same: true }, 'nothing changed');
  // Inside B: A is reused.
  assert.deepEqual(run(FILE.replace('nn.Conv2d(1, 4, 5)', 'nn.Conv2d(1, 4, 3)')), { reused: 1, same: true });
  // The helper only A calls: B is reused, A (now 16 channels, a shape error at head) is traced again.
  const helper = FILE.replace('nn.Conv2d(1, 4, 5)', 'nn.Conv2d(1, 4, 3)').replace('nn.Conv2d(cin, cout, 3, padding=1)', 'nn.Conv2d(cin, 2 * cout, 3, padding=1)');
  assert.deepEqual(run(helper), { reused: 1, same: true });
  assert.ok(analyzeSource(helper, { file: 'm.py' }).reports.find((r) => r.model === 'A')!.diagnostics.some((d) => d.severity === 'error'));
  // A module-level statement may affect anything: both are traced again.
  assert.deepEqual(run(helper.replace('WIDTH = 8', 'WIDTH = 16')), { reused: 0, same: true });
  // A line added above both shifts every line: nothing is reused, and lines stay right.
  assert.deepEqual(run('# header\n' + helper.replace('WIDTH = 8', 'WIDTH = 16')), { reused: 0, same: true });
});
