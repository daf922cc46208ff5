// VS Code entry point: starts the ShapeLens language server for Python files and adds what only the
// client can do: commands, the status bar item, the summary document. The server does the analysis.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type {
  InputEditMethod,
  InputEditParams,
  InputEditResult,
  ModelAtMethod,
  ModelAtParams,
  ModelAtResult,
  NoopCommand,
  SetInputCommand,
  ShowSummaryCommand,
  SummaryMethod,
  SummaryParams,
  SummaryResult,
} from '../../server/src/protocol';

const SUMMARY: SummaryMethod = 'shapelens/summary';
const MODEL_AT: ModelAtMethod = 'shapelens/modelAt';
const INPUT_EDIT: InputEditMethod = 'shapelens/inputEdit';
const NOOP: NoopCommand = 'shapelens.noop';
const SET_INPUT: SetInputCommand = 'shapelens.setInputShape';
const SHOW_SUMMARY: ShowSummaryCommand = 'shapelens.showSummary';
/** Read-only virtual documents holding rendered summaries. */
const SUMMARY_SCHEME = 'shapelens-summary';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('ShapeLens');
  context.subscriptions.push(output);
  const fail = (what: string, err: unknown): void => {
    output.appendLine(`ShapeLens: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    void vscode.window.showErrorMessage(`ShapeLens: ${what} failed (see the ShapeLens output).`);
  };

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
    // The server pulls the `shapelens` section and is told when it changes; lens commands are ours to run.
    synchronize: { configurationSection: 'shapelens' },
    initializationOptions: { clientCommands: true, settings: vscode.workspace.getConfiguration('shapelens') },
  };
  const lc = new LanguageClient('shapelens', 'ShapeLens', serverOptions, clientOptions);
  client = lc;

  /** The Python document a command applies to: the lens's argument, else the active editor's. */
  const pythonDoc = (uri?: unknown): vscode.TextDocument | undefined => {
    const wanted = typeof uri === 'string' ? uri : undefined;
    const doc = wanted ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === wanted) : vscode.window.activeTextEditor?.document;
    return doc && doc.languageId === 'python' ? doc : undefined;
  };

  const summaries = new Map<string, string>();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const status = vscode.window.createStatusBarItem('shapelens.model', vscode.StatusBarAlignment.Right, 100);
  status.name = 'ShapeLens model';
  status.command = SHOW_SUMMARY;

  let statusTimer: NodeJS.Timeout | undefined;
  /** Shows the model under the cursor (debounced: selection events come per keystroke). */
  const updateStatus = (): void => {
    clearTimeout(statusTimer);
    statusTimer = setTimeout(async () => {
      const ed = vscode.window.activeTextEditor;
      if (!ed || ed.document.languageId !== 'python' || !lc.isRunning()) return status.hide();
      try {
        const params: ModelAtParams = { uri: ed.document.uri.toString(), line: ed.selection.active.line };
        const m = await lc.sendRequest<ModelAtResult | null>(MODEL_AT, params);
        if (!m) return status.hide();
        status.text = `$(symbol-class) ${m.model} · ${m.params.toLocaleString('en-US')} params`;
        status.tooltip = `ShapeLens: ${m.model}${m.flow ? `\n${m.flow}` : '\nno input shape known — use "ShapeLens: Set input shape"'}\nClick for the summary.`;
        status.show();
      } catch {
        status.hide();
      }
    }, 150);
  };

  context.subscriptions.push(
    changed,
    status,
    { dispose: () => clearTimeout(statusTimer) },
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: (uri) => summaries.get(uri.toString()) ?? '',
    }),
    vscode.commands.registerCommand(NOOP, () => undefined),
    vscode.commands.registerCommand(SHOW_SUMMARY, async (uri?: unknown) => {
      const doc = pythonDoc(uri);
      if (!doc) {
        void vscode.window.showInformationMessage('ShapeLens: open a Python file to see its summary.');
        return;
      }
      try {
        const params: SummaryParams = { uri: doc.uri.toString() };
        const res = await lc.sendRequest<SummaryResult>(SUMMARY, params);
        const name = doc.uri.path.split('/').pop() || 'untitled';
        const target = vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/ShapeLens summary of ${name}.txt`, query: doc.uri.toString() });
        summaries.set(target.toString(), res.text);
        changed.fire(target);
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target), { preview: true, viewColumn: vscode.ViewColumn.Beside });
      } catch (err) {
        fail('the summary', err);
      }
    }),
    // Arguments (all optional): the document, the model, and the shape (given by scripts and tests; else asked for).
    vscode.commands.registerCommand(SET_INPUT, async (uri?: unknown, model?: unknown, given?: unknown) => {
      const doc = pythonDoc(uri);
      if (!doc) {
        void vscode.window.showInformationMessage('ShapeLens: open a Python file with a model to set its input shape.');
        return;
      }
      try {
        let name = typeof model === 'string' ? model : undefined;
        let current = '';
        const line = typeof model === 'string' ? 0 : (vscode.window.activeTextEditor?.selection.active.line ?? 0);
        const at = await lc.sendRequest<ModelAtResult | null>(MODEL_AT, { uri: doc.uri.toString(), line } satisfies ModelAtParams);
        if (!name) name = at?.model;
        if (!name) {
          void vscode.window.showInformationMessage('ShapeLens: put the cursor inside a model class to set its input shape.');
          return;
        }
        if (at?.model === name) current = at.input.join('; ');
        const shape = typeof given === 'string' ? given : await vscode.window.showInputBox({
          title: `ShapeLens: input shape of ${name}`,
          prompt: 'Dims separated by commas (names like N, H, W stay symbolic); several inputs separated by ;',
          value: current || 'N, 3, 32, 32',
          validateInput: (v) => (/^[\s\w,;[\]x×:]+$/.test(v) && /\w/.test(v) ? undefined : 'Write a shape like N, 3, 32, 32 or 1x3x224x224'),
        });
        if (shape === undefined) return;
        const res = await lc.sendRequest<InputEditResult>(INPUT_EDIT, { uri: doc.uri.toString(), model: name, shape } satisfies InputEditParams);
        if (res.error || !res.edit) {
          void vscode.window.showWarningMessage(`ShapeLens: ${res.error ?? 'no edit was produced'}`);
          return;
        }
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, lc.protocol2CodeConverter.asRange(res.edit.range), res.edit.newText);
        await vscode.workspace.applyEdit(edit);
      } catch (err) {
        fail('setting the input shape', err);
      }
    }),
    vscode.window.onDidChangeTextEditorSelection(updateStatus),
    vscode.window.onDidChangeActiveTextEditor(updateStatus),
    // New diagnostics mean a finished analysis: the parameter count may have changed.
    vscode.languages.onDidChangeDiagnostics(updateStatus),
  );

  try {
    await lc.start();
    updateStatus();
  } catch (err) {
    output.appendLine(`ShapeLens: the language server did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
