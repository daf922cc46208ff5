// Hover on a line where a module is constructed or called: path, type, output shape, params, RF, jump and MACs.
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LayerRow, ModelReport } from '../engine';
import type { Analysis } from './analysisStore';
import { fmtCount, fmtInt, fmtJump, fmtRf, fmtShape, modelRf, rowName } from './format';

const MAX_ENTRIES = 8;

/** "RF 5x5 · jump 1x1 · 357.5K MACs" with the unknown parts left out. */
function callDetails(r: ModelReport, row: LayerRow): string[] {
  const root = row.path === '';
  const rf = root ? modelRf(r) : fmtRf(row.rf);
  const jump = root ? null : fmtJump(row.jump);
  const macs = root ? r.macs : row.macs;
  const parts: string[] = [];
  if (rf) parts.push(`RF ${rf}`);
  if (jump) parts.push(`jump ${jump}`);
  if (macs) parts.push(`${fmtCount(macs)} MACs`);
  return parts;
}

/** One module (or functional call) and every call of it that the hovered line is about. */
function renderEntry(r: ModelReport, rows: LayerRow[]): string {
  const first = rows[0]!;
  const title = `**${rowName(first, r.model)}** (${first.type})`;
  const params = first.path !== null ? `${fmtInt(first.params)} params` : null;
  if (rows.length === 1) {
    const details = [params, ...callDetails(r, first)].filter((x): x is string => !!x);
    return `${title} → \`${fmtShape(first.output)}\`` + (details.length ? `  \n${details.join(' · ')}` : '');
  }
  const calls = rows.map((row) => `- line ${row.callLine} → \`${fmtShape(row.output)}\`${callDetails(r, row).map((p) => ` · ${p}`).join('')}`);
  return `${title}${params ? ` · ${params}` : ''} · ${rows.length} calls\n${calls.join('\n')}`;
}

/** Entries of one report for a 1-based line: rows built there (grouped per module) and rows called there. */
function entriesOf(r: ModelReport, line: number): string[] {
  const groups = new Map<string, LayerRow[]>();
  for (const row of r.layers) {
    const built = row.line === line && row.path !== null;
    const called = row.callLine === line;
    if (!built && !called) continue;
    // Constructed here: every call of the module; called here: that call (functional ops are keyed per call).
    const key = built ? `b:${row.path}:${row.type}` : `c:${row.path ?? row.type + '@' + row.callLine}:${row.type}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  return [...groups.values()].map((rows) => renderEntry(r, rows));
}

export function hoverAt(doc: TextDocument, analysis: Analysis | null, line0: number): Hover | null {
  const reports = analysis?.result?.reports ?? [];
  const line = line0 + 1;
  // The same text from several models (a class and `net = Net()`) is shown once; differing models are named.
  const byText = new Map<string, string[]>();
  for (const r of reports) {
    for (const e of entriesOf(r, line)) {
      const models = byText.get(e) ?? [];
      if (!models.includes(r.model)) models.push(r.model);
      byText.set(e, models);
    }
  }
  if (!byText.size) return null;
  const modelsSeen = new Set([...byText.values()].flat());
  let entries = [...byText].map(([text, models]) => (modelsSeen.size > 1 && models.length < reports.length ? `_${models.join(', ')}_: ${text}` : text));
  const extra = entries.length - MAX_ENTRIES;
  if (extra > 0) entries = [...entries.slice(0, MAX_ENTRIES), `… and ${extra} more`];
  const text = doc.getText({ start: { line: line0, character: 0 }, end: { line: line0 + 1, character: 0 } }).replace(/\r?\n$/, '');
  const startCol = text.length - text.trimStart().length;
  const endCol = text.trimEnd().length;
  return {
    contents: { kind: MarkupKind.Markdown, value: entries.join('\n\n') },
    range: { start: { line: line0, character: startCol }, end: { line: line0, character: Math.max(startCol, endCol) } },
  };
}
