// Inlay hints at the end of each forward line that calls a module or op: the output shape of the line's last call.
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LayerRow } from '../engine';
import type { Analysis } from './analysisStore';
import { fmtShape, inside } from './format';

/** Per 1-based call line, the row whose output the line ends with: the last call, not counting calls nested inside it. */
export function lineOutputs(analysis: Analysis | null): Map<number, LayerRow> {
  const byLine = new Map<number, LayerRow>();
  for (const r of analysis?.result?.reports ?? []) {
    for (const row of r.layers) {
      if (row.depth === 0 || row.path === '' || row.output === null || row.callLine < 1) continue;
      const prev = byLine.get(row.callLine);
      if (prev && inside(row, prev)) continue;
      byLine.set(row.callLine, row);
    }
  }
  return byLine;
}

export function inlayHints(doc: TextDocument, analysis: Analysis | null, range: Range): InlayHint[] {
  const hints: InlayHint[] = [];
  const lines = [...lineOutputs(analysis)].sort((a, b) => a[0] - b[0]);
  for (const [line1, row] of lines) {
    const line0 = line1 - 1;
    if (line0 < range.start.line || line0 > range.end.line || line0 >= doc.lineCount) continue;
    const text = doc.getText({ start: { line: line0, character: 0 }, end: { line: line0 + 1, character: 0 } }).replace(/\r?\n$/, '');
    const end = text.trimEnd().length;
    if (!end) continue;
    hints.push({ position: { line: line0, character: end }, label: `→ ${fmtShape(row.output)}`, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return hints;
}
