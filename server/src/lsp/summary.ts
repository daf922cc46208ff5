// Answers `shapelens/summary`: the CLI's summary tables for one analysed document.
import type { Diagnostic } from '../engine';
import { renderDiagnostic, renderReport } from '../cli/table';
import type { Analysis } from './analysisStore';

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.column}:${d.code}:${d.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

export function summaryText(analysis: Analysis | null, uri: string): string {
  if (!analysis) return `ShapeLens has not analysed ${uri} (is it an open Python file?)`;
  const res = analysis.result;
  if (!res) return `ShapeLens could not analyse ${analysis.file}: internal error (see the ShapeLens output channel)`;
  if (!res.reports.length) {
    const diags = res.diagnostics.map((d) => renderDiagnostic(analysis.file, d));
    return [`${analysis.file}: no nn.Module model found`, ...diags].join('\n');
  }
  // As in the CLI, file-level diagnostics belong to every model of the file.
  return res.reports.map((r) => renderReport({ ...r, diagnostics: dedupe([...res.diagnostics, ...r.diagnostics]) })).join('\n\n') + '\n';
}
