// Helpers shared by the editor tests: open a workspace fixture, wait for the language server's answers
// (the server starts with the first Python file, so early requests may come back empty), read them as text.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'shapelens.shapelens';

/** Polls `probe` until it returns something truthy; fails with the last value seen after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 60_000, every = 250): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A file of the test workspace (a copy of test/e2e/workspace/ and examples/ made by the runner). */
export function fixture(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the editor was started without a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** Opens a workspace file in an editor, with the ShapeLens extension active. */
export async function open(name: string): Promise<vscode.TextEditor> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (extensionDevelopmentPath?)`);
  const doc = await vscode.workspace.openTextDocument(fixture(name));
  const editor = await vscode.window.showTextDocument(doc);
  await ext.activate();
  return editor;
}

/** 0-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.includes(needle)) return i;
  assert.fail(`${doc.uri.path} has no line containing ${JSON.stringify(needle)}`);
}

/** The position of `needle` (plus `offset` characters) on the first line containing it. */
export function positionOf(doc: vscode.TextDocument, needle: string, offset = 0): vscode.Position {
  const line = lineOf(doc, needle);
  return new vscode.Position(line, doc.lineAt(line).text.indexOf(needle) + offset);
}

export function shapelensDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'shapelens');
}

/** A diagnostic's code as text, whether the server sends a plain code or a code with a link. */
export function codeOf(d: vscode.Diagnostic): string {
  const c = d.code;
  return typeof c === 'object' && c !== null ? String(c.value) : String(c ?? '');
}

/** Waits for the server's diagnostic with this code. */
export function diagnosticWithCode(uri: vscode.Uri, code: string, ms?: number): Promise<vscode.Diagnostic> {
  return waitFor(`a ${code} diagnostic on ${uri.path}`, () => shapelensDiagnostics(uri).find((d) => codeOf(d) === code), ms);
}

function markdownText(c: vscode.MarkdownString | vscode.MarkedString): string {
  return typeof c === 'string' ? c : c.value;
}

/** The text of every hover at `pos`, joined. */
export async function hoverText(uri: vscode.Uri, pos: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, pos)) ?? [];
  return hovers.flatMap((h) => h.contents.map(markdownText)).join('\n');
}

export function labelOf(h: vscode.InlayHint): string {
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}

/** Inlay hints of the whole document, as `line: label`. */
export async function inlayHints(doc: vscode.TextDocument): Promise<{ line: number; label: string }[]> {
  const range = new vscode.Range(0, 0, doc.lineCount, 0);
  const hints = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range)) ?? [];
  return hints.map((h) => ({ line: h.position.line, label: labelOf(h) }));
}

/** Throws away unsaved edits of `doc` (the runner's workspace is a copy, but later tests expect the original text). */
export async function revert(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.files.revert');
  await waitFor(`${doc.uri.path} to be reverted`, () => !doc.isDirty, 10_000);
}
