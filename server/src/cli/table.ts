// Renders a ModelReport as the human-readable summary table (torchinfo-like).
import type { Diagnostic, LayerRow, ModelReport, OutputShape } from '../engine/report';

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** 352800 -> 352.8K, 651720 -> 651.7K, 1.8e9 -> 1.80G */
export function fmtCount(n: number): string {
  if (n < 1000) return String(n);
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) (v /= 1000), u++;
  return `${v >= 100 ? v.toFixed(1) : v.toFixed(2)}${units[u]}`;
}

export function fmtShape(s: OutputShape): string {
  if (s === null) return '?';
  if (s.length && Array.isArray(s[0])) return (s as OutputShape[]).map(fmtShape).join(', ');
  return '[' + (s as (number | string)[]).map((d) => (typeof d === 'string' ? prettyDim(d) : d)).join(', ') + ']';
}

function fmtRf(r: LayerRow): [string, string] {
  if (r.rf === 'global') return ['global', r.jump ? r.jump.join('x') : '-'];
  if (!r.rf) return ['-', r.jump ? r.jump.join('x') : '-'];
  return [r.rf.join('x'), r.jump ? r.jump.join('x') : '-'];
}

export function renderReport(r: ModelReport): string {
  const head = ['Layer (type)', 'Line', 'Output shape', 'Param #', 'RF', 'Jump', 'MACs'];
  const rows = r.layers.filter((l) => l.path !== '').map((l) => {
    const [rf, jump] = fmtRf(l);
    return [`${'  '.repeat(Math.max(0, l.depth - 1))}${l.path} (${l.type})`, String(l.line), fmtShape(l.output), fmtInt(l.params), rf, jump, l.macs ? fmtCount(l.macs) : '-'];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => ' ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [`${r.model}  (${r.file})  input ${r.input.map((s) => fmtShape(s)).join(', ') || '?'}`, line(head), ...rows.map(line)];
  const symbolic = r.input.some((s) => s.slice(1).some((d) => typeof d === 'string'));
  const macs = symbolic && !r.macsPerSample ? 'MACs depend on the input size' : (r.macs >= 1e9 ? `${(r.macs / 1e9).toFixed(2)} GMACs` : `${(r.macs / 1e6).toFixed(2)} MMACs`) + (r.macsPerSample ? ' per sample' : '');
  out.push(` Total params ${fmtInt(r.params.total)} (trainable ${fmtInt(r.params.trainable)}) · output ${fmtShape(r.output)} · ${macs}`);
  for (const d of r.diagnostics) out.push(renderDiagnostic(r.file, d));
  return out.join('\n');
}

export function renderDiagnostic(file: string, d: Diagnostic): string {
  const rel = d.related?.map((x) => `\n    ${x.file ?? file}:${x.line}: ${x.message}`).join('') ?? '';
  return ` ${file}:${d.line}:${d.column}: ${d.severity} [${d.code}] ${d.message}${rel}`;
}

/** A symbolic dim as the engine writes it in JSON (`floor((H - 1)/2) + 1`), shown as `⌊(H−1)/2⌋+1`. */
export function prettyDim(s: string): string {
  let out = '';
  const closers: string[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s.startsWith('floor(', i)) {
      out += '⌊';
      closers.push('⌋');
      i += 5;
    } else if (s[i] === '(') {
      out += '(';
      closers.push(')');
    } else if (s[i] === ')') out += closers.pop() ?? ')';
    else out += s[i];
  }
  return out.replace(/ - /g, '−').replace(/ \+ /g, '+').replace(/\*\*(\d)/g, (_m, d: string) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]!).replace(/\*/g, '·');
}
