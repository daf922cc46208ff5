// The ShapeLens language server: analyses open Python documents with the engine and serves diagnostics,
// hovers, code lenses, inlay hints, quick fixes, completion and ShapeLens's own requests (see protocol.ts)
// over stdio or IPC, as the client chooses.
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  createConnection,
  DidChangeConfigurationNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeLens,
  type CompletionItem,
  type Hover,
  type InitializeResult,
  type InlayHint,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type {
  InputEditMethod,
  InputEditParams,
  InputEditResult,
  ModelAtMethod,
  ModelAtParams,
  ModelAtResult,
  ShapeLensSettings,
  SummaryMethod,
  SummaryParams,
  SummaryResult,
} from './protocol';
import { InputSpecError, parseInputs } from './engine';
import { AnalysisStore, describe, type Analysis } from './lsp/analysisStore';
import { collectDiagnostics } from './lsp/diagnostics';
import { hoverAt } from './lsp/hover';
import { codeLenses } from './lsp/codeLens';
import { inlayHints } from './lsp/inlayHints';
import { quickFixes } from './lsp/codeActions';
import { summaryText } from './lsp/summary';
import { safeHandler } from './lsp/safe';
import { engineFileName, isAnalysable } from './lsp/uris';
import { EngineClient } from './lsp/engineClient';
import { DEFAULT_SETTINGS, engineDefaults, readSettings } from './lsp/settings';
import { completionItems, completionProbe } from './lsp/completion';
import { modelAt } from './lsp/modelAt';
import { toRange } from './lsp/diagnostics';
import type { EngineOptions } from './lsp/workerProtocol';

const SUMMARY: SummaryMethod = 'shapelens/summary';
const MODEL_AT: ModelAtMethod = 'shapelens/modelAt';
const INPUT_EDIT: InputEditMethod = 'shapelens/inputEdit';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Client abilities that decide whether we ask it to re-query lenses and hints after an analysis. */
const refresh = { codeLens: false, inlayHint: false };
/** Whether the client pulls `shapelens` settings, and whether it registers ShapeLens's lens commands (VS Code). */
const client = { configuration: false, commands: false };

let settings: ShapeLensSettings = DEFAULT_SETTINGS;
let engineOptions: EngineOptions = { defaultInputs: {}, batchSymbol: 'N' };
function applySettings(raw: unknown): void {
  settings = readSettings(raw, log);
  engineOptions = { defaultInputs: engineDefaults(settings, log), batchSymbol: settings.batchSymbol };
}

function log(message: string): void {
  try {
    connection.console.error(message);
  } catch {
    // the connection is closing: drop the message
  }
}

/** The document when ShapeLens analyses it (Python, file or untitled URI). */
function analysable(uri: string): TextDocument | undefined {
  const doc = documents.get(uri);
  return doc && isAnalysable(doc.uri, doc.languageId) ? doc : undefined;
}

// The engine runs in a worker thread, so hovers and inlay hints never wait behind an analysis.
// Imports of project files read the editor's unsaved text when the file is open.
const openFiles = (): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const d of documents.all()) if (d.uri.startsWith('file:')) out[engineFileName(d.uri)] = d.getText();
  return out;
};
const engine = new EngineClient(openFiles, log);

const store = new AnalysisStore({
  document: analysable,
  analyze: (text, file) => engine.analyze(text, file, engineOptions),
  log,
  onAnalyzed: (a: Analysis) => {
    void connection.sendDiagnostics({ uri: a.uri, version: a.version, diagnostics: collectDiagnostics(a.uri, a.result) });
    if (refresh.codeLens) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    if (refresh.inlayHint) void connection.languages.inlayHint.refresh().catch(() => undefined);
  },
});

connection.onInitialize((params): InitializeResult => {
  const ws = params.capabilities.workspace;
  refresh.codeLens = !!ws?.codeLens?.refreshSupport;
  refresh.inlayHint = !!ws?.inlayHint?.refreshSupport;
  client.configuration = !!ws?.configuration;
  const init = (params.initializationOptions ?? {}) as { settings?: unknown; clientCommands?: boolean };
  client.commands = init.clientCommands === true;
  applySettings(init.settings);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      inlayHintProvider: { resolveProvider: false },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      completionProvider: { triggerCharacters: ['(', '='] },
    },
    serverInfo: { name: 'shapelens', version: '0.1.0' },
  };
});

/** Pulls the `shapelens` settings (clients that support workspace/configuration) and re-analyses. */
async function reloadSettings(): Promise<void> {
  if (client.configuration) {
    const [raw] = await connection.workspace.getConfiguration([{ section: 'shapelens' }]);
    applySettings(raw);
  }
  for (const d of documents.all()) if (analysable(d.uri)) store.schedule(d.uri);
  if (refresh.inlayHint) void connection.languages.inlayHint.refresh().catch(() => undefined);
}

connection.onInitialized(() => {
  if (client.configuration) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'shapelens' }).catch(() => undefined);
    void reloadSettings().catch((e) => log(`ShapeLens: reading settings failed: ${describe(e)}`));
  }
});

connection.onDidChangeConfiguration((change) => {
  // Clients without workspace/configuration push the settings in the notification itself.
  if (!client.configuration) applySettings((change.settings as { shapelens?: unknown } | null)?.shapelens);
  void reloadSettings().catch((e) => log(`ShapeLens: reading settings failed: ${describe(e)}`));
});

documents.onDidOpen((e) => {
  if (analysable(e.document.uri)) store.schedule(e.document.uri);
});
documents.onDidChangeContent((e) => {
  if (analysable(e.document.uri)) store.schedule(e.document.uri);
});
documents.onDidClose((e) => {
  store.close(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onCodeAction(safeHandler(connection, 'codeAction', [] as CodeAction[], async (params) => quickFixes(params)));

connection.onHover(
  safeHandler(connection, 'hover', null as Hover | null, async (params) => {
    const doc = analysable(params.textDocument.uri);
    if (!doc) return null;
    return hoverAt(doc, await store.get(doc.uri, 5000, true), params.position.line);
  }),
);

connection.onCodeLens(
  safeHandler(connection, 'code lens', [] as CodeLens[], async (params) => {
    const doc = analysable(params.textDocument.uri);
    if (!doc) return [];
    return codeLenses(await store.get(doc.uri), client.commands);
  }),
);

connection.languages.inlayHint.on(
  safeHandler(connection, 'inlay hints', [] as InlayHint[], async (params) => {
    const doc = analysable(params.textDocument.uri);
    if (!doc) return [];
    return inlayHints(doc, await store.get(doc.uri, 5000, true), params.range, settings.inlayHints);
  }),
);

connection.onRequest(
  SUMMARY,
  safeHandler(connection, 'summary', { text: 'ShapeLens: the summary failed (see the ShapeLens output channel)' } as SummaryResult, async (params: SummaryParams) => {
    const uri = params?.uri ?? '';
    const doc = analysable(uri);
    if (!doc) return { text: `ShapeLens analyses open Python files; ${uri || 'this document'} is not one.` };
    return { text: summaryText(await store.get(uri), uri) };
  }),
);

connection.onCompletion(
  safeHandler(connection, 'completion', [] as CompletionItem[], async (params) => {
    const doc = analysable(params.textDocument.uri);
    const probe = doc && completionProbe(doc, params.position);
    if (!doc || !probe) return [];
    return completionItems(probe, await engine.analyze(probe.text, engineFileName(doc.uri), engineOptions, true));
  }),
);

connection.onRequest(
  MODEL_AT,
  safeHandler(connection, 'modelAt', null as ModelAtResult | null, async (params: ModelAtParams) => {
    const doc = analysable(params?.uri ?? '');
    if (!doc) return null;
    return modelAt(await store.get(doc.uri, 5000, true), params.line);
  }),
);

connection.onRequest(
  INPUT_EDIT,
  safeHandler(connection, 'inputEdit', { error: 'ShapeLens could not compute the edit (see the ShapeLens output)' } as InputEditResult, async (params: InputEditParams) => {
    const doc = analysable(params?.uri ?? '');
    if (!doc) return { error: 'ShapeLens sets inputs in open Python files only' };
    let inputs;
    try {
      inputs = parseInputs(params.shape ?? '');
    } catch (e) {
      if (e instanceof InputSpecError) return { error: e.message };
      throw e;
    }
    const answer = await engine.inputEdit(doc.getText(), engineFileName(doc.uri), params.model, inputs);
    if ('error' in answer) return { error: answer.error };
    return { edit: { range: toRange(answer.line, answer.column, answer.endLine, answer.endColumn), newText: answer.newText } };
  }),
);

connection.onShutdown(() => {
  store.dispose();
  engine.dispose();
});

process.on('uncaughtException', (err) => log(`ShapeLens: uncaught exception: ${describe(err)}`));
process.on('unhandledRejection', (err) => log(`ShapeLens: unhandled rejection: ${describe(err)}`));

documents.listen(connection);
connection.listen();
