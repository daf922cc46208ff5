// `npm run bench`: the engine's analysis time next to tree-sitter's parse time of the same text,
// measured in the same run, for a generated 5,000-line model file and for the bundled examples;
// plus the CLI's cold-start time on a ~100-line file.
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { IncrementalParser, analyzeSource, loadParser } from '../../server/src/engine';
import { parseTree } from '../../server/src/engine/syntax/parser';
import { bigModelSource } from './generate';
import { CLI, ROOT } from '../support/paths';

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(f: () => void, runs: number): number {
  f(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

function row(name: string, lines: number, parseMs: number, analyseMs: number): string {
  return `${name.padEnd(28)} ${String(lines).padStart(6)}  ${parseMs.toFixed(2).padStart(9)}  ${analyseMs.toFixed(2).padStart(11)}  ${(analyseMs / parseMs).toFixed(2).padStart(6)}x`;
}

async function main(): Promise<void> {
  await loadParser();
  const out: string[] = [`${'file'.padEnd(28)} ${'lines'.padStart(6)}  ${'parse ms'.padStart(9)}  ${'analysis ms'.padStart(11)}  ${'ratio'.padStart(7)}`];
  const big = bigModelSource(5000);
  const bigLines = big.split('\n').length;
  const parseBig = timeIt(() => parseTree(big).delete(), 10);
  const anBig = timeIt(() => analyzeSource(big, { file: 'big.py', model: 'BigNet' }), 10);
  const check = analyzeSource(big, { file: 'big.py', model: 'BigNet' }).reports[0]!;
  out.push(row('generated BigNet', bigLines, parseBig, anBig) + `   (${check.layers.length} calls traced, output ${JSON.stringify(check.output)})`);
  // The editor's path: each keystroke's version parsed incrementally from the previous one.
  const inc = new IncrementalParser();
  const at = big.indexOf('out = self.body(x)') + 'out = self.body(x)'.length;
  let k = 0;
  const typed = (): string => big.slice(0, at) + ' ' .repeat(1 + (k++ % 2)) + big.slice(at);
  inc.parse(big);
  const incParse = timeIt(() => inc.parse(typed()), 10);
  const anInc = timeIt(() => analyzeSource(typed(), { file: 'big.py', model: 'BigNet', parse: (t) => inc.parse(t) }), 10);
  out.push(row('  one keystroke, incremental', bigLines, parseBig, anInc) + `   (incremental parse+lower ${incParse.toFixed(2)} ms, ${inc.reused} top-level statements reused)`);
  inc.dispose();
  const exDir = join(ROOT, 'examples');
  for (const f of readdirSync(exDir).filter((x) => x.endsWith('.py')).sort()) {
    const text = readFileSync(join(exDir, f), 'utf8');
    const p = timeIt(() => parseTree(text).delete(), 30);
    const a = timeIt(() => analyzeSource(text, { file: f }), 30);
    out.push(row(`examples/${f}`, text.split('\n').length, p, a));
  }
  // Cold start: a fresh node process running the CLI on a ~100-line example.
  const dir = mkdtempSync(join(tmpdir(), 'shapelens-bench-'));
  const small = join(exDir, 'small_resnet.py');
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [CLI, 'summary', small], { stdio: 'ignore' });
    cold.push(performance.now() - t0);
  }
  const bare: number[] = [];
  const noop = join(dir, 'noop.js');
  writeFileSync(noop, '');
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [noop], { stdio: 'ignore' });
    bare.push(performance.now() - t0);
  }
  out.push('');
  out.push(`CLI cold start on examples/small_resnet.py (${readFileSync(small, 'utf8').split('\n').length} lines): median ${median(cold).toFixed(0)} ms over 5 runs (a bare 'node' start: ${median(bare).toFixed(0)} ms)`);
  console.log(out.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
