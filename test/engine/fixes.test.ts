// The edits diagnostics carry (offered as quick fixes): each applied to the source must make the
// engine's complaint go away, and must touch only the text it is about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource, loadParser, type Diagnostic } from '../../server/src/engine';

function apply(text: string, fix: NonNullable<Diagnostic['fix']>): string {
  const lines = text.split('\n');
  const at = (l: number, c: number): number => lines.slice(0, l - 1).reduce((n, s) => n + s.length + 1, 0) + c - 1;
  return text.slice(0, at(fix.line, fix.column)) + fix.newText + text.slice(at(fix.endLine, fix.endColumn));
}

const NET = (fc: string, conv = 'nn.Conv2d(3, 6, 5)', decl = '  # x: [1, 3, 28, 28]') => `import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = ${conv}
        self.bn = nn.BatchNorm2d(6)
        self.fc = ${fc}

    def forward(self, x):${decl}
        x = torch.flatten(self.bn(self.conv(x)), 1)
        return self.fc(x)
`;

async function diags(text: string): Promise<Diagnostic[]> {
  await loadParser();
  const r = analyzeSource(text, { file: 'net.py', model: 'Net' });
  return [...r.diagnostics, ...(r.reports[0]?.diagnostics ?? [])];
}

test('set in_features to the flattened size', async () => {
  const src = NET('nn.Linear(6 * 20 * 20, 10)');
  const err = (await diags(src)).find((d) => d.code === 'linear-in-features')!;
  assert.equal(err.fix?.newText, String(6 * 24 * 24));
  const fixed = apply(src, err.fix!);
  assert.match(fixed, /nn\.Linear\(3456, 10\)/);
  assert.ok(!(await diags(fixed)).some((d) => d.severity === 'error'));
});

test('a size from a name is not rewritten (it may serve other layers)', async () => {
  const src = NET('nn.Linear(FEATURES, 10)').replace('import torch.nn as nn', 'import torch.nn as nn\nFEATURES = 400');
  const err = (await diags(src)).find((d) => d.code === 'linear-in-features')!;
  assert.equal(err.fix, undefined);
});

test('bias=False before a BatchNorm', async () => {
  const src = NET('nn.Linear(3456, 10)');
  const lint = (await diags(src)).find((d) => d.code === 'bias-before-batchnorm')!;
  const fixed = apply(src, lint.fix!);
  assert.match(fixed, /nn\.Conv2d\(3, 6, 5, bias=False\)/);
  assert.ok(!(await diags(fixed)).some((d) => d.code === 'bias-before-batchnorm'));
});

test('declare the solved input on the forward line', async () => {
  const src = NET('nn.Linear(3456, 10)', 'nn.Conv2d(3, 6, 5, bias=False)', '');
  const note = (await diags(src)).find((d) => d.code === 'input-solved')!;
  const fixed = apply(src, note.fix!);
  assert.match(fixed, /def forward\(self, x\):  # x: \[N, 3, 28, 28\]/);
  await loadParser();
  const r = analyzeSource(fixed, { file: 'net.py', model: 'Net' }).reports[0]!;
  assert.deepEqual(r.input, [['N', 3, 28, 28]]);
  assert.deepEqual(r.output, ['N', 10]);
});
