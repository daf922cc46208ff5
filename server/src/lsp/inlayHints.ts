// Inlay hints at the end of each forward statement that produces a tensor: its shape (`→ [1, 6, 14, 14]`).
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { OutputShape } from '../engine';
import type { Analysis } from './analysisStore';
import { fmtShape } from './format';

/** Per 1-based line, the tensor the statement there assigned or returned (last execution, every model of the file). */
export function lineOutputs(analysis: Analysis | null): Map<number, OutputShape> {
  const byLine = new Map<number, OutputShape>();
  for (const r of analysis?.result?.reports ?? []) for (const v of r.values) if (v.shape !== null) byLine.set(v.line, v.shape);
  return byLine;
}

export function inlayHints(doc: TextDocument, analysis: Analysis | null, range: Range): InlayHint[] {
  const hints: InlayHint[] = [];
  const lines = [...lineOutputs(analysis)].sort((a, b) => a[0] - b[0]);
  for (const [line1, shape] of lines) {
    const line0 = line1 - 1;
    if (line0 < range.start.line || line0 > range.end.line || line0 >= doc.lineCount) continue;
    const text = doc.getText({ start: { line: line0, character: 0 }, end: { line: line0 + 1, character: 0 } }).replace(/\r?\n$/, '');
    const end = text.trimEnd().length;
    if (!end) continue;
    hints.push({ position: { line: line0, character: end }, label: `→ ${fmtShape(shape)}`, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return hints;
}
