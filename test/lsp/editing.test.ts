// Protocol tests of the editing features: completion of in_features / in_channels / num_features,
// the model under the cursor, "Set input shape" edits, settings, and the lens actions VS Code gets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FULL_RANGE, LspClient, lineOf } from '../support/lspClient';

interface Item {
  label: string;
  preselect?: boolean;
  sortText?: string;
}
interface Range0 {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** Applies one LSP edit to a text. */
function applyEdit(text: string, range: Range0, newText: string): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }): number => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return text.slice(0, offset(range.start)) + newText + text.slice(offset(range.end));
}

// The CIFAR-10 tutorial net with the cursor's layer still being typed (`|` marks the cursor, the
// auto-closed parenthesis is already there). PyTorch: 16·5·5 = 400 reaches fc1 at 32x32.
const TYPING = `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.bn1 = nn.BatchNorm2d(|)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(|)
        self.fc1 = nn.Linear(|)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):  # x: [1, 3, 32, 32]
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
`;

const SEQ = `import torch.nn as nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3),  # a comment
        )
        self.head = nn.Linear(16 * 12 * 12, 10)

    def forward(self, x):
        x = self.features(x)
        return self.head(x.flatten(1))
`;

describe('editing features over stdio', () => {
  const lsp = new LspClient();

  before(() => lsp.start({ clientCommands: true }));
  after(() => lsp.stop());

  /** Opens TYPING with the given marker line as the cursor's, every other marker filled in. */
  async function completeAt(needle: string, fill: Record<string, string>, uri: string): Promise<Item[]> {
    let text = TYPING;
    for (const [n, v] of Object.entries(fill)) text = text.replace(n + '(|)', n + `(${v})`);
    const line = lineOf(text, needle);
    const character = text.split('\n')[line]!.indexOf('|');
    text = text.replace('|', '');
    lsp.open(uri, text);
    return lsp.request<Item[]>('textDocument/completion', { textDocument: { uri }, position: { line, character } });
  }

  it('offers what arrives first: in_features after a flatten, in_channels and num_features after a layer', { timeout: 30_000 }, async () => {
    const fill = { 'self.bn1 = nn.BatchNorm2d': '6', 'self.conv2 = nn.Conv2d': '6, 16, 5', 'self.fc1 = nn.Linear': '400, 120' };
    const cases: [string, string][] = [
      ['self.fc1 = nn.Linear', '400'],
      ['self.conv2 = nn.Conv2d', '6'],
      ['self.bn1 = nn.BatchNorm2d', '6'],
    ];
    for (const [i, [needle, want]] of cases.entries()) {
      const others = Object.fromEntries(Object.entries(fill).filter(([k]) => k !== needle));
      const items = await completeAt(needle, others, `file:///tmp/shapelens-test/typing${i}.py`);
      assert.equal(items[0]?.label, want, `${needle}: ${JSON.stringify(items)}`);
      assert.equal(items[0]?.preselect, true);
    }
    // Elsewhere (a later argument, a layer without an input size) there is nothing to offer.
    const uri = 'file:///tmp/shapelens-test/typing-none.py';
    const text = TYPING.replace('nn.BatchNorm2d(|)', 'nn.BatchNorm2d(6)').replace('nn.Conv2d(|)', 'nn.Conv2d(6, 16, 5)').replace('nn.Linear(|)', 'nn.Linear(400, 120)');
    lsp.open(uri, text);
    const fc2 = lineOf(text, 'self.fc2 = nn.Linear(120, 84)');
    const later = await lsp.request<Item[]>('textDocument/completion', { textDocument: { uri }, position: { line: fc2, character: text.split('\n')[fc2]!.indexOf('84') } });
    assert.deepEqual(later, []);
  });

  it('names the model under the cursor with its parameter count', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/modelat.py';
    const text = TYPING.replace('nn.BatchNorm2d(|)', 'nn.BatchNorm2d(6)').replace('nn.Conv2d(|)', 'nn.Conv2d(6, 16, 5)').replace('nn.Linear(|)', 'nn.Linear(400, 120)');
    lsp.open(uri, text);
    await lsp.diagnostics(uri);
    const at = await lsp.request<{ model: string; params: number; flow: string } | null>('shapelens/modelAt', { uri, line: lineOf(text, 'x = torch.flatten') });
    // PyTorch: 62,006 for the tutorial net plus BatchNorm2d(6)'s 12.
    assert.deepEqual(at && [at.model, at.params, at.flow], ['Net', 62018, '[1, 3, 32, 32] → [1, 10]']);
    assert.equal(await lsp.request('shapelens/modelAt', { uri, line: 0 }), null);
  });

  it('writes the input declaration: replaces the comment, or adds one to the def line', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/setinput.py';
    const text = TYPING.replace('nn.BatchNorm2d(|)', 'nn.BatchNorm2d(6)').replace('nn.Conv2d(|)', 'nn.Conv2d(6, 16, 5)').replace('nn.Linear(|)', 'nn.Linear(400, 120)');
    lsp.open(uri, text);
    const r = await lsp.request<{ edit?: { range: Range0; newText: string }; error?: string }>('shapelens/inputEdit', { uri, model: 'Net', shape: 'N, 3, 32, 32' });
    assert.ok(r.edit, JSON.stringify(r));
    assert.ok(applyEdit(text, r.edit.range, r.edit.newText).includes('def forward(self, x):  # x: [N, 3, 32, 32]\n'));

    const uri2 = 'file:///tmp/shapelens-test/setinput2.py';
    lsp.open(uri2, SEQ);
    const r2 = await lsp.request<{ edit?: { range: Range0; newText: string } }>('shapelens/inputEdit', { uri: uri2, model: 'Tiny', shape: '2x1x28x28' });
    const edited = applyEdit(SEQ, r2.edit!.range, r2.edit!.newText);
    assert.ok(edited.includes('def forward(self, x):  # x: [2, 1, 28, 28]\n'), edited);
    // The declared input is picked up: PyTorch gives [2, 10] for this net at 28x28.
    lsp.change(uri2, 2, edited);
    await lsp.diagnostics(uri2, (p) => p.version === 2);
    const at = await lsp.request<{ flow: string }>('shapelens/modelAt', { uri: uri2, line: lineOf(edited, 'class Tiny') });
    assert.equal(at.flow, '[2, 1, 28, 28] → [2, 10]');

    const bad = await lsp.request<{ error?: string }>('shapelens/inputEdit', { uri: uri2, model: 'Tiny', shape: '2x1x28x28; 3x4' });
    assert.match(bad.error ?? '', /forward takes 1 tensor argument \(x\), but 2 shapes were given/);
    const junk = await lsp.request<{ error?: string }>('shapelens/inputEdit', { uri: uri2, model: 'Tiny', shape: '2x?x3' });
    assert.match(junk.error ?? '', /not a dimension/);
  });

  it('follows an imported file that is deleted, renamed and opened with unsaved text', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shapelens-imports-'));
    const block = (c: string) => `import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n        self.conv = nn.Conv2d(c, ${c}, 3, padding=1)\n\n    def forward(self, x):\n        return self.conv(x)\n`;
    writeFileSync(join(dir, 'blocks.py'), block('c'));
    const main = (mod: string) => `import torch.nn as nn\nfrom ${mod} import Block\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.stem = nn.Conv2d(3, 8, 3)\n        self.block = Block(8)\n\n    def forward(self, x):  # x: [1, 3, 16, 16]\n        return self.block(self.stem(x))\n`;
    const uri = pathToFileURL(join(dir, 'net.py')).href;
    const flow = async (): Promise<string | null> => (await lsp.request<{ flow: string | null } | null>('shapelens/modelAt', { uri, line: 6 }))?.flow ?? null;
    lsp.open(uri, main('blocks'));
    await lsp.diagnostics(uri, (p) => p.version === 1);
    // PyTorch: [1, 8, 14, 14] (3x3 valid conv, then the block's padded conv).
    assert.equal(await flow(), '[1, 3, 16, 16] → [1, 8, 14, 14]');
    // The imported file disappears (deleted or renamed on disk): the import is reported, nothing crashes.
    renameSync(join(dir, 'blocks.py'), join(dir, 'layers.py'));
    lsp.change(uri, 2, main('blocks') + '\n');
    const gone = await lsp.diagnostics(uri, (p) => p.version === 2);
    assert.ok(gone.diagnostics.some((d) => d.code === 'unresolved-import' && d.range.start.line === 1), JSON.stringify(gone.diagnostics));
    assert.equal(await flow(), null);
    // The import follows the rename.
    lsp.change(uri, 3, main('layers'));
    await lsp.diagnostics(uri, (p) => p.version === 3);
    assert.equal(await flow(), '[1, 3, 16, 16] → [1, 8, 14, 14]');
    // The imported file open in the editor with unsaved text wins over the disk (a block now doubling the channels).
    const layersUri = pathToFileURL(join(dir, 'layers.py')).href;
    lsp.open(layersUri, block('2 * c'));
    lsp.change(uri, 4, main('layers') + '\n');
    await lsp.diagnostics(uri, (p) => p.version === 4);
    assert.equal(await flow(), '[1, 3, 16, 16] → [1, 16, 14, 14]');
    // Closed again: back to the file on disk.
    lsp.notify('textDocument/didClose', { textDocument: { uri: layersUri } });
    lsp.change(uri, 5, main('layers'));
    await lsp.diagnostics(uri, (p) => p.version === 5);
    assert.equal(await flow(), '[1, 3, 16, 16] → [1, 8, 14, 14]');
  });

  it('hints Sequential layers, follows settings, and gives VS Code the lens actions', { timeout: 30_000 }, async () => {
    const uri = 'file:///tmp/shapelens-test/seq.py';
    lsp.open(uri, SEQ);
    await lsp.diagnostics(uri);
    // No declaration: the symbolic default input [N, C, H, W] traces. With the setting, the input is concrete.
    lsp.notify('workspace/didChangeConfiguration', { settings: { shapelens: { defaultInputs: { Tiny: '1x1x28x28' }, inlayHints: { forward: false } } } });
    await lsp.diagnostics(uri, (p) => p.diagnostics.every((d) => d.code !== 'assumed-input') && lsp.published.filter((x) => x.uri === uri).length >= 2);
    const hints = await lsp.request<{ position: { line: number; character: number }; label: string }[]>('textDocument/inlayHint', { textDocument: { uri }, range: FULL_RANGE });
    const at = (needle: string): string[] => hints.filter((h) => h.position.line === lineOf(SEQ, needle)).map((h) => h.label);
    // PyTorch at 1x1x28x28: conv+relu [1, 8, 28, 28], pool [1, 8, 14, 14], conv [1, 16, 12, 12], head [1, 10].
    assert.deepEqual(at('nn.Conv2d(1, 8, 3, padding=1)'), ['→ [1, 8, 28, 28]']);
    assert.deepEqual(at('nn.MaxPool2d(2)'), ['→ [1, 8, 14, 14]']);
    assert.deepEqual(at('nn.Conv2d(8, 16, 3)'), ['→ [1, 16, 12, 12]']);
    assert.deepEqual(at('self.head ='), ['→ [1, 10]']);
    assert.deepEqual(at('return self.head'), [], 'forward hints are off');
    // Before the trailing comment, not after it.
    const conv = hints.find((h) => h.position.line === lineOf(SEQ, 'nn.Conv2d(8, 16, 3)'))!;
    assert.equal(conv.position.character, SEQ.split('\n')[conv.position.line]!.indexOf('  # a comment'));

    const lenses = await lsp.request<{ command: { title: string; command: string; arguments?: unknown[] } }[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(lenses.map((l) => l.command.command), ['shapelens.noop', 'shapelens.setInputShape', 'shapelens.showSummary']);
    assert.match(lenses[0]!.command.title, /\[1, 1, 28, 28\] → \[1, 10\]/);
    assert.deepEqual(lenses[1]!.command.arguments, [uri, 'Tiny']);
    lsp.notify('workspace/didChangeConfiguration', { settings: { shapelens: {} } });
  });
});
