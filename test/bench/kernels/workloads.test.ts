// The kernel benchmark's model workloads are the networks they are named after: their convs and
// linear layers, in call order, have the shapes and MACs the shape engine finds in the PyTorch
// source (torchvision's ResNet-18 definition, the CIFAR-10 tutorial's Net).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource, loadParser } from '../../../server/src/engine';
import { FIXTURES, ROOT } from '../../support/paths';
import { WORKLOADS, type Workload } from './workloads';

function build(id: string): Workload {
  return WORKLOADS.find((w) => w.id === id)!.build();
}

/** [output shape, MACs] per conv and linear layer of the workload, in order. */
function workloadRows(w: Workload): [number[], number][] {
  return w.layers.flatMap((l): [number[], number][] => {
    const out = w.shapes.get(l.y)!;
    if (l.op === 'conv') return [[out, (out[1]! * out[2]! * out[3]! * l.cin * l.k * l.k) / l.groups]];
    if (l.op === 'linear') return [[out, l.fin * l.fout]];
    return [];
  });
}

/**
 * The same rows from the shape engine. It counts a bias add as one MAC per output element, the
 * workload counts the products only (its convs all carry the folded BatchNorm's bias), so the bias
 * adds come off where the PyTorch layer has a bias: every Linear, and the convs when `convBias`.
 */
async function engineRows(file: string, model: string, input: number[], convBias: boolean): Promise<[number[], number][]> {
  await loadParser();
  const report = analyzeSource(readFileSync(file, 'utf8'), { file, model, inputs: [{ shape: input, dtype: 'float32' }] }).reports[0]!;
  return report.layers
    .filter((l) => l.type === 'Conv2d' || l.type === 'Linear')
    .map((l) => {
      const shape = l.output as number[];
      const biasAdds = l.type === 'Linear' || convBias ? shape.reduce((a, b) => a * b, 1) : 0;
      return [shape, l.macs - biasAdds];
    });
}

test('ResNet-18 is torchvision resnet18 at 224x224 (1.81 GMAC, 21 convs and the fc)', async () => {
  const w = build('resnet18');
  const expected = await engineRows(join(FIXTURES, 'models', 'realworld', 'tv_resnet.py'), 'resnet18', [1, 3, 224, 224], false);
  assert.equal(expected.length, 21);
  assert.deepEqual(workloadRows(w), expected);
  assert.equal(w.macs, 1_814_073_344);
  assert.deepEqual(w.shapes.get(w.output), [1, 1000]);
});

test('the CIFAR-10 net is the tutorial Net at 32x32', async () => {
  const w = build('cifar-net');
  assert.deepEqual(workloadRows(w), await engineRows(join(ROOT, 'examples', 'cifar_net.py'), 'Net', [1, 3, 32, 32], true));
  assert.deepEqual(w.shapes.get(w.output), [1, 10]);
});

test('single-conv workloads have the sizes issue 5 names', () => {
  const conv = (id: string) => {
    const w = build(id);
    assert.equal(w.layers.length, 1);
    const l = w.layers[0]!;
    assert.equal(l.op, 'conv');
    return { l, input: w.shapes.get(w.input), output: w.shapes.get(w.output) };
  };
  assert.deepEqual(conv('conv3x3-64-56').output, [1, 64, 56, 56]);
  assert.deepEqual(conv('conv3x3-128-28').output, [1, 128, 28, 28]);
  const big = conv('conv7x7s2-3-64-224');
  assert.deepEqual([big.input, big.output], [
    [1, 3, 224, 224],
    [1, 64, 112, 112],
  ]);
  const dw = conv('dwconv3x3-32-112');
  assert.deepEqual([dw.output, dw.l.op === 'conv' && dw.l.groups], [[1, 32, 112, 112], 32]);
});

test('weights and inputs are seeded: two builds are identical', () => {
  const a = build('cifar-net');
  const b = build('cifar-net');
  for (const [name, p] of a.params) assert.deepEqual(b.params.get(name)!.data, p.data, name);
});
