// The editing features in VS Code: completion of in_features with what arrives, "Set input shape"
// writing the forward-line declaration, and the inlay-hint settings taking effect.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { diagnosticWithCode, inlayHints, lineOf, open, revert, waitFor } from './util';

describe('ShapeLens editing features', () => {
  const opened: vscode.TextDocument[] = [];
  after(async () => {
    for (const d of opened) await revert(d);
    await vscode.workspace.getConfiguration('shapelens').update('inlayHints.forward', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('completes nn.Linear( with the in_features that reaches it first', async () => {
    const ed = await open('cifar_wrong_fc.py');
    const doc = ed.document;
    await diagnosticWithCode(doc.uri, 'linear-in-features');
    // Retype fc1's arguments as a user would: the parenthesis auto-closed, the cursor inside.
    const fc1 = lineOf(doc, 'self.fc1 = nn.Linear(');
    const open_ = doc.lineAt(fc1).text.indexOf('(') + 1;
    const close = doc.lineAt(fc1).text.lastIndexOf(')');
    assert.ok(await ed.edit((e) => e.delete(new vscode.Range(fc1, open_, fc1, close))));
    const items = await waitFor('a completion for in_features', async () => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(fc1, open_));
      const mine = list?.items.filter((i) => i.detail?.includes('in_features')) ?? [];
      return mine.length ? mine : undefined;
    });
    // PyTorch: 16 · 5 · 5 = 400 values per sample reach fc1 at 32x32.
    assert.equal(typeof items[0]!.label === 'string' ? items[0]!.label : items[0]!.label.label, '400');
    assert.equal(items[0]!.preselect, true);
    await revert(doc);
    await diagnosticWithCode(doc.uri, 'linear-in-features');
  });

  it('"Set input shape" rewrites the declaration on the forward line', async () => {
    const doc = (await open('cifar_net.py')).document;
    opened.push(doc);
    const fwd = lineOf(doc, 'def forward');
    await vscode.commands.executeCommand('shapelens.setInputShape', doc.uri.toString(), 'Net', 'N, 3, 64, 64');
    await waitFor('the declaration on the forward line', () => doc.lineAt(fwd).text.includes('x: [N, 3, 64, 64]'));
    // At 64x64, 16·13·13 values reach fc1 (built for 400): the server now reports it.
    const d = await diagnosticWithCode(doc.uri, 'linear-in-features');
    assert.match(d.message, /2704/);
  });

  it('turning off forward hints leaves the hints after layers built in __init__', async () => {
    const doc = (await open('cifar_net.py')).document;
    await revert(doc); // back to the example's own [1, 3, 32, 32]
    const conv1 = lineOf(doc, 'self.conv1 = nn.Conv2d(3, 6, 5)');
    const first = lineOf(doc, 'x = self.pool(F.relu(self.conv1(x)))');
    await waitFor('hints in forward and __init__', async () => {
      const h = await inlayHints(doc);
      return h.some((x) => x.line === first) && h.some((x) => x.line === conv1);
    });
    await vscode.workspace.getConfiguration('shapelens').update('inlayHints.forward', false, vscode.ConfigurationTarget.Workspace);
    await waitFor('forward hints to go, __init__ hints to stay', async () => {
      const h = await inlayHints(doc);
      return !h.some((x) => x.line === first) && h.some((x) => x.line === conv1 && x.label === '→ [1, 6, 28, 28]');
    });
  });
});
