// Imports of project files through an in-memory host: cycles, a file importing itself, missing
// modules, broken imported files and errors raised inside imported code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource, loadParser, type SourceHost } from '../../server/src/engine';

function memoryHost(files: Record<string, string>): SourceHost {
  return {
    read: (p) => files[p] ?? null,
    isDir: (p) => Object.keys(files).some((f) => f.startsWith(p + '/')),
    searchRoots: () => ['/proj'],
  };
}

const NET = (imports: string, body = 'self.c = conv(3, 8)') => `import torch.nn as nn
${imports}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        ${body}

    def forward(self, x):  # x: [1, 3, 16, 16]
        return self.c(x)
`;

async function run(files: Record<string, string>, main = '/proj/main.py') {
  await loadParser();
  return analyzeSource(files[main]!, { file: main, model: 'Net', host: memoryHost(files) });
}

test('relative, absolute and package imports resolve', async () => {
  const files = {
    '/proj/main.py': NET('from pkg.sub import conv'),
    '/proj/pkg/__init__.py': '',
    '/proj/pkg/sub.py': 'from .deep.util import conv\n',
    '/proj/pkg/deep/util.py': 'import torch.nn as nn\ndef conv(a, b):\n    return nn.Conv2d(a, b, 3, padding=1)\n',
  };
  const r = (await run(files)).reports[0]!;
  assert.deepEqual(r.output, [1, 8, 16, 16]);
  assert.equal(r.params.total, 224);
});

test('an import cycle sees the partly loaded module, as Python does', async () => {
  const files = {
    '/proj/main.py': NET('from a import conv'),
    '/proj/a.py': 'import torch.nn as nn\nimport b\ndef conv(x, y):\n    return nn.Conv2d(x, y, 1)\n',
    '/proj/b.py': 'import a\nVALUE = 3\n',
  };
  const r = (await run(files)).reports[0]!;
  assert.deepEqual(r.output, [1, 8, 16, 16]);
});

test('a file that imports itself', async () => {
  const files = { '/proj/main.py': NET('import main\nfrom main import conv as _c\nconv = lambda a, b: nn.Conv2d(a, b, 3)') };
  const r = (await run(files)).reports[0]!;
  assert.deepEqual(r.output, [1, 8, 14, 14]);
});

test('missing modules and broken files are unknown, with a message, never a crash', async () => {
  const files = {
    '/proj/main.py': NET('from nowhere import conv\nfrom broken import thing', 'self.c = conv(3, 8)'),
    '/proj/broken.py': 'def thing(:\n    pass\n',
  };
  const res = await run(files);
  const all = [...res.diagnostics, ...res.reports[0]!.diagnostics];
  assert.ok(all.some((d) => d.code === 'unresolved-import' && d.message.includes("'nowhere'")), JSON.stringify(all));
  assert.ok(all.some((d) => d.code === 'import-problem' && d.message.includes('syntax error')), JSON.stringify(all));
  assert.equal(res.reports[0]!.output, null);
  assert.ok(!all.some((d) => d.severity === 'error'), JSON.stringify(all));
});

test('an error raised inside imported code is reported at the call in the analysed file', async () => {
  const files = {
    '/proj/main.py': NET('from blocks import Block', 'self.c = Block()'),
    '/proj/blocks.py': 'import torch.nn as nn\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(4, 8, 3)\n    def forward(self, x):\n        return self.conv(x)\n',
  };
  const r = (await run(files)).reports[0]!;
  const err = r.diagnostics.find((d) => d.severity === 'error')!;
  assert.equal(err.line, 11);
  assert.match(err.message, /expects 4 input channels/);
  assert.ok(err.related?.some((x) => x.file === '/proj/blocks.py' && x.line === 7), JSON.stringify(err.related));
});
