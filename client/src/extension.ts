// VS Code entry point: starts the ShapeLens language server for Python files and registers the extension's commands.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { NoopCommand, SummaryMethod, SummaryParams, SummaryResult } from '../../server/src/protocol';

const SUMMARY: SummaryMethod = 'shapelens/summary';
const NOOP: NoopCommand = 'shapelens.noop';
/** Read-only virtual documents holding rendered summaries. */
const SUMMARY_SCHEME = 'shapelens-summary';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('ShapeLens');
  context.subscriptions.push(output);

  const module = context.asAbsolutePath('out/server/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    outputChannel: output,
  };
  client = new LanguageClient('shapelens', 'ShapeLens', serverOptions, clientOptions);

  const summaries = new Map<string, string>();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: (uri) => summaries.get(uri.toString()) ?? '',
    }),
    vscode.commands.registerCommand(NOOP, () => undefined),
    vscode.commands.registerCommand('shapelens.showSummary', async () => {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc || doc.languageId !== 'python') {
        void vscode.window.showInformationMessage('ShapeLens: open a Python file to see its summary.');
        return;
      }
      if (!client) return;
      try {
        const params: SummaryParams = { uri: doc.uri.toString() };
        const res = await client.sendRequest<SummaryResult>(SUMMARY, params);
        const name = doc.uri.path.split('/').pop() || 'untitled';
        const uri = vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/ShapeLens summary of ${name}.txt`, query: doc.uri.toString() });
        summaries.set(uri.toString(), res.text);
        changed.fire(uri);
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true, viewColumn: vscode.ViewColumn.Beside });
      } catch (err) {
        output.appendLine(`ShapeLens: summary failed: ${err instanceof Error ? err.message : String(err)}`);
        void vscode.window.showErrorMessage('ShapeLens: could not build the summary (see the ShapeLens output).');
      }
    }),
  );

  try {
    await client.start();
  } catch (err) {
    output.appendLine(`ShapeLens: the language server did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
