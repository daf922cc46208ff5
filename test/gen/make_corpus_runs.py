#!/usr/bin/env python3
"""Forward passes of fixture-corpus models recorded by PyTorch, for the kernels' end-to-end test
(test/kernels/corpus.test.ts): for each listed truth case, the model built as the truth generator
builds it, BatchNorm statistics moved off their defaults, every float parameter and buffer rounded to
float16-representable values (stored as F16 safetensors: half the bytes, exact in float32), a seeded
input, and PyTorch's eval-mode output.

Run with Debian's python3-torch: /usr/bin/python3 test/gen/make_corpus_runs.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')
OUT = os.path.join(FIXTURES, 'exec', 'corpus')
sys.path.insert(0, HERE)
import make_truth  # noqa: E402  (its model import and build rules, so both generators agree)
from safetensors_writer import write_safetensors  # noqa: E402

# Truth case ids: small models that together use most of the graph's ops.
CASES = [
    'tcn_k5_60', 'rw_kimcnn_k2_30', 'densenet_g4_48', 'actzoo_32', 'padmodes_23x30', 'padmodes1d_63',
    'samepad2d_27x20', 'ceilpool_45x38', 'functional3d_8x24x24', 'functional1d_300', 'grouped_56',
    'layernorm_24', 'tokenmixer_32', 'multihead_32', 'senet_48', 'espcn_x2_24x40', 'unet3d_8x24x16',
    'gn_in_28x36', 'rw_edsr_x4_20', 'rw_wavenet_small_300', 'flatten_forms_16', 'adaptive2d_40x24',
    'adaptive3d_6x16x16', 'pool3d_9x21x17', 'bn1d3d_two_inputs', 'reuse_steps1_48', 'tied_16',
    'unet_bilinear_60x44', 'mobilenetv2_w035_96', 'deeplab_nopool_64x48',
    'rw_gru_cls_20', 'paramtricks_24x20', 'cells_stack_5x4', 'cells_unbatched_6', 'lstm_nobias_2x5',
]

def make(case_id):
    truth = json.load(open(os.path.join(FIXTURES, 'truth', case_id + '.json')))
    path = os.path.normpath(os.path.join(FIXTURES, truth['file']))
    root = os.path.normpath(os.path.join(FIXTURES, truth['root'])) if truth.get('root') else None
    mod = make_truth.import_model_file(path, root)
    torch.manual_seed(0)
    model = make_truth.build(mod, truth['model'], {k: make_truth.to_ctor_kwargs(v) for k, v in (truth.get('kwargs') or {}).items()})
    g = torch.Generator().manual_seed(1)

    def inputs():
        xs = []
        for spec in truth['inputs']:
            if spec['dtype'] == 'int64':
                xs.append(torch.randint(0, 10, spec['shape'], generator=g))
            else:
                xs.append(torch.randn(spec['shape'], generator=g))
        return xs

    # Running statistics away from 0 and 1, so that eval mode is tested (a few train-mode passes).
    if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        model.train()
        with torch.no_grad():
            for _ in range(2):
                model(*[x * 2 + 0.5 if x.is_floating_point() else x for x in inputs()])
    model.eval()
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())
    xs = inputs()
    with torch.no_grad():
        y = model(*xs)
    # forward's result flattened as the graph's outputs are (tuples and lists in order).
    outs = []

    def flatten(v):
        if isinstance(v, torch.Tensor):
            outs.append(v)
        elif isinstance(v, (tuple, list)):
            for item in v:
                flatten(item)
        else:
            raise TypeError('%s returns a %s; only tensors and tuples of them are recorded' % (case_id, type(v).__name__))

    flatten(y)
    d = os.path.join(OUT, case_id)
    os.makedirs(d)
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(d, 'weights.safetensors'), state)
    for i, x in enumerate(xs):
        np.save(os.path.join(d, 'input%d.npy' % i), x.numpy())
    for i, o in enumerate(outs):
        np.save(os.path.join(d, 'output%d.npy' % i), o.numpy())
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print('%-24s %-24s outputs %s, %.1f KiB' % (case_id, truth['model'], [list(o.shape) for o in outs], size / 1024))
    return {'id': case_id, 'inputs': len(xs), 'outputs': len(outs)}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    manifest = [make(c) for c in CASES]
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
