// Every way a file declares its model's input: forward-line comments, jaxtyping and Annotated
// parameters, calls of the model in the file (module level, main block, test functions, with
// constructor arguments), torchinfo and torchsummary; and the precedence between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource, loadParser, type ModelReport } from '../../server/src/engine';

const HEAD = `import torch
import torch.nn as nn
from torch import Tensor


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, classes)

`;
const FWD = (sig: string) => `    def forward(${sig}
        return self.fc(self.conv(x).mean((2, 3)))
`;

async function report(src: string, model = 'Net'): Promise<ModelReport> {
  await loadParser();
  return analyzeSource(src, { file: 'net.py', model }).reports[0]!;
}

test('comments on the forward line', async () => {
  assert.deepEqual((await report(HEAD + FWD('self, x):  # x: [2, 3, 16, 16]'))).input, [[2, 3, 16, 16]]);
  assert.deepEqual((await report(HEAD + FWD('self, x):  # x: (B, 3, 24, 24)'))).input, [['B', 3, 24, 24]]);
  assert.deepEqual((await report(HEAD + FWD('self, x):\n        # x: [1, 3, 8, 8]').replace('\n        return', '\n        return'))).input, [[1, 3, 8, 8]]);
});

test('jaxtyping and Annotated parameters', async () => {
  const jax = HEAD.replace('from torch import Tensor', 'from torch import Tensor\nfrom jaxtyping import Float') + FWD('self, x: Float[Tensor, "batch 3 32 32"]):');
  const r = await report(jax);
  assert.deepEqual(r.input, [['batch', 3, 32, 32]]);
  assert.deepEqual(r.output, ['batch', 10]);
  const ann = HEAD.replace('from torch import Tensor', 'from torch import Tensor\nfrom typing import Annotated') + FWD('self, x: Annotated[Tensor, Shape("B", 3, 16, 16)]):');
  assert.deepEqual((await report(ann)).input, [['B', 3, 16, 16]]);
});

test('a call of the model in the file, with its constructor arguments', async () => {
  const atTop = HEAD + FWD('self, x):') + '\n\nnet = Net(classes=5)\nout = net(torch.randn(4, 3, 12, 12))\n';
  const r = await report(atTop);
  assert.deepEqual(r.input, [[4, 3, 12, 12]]);
  assert.deepEqual(r.output, [4, 5]);
  const inMain = HEAD + FWD('self, x):') + '\n\nif __name__ == "__main__":\n    m = Net(classes=7)\n    print(m(torch.zeros(1, 3, 20, 20)).shape)\n';
  const r2 = await report(inMain);
  assert.deepEqual([r2.input, r2.output], [[[1, 3, 20, 20]], [1, 7]]);
  const inTest = HEAD + FWD('self, x):') + '\n\ndef test():\n    net = Net()\n    y = net(torch.rand(3, 3, 9, 9))\n';
  assert.deepEqual((await report(inTest)).input, [[3, 3, 9, 9]]);
});

test('torchinfo and torchsummary', async () => {
  const info = 'from torchinfo import summary\n' + HEAD + FWD('self, x):') + '\n\nsummary(Net(), input_size=(2, 3, 28, 28))\n';
  assert.deepEqual((await report(info)).input, [[2, 3, 28, 28]]);
  const ts = 'from torchsummary import summary\n' + HEAD + FWD('self, x):') + '\n\nif __name__ == "__main__":\n    summary(Net(), (3, 40, 40))\n';
  assert.deepEqual((await report(ts)).input, [[1, 3, 40, 40]]);
});

test('precedence: the caller, then the forward line, then a call in the file', async () => {
  const src = HEAD + FWD('self, x):  # x: [2, 3, 16, 16]') + '\n\nout = Net()(torch.randn(4, 3, 12, 12))\n';
  assert.deepEqual((await report(src)).input, [[2, 3, 16, 16]]);
  await loadParser();
  const given = analyzeSource(src, { file: 'net.py', model: 'Net', inputs: [{ shape: [1, 3, 5, 5], dtype: 'float32' }] }).reports[0]!;
  assert.deepEqual(given.input, [[1, 3, 5, 5]]);
});

test('nothing declared: a symbolic input from the first layer', async () => {
  const r = await report(HEAD + FWD('self, x):'));
  assert.deepEqual(r.input, [['N', 3, 'H', 'W']]);
  assert.deepEqual(r.output, ['N', 10]);
  assert.ok(r.diagnostics.some((d) => d.code === 'assumed-input'));
});

test('a workspace default for the model name comes after what the file declares', async () => {
  await loadParser();
  const defaults = { Net: [{ shape: [5, 3, 10, 10], dtype: 'float32' as const }] };
  const plain = analyzeSource(HEAD + FWD('self, x):'), { file: 'net.py', model: 'Net', defaultInputs: defaults }).reports[0]!;
  assert.deepEqual(plain.input, [[5, 3, 10, 10]]);
  const declared = analyzeSource(HEAD + FWD('self, x):  # x: [2, 3, 16, 16]'), { file: 'net.py', model: 'Net', defaultInputs: defaults }).reports[0]!;
  assert.deepEqual(declared.input, [[2, 3, 16, 16]]);
});
