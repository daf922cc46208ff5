// The one-click fix in VS Code: the code action offered for the in_features error, applied as the
// lightbulb applies it, fixes the text and clears the error; the file is reverted afterwards.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { codeOf, diagnosticWithCode, inlayHints, lineOf, open, revert, shapelensDiagnostics, waitFor } from './util';

describe('ShapeLens quick fixes', () => {
  let doc: vscode.TextDocument | undefined;
  after(async () => {
    if (doc) await revert(doc);
  });

  it('sets in_features to what arrives, and the error disappears', async () => {
    doc = (await open('cifar_wrong_fc.py')).document;
    const d = await diagnosticWithCode(doc.uri, 'linear-in-features');
    const actions = await waitFor('code actions at the error', async () => {
      const a = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc!.uri, d.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
      return a.length ? a : undefined;
    });
    const fix = actions.find((a) => a.title === 'Set in_features to 400');
    assert.ok(fix, `offered: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.isPreferred, true);
    assert.ok(fix.edit, 'the quick fix carries no edit');
    const edits = fix.edit.entries();
    assert.equal(edits.length, 1);
    assert.equal(edits[0]![0].toString(), doc.uri.toString());

    const fc1 = lineOf(doc, 'self.fc1 = nn.Linear(');
    const before = doc.getText();
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    // A minimal edit: only the first argument of fc1 changes.
    assert.equal(doc.lineAt(fc1).text, '        self.fc1 = nn.Linear(400, 120)');
    assert.equal(doc.getText(), before.replace('nn.Linear(16 * 4 * 4, 120)', 'nn.Linear(400, 120)'));

    await waitFor('the in_features error to go away', () => !shapelensDiagnostics(doc!.uri).some((x) => codeOf(x) === 'linear-in-features'));
    assert.deepEqual(shapelensDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error), []);
    // The forward now runs to the end: fc3's output gets a hint.
    const last = lineOf(doc, 'x = self.fc3(x)');
    await waitFor('a hint on the last layer', async () => (await inlayHints(doc!)).some((h) => h.line === last && h.label === '→ [N, 10]'));
  });
});
