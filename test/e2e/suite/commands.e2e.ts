// The extension's commands, run as the command palette runs them.
import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { open, waitFor } from './util';

describe('ShapeLens commands', () => {
  it('"ShapeLens: Show summary" opens the summary table of the active file', async () => {
    await open('cifar_net.py');
    await vscode.commands.executeCommand('shapelens.showSummary');
    const summary = await waitFor('a summary editor', () =>
      vscode.window.visibleTextEditors.map((e) => e.document).find((d) => d.uri.scheme === 'shapelens-summary' && d.getText().length > 0),
    );
    const text = summary.getText();
    // The CLI's table (README quick start), from PyTorch-checked numbers for the tutorial net.
    assert.match(text, /^Net {2}\(.*cifar_net\.py\) {2}input \[1, 3, 32, 32\]$/m);
    assert.match(text, /^ conv1 \(Conv2d\) +10 +\[1, 6, 28, 28\] +456 +5x5 +1x1 +357\.5K$/m);
    assert.match(text, /^ fc3 \(Linear\) +15 +\[1, 10\] +850 /m);
    assert.match(text, /Total params 62,006 \(trainable 62,006\) · output \[1, 10\] · 0\.66 MMACs/);
  });
});
