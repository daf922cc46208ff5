// Architecture invariants from ARCHITECTURE.md that a test can check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './support/paths';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('the engine imports nothing from vscode', () => {
  const offenders = tsFiles(join(ROOT, 'server', 'src', 'engine')).filter((f) => /(from\s+|require\()\s*['"]vscode(-[\w-]+)?['"/]/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => relative(ROOT, f)), []);
});

test('every source file starts with a one-line purpose comment', () => {
  const files = [...tsFiles(join(ROOT, 'server', 'src')), ...tsFiles(join(ROOT, 'client', 'src')), ...tsFiles(join(ROOT, 'test'))];
  const missing = files.filter((f) => !/^\/\/ \S/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(missing.map((f) => relative(ROOT, f)), []);
});

test('only window.ts spells out the sliding-window output size', () => {
  // floor((L + 2P - D(K-1) - 1) / S) + 1 written anywhere else would be a second copy of the formula.
  const pattern = /-\s*1\)\s*\/\s*\w*stride\w*\)\s*\+\s*1/;
  const offenders = tsFiles(join(ROOT, 'server', 'src')).filter((f) => !f.endsWith('window.ts') && pattern.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => relative(ROOT, f)), []);
});
