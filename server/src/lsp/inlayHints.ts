// Inlay hints: the shape each forward statement produces (`→ [N, 6, 14, 14]`), and after each layer
// built in __init__ or listed in an nn.Sequential, the shape of its first call.
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LayerRow, OutputShape } from '../engine';
import type { ShapeLensSettings } from '../protocol';
import type { Analysis } from './analysisStore';
import { fmtShape } from './format';
import { codeEnd } from '../engine/syntax/lineText';

/** Per 1-based line, the tensor the statement there assigned or returned (last execution, every model of the file). */
export function lineOutputs(analysis: Analysis | null): Map<number, OutputShape> {
  const byLine = new Map<number, OutputShape>();
  for (const r of analysis?.result?.reports ?? []) for (const v of r.values) if (v.shape !== null) byLine.set(v.line, v.shape);
  return byLine;
}

/**
 * Per 1-based construction line, the first-call output of the layer built there. A line that builds
 * several siblings (`nn.Conv2d(3, 6, 5), nn.ReLU(),` in a Sequential) shows the last one's; a line that
 * built modules under different parents (a helper called for several blocks) has no single answer and
 * gets no hint. `sequential` / `init` choose layers listed inside a container or assigned in __init__.
 */
export function constructionOutputs(analysis: Analysis | null, which: { sequential: boolean; init: boolean }): Map<number, OutputShape> {
  const rowsByLine = new Map<number, LayerRow[]>();
  for (const r of analysis?.result?.reports ?? []) {
    const seen = new Set<string>();
    for (const row of r.layers) {
      if (!row.path || row.line < 1 || row.output === null || seen.has(row.path)) continue;
      seen.add(row.path); // the first call of each module
      let list = rowsByLine.get(row.line);
      if (!list) rowsByLine.set(row.line, (list = []));
      list.push(row);
    }
  }
  const out = new Map<number, OutputShape>();
  for (const [line, rows] of rowsByLine) {
    const parents = new Set(rows.map((r) => parentOf(r.path!)));
    if (parents.size !== 1) continue;
    // Siblings on one line: the outermost (shallowest) rows, the last of them in call order.
    const top = Math.min(...rows.map((r) => r.depth));
    const last = rows.filter((r) => r.depth === top).pop()!;
    // A container's child has a numeric last path segment (features.3); an attribute layer a name.
    const inContainer = /\.\d+$|^\d+$/.test(last.path!);
    if (inContainer ? which.sequential : which.init) out.set(line, last.output);
  }
  return out;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? '' : path.slice(0, i);
}

export function inlayHints(doc: TextDocument, analysis: Analysis | null, range: Range, settings: ShapeLensSettings['inlayHints']): InlayHint[] {
  const byLine = new Map<number, OutputShape>();
  if (settings.sequential || settings.init) for (const [l, s] of constructionOutputs(analysis, settings)) byLine.set(l, s);
  // A forward statement's value wins over a layer built on the same line (a layer built inside forward).
  if (settings.forward) for (const [l, s] of lineOutputs(analysis)) byLine.set(l, s);
  const hints: InlayHint[] = [];
  for (const [line1, shape] of [...byLine].sort((a, b) => a[0] - b[0])) {
    const line0 = line1 - 1;
    if (line0 < range.start.line || line0 > range.end.line || line0 >= doc.lineCount) continue;
    const text = doc.getText({ start: { line: line0, character: 0 }, end: { line: line0 + 1, character: 0 } }).replace(/\r?\n$/, '');
    const end = codeEnd(text);
    if (!end) continue;
    hints.push({ position: { line: line0, character: end }, label: `→ ${fmtShape(shape)}`, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return hints;
}
