// The ShapeLens language server: analyses open Python documents with the engine and serves diagnostics,
// hovers, code lenses, inlay hints and the `shapelens/summary` request (stdio or IPC, chosen by the client).
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeLens,
  type Hover,
  type InitializeResult,
  type InlayHint,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { SummaryMethod, SummaryParams, SummaryResult } from './protocol';
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

const SUMMARY: SummaryMethod = 'shapelens/summary';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Client abilities that decide whether we ask it to re-query lenses and hints after an analysis. */
const refresh = { codeLens: false, inlayHint: false };

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
  analyze: (text, file) => engine.analyze(text, file),
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
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      inlayHintProvider: { resolveProvider: false },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: 'shapelens', version: '0.1.0' },
  };
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
    return codeLenses(await store.get(doc.uri));
  }),
);

connection.languages.inlayHint.on(
  safeHandler(connection, 'inlay hints', [] as InlayHint[], async (params) => {
    const doc = analysable(params.textDocument.uri);
    if (!doc) return [];
    return inlayHints(doc, await store.get(doc.uri, 5000, true), params.range);
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

connection.onShutdown(() => {
  store.dispose();
  engine.dispose();
});

process.on('uncaughtException', (err) => log(`ShapeLens: uncaught exception: ${describe(err)}`));
process.on('unhandledRejection', (err) => log(`ShapeLens: unhandled rejection: ${describe(err)}`));

documents.listen(connection);
connection.listen();
