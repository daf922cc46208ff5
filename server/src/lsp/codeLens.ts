// Title-only code lenses above each model line: params, input → output, receptive field and MACs.
import type { CodeLens } from 'vscode-languageserver/node';
import type { ModelReport } from '../engine';
import type { NoopCommand, SetInputCommand, ShowSummaryCommand } from '../protocol';
import type { Analysis } from './analysisStore';
import { fmtInt, fmtMacs, fmtShape, modelRf } from './format';

const NOOP: NoopCommand = 'shapelens.noop';
const SET_INPUT: SetInputCommand = 'shapelens.setInputShape';
const SUMMARY: ShowSummaryCommand = 'shapelens.showSummary';

/** "62,006 params · [1, 3, 32, 32] → [1, 10] · RF 32x32 · 0.66 MMACs", unknown parts omitted. */
export function lensTitle(r: ModelReport): string {
  const firstError = r.diagnostics.find((d) => d.severity === 'error');
  const built = r.layers.length > 0 || r.params.total > 0;
  const parts: string[] = [];
  if (built) parts.push(`${fmtInt(r.params.total)} params`);
  if (!r.input.length) {
    if (built) parts.push('no input shape declared');
  } else {
    const input = r.input.map((s) => fmtShape(s)).join(', ');
    if (r.output !== null) parts.push(`${input} → ${fmtShape(r.output)}`);
    else if (firstError) parts.push(`${input} → shape error at line ${firstError.line}`);
    else parts.push(`${input} → ?`);
    const rf = r.output !== null ? modelRf(r) : null;
    if (rf) parts.push(`RF ${rf}`);
    if (r.macs > 0 && r.output !== null) parts.push(fmtMacs(r.macs));
  }
  if (!parts.length) {
    if (firstError) return `ShapeLens: ${r.model} could not be built (line ${firstError.line})`;
    return `ShapeLens: ${r.model} could not be analysed`;
  }
  return parts.join(' · ');
}

/**
 * One lens per model with its figures; with `actions` (a client that registers ShapeLens's commands,
 * i.e. VS Code) also "Set input shape…" and "Show summary" beside it.
 */
export function codeLenses(analysis: Analysis | null, actions = false): CodeLens[] {
  const res = analysis?.result;
  if (!res) return [];
  const lenses: CodeLens[] = [];
  for (const m of res.models) {
    const r = res.reports.find((x) => x.model === m.name);
    if (!r || m.line < 1) continue;
    const pos = { line: m.line - 1, character: 0 };
    const range = { start: pos, end: pos };
    lenses.push({ range, command: { title: lensTitle(r), command: NOOP } });
    if (!actions) continue;
    lenses.push({ range, command: { title: 'Set input shape…', command: SET_INPUT, arguments: [analysis!.uri, m.name] } });
    lenses.push({ range, command: { title: 'Show summary', command: SUMMARY, arguments: [analysis!.uri] } });
  }
  return lenses;
}
