#!/usr/bin/env python3
"""PyTorch ground truth for the symbolic-shape tests (test/fixtures/symbolic/).

For each case of test/fixtures/symbolic/cases.json (a model and an input with named dims), records
the output shape PyTorch gives at each listed assignment of the names ("sizes"), and, with
"square": [lo, hi], which square inputs H = W in that range PyTorch accepts (for input solving).
Writes test/fixtures/symbolic/truth/<id>.json. Usage: /usr/bin/python3 test/gen/make_symbolic.py
"""
import importlib.util
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SYM = os.path.join(HERE, '..', 'fixtures', 'symbolic')


def load(path):
    spec = importlib.util.spec_from_file_location('sym_' + os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def shape_of(out):
    if isinstance(out, torch.Tensor):
        return list(out.shape)
    return [shape_of(o) for o in out]


def run(model, dims, env):
    shape = [env[d] if isinstance(d, str) else d for d in dims]
    try:
        with torch.no_grad():
            return {'ok': True, 'output': shape_of(model(torch.randn(*shape)))}
    except Exception as e:  # a size PyTorch rejects
        return {'ok': False, 'error': '%s: %s' % (type(e).__name__, str(e).split('\n')[0])}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cases = json.load(open(os.path.join(SYM, 'cases.json')))
    os.makedirs(os.path.join(SYM, 'truth'), exist_ok=True)
    for c in cases:
        mod = load(os.path.normpath(os.path.join(SYM, c['file'])))
        model = getattr(mod, c['model'])(**c.get('kwargs', {})).eval()
        truth = {'id': c['id'], 'sizes': []}
        for env in c.get('sizes', []):
            truth['sizes'].append(dict(env=env, **run(model, c['input'], env)))
        if 'square' in c:
            lo, hi = c['square']
            spatial = [d for d in c['input'][2:] if isinstance(d, str)]
            accepted = []
            for v in range(lo, hi + 1):
                env = {d: v for d in spatial}
                env.update({d: 2 for d in c['input'][:1] if isinstance(d, str)})
                if run(model, c['input'], env)['ok']:
                    accepted.append(v)
            truth['square'] = {'range': [lo, hi], 'accepted': accepted}
        with open(os.path.join(SYM, 'truth', c['id'] + '.json'), 'w') as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write('\n')
        print(c['id'], truth.get('square', {}).get('accepted'), [s.get('output', s.get('error')) for s in truth['sizes']])


if __name__ == '__main__':
    sys.exit(main())
