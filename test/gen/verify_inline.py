#!/usr/bin/env python3
"""Checks the inline expectations of test/fixtures/inline/*.py against PyTorch itself.

Expectation lines sit under the code line they describe:
    x = self.pool(F.relu(self.conv1(x)))
    #   ^ [4, 6, 14, 14]          shape of the value the line assigns or returns (last execution)
    self.conv1 = nn.Conv2d(3, 6, 5)
    #   ^ params 456              parameters of the module built on that line
    return self.fc(x)
    #   ^ error: in_features=1024 PyTorch raises on that line (the text is matched against
                                  ShapeLens's message by the TypeScript test, not here)
    #   ^ lint: checkerboard      a ShapeLens lint on that line (PyTorch runs it; nothing to check)
The model is the file's nn.Module class whose forward declares its inputs:
    def forward(self, x):  # x: [4, 3, 32, 32]

Usage: /usr/bin/python3 test/gen/verify_inline.py [--update]   (--update rewrites shapes/params from PyTorch)
Exit status 1 when an expectation disagrees with PyTorch.
"""
import ast
import importlib.util
import os
import re
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
INLINE = os.path.join(HERE, '..', 'fixtures', 'inline')
EXP = re.compile(r'^(\s*#\s*\^\s*)(.*)$')
DECL = re.compile(r'(\w+)\s*:\s*(int64\s*)?\[([^\]]*)\]')


def expectations(lines):
    """{code line (1-based): [(expectation line index, text)]}"""
    out = {}
    code = None
    for i, line in enumerate(lines, 1):
        m = EXP.match(line)
        if m and code is not None:
            out.setdefault(code, []).append((i, m.group(2).strip()))
        elif line.strip() and not line.strip().startswith('#'):
            code = i
    return out


def shape_of(v):
    if isinstance(v, torch.Tensor):
        return list(v.shape)
    if isinstance(v, (tuple, list)) and v and all(isinstance(x, (torch.Tensor, tuple, list)) for x in v):
        return [shape_of(x) for x in v]
    return None


def statement_targets(tree):
    """{line: names assigned there, or 'return'} for single-line statements."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            t = targets[0]
            out[node.lineno] = [e.id for e in t.elts] if isinstance(t, ast.Tuple) else [t.id] if isinstance(t, ast.Name) else None
        elif isinstance(node, ast.Return):
            out[node.lineno] = 'return'
    return out


def run_file(path, update):
    src = open(path).read()
    lines = src.split('\n')
    exps = expectations(lines)
    tree = ast.parse(src)
    targets = statement_targets(tree)
    spec = importlib.util.spec_from_file_location('inline_' + os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model_cls, inputs = None, None
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and f.name == 'forward':
                    decl = dict((m.group(1), ([int(d) for d in m.group(3).split(',')], bool(m.group(2)))) for m in DECL.finditer(lines[f.lineno - 1]))
                    names = [a.arg for a in f.args.args[1:]]
                    if decl and all(n in decl for n in names):
                        model_cls = getattr(mod, node.name)
                        inputs = [torch.randint(0, 10, decl[n][0]) if decl[n][1] else torch.randn(*decl[n][0]) for n in names]
    if model_cls is None:
        return ['%s: no model with declared inputs' % path]

    ctor_line = {}
    orig_init = nn.Module.__init__

    def init(self, *a, **k):
        orig_init(self, *a, **k)
        # The constructing line: skip this object's own __init__ chain (super().__init__ calls).
        f = sys._getframe(1)
        while f and (os.path.abspath(f.f_code.co_filename) != os.path.abspath(path) or (f.f_code.co_name == '__init__' and f.f_locals.get('self') is self)):
            f = f.f_back
        if f is not None and id(self) not in ctor_line:
            ctor_line[id(self)] = f.f_lineno
    nn.Module.__init__ = init
    try:
        torch.manual_seed(0)
        model = model_cls().eval()
    finally:
        nn.Module.__init__ = orig_init
    params = {}
    for m in model.modules():
        line = ctor_line.get(id(m))
        if line is not None:
            params[line] = max(params.get(line, 0), sum(p.numel() for p in m.parameters()))

    values, error_lines = {}, set()
    last_line = {}

    def local(frame, event, arg):
        line = frame.f_lineno
        prev = last_line.get(id(frame))
        if prev is not None and event in ('line', 'return') and isinstance(targets.get(prev), list):
            names = targets[prev]
            vals = [frame.f_locals.get(n) for n in names]
            values[prev] = shape_of(vals[0] if len(vals) == 1 else tuple(vals))
        if event == 'return' and targets.get(line) == 'return':
            values[line] = shape_of(arg)
        last_line[id(frame)] = line
        return local

    def glob(frame, event, arg):
        if os.path.abspath(frame.f_code.co_filename) == os.path.abspath(path):
            return local
        return None

    sys.settrace(glob)
    try:
        with torch.no_grad():
            model(*inputs)
    except Exception as e:  # the fixture's bug
        tb = e.__traceback__
        while tb:
            if os.path.abspath(tb.tb_frame.f_code.co_filename) == os.path.abspath(path):
                error_lines.add(tb.tb_lineno)
            tb = tb.tb_next
    finally:
        sys.settrace(None)

    bad = []
    for code, items in exps.items():
        for idx, text in items:
            if text.startswith('lint:'):
                continue  # a ShapeLens lint: PyTorch accepts the code, so there is nothing to check here
            if text.startswith('error:'):
                if code not in error_lines:
                    bad.append('%s:%d: PyTorch raised no error on line %d (traceback lines %s)' % (path, idx, code, sorted(error_lines)))
            elif text.startswith('params'):
                want = int(text.split()[1])
                got = params.get(code)
                if got != want:
                    bad.append('%s:%d: params %s, PyTorch says %s' % (path, idx, want, got))
                    if update and got is not None:
                        lines[idx - 1] = EXP.match(lines[idx - 1]).group(1) + 'params %d' % got
            else:
                got = values.get(code)
                if text != str(got).replace("'", ''):
                    bad.append('%s:%d: shape %s, PyTorch says %s' % (path, idx, text, got))
                    if update and got is not None:
                        lines[idx - 1] = EXP.match(lines[idx - 1]).group(1) + str(got)
    if update and bad:
        open(path, 'w').write('\n'.join(lines))
    return bad


def main():
    update = '--update' in sys.argv
    bad = []
    files = sorted(f for f in os.listdir(INLINE) if f.endswith('.py'))
    for f in files:
        bad += run_file(os.path.join(INLINE, f), update)
    for b in bad:
        print(b)
    print('%d inline files, %d disagreements with PyTorch%s' % (len(files), len(bad), ' (rewritten)' if update and bad else ''))
    sys.exit(1 if bad and not update else 0)


if __name__ == '__main__':
    main()
