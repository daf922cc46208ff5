// Default initialisation against PyTorch: the bounds reset_parameters uses (fan-in as torch.nn.init computes it), fills, seeding and spread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fanInOut, initParameter, initRule, type LayerKind } from '../../kernels/src/init';
import { loadKernelFixtures } from '../support/kernelFixtures';
import { defaultWeight, prepareWeights } from '../../kernels/src/exec/weights';
import { loadParser, traceGraph } from '../../server/src/engine';
import type { GraphParam } from '../../server/src/engine/graph/api';

const { init } = loadKernelFixtures();

test('uniform bounds and fan-in match PyTorch for conv, transposed conv and linear layers', () => {
  const uniform = init.filter((e) => e.bound !== undefined);
  assert.ok(uniform.length >= 14);
  for (const e of uniform) {
    const name = e.key.split('.').pop()!;
    assert.equal(fanInOut(e.weightShape!)[0], e.fanIn, `${e.key}: fan_in`);
    const rule = initRule(e.kind as LayerKind, name, e.shape, { weightShape: e.weightShape });
    assert.equal(rule.kind, 'uniform', e.key);
    assert.ok(rule.kind === 'uniform' && Math.abs(rule.bound - e.bound!) < 1e-12, `${e.key}: bound ${JSON.stringify(rule)} vs PyTorch ${e.bound}`);
    // PyTorch's own draw stayed inside the same bound (the fixture is self-consistent).
    assert.ok(e.torchMaxAbs! <= e.bound!, `${e.key}: PyTorch drew ${e.torchMaxAbs}`);
    const t = initParameter(1, e.key, e.kind as LayerKind, e.shape, { weightShape: e.weightShape });
    assert.deepEqual(t.shape, e.shape);
    assert.equal(t.dtype, 'float32');
    let max = 0;
    for (const v of t.data) max = Math.max(max, Math.abs(v));
    assert.ok(max <= e.bound!, `${e.key}: ${max} exceeds ${e.bound}`);
    // With enough samples the draw reaches close to the bound, as PyTorch's does.
    if (t.data.length >= 200) assert.ok(max > 0.95 * e.bound!, `${e.key}: max ${max} of ${t.data.length} draws is far below ${e.bound}`);
  }
});

test('transposed conv fan-in comes from weight dim 1 (out_channels / groups), as PyTorch computes it', () => {
  const e = init.find((x) => x.key === 'convt2d_groups.weight')!;
  assert.deepEqual(e.weightShape, [8, 3, 3, 3]);
  assert.equal(e.fanIn, 27);
  assert.equal(fanInOut([8, 3, 3, 3])[0], 27);
});

test('norm weights, biases and buffers, PReLU and the embedding padding row are filled like PyTorch', () => {
  for (const e of init.filter((x) => x.fill !== undefined)) {
    const t = initParameter(5, e.key, e.kind as LayerKind, e.shape);
    assert.equal(t.dtype, e.dtype, e.key);
    assert.deepEqual(t.shape, e.shape, e.key);
    assert.ok(t.data.length > 0 || e.shape.length === 0);
    for (const v of t.data) assert.equal(v, e.fill, e.key);
  }
  const emb = init.find((x) => x.kind === 'embedding')!;
  const t = initParameter(5, emb.key, 'embedding', emb.shape, { paddingIdx: emb.paddingIdx });
  const [rows, dim] = emb.shape;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(t.data.subarray(r * dim, (r + 1) * dim));
    if (r === emb.paddingIdx) assert.ok(row.every((v) => v === 0), 'padding row is zero');
    else assert.ok(row.some((v) => v !== 0), `row ${r} is drawn`);
  }
});

test('same seed and key give the same values; another seed or key gives others', () => {
  const shape = [16, 3, 3, 3];
  const a = initParameter(42, 'features.0.weight', 'conv', shape);
  const b = initParameter(42, 'features.0.weight', 'conv', shape);
  const c = initParameter(43, 'features.0.weight', 'conv', shape);
  const d = initParameter(42, 'features.3.weight', 'conv', shape);
  assert.deepEqual(a.data, b.data);
  const differs = (x: ArrayLike<number>, y: ArrayLike<number>): number => Array.from(x).filter((v, i) => v !== y[i]).length;
  assert.equal(differs(a.data, c.data), a.data.length);
  assert.equal(differs(a.data, d.data), a.data.length);
});

test('empirical spread: uniform(±b) has variance b²/3 and mean 0; the embedding is standard normal', () => {
  const shape = [256, 512];
  const t = initParameter(7, 'fc.weight', 'linear', shape);
  const bound = 1 / Math.sqrt(512);
  let s = 0;
  let q = 0;
  for (const v of t.data) {
    s += v;
    q += v * v;
  }
  const n = t.data.length;
  const mean = s / n;
  const variance = q / n - mean * mean;
  assert.ok(Math.abs(mean) < 0.01 * bound, `mean ${mean}`);
  assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.02, `variance ${variance} vs ${(bound * bound) / 3}`);
  const e = initParameter(7, 'emb.weight', 'embedding', [1000, 64]);
  let es = 0;
  let eq = 0;
  let tails = 0;
  for (const v of e.data) {
    es += v;
    eq += v * v;
    if (Math.abs(v) > 1.96) tails++;
  }
  const en = e.data.length;
  assert.ok(Math.abs(es / en) < 0.02, `embedding mean ${es / en}`);
  assert.ok(Math.abs(eq / en - 1) < 0.02, `embedding variance ${eq / en}`);
  assert.ok(Math.abs(tails / en - 0.05) < 0.005, `embedding |x| > 1.96 fraction ${tails / en} (normal: 0.05)`);
  // PyTorch's own embedding draw has the same spread.
  const torchEmb = init.find((x) => x.kind === 'embedding')!;
  assert.ok(Math.abs(torchEmb.torchStd! - 1) < 0.1);
});

test('recurrent layers use ±1/√hidden_size; unknown parameters and a bias without its weight shape are refused', () => {
  const r = initRule('rnn', 'weight_hh_l0', [64, 16], { hiddenSize: 16 });
  assert.deepEqual(r, { kind: 'uniform', bound: 0.25 });
  assert.throws(() => initRule('conv', 'bias', [8]), /weightShape/);
  assert.throws(() => initRule('batch_norm', 'gamma', [8]), /no default initialisation for parameter 'gamma'/);
  assert.throws(() => fanInOut([5]), /fewer than 2 dimensions/);
});

test('recurrent parameters (an LSTM projection included) get PyTorch\'s ±1/√hidden_size from the model\'s own shapes', () => {
  const rnn = init.filter((e) => e.kind === 'rnn');
  assert.ok(rnn.some((e) => e.key.endsWith('weight_hr_l1')) && rnn.some((e) => e.key.endsWith('bias_hh_l0_reverse')));
  const params: GraphParam[] = rnn.map((e) => ({ key: e.key, value: -1, shape: e.shape, dtype: 'float32', layer: e.cls!, name: e.key.split('.').pop()!, buffer: false }));
  for (const e of rnn) {
    const name = e.key.split('.').pop()!;
    assert.ok(e.torchMaxAbs! <= e.rnnBound!, `${e.key}: PyTorch drew ${e.torchMaxAbs}`);
    const rule = initRule('rnn', name, e.shape, { hiddenSize: e.hiddenSize });
    assert.ok(rule.kind === 'uniform' && Math.abs(rule.bound - e.rnnBound!) < 1e-12, `${e.key}: ${JSON.stringify(rule)} vs PyTorch ${e.rnnBound}`);
    // The executor finds hidden_size from the sibling parameters (weight_hr_l0 with a projection, where
    // weight_hh_l0's second dim is proj_size): the same tensor as with the hidden size given.
    const got = defaultWeight(params.find((p) => p.key === e.key)!, params, 7);
    assert.deepEqual(got.data, initParameter(7, e.key, 'rnn', e.shape, { hiddenSize: e.hiddenSize }).data, e.key);
  }
});

test('a traced model\'s Embedding(padding_idx) and PReLU(init) reach default initialisation', async () => {
  await loadParser();
  const src = [
    'import torch.nn as nn',
    'class M(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.emb = nn.Embedding(10, 4, padding_idx=-2)',
    '        self.act = nn.PReLU(3, init=0.1)',
    '        self.act2 = nn.PReLU()',
    '    def forward(self, x):',
    '        return self.act2(self.act(self.emb(x)))',
    '',
  ].join('\n');
  const [tg] = traceGraph(src, { file: 'm.py', model: 'M', inputs: [{ shape: [2, 3], dtype: 'int64' }] });
  assert.ok(tg?.graph, 'traced');
  const emb = tg.params.find((p) => p.key === 'emb.weight')!;
  assert.deepEqual(emb.init, { paddingIdx: 8 }, '-2 of 10 rows is row 8');
  const values = prepareWeights(tg.params, { seed: 5 }).values;
  const w = values.get('emb.weight')!.data;
  assert.deepEqual([...w.slice(8 * 4, 9 * 4)], [0, 0, 0, 0], 'the padding row starts at zero');
  assert.ok([...w.slice(0, 8 * 4)].every((v) => v !== 0), 'the other rows are drawn');
  assert.deepEqual([...values.get('act.weight')!.data], [0.1, 0.1, 0.1].map(Math.fround));
  assert.deepEqual([...values.get('act2.weight')!.data], [0.25]);
});
