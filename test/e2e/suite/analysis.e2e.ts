// What a user sees in VS Code on a model with a shape error: the diagnostic, hovers, inlay hints and
// code lenses, asked through VS Code's own provider commands (so the client's conversions are covered).
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { diagnosticWithCode, hoverText, inlayHints, lineOf, open, positionOf, waitFor } from './util';

// test/e2e/workspace/cifar_wrong_fc.py: the CIFAR-10 tutorial net fed [N, 3, 32, 32] with fc1 sized for 28x28 input.
const BROKEN = 'cifar_wrong_fc.py';

describe('ShapeLens on a model with a wrong in_features', () => {
  let doc: vscode.TextDocument;
  before(async () => {
    doc = (await open(BROKEN)).document;
  });

  it('reports the Linear error at the call of fc1, with its code and where fc1 was built', async () => {
    const d = await diagnosticWithCode(doc.uri, 'linear-in-features');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.range.start.line, lineOf(doc, 'x = F.relu(self.fc1(x))'));
    assert.equal(doc.getText(d.range), 'self.fc1(x)');
    assert.match(d.message, /expects in_features=256, but its input \[N, 400\] has 400 features/);
    const built = d.relatedInformation?.find((r) => r.location.uri.toString() === doc.uri.toString());
    assert.ok(built, `no related information in the file: ${JSON.stringify(d.relatedInformation)}`);
    assert.equal(built.location.range.start.line, lineOf(doc, 'self.fc1 = nn.Linear('));
  });

  it('hovers the call of conv1 with its output-size arithmetic and parameter breakdown', async () => {
    const at = positionOf(doc, 'self.conv1(x)', 'self.'.length + 2);
    const text = await waitFor('a hover on self.conv1(x)', async () => {
      const t = await hoverText(doc.uri, at);
      return t.includes('conv1') ? t : undefined;
    });
    assert.ok(text.includes('H′ = ⌊(32 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 28'), text);
    assert.ok(text.includes('`[N, 6, 28, 28]`'), text);
    assert.ok(text.includes('456 params = weight 6×3×5×5 (450) + bias 6'), text);
  });

  it('shows the shape after each forward statement and each layer built in __init__, up to the error', async () => {
    const hints = await waitFor('inlay hints', async () => {
      const h = await inlayHints(doc);
      return h.length ? h : undefined;
    });
    const at = (needle: string) => hints.filter((h) => h.line === lineOf(doc, needle)).map((h) => h.label);
    assert.deepEqual(at('x = self.pool(F.relu(self.conv1(x)))'), ['→ [N, 6, 14, 14]']);
    assert.deepEqual(at('x = self.pool(F.relu(self.conv2(x)))'), ['→ [N, 16, 5, 5]']);
    assert.deepEqual(at('x = torch.flatten(x, 1)'), ['→ [N, 400]']);
    // The statement that fails has no shape, and nothing after it runs.
    assert.deepEqual(at('x = F.relu(self.fc1(x))'), []);
    assert.deepEqual(at('x = self.fc3(x)'), []);
    // A layer's construction shows the output of its first call; fc1's call fails, fc3 is never called.
    assert.deepEqual(at('self.conv1 = nn.Conv2d(3, 6, 5)'), ['→ [N, 6, 28, 28]']);
    assert.deepEqual(at('self.pool = nn.MaxPool2d(2, 2)'), ['→ [N, 6, 14, 14]']);
    assert.deepEqual(at('self.fc1 = nn.Linear(16 * 4 * 4, 120)'), []);
    assert.deepEqual(at('self.fc3 = nn.Linear(84, 10)'), []);
  });

  it('puts the parameter count and the error above the model as a code lens', async () => {
    const lenses = await waitFor('code lenses', async () => {
      const l = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10)) ?? [];
      return l.length ? l : undefined;
    });
    // The model's lens (the totals); action lenses may sit beside it.
    const totals = lenses.filter((l) => l.range.start.line === lineOf(doc, 'class Net(nn.Module)') && /params/.test(l.command?.title ?? ''));
    assert.equal(totals.length, 1, JSON.stringify(lenses.map((l) => [l.range.start.line, l.command?.title])));
    // 44,726 = the 62,006 of the tutorial net minus (400 − 256)·120 weights of fc1.
    assert.equal(totals[0]!.command?.title, `44,726 params · [N, 3, 32, 32] → shape error at line ${lineOf(doc, 'self.fc1(x)') + 1}`);
  });
});

describe('ShapeLens on the CIFAR-10 example', () => {
  it('puts the tutorial net\'s totals above the class', async () => {
    const doc = (await open('cifar_net.py')).document;
    const lenses = await waitFor('code lenses', async () => {
      const l = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10)) ?? [];
      return l.length ? l : undefined;
    });
    const title = lenses.find((l) => l.range.start.line === lineOf(doc, 'class Net(nn.Module)') && /params/.test(l.command?.title ?? ''))?.command?.title ?? '';
    // PyTorch: sum(p.numel() for p in Net().parameters()) == 62006 for the tutorial net.
    assert.match(title, /^62,006 params · \[1, 3, 32, 32\] → \[1, 10\] · RF 32x32 · /);
  });
});
