// Completion of a layer's input size: inside `nn.Linear(`, `nn.Conv2d(`, `nn.BatchNorm2d(`... the value
// that actually arrives there (in_features, in_channels, num_features) is offered first.
//
// How: the half-typed call is replaced by `nn.Identity()` in a probe copy of the text (lines kept), the
// probe is analysed like any version of the file, and the Identity's first call shows what arrives.
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type Position } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FileAnalysis, OutputShape } from '../engine';
import { fmtShape } from './format';

/** Which argument a layer's first parameter is, and which dim of the arriving tensor gives it. */
const LAYERS: { re: RegExp; param: string; dim: (rank: number, nd: number) => number }[] = [
  { re: /^(Linear|Bilinear)$/, param: 'in_features', dim: (rank) => rank - 1 },
  { re: /^Conv(?:Transpose)?([123])d$/, param: 'in_channels', dim: (rank, nd) => (rank === nd + 1 ? 0 : 1) },
  { re: /^(?:BatchNorm|InstanceNorm)([123])d$/, param: 'num_features', dim: (rank) => (rank <= 2 ? rank - 1 : 1) },
];

export interface CompletionProbe {
  /** The document text with the call under the cursor replaced by `nn.Identity()`. */
  text: string;
  /** 1-based line of the replaced call. */
  line: number;
  layer: string;
  param: string;
  dim: (rank: number, nd: number) => number;
  nd: number;
}

/**
 * A probe when the cursor is at the first argument of a layer call (`nn.Linear(|`, `nn.Conv2d(in_channels=|`,
 * possibly with digits already typed), else null.
 */
export function completionProbe(doc: TextDocument, pos: Position): CompletionProbe | null {
  const lineText = doc.getText({ start: { line: pos.line, character: 0 }, end: pos });
  const m = /((?:\b(?:nn|torch\.nn)\.)?([A-Z]\w*))\(\s*(?:(\w+)\s*=\s*)?(\d*)$/.exec(lineText);
  if (!m) return null;
  const layer = m[2]!;
  const spec = LAYERS.find((l) => l.re.test(layer));
  if (!spec) return null;
  if (m[3] && m[3] !== spec.param) return null;
  const nd = Number(/([123])d$/.exec(layer)?.[1] ?? 1);
  const text = doc.getText();
  const start = doc.offsetAt({ line: pos.line, character: m.index });
  const open = doc.offsetAt({ line: pos.line, character: m.index + m[1]!.length });
  // The matching `)`: VS Code usually auto-closed it; without one the call runs to the end of the line.
  let depth = 0;
  let close = -1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    }
  }
  const lineEnd = doc.offsetAt({ line: pos.line + 1, character: 0 });
  const end = close >= 0 ? close + 1 : text[lineEnd - 1] === '\n' ? lineEnd - 1 : lineEnd;
  // Keep every line where it was: the removed region's line breaks stay.
  const breaks = text.slice(start, end).replace(/[^\n]/g, '');
  const probe = text.slice(0, start) + 'nn.Identity()' + breaks + text.slice(end);
  return { text: probe, line: pos.line + 1, layer, param: spec.param, dim: spec.dim, nd };
}

/** The completion items for a probe, from the analysis of its text. */
export function completionItems(probe: CompletionProbe, result: FileAnalysis): CompletionItem[] {
  let arriving: OutputShape = null;
  let where = '';
  for (const r of result.reports) {
    const row = r.layers.find((l) => l.type === 'Identity' && l.line === probe.line && l.output !== null);
    if (row) {
      arriving = row.output;
      where = row.path ?? '';
      break;
    }
  }
  if (!Array.isArray(arriving) || arriving.some((d) => Array.isArray(d))) return [];
  const shape = arriving as (number | string)[];
  const value = shape[probe.dim(shape.length, probe.nd)];
  if (typeof value !== 'number') return [];
  return [
    {
      label: String(value),
      kind: CompletionItemKind.Value,
      detail: `${probe.param} inferred by ShapeLens`,
      documentation: { kind: 'markdown', value: `The tensor reaching \`${where}\` (${probe.layer}) is \`${fmtShape(shape)}\`, so ${probe.param} = **${value}**.` },
      insertText: String(value),
      insertTextFormat: InsertTextFormat.PlainText,
      sortText: '0000',
      preselect: true,
    },
  ];
}
