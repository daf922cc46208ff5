// `shapelens run` as a user runs it: output .npy against PyTorch's, --stats per module call, --bench, and
// every refusal with its exit code (unknown model 2, shape error 1, bad weights 2, no kernel 3, budget 3, NaN 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readNpy } from '../../kernels/src/npy';
import { tensorStats } from '../../kernels/src/exec/stats';
import type { NDArray } from '../../kernels/src/ndarray';
import { CLI, FIXTURES, ROOT } from '../support/paths';

const tmp = mkdtempSync(join(tmpdir(), 'shapelens-run-'));
const EXEC = join(FIXTURES, 'exec');
const STACK = /\n\s+at .+\(.+:\d+:\d+\)|FATAL ERROR|Maximum call stack|heap out of memory|Traceback/;
const CIFAR = join(EXEC, 'cifar_net.py');

function run(args: string[]): { code: number | null; out: string; err: string } {
  // The timeout only turns a hang into a failure; it is not a speed assertion.
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', timeout: 120_000, cwd: ROOT });
  assert.equal(r.signal, null, `shapelens run ${args.join(' ')} was killed (${r.signal}): it hung`);
  assert.doesNotMatch(r.stdout + r.stderr, STACK, 'output contains a crash signature');
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function npy(path: string): NDArray {
  const b = readFileSync(path);
  return readNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}
/** ‖a − b‖∞ / ‖b‖∞ (see test/kernels/exec.test.ts for why this is the bound). */
function relErr(a: NDArray, b: NDArray): number {
  assert.deepEqual([...a.shape], [...b.shape]);
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.data.length; i++) {
    d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
    m = Math.max(m, Math.abs(b.data[i]!));
  }
  return d / m;
}

test('run writes the output as .npy, equal to PyTorch with the same weights and input', () => {
  const out = join(tmp, 'y.npy');
  const r = run([CIFAR, '--model', 'Net', '--input-file', join(EXEC, 'cifar_eval', 'input.npy'), '--weights', join(EXEC, 'cifar_eval', 'weights.safetensors'), '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Net: output \[1, 10\] in [\d.]+ ms; written to /);
  const e = relErr(npy(out), npy(join(EXEC, 'cifar_eval', 'output.npy')));
  assert.ok(e <= 1e-4, `relative error ${e}`);
});

test('train mode uses batch statistics: the ResNet output matches PyTorch in train mode', () => {
  const out = join(tmp, 'train.npy');
  const dir = join(EXEC, 'resnet_train');
  const r = run([join(EXEC, 'tiny_resnet.py'), '--mode', 'train', '--input-file', join(dir, 'input.npy'), '--weights', join(dir, 'weights.safetensors'), '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.ok(relErr(npy(out), npy(join(dir, 'output.npy'))) <= 1e-4);
  const evalOut = join(tmp, 'eval.npy');
  assert.equal(run([join(EXEC, 'tiny_resnet.py'), '--input-file', join(dir, 'input.npy'), '--weights', join(dir, 'weights.safetensors'), '--out', evalOut]).code, 0);
  assert.ok(relErr(npy(evalOut), npy(join(EXEC, 'resnet_eval', 'output.npy'))) <= 1e-4, 'eval by default');
});

test('--stats prints one JSON line per module call with PyTorch-matching statistics', () => {
  const dir = join(EXEC, 'cifar_eval');
  const r = run([CIFAR, '--input-file', join(dir, 'input.npy'), '--weights', join(dir, 'weights.safetensors'), '--stats']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { path: string; shape: number[]; mean: number; std: number; min: number; max: number });
  assert.deepEqual(lines.map((l) => l.path), ['', 'conv1', 'pool', 'conv2', 'pool', 'fc1', 'fc2', 'fc3']);
  for (const l of lines) assert.deepEqual(Object.keys(l).sort(), ['max', 'mean', 'min', 'path', 'shape', 'std']);
  const calls = JSON.parse(readFileSync(join(dir, 'calls.json'), 'utf8')) as { path: string; file: string }[];
  lines.forEach((l, i) => {
    const want = npy(join(dir, calls[i]!.file));
    assert.equal(calls[i]!.path, l.path);
    assert.deepEqual(l.shape, [...want.shape]);
    const s = tensorStats(want);
    const scale = Math.max(Math.abs(s.min), Math.abs(s.max));
    for (const k of ['mean', 'std', 'min', 'max'] as const) assert.ok(Math.abs(l[k] - s[k]) <= 1e-4 * scale, `${l.path} ${k}: ${l[k]} vs ${s[k]}`);
  });
});

test('default weights and inputs come from --seed: the same seed gives the same output file', () => {
  const a = join(tmp, 'a.npy');
  const b = join(tmp, 'b.npy');
  const c = join(tmp, 'c.npy');
  assert.equal(run([CIFAR, '--seed', '3', '--out', a]).code, 0);
  assert.equal(run([CIFAR, '--seed', '3', '--input', '1x3x32x32', '--out', b]).code, 0);
  assert.equal(run([CIFAR, '--seed', '4', '--out', c]).code, 0);
  assert.deepEqual(readFileSync(a), readFileSync(b));
  assert.notDeepEqual(readFileSync(a), readFileSync(c));
});

test('--bench prints a per-layer time table', () => {
  const r = run([CIFAR, '--bench']);
  assert.equal(r.code, 0, r.err);
  const rows = r.out.trim().split('\n');
  assert.match(rows[0]!, /#\s+layer\s+op\s+line\s+output\s+ms\s+%\s+kernel$/);
  assert.equal(rows.length, 1 + 12 + 1, 'header, one row per node, total');
  assert.match(rows[13]!, /^total [\d.]+ ms \(median of 5 runs after a warm-up; kernels: wasm\)$/);
  assert.match(rows[1]!, /^ 0\s+conv1\s+conv\s+18\s+\[1, 6, 28, 28\]\s+[\d.]+\s+[\d.]+\s+wasm$/);
  assert.match(rows[2]!, /^ 1\s+\(forward\)\s+unary:relu\s+18\s+\[1, 6, 28, 28\]\s+[\d.]+\s+[\d.]+\s+wasm$/);
  assert.match(rows[7]!, /^ 6\s+\(forward\)\s+reshape\s+20\s+\[1, 400\]\s+[\d.]+\s+[\d.]+\s+wasm$/);
});

test('an unknown model and a shape error: exit 2 with the models there, exit 1 with the diagnostic', () => {
  const unknown = run([CIFAR, '--model', 'Nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no model named 'Nope' in .*cifar_net\.py; models here: Net/);
  const shape = run([CIFAR, '--input', '1x3x28x28']);
  assert.equal(shape.code, 1);
  assert.match(shape.err, /cifar_net\.py:21:\d+: error .*in_features=400/);
  const several = run([file('two.py', 'import torch.nn as nn\n\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 3)\n\n    def forward(self, x):  # x: [1, 4]\n        return self.fc(x)\n\nclass B(A):\n    pass\n')]);
  assert.equal(several.code, 2);
  assert.match(several.err, /several models \(A, B\): choose one with --model/);
});

test('bad weights: a strict load lists the keys (exit 2), --non-strict runs with notes, a non-checkpoint is named', () => {
  const other = join(EXEC, 'resnet_eval', 'weights.safetensors');
  const strict = run([CIFAR, '--weights', other]);
  assert.equal(strict.code, 2);
  assert.match(strict.err, /Error\(s\) in loading state_dict for Net:\n\tMissing key\(s\) in state_dict: "conv1.bias"/);
  assert.match(strict.err, /size mismatch for conv1.weight: copying a param with shape \[8, 3, 3, 3\] from checkpoint, the shape in current model is \[6, 3, 5, 5\]/);
  const loose = run([CIFAR, '--weights', other, '--non-strict']);
  assert.equal(loose.code, 0, loose.err);
  assert.match(loose.err, /note: 9 model entries not in the checkpoint kept their initial values/);
  const junk = run([CIFAR, '--weights', file('junk.pt', 'not a checkpoint at all')]);
  assert.equal(junk.code, 2);
  assert.match(junk.err, /junk\.pt: not a checkpoint ShapeLens reads/);
  const badInput = run([CIFAR, '--input-file', file('x.npy', 'nope')]);
  assert.equal(badInput.code, 2);
  assert.match(badInput.err, /x\.npy: not a \.npy file ShapeLens reads/);
});

test('a model that cannot run exits 3: an op without a kernel (named, with lines), a memory budget exceeded (the layer named)', () => {
  const lstm = file(
    'lstm.py',
    'import torch.nn as nn\n\n\nclass Seq(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(4, 8, num_layers=2, dropout=0.1, batch_first=True)\n        self.fc = nn.Linear(8, 2)\n\n    def forward(self, x):  # x: [1, 5, 4]\n        out, _ = self.rnn(x)\n        return self.fc(out[:, -1])\n',
  );
  // An LSTM runs in eval mode; in train mode its inter-layer dropout has no kernel.
  assert.equal(run([lstm]).code, 0);
  const r = run([lstm, '--mode', 'train']);
  assert.equal(r.code, 3);
  assert.match(r.err, /Seq cannot be run: LSTM in training mode with dropout=0\.1 \(line 11\)/);
  const symbolic = run([file('sym.py', 'import torch.nn as nn\n\n\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n\n    def forward(self, x):  # x: [N, 3, H, W]\n        return self.conv(x)\n')]);
  assert.equal(symbolic.code, 3);
  assert.match(symbolic.err, /give a concrete input shape/);
  const budget = run([CIFAR, '--memory-budget', '20KiB']);
  assert.equal(budget.code, 3);
  assert.match(budget.err, /needs 36\.8 KiB of activation memory, over the 20\.0 KiB budget: conv1 \(line 18, conv\)/);
});

test('NaN produced by a layer: the output is still written, a warning names the first layer, exit 4', () => {
  const src = file(
    'nan.py',
    'import torch\nimport torch.nn as nn\n\n\nclass Shift(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 3)\n\n    def forward(self, x):  # x: [1, 4]\n        y = self.fc(x)\n        z = torch.log(y - 100)\n        return z * 2\n',
  );
  const out = join(tmp, 'nan.npy');
  const r = run([src, '--out', out]);
  assert.equal(r.code, 4, r.err);
  assert.match(r.err, /warning: NaN\/Inf first produced by log at line 12: 3 NaN, 0 Inf/);
  assert.ok([...npy(out).data].every((v) => Number.isNaN(v)));
});

test('usage errors exit 2 and the help describes run', () => {
  for (const args of [[], [CIFAR, '--mode', 'test'], [CIFAR, '--seed', '-1'], [CIFAR, '--input', 'Nx3x32x32'], [CIFAR, '--input', '1x3x32x32', '--input-file', 'x.npy'], [CIFAR, '--memory-budget', 'lots']]) {
    const r = run(args);
    assert.equal(r.code, 2, `run ${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^shapelens: /);
  }
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /shapelens run FILE/);
  assert.match(help.stdout, /4 the run finished but produced NaN\/Inf/);
});
