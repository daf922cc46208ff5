"""Writes the graph executor's PyTorch fixtures to test/fixtures/exec/ (run with /usr/bin/python3, torch 1.13).

For each case: the model from a committed .py file next to the fixtures, its state_dict as
weights.safetensors (the weights the executor loads), input.npy, output.npy, and every module call's
output as recorded by forward hooks (calls.json + calls/NNN.npy, in call order, parents first). A
train-mode case also writes state_after.safetensors: the buffers after the forward pass (BatchNorm's
updated running statistics and num_batches_tracked).

Deterministic: seeds are fixed, no timings or absolute paths are written.
"""
import importlib.util
import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from safetensors_writer import write_safetensors  # noqa: E402
OUT = os.path.join(HERE, '..', 'fixtures', 'exec')

# id, model file, class, input shape, mode, whether to give BatchNorm non-trivial statistics first
CASES = [
    ('cifar_eval', 'cifar_net.py', 'Net', [1, 3, 32, 32], 'eval', False),
    ('resnet_eval', 'tiny_resnet.py', 'TinyResNet', [2, 3, 8, 8], 'eval', True),
    ('resnet_train', 'tiny_resnet.py', 'TinyResNet', [2, 3, 8, 8], 'train', True),
    ('dropout_eval', 'dropout_net.py', 'DropNet', [1, 1, 12, 12], 'eval', False),
    ('ops_zoo', 'ops_zoo.py', 'OpsZoo', [2, 3, 9, 9], 'eval', False),
    ('seq_zoo', 'seq_zoo.py', 'SeqZoo', [2, 4, 7], 'eval', False),
]

def load_model(file, cls):
    spec = importlib.util.spec_from_file_location(file[:-3], os.path.join(OUT, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, cls)


def perturb_batchnorm(model, shape):
    """Running statistics and affine parameters away from their defaults, so eval mode tests something."""
    g = torch.Generator().manual_seed(1)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(shape, generator=g) * 2 + 0.5)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)


def record_calls(model):
    """Forward (pre-)hooks on every module: call order, path, class, output, and whether the output is the input itself."""
    calls = []
    handles = []
    for path, m in model.named_modules():
        def pre(mod, args, path=path):
            first = args[0] if args and isinstance(args[0], torch.Tensor) else None
            calls.append({'path': path, 'type': type(mod).__name__, 'input': None if first is None else (first.data_ptr(), first.detach().clone())})

        def post(mod, args, out, path=path):
            c = next(c for c in reversed(calls) if c['path'] == path and 'output' not in c)
            if isinstance(out, torch.Tensor):
                inp = c['input']
                # An alias (nn.Identity, an empty Sequential, eval-mode dropout) returns the very tensor it got, unchanged.
                c['alias'] = bool(inp is not None and inp[0] == out.data_ptr() and torch.equal(inp[1], out))
                c['output'] = out.detach().clone()
            elif isinstance(out, tuple) and out and isinstance(out[0], torch.Tensor):
                # A tuple result (an RNN's (output, h_n)): its first tensor, as the graph's call output is.
                c['output'] = out[0].detach().clone()
            else:
                c['output'] = None
        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    return calls, handles


def make(case):
    cid, file, cls, shape, mode, perturb = case
    torch.manual_seed(0)
    model = load_model(file, cls)()
    if perturb:
        perturb_batchnorm(model, shape)
    d = os.path.join(OUT, cid)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, 'calls'))
    write_safetensors(os.path.join(d, 'weights.safetensors'), model.state_dict())
    x = torch.randn(shape, generator=torch.Generator().manual_seed(2))
    np.save(os.path.join(d, 'input.npy'), x.numpy())
    model.train(mode == 'train')
    calls, handles = record_calls(model)
    with torch.no_grad():
        y = model(x)
    for h in handles:
        h.remove()
    np.save(os.path.join(d, 'output.npy'), y.numpy())
    index = []
    for i, c in enumerate(calls):
        entry = {'index': i, 'path': c['path'], 'type': c['type'], 'alias': c.get('alias', False), 'file': None}
        if c['output'] is not None:
            entry['file'] = 'calls/%03d.npy' % i
            entry['shape'] = list(c['output'].shape)
            np.save(os.path.join(d, entry['file']), c['output'].numpy())
        index.append(entry)
    with open(os.path.join(d, 'calls.json'), 'w') as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write('\n')
    if mode == 'train':
        write_safetensors(os.path.join(d, 'state_after.safetensors'), {k: v for k, v in model.state_dict().items() if 'running' in k or 'num_batches' in k})
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
    print('%-14s %-22s %s %-5s output %s, %d calls, %.1f KiB' % (cid, file, cls, mode, list(y.shape), len(calls), size / 1024))
    return {'id': cid, 'file': file, 'model': cls, 'input': shape, 'mode': mode}


def main():
    manifest = [make(c) for c in CASES]
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
