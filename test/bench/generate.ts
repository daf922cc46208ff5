// Generates large but realistic model files for the benchmark and the huge-file tests: many
// residual block classes (convs, norms, helper calls, loops) chained into one declared-input model.

/** About `lines` lines of Python defining `BigNet` with input [1, 16, 32, 32]. */
export function bigModelSource(lines = 5000): string {
  const blockLines = 48;
  const n = Math.max(1, Math.floor((lines - 40) / blockLines));
  const out: string[] = ['import math', 'import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '', ''];
  out.push('def conv_bn(cin, cout, k=3, stride=1, groups=1):', '    return nn.Sequential(', '        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),', '        nn.BatchNorm2d(cout),', '        nn.ReLU(inplace=True),', '    )', '', '');
  for (let i = 0; i < n; i++) {
    const norm = ['nn.BatchNorm2d(c)', 'nn.GroupNorm(4, c)', 'nn.InstanceNorm2d(c, affine=True)'][i % 3];
    const block = [
      `class Block${i}(nn.Module):`,
      `    """Residual block ${i}: conv-norm-act twice, an optional squeeze-excitation gate."""`,
      '',
      `    expansion = 1`,
      '',
      '    def __init__(self, c, hidden=None, use_se=True, depth=2):',
      '        super().__init__()',
      '        hidden = hidden or c',
      '        layers = []',
      '        for j in range(depth):',
      '            cin = c if j == 0 else hidden',
      '            cout = hidden if j < depth - 1 else c',
      '            layers.append(nn.Conv2d(cin, cout, 3, padding=1, bias=False))',
      `            layers.append(${norm.replace(/\bc\b/, 'cout')})`,
      '            if j < depth - 1:',
      '                layers.append(nn.ReLU(inplace=True))',
      '        self.body = nn.Sequential(*layers)',
      '        self.use_se = use_se',
      '        if use_se:',
      '            squeeze = max(4, c // 4)',
      '            self.se = nn.Sequential(',
      '                nn.AdaptiveAvgPool2d(1),',
      '                nn.Conv2d(c, squeeze, 1),',
      '                nn.ReLU(inplace=True),',
      '                nn.Conv2d(squeeze, c, 1),',
      '                nn.Sigmoid(),',
      '            )',
      '        self.proj = conv_bn(c, c, k=1)',
      '        self.act = nn.ReLU(inplace=True)',
      '',
      '    def forward(self, x):',
      '        identity = x',
      '        out = self.body(x)',
      '        if self.use_se:',
      '            w = self.se(out)',
      '            out = out * w',
      '        out = self.proj(out)',
      '        b, c, h, w_ = out.shape',
      '        out = out.view(b, c, h * w_).view(b, c, h, w_)',
      '        out = out + identity',
      '        return self.act(out)',
      '',
      '    def extra_repr(self):',
      `        return "block ${i}"`,
      '',
      '',
    ];
    out.push(...block.slice(0, blockLines));
  }
  out.push('class BigNet(nn.Module):', '    def __init__(self, width=16, num_classes=10):', '        super().__init__()', '        self.stem = conv_bn(16, width)', '        self.blocks = nn.ModuleList([');
  for (let i = 0; i < n; i++) out.push(`            Block${i}(width, hidden=width * 2, use_se=${i % 2 === 0 ? 'True' : 'False'}),`);
  out.push('        ])', '        self.pool = nn.AdaptiveAvgPool2d(1)', '        self.fc = nn.Linear(width, num_classes)', '');
  out.push('    def forward(self, x):  # x: [1, 16, 32, 32]', '        x = self.stem(x)', '        for blk in self.blocks:', '            x = blk(x)', '        x = torch.flatten(self.pool(x), 1)', '        return self.fc(x)', '');
  return out.join('\n');
}
