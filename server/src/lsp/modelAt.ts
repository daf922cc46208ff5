// The model under the cursor, with its parameter count and input → output, for the client's status bar
// and the "Set input shape" command.
import type { ModelAtResult } from '../protocol';
import type { Analysis } from './analysisStore';
import { fmtShape } from './format';

/** The innermost model whose definition spans the 0-based line, or null. */
export function modelAt(analysis: Analysis | null, line: number): ModelAtResult | null {
  const res = analysis?.result;
  if (!res) return null;
  const spans = res.models.filter((m) => m.line - 1 <= line && line <= m.endLine - 1);
  // Nested definitions (a factory inside a class body is rare, but possible): the shortest span wins.
  const m = spans.sort((a, b) => a.endLine - a.line - (b.endLine - b.line))[0];
  if (!m) return null;
  const r = res.reports.find((x) => x.model === m.name);
  return {
    model: m.name,
    line: m.line - 1,
    params: r?.params.total ?? 0,
    input: (r?.input ?? []).map((s) => s.join(', ')),
    flow: r && r.input.length && r.output !== null ? `${r.input.map((s) => fmtShape(s)).join(', ')} → ${fmtShape(r.output)}` : null,
  };
}
