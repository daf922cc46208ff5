// The `shapelens` command as a user runs it: exit codes, JSON contract, and hostile input (broken,
// endless, enormous, non-UTF-8 files) answered with a message, never a stack trace or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CLI, ROOT } from '../support/paths';
import { bigModelSource } from '../bench/generate';

const tmp = mkdtempSync(join(tmpdir(), 'shapelens-cli-'));
const STACK = /\n\s+at .+\(.+:\d+:\d+\)|FATAL ERROR|Maximum call stack|heap out of memory|Traceback/;

function run(args: string[]): { code: number | null; out: string; err: string } {
  // The timeout only turns a hang into a failure; it is not a speed assertion.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
  assert.equal(r.signal, null, `shapelens ${args.join(' ')} was killed (${r.signal}): it hung`);
  assert.doesNotMatch(r.stdout + r.stderr, STACK, 'output contains a crash signature');
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function file(name: string, text: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}
const CIFAR = join(ROOT, 'examples', 'cifar_net.py');

test('summary table of the CIFAR tutorial net', () => {
  const r = run(['summary', CIFAR, '--input', '1x3x32x32']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /conv1 \(Conv2d\)\s+\d+\s+\[1, 6, 28, 28\]\s+456\s+5x5\s+1x1/);
  assert.match(r.out, /Total params 62,006 \(trainable 62,006\) · output \[1, 10\]/);
});

test('--json follows the contract', () => {
  const r = run(['summary', CIFAR, '--model', 'Net', '--input', '2x3x32x32', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j).sort(), ['diagnostics', 'file', 'input', 'layers', 'macs', 'model', 'output', 'params'].sort());
  assert.deepEqual(j.output, [2, 10]);
  assert.deepEqual(j.params, { total: 62006, trainable: 62006 });
  const conv2 = j.layers.find((l: { path: string }) => l.path === 'conv2');
  assert.deepEqual({ output: conv2.output, params: conv2.params, rf: conv2.rf, jump: conv2.jump }, { output: [2, 16, 10, 10], params: 2416, rf: [14, 14], jump: [2, 2] });
  assert.deepEqual(Object.keys(conv2).sort(), ['callLine', 'depth', 'jump', 'line', 'macs', 'output', 'params', 'path', 'rf', 'type'].sort());
  assert.equal(j.layers[0].path, '');
});

test('a shape error exits 1 and names the line', () => {
  const r = run(['summary', CIFAR, '--model', 'Net', '--input', '1x3x28x28', '--json']);
  assert.equal(r.code, 1);
  const err = JSON.parse(r.out).diagnostics.find((d: { severity: string }) => d.severity === 'error');
  assert.match(err.message, /in_features=400.*256/);
});

test('usage and file errors exit 2 with a message', () => {
  for (const args of [[], ['summary'], ['summary', join(tmp, 'missing.py')], ['summary', CIFAR, '--input', '1x3xAx'], ['summary', CIFAR, '--kwargs', '{bad'], ['summary', CIFAR, '--model', 'Nope', '--input', '1x3x32x32'], ['frobnicate']]) {
    const r = run(args);
    if (args.length === 0) {
      assert.equal(r.code, 0);
      continue;
    }
    assert.equal(r.code, 2, `shapelens ${args.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err, /^shapelens: /);
  }
});

test('hostile files get a clear answer', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['empty.py', '', /no nn\.Module model found/],
    ['nomodel.py', 'import torch\nx = 1 + 2\n', /no nn\.Module model found/],
    ['halftyped.py', 'import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(1, 4, 3)\n        self.p = nn.\n    def forward(self, x):  # x: [1, 1, 8, 8]\n        x = self.c(x)\n        return self.\n', /syntax/],
    ['unclosed.py', 'import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.f = nn.Sequential(\n            nn.Conv2d(1, 4, 3),\n    def forward(self, x):\n        return self.f(x)\n', /syntax/],
    ['forever.py', 'import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n        while True:\n            pass\n    def forward(self, x):  # x: [1, 1, 8, 8]\n        return x\n', /steps/],
    ['recursive.py', 'import torch.nn as nn\ndef f(n):\n    return f(n + 1)\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.k = f(0)\n    def forward(self, x):  # x: [1, 1, 8, 8]\n        return x\n', /recursion/],
    ['latin1.py', Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\nimport torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(1, 2, 3))\n')]), /not valid UTF-8/],
  ];
  for (const [name, text, expect] of cases) {
    const r = run(['summary', file(name, text), '--input', '1x1x8x8']);
    assert.ok(r.code === 0 || r.code === 1, `${name}: exit ${r.code} ${r.err}`);
    assert.match(r.out, expect, `${name}: ${r.out}`);
  }
});

test('200 levels of nested nn.Sequential', () => {
  const depth = 200;
  const text = `import torch.nn as nn\nnet = ${'nn.Sequential('.repeat(depth)}nn.Conv2d(1, 2, 3)${')'.repeat(depth)}\n`;
  const r = run(['summary', file('deep.py', text), '--input', '1x1x8x8', '--json']);
  assert.ok(r.code === 0, r.out + r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.output, [1, 2, 6, 6]);
  assert.equal(j.params.total, 20);
  assert.equal(j.layers.length, depth + 1);
});

test('a 5,000-line model file', () => {
  const r = run(['summary', file('big.py', bigModelSource(5000)), '--model', 'BigNet', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.output, [1, 10]);
  assert.ok(j.layers.length > 1000);
});

test('shapelens lsp --stdio answers initialize (the server for any LSP client)', async () => {
  const { spawn } = await import('node:child_process');
  const p = spawn(process.execPath, [CLI, 'lsp', '--stdio'], { cwd: ROOT });
  const msg = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  p.stdin.write(`Content-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
  const caps = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('no answer to initialize within 20 s')), 20_000);
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\r\n\r\n');
      const len = Number(/Content-Length: (\d+)/.exec(buf)?.[1]);
      if (i >= 0 && Buffer.byteLength(buf.slice(i + 4)) >= len) {
        clearTimeout(timer);
        resolve(JSON.parse(buf.slice(i + 4, i + 4 + len)).result.capabilities);
      }
    });
  });
  p.kill();
  assert.ok(caps.hoverProvider && caps.inlayHintProvider && caps.codeLensProvider, JSON.stringify(caps));
});
