// Quick fixes: each engine diagnostic that carries an edit (set in_features to the inferred value,
// declare the solved input, bias=False before a BatchNorm) becomes a one-click code action.
import { CodeActionKind, type CodeAction, type CodeActionParams } from 'vscode-languageserver/node';
import type { Diagnostic } from '../engine';
import { toRange } from './diagnostics';

export function quickFixes(params: CodeActionParams): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of params.context.diagnostics) {
    const fix = (d.data as { fix?: Diagnostic['fix'] } | undefined)?.fix;
    if (d.source !== 'shapelens' || !fix) continue;
    out.push({
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { changes: { [params.textDocument.uri]: [{ range: toRange(fix.line, fix.column, fix.endLine, fix.endColumn), newText: fix.newText }] } },
    });
  }
  return out;
}
