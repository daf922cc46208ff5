// Hover on a line where a module is constructed or called: path, type, output shape, params, RF, jump and MACs.
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LayerRow, ModelReport } from '../engine';
import type { Analysis } from './analysisStore';
import { fmtCount, fmtInt, fmtJump, fmtRf, fmtShape, inside, modelRf, rowName } from './format';

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

/** One module (or functional call) with every call of it the hovered line is about; `list` renders it as a list item. */
function renderEntry(r: ModelReport, rows: LayerRow[], list: boolean): string {
  const first = rows[0]!;
  const title = `**${rowName(first, r.model)}** (${first.type})`;
  const params = first.path !== null ? `${fmtInt(first.params)} params` : null;
  const bullet = list ? '- ' : '';
  if (rows.length === 1) {
    const details = [params, ...callDetails(r, first)].filter((x): x is string => !!x).join(' · ');
    // A single layer gets its arithmetic too (not in the compact list form).
    const explain = !list && first.explain?.length ? '\n\n' + first.explain.map((l) => `\`${l}\``).join('  \n') : '';
    return `${bullet}${title} → \`${fmtShape(first.output)}\`` + (details ? (list ? ` · ${details}` : `  \n${details}`) : '') + explain;
  }
  const calls = rows.map((row) => `${list ? '  ' : ''}- line ${row.callLine} → \`${fmtShape(row.output)}\`${callDetails(r, row).map((p) => ` · ${p}`).join('')}`);
  return `${bullet}${title}${params ? ` · ${params}` : ''} · ${rows.length} calls\n${calls.join('\n')}`;
}

/** Row groups of one report for a 1-based line: modules built there (with all their calls) and outermost calls made there. */
function groupsOf(r: ModelReport, line: number): LayerRow[][] {
  const groups = new Map<string, LayerRow[]>();
  let outer: LayerRow | null = null;
  for (const row of r.layers) {
    const built = row.line === line && row.path !== null;
    // The root's call line is its forward def; submodules run by a call on this line (a Sequential's children) are not listed.
    let called = row.callLine === line && row.path !== '';
    if (called && outer && inside(row, outer)) called = false;
    else if (called) outer = row;
    if (!built && !called) continue;
    const key = built ? `b:${row.path}:${row.type}` : `c:${row.path ?? row.type + '@' + row.callLine}:${row.type}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  return [...groups.values()];
}

export function hoverAt(doc: TextDocument, analysis: Analysis | null, line0: number): Hover | null {
  const reports = analysis?.result?.reports ?? [];
  const line = line0 + 1;
  const perReport = reports.map((r) => ({ r, groups: groupsOf(r, line) }));
  const list = perReport.reduce((n, x) => Math.max(n, x.groups.length), 0) > 2;
  // The same text from several models (a class and `net = Net()`) is shown once; text from only some models names them.
  const byText = new Map<string, string[]>();
  for (const { r, groups } of perReport) {
    for (const g of groups) {
      const text = renderEntry(r, g, list);
      const models = byText.get(text) ?? [];
      if (!models.includes(r.model)) models.push(r.model);
      byText.set(text, models);
    }
  }
  if (!byText.size) return null;
  const contributing = new Set([...byText.values()].flat());
  const named = (text: string, models: string[]): string => {
    if (contributing.size < 2 || models.length === contributing.size) return text;
    const tag = `_${models.join(', ')}_: `;
    return list ? text.replace(/^- /, `- ${tag}`) : tag + text;
  };
  let entries = [...byText].map(([text, models]) => named(text, models));
  const extra = entries.length - MAX_ENTRIES;
  if (extra > 0) entries = [...entries.slice(0, MAX_ENTRIES), `${list ? '- ' : ''}… and ${extra} more`];
  const text = doc.getText({ start: { line: line0, character: 0 }, end: { line: line0 + 1, character: 0 } }).replace(/\r?\n$/, '');
  const startCol = text.length - text.trimStart().length;
  const endCol = text.trimEnd().length;
  return {
    contents: { kind: MarkupKind.Markdown, value: entries.join(list ? '\n' : '\n\n') },
    range: { start: { line: line0, character: startCol }, end: { line: line0, character: Math.max(startCol, endCol) } },
  };
}
