// Protocol tests: start the real language server over stdio and check diagnostics, hovers, code lenses,
// inlay hints and the summary request against PyTorch truth for the CIFAR-10 tutorial net.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_RANGE, LspClient, lineOf } from '../support/lspClient';

const cifar = (input: string): string => `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):  # x: ${input}
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x
`;
const CIFAR32 = cifar('[1, 3, 32, 32]');
const CIFAR28 = cifar('[1, 3, 28, 28]');
const HALF_TYPED = `import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6,
    def forward(self, x):  # x: [1, 3, 32, 32]
        return self.conv1(x
`;

describe('language server over stdio', () => {
  const lsp = new LspClient();
  const { published } = lsp;
  const diagnostics = lsp.diagnostics.bind(lsp);
  const open = lsp.open.bind(lsp);
  const request = lsp.request.bind(lsp);
  const conn = { sendNotification: (m: string, p: unknown) => lsp.notify(m, p) };

  before(async () => {
    await lsp.start();
    assert.ok(lsp.capabilities.hoverProvider);
    assert.ok(lsp.capabilities.codeLensProvider);
    assert.ok(lsp.capabilities.inlayHintProvider);
    assert.ok(lsp.capabilities.completionProvider);
  });

  after(() => lsp.stop());

  it('publishes no errors for the CIFAR net at 32x32, and hovers, lenses and hints match PyTorch', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/cifar32.py';
    open(uri, CIFAR32);
    const p = await diagnostics(uri);
    assert.deepEqual(p.diagnostics.filter((d) => d.severity === 1), [], JSON.stringify(p.diagnostics));

    const conv1 = lineOf(CIFAR32, 'self.conv1 = nn.Conv2d(3, 6, 5)');
    const hover = await request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: { line: conv1, character: 14 } });
    assert.ok(hover, 'hover on the conv1 construction line');
    assert.match(hover.contents.value, /\[1, 6, 28, 28\]/);
    assert.match(hover.contents.value, /456/);
    // The arithmetic with this layer's numbers, and PyTorch's parameter tensors (6×3×5×5 weights + 6 biases).
    assert.ok(hover.contents.value.includes('H′ = ⌊(32 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 28'), hover.contents.value);
    assert.ok(hover.contents.value.includes('456 params = weight 6×3×5×5 (450) + bias 6'), hover.contents.value);
    assert.match(hover.contents.value, /conv1/);

    // The pool is called twice: its construction line lists both calls.
    const pool = await request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: { line: lineOf(CIFAR32, 'self.pool = '), character: 10 } });
    assert.ok(pool);
    assert.match(pool.contents.value, /\[1, 6, 14, 14\]/);
    assert.match(pool.contents.value, /\[1, 16, 5, 5\]/);

    const lenses = await request<{ range: { start: { line: number } }; command?: { title: string; command: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.equal(lenses.length, 1, JSON.stringify(lenses));
    assert.equal(lenses[0]!.range.start.line, lineOf(CIFAR32, 'class Net'));
    assert.equal(lenses[0]!.command?.command, 'shapelens.noop');
    assert.match(lenses[0]!.command!.title, /62,006 params/);
    assert.match(lenses[0]!.command!.title, /\[1, 3, 32, 32\] → \[1, 10\]/);

    const hints = await request<{ position: { line: number }; label: string }[]>('textDocument/inlayHint', { textDocument: { uri }, range: FULL_RANGE });
    const first = lineOf(CIFAR32, 'x = self.pool(F.relu(self.conv1(x)))');
    assert.ok(hints.some((h) => h.position.line === first && h.label === '→ [1, 6, 14, 14]'), JSON.stringify(hints));
    assert.ok(hints.some((h) => h.label === '→ [1, 10]'));
    assert.equal(new Set(hints.map((h) => h.position.line)).size, hints.length, 'one hint per line');
    // Layers built in __init__ show their first call's output after the constructor (PyTorch: conv1 → [1, 6, 28, 28]);
    // a range covering only that line gets only that hint.
    const ctor = await request<{ position: { line: number; character: number }; label: string }[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: conv1, character: 0 }, end: { line: conv1, character: 40 } } });
    assert.deepEqual(ctor.map((h) => [h.position.line, h.position.character, h.label]), [[conv1, CIFAR32.split('\n')[conv1]!.length, '→ [1, 6, 28, 28]']]);
    assert.ok(hints.some((h) => h.position.line === lineOf(CIFAR32, 'self.pool = ') && h.label === '→ [1, 6, 14, 14]'), 'first call of the shared pool');

    const summary = await request<{ text: string }>('shapelens/summary', { uri });
    assert.match(summary.text, /Total params 62,006/);
  });

  it('reports the fc1 in_features error on its forward call line at 28x28', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/cifar28.py';
    open(uri, CIFAR28);
    const p = await diagnostics(uri);
    const errors = p.diagnostics.filter((d) => d.severity === 1);
    assert.equal(errors.length, 1, JSON.stringify(p.diagnostics));
    const e = errors[0]!;
    assert.equal(e.range.start.line, lineOf(CIFAR28, 'x = F.relu(self.fc1(x))'));
    assert.equal(e.code, 'linear-in-features');
    assert.match(e.message, /in_features=400/);
    assert.match(e.message, /\[1, 256\]/);
    assert.equal(e.relatedInformation?.[0]?.location.range.start.line, lineOf(CIFAR28, 'self.fc1 = nn.Linear'));
    assert.equal(e.relatedInformation?.[0]?.location.uri, uri);
    // The related place spans the constructor call, so an editor can highlight it.
    const rel = e.relatedInformation![0]!.location.range as unknown as { start: { character: number }; end: { line: number; character: number } };
    assert.equal(CIFAR28.split('\n')[rel.end.line]!.slice(rel.start.character, rel.end.character), 'nn.Linear(16 * 5 * 5, 120)');

    const lenses = await request<{ command?: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.match(lenses[0]?.command?.title ?? '', /62,006 params/);

    // The quick fix sets in_features to what arrives (PyTorch: 16 * 4 * 4 = 256 at 28x28), editing only that argument.
    const actions = await request<{ title: string; kind: string; edit: { changes: Record<string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]> } }[]>(
      'textDocument/codeAction',
      { textDocument: { uri }, range: e.range, context: { diagnostics: [e] } },
    );
    assert.equal(actions.length, 1, JSON.stringify(actions));
    assert.equal(actions[0]!.kind, 'quickfix');
    const [edit] = actions[0]!.edit.changes[uri]!;
    const ctorLine = lineOf(CIFAR28, 'self.fc1 = nn.Linear');
    const lineText = CIFAR28.split('\n')[ctorLine]!;
    assert.equal(edit!.newText, '256');
    assert.equal(edit!.range.start.line, ctorLine);
    assert.equal(lineText.slice(edit!.range.start.character, edit!.range.end.character), '16 * 5 * 5');
  });

  it('analyses only the newest version after rapid edits', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/edited.py';
    open(uri, CIFAR28);
    await diagnostics(uri, (p) => p.version === 1);
    const whole = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };
    void conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: whole, text: HALF_TYPED }] });
    void conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ range: whole, text: CIFAR32 }] });
    const p = await diagnostics(uri, (x) => x.version === 3);
    assert.deepEqual(p.diagnostics.filter((d) => d.severity === 1), []);
    assert.ok(!published.some((x) => x.uri === uri && x.version === 2), 'the debounced version 2 is never published');
    const lenses = await request<{ command?: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.match(lenses[0]?.command?.title ?? '', /\[1, 3, 32, 32\] → \[1, 10\]/);
  });

  it('still answers every request on a half-typed file', { timeout: 30_000 }, async () => {
    const uri = 'untitled:Untitled-1';
    open(uri, HALF_TYPED);
    const p = await diagnostics(uri);
    assert.ok(p.diagnostics.some((d) => d.severity === 1 && d.code === 'syntax'), JSON.stringify(p.diagnostics));
    for (const line of [0, 5, 6, 7, 50]) {
      const hover = await request<unknown>('textDocument/hover', { textDocument: { uri }, position: { line, character: 8 } });
      assert.ok(hover === null || typeof hover === 'object');
    }
    const lenses = await request<unknown[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(Array.isArray(lenses));
    const hints = await request<unknown[]>('textDocument/inlayHint', { textDocument: { uri }, range: FULL_RANGE });
    assert.ok(Array.isArray(hints));
    const summary = await request<{ text: string }>('shapelens/summary', { uri });
    assert.equal(typeof summary.text, 'string');
  });

  it('ignores non-Python documents and unknown URIs', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/notes.txt';
    open(uri, CIFAR32, 'plaintext');
    assert.equal(await request('textDocument/hover', { textDocument: { uri }, position: { line: 8, character: 14 } }), null);
    assert.deepEqual(await request('textDocument/codeLens', { textDocument: { uri: 'file:///nowhere.py' } }), []);
    const s = await request<{ text: string }>('shapelens/summary', { uri: 'file:///nowhere.py' });
    assert.match(s.text, /not one/);
  });
});
