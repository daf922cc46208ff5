// Turns the engine's 1-based diagnostics (file-level plus every report's) into deduplicated LSP diagnostics.
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type Range } from 'vscode-languageserver/node';
import type { Diagnostic, FileAnalysis } from '../engine';
import { pathToFileURL } from 'node:url';

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
};

/** 1-based line/column (end exclusive) to a 0-based LSP range; never negative, never inverted. */
export function toRange(line: number, column: number, endLine = line, endColumn = column): Range {
  const start = { line: Math.max(0, line - 1), character: Math.max(0, column - 1) };
  let end = { line: Math.max(0, endLine - 1), character: Math.max(0, endColumn - 1) };
  if (end.line < start.line || (end.line === start.line && end.character < start.character)) end = { ...start };
  return { start, end };
}

export function toLspDiagnostic(uri: string, d: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toRange(d.line, d.column, d.endLine, d.endColumn),
    severity: SEVERITY[d.severity] ?? DiagnosticSeverity.Information,
    code: d.code,
    source: 'shapelens',
    message: d.message,
  };
  if (d.fix) out.data = { fix: d.fix };
  if (d.related?.length) {
    // Related places in an imported file point at that file.
    out.relatedInformation = d.related.map((r) => ({ location: { uri: r.file ? pathToFileURL(r.file).href : uri, range: toRange(r.line, r.column, r.endLine, r.endColumn) }, message: r.message }));
  }
  return out;
}

/** File-level diagnostics followed by each report's, each distinct (place, code, message) once. */
export function collectDiagnostics(uri: string, analysis: FileAnalysis | null): LspDiagnostic[] {
  if (!analysis) return [];
  const seen = new Set<string>();
  const out: LspDiagnostic[] = [];
  for (const d of [...analysis.diagnostics, ...analysis.reports.flatMap((r) => r.diagnostics)]) {
    const key = `${d.line}:${d.column}:${d.endLine}:${d.endColumn}:${d.code}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(toLspDiagnostic(uri, d));
  }
  return out;
}
