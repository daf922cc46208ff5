// LSP responsiveness: drives the real server over stdio with a ~1,000-line model file, types a line
// character by character, and reports hover and inlay-hint latency (median, p95) next to a bare
// tree-sitter reparse of the same text measured in this run, and how far analysis lags the typing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { loadParser, parseTree } from '../../server/src/engine/syntax/parser';
import { bigModelSource } from './generate';
import { ROOT } from '../support/paths';

const pct = (xs: number[], p: number): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  await loadParser();
  const child = spawn(process.execPath, [join(ROOT, 'out', 'server', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  let published = 0;
  conn.onNotification('textDocument/publishDiagnostics', (p: { version?: number }) => {
    if (typeof p.version === 'number') published = Math.max(published, p.version);
  });
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  conn.sendNotification('initialized', {});
  let text = bigModelSource(1000);
  const uri = 'file:///tmp/shapelens-bench/big.py';
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  const t0 = performance.now();
  while (published < 1 && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes('out = self.body(x)')) + 1;
  const hoverLine = lines.findIndex((l) => l.includes('self.body = nn.Sequential(*layers)'));
  const typed = '        probe = self.act(out) + out.mean((2, 3), keepdim=True)';
  lines.splice(at, 0, '');
  text = lines.join('\n');
  let version = 2;
  conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  const hover: number[] = [];
  const inlay: number[] = [];
  const reparse: number[] = [];
  let maxLag = 0;
  for (let i = 0; i < typed.length; i++) {
    version++;
    const ch = typed[i]!;
    conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: at, character: i }, end: { line: at, character: i } }, text: ch }],
    });
    lines[at] = typed.slice(0, i + 1);
    text = lines.join('\n');
    let s = performance.now();
    parseTree(text).delete();
    reparse.push(performance.now() - s);
    s = performance.now();
    await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: hoverLine, character: 12 } });
    hover.push(performance.now() - s);
    s = performance.now();
    await conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: Math.max(0, at - 25), character: 0 }, end: { line: at + 25, character: 0 } } });
    inlay.push(performance.now() - s);
    maxLag = Math.max(maxLag, version - published);
    await new Promise((r) => setTimeout(r, 30)); // ~30 ms between keystrokes, a fast typist
  }
  const settle = performance.now();
  while (published < version && performance.now() - settle < 30_000) await new Promise((r) => setTimeout(r, 20));
  const line = (name: string, xs: number[]): string => `${name.padEnd(22)} median ${pct(xs, 50).toFixed(2).padStart(7)} ms   p95 ${pct(xs, 95).toFixed(2).padStart(7)} ms`;
  console.log(`LSP over stdio, ${text.split('\n').length}-line file, ${typed.length} keystrokes 30 ms apart`);
  console.log(line('hover', hover));
  console.log(line('inlay hints (50 lines)', inlay));
  console.log(line('tree-sitter reparse', reparse));
  console.log(`analysis lag while typing: at most ${maxLag} versions behind the text (debounced); final version analysed ${((performance.now() - settle) / 1000).toFixed(2)} s after the last keystroke`);
  await conn.sendRequest('shutdown');
  conn.sendNotification('exit');
  conn.dispose();
  child.kill();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
