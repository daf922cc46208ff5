// The engine's public surface, shared by the language server, the CLI and the tests.
// Architecture invariant: nothing under engine/ imports vscode or vscode-languageserver.
export { loadParser } from './syntax/parser';
export { IncrementalParser } from './syntax/incremental';
export { ModelReportCache } from './modelCache';
export { analyzeSource, listModels, declaredInputs, inputDeclaration, traceGraph, type AnalyzeOptions, type FileAnalysis } from './analyze';
export type { TracedGraph, GraphParam } from './graph/api';
export type * as IR from './graph/ir';
export { parseInputs, InputSpecError, specText } from './declare/inputSpec';
export type * from './report';
export type { SourceHost } from './imports/host';
