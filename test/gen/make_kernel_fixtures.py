# Writes the reference kernels' PyTorch fixtures: per case, a few graph nodes (ops and attrs as in
# server/src/engine/graph/ir.ts), the tensors they read, and what PyTorch computed.
#
#   /usr/bin/python3 test/gen/make_kernel_fixtures.py
#
# Output (committed; the tests need no Python):
#   test/fixtures/kernels/cases.json   {"torch": ..., "cases": [...], "init": [...]}
#   test/fixtures/kernels/tensors.npys every tensor as a .npy record, concatenated; a case names a
#                                      tensor by [byteOffset, byteLength] into this file.
# A case: {"id", "nodes": [{"op", "attrs", "inputs": [names], "outputs": [names]}],
#          "given": {name: ref}, "expected": {name: ref}}. The test runs the nodes in order over
# the given tensors and compares every expected tensor.
# The output is deterministic (fixed seeds, sorted keys, no timings).
import io
import warnings
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'kernels')

torch.set_num_threads(1)
warnings.filterwarnings('ignore', message="Using padding='same'")
blob = io.BytesIO()
cases = []
ids = set()


def ref(t):
    """Appends a tensor as a .npy record; returns [offset, length]."""
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if a.dtype == np.float64 or a.dtype == np.float16:
        a = a.astype(np.float32)
    elif a.dtype in (np.int32, np.int16, np.int8, np.uint8):
        a = a.astype(np.int64)
    assert a.dtype in (np.float32, np.int64, np.bool_), a.dtype
    start = blob.tell()
    np.save(blob, a.copy(order='C'), allow_pickle=False)  # ascontiguousarray would make 0-d arrays 1-d
    return [start, blob.tell() - start]


def node(op, attrs, inputs, outputs):
    return {'op': op, 'attrs': attrs, 'inputs': inputs, 'outputs': outputs}


def case(cid, nodes, given, expected):
    assert cid not in ids, cid
    ids.add(cid)
    if isinstance(nodes, dict):
        nodes = [nodes]
    cases.append({'id': cid, 'nodes': nodes, 'given': {k: ref(v) for k, v in given.items()},
                  'expected': {k: ref(v) for k, v in expected.items()}})


def single(cid, op, attrs, given, expected):
    """One node reading the given tensors in order and writing the expected ones in order."""
    case(cid, node(op, attrs, list(given.keys()), list(expected.keys())), given, expected)


def seed(s):
    torch.manual_seed(s)


def randn(*shape):
    return torch.randn(*shape)


def tup(v, nd):
    return list(v) if isinstance(v, (tuple, list)) else [v] * nd


# ---------------------------------------------------------------- convolution

def conv_attrs(nd, stride=1, padding=0, dilation=1, groups=1, bias=True, pad_after=None):
    p = tup(padding, nd)
    return {'nd': nd, 'stride': tup(stride, nd), 'padBefore': p, 'padAfter': tup(pad_after, nd) if pad_after is not None else p,
            'dilation': tup(dilation, nd), 'groups': groups, 'bias': bias}


def conv_case(cid, nd, x_shape, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True, s=0):
    seed(s)
    fn = [None, F.conv1d, F.conv2d, F.conv3d][nd]
    x = randn(*x_shape)
    cin = x_shape[-nd - 1]
    w = randn(cout, cin // groups, *tup(k, nd))
    b = randn(cout) if bias else None
    y = fn(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    given = {'x': x, 'w': w}
    if bias:
        given['b'] = b
    single(cid, 'conv', conv_attrs(nd, stride, padding, dilation, groups, bias), given, {'y': y})


conv_case('conv1d_pad1', 1, (2, 3, 11), 4, 3, padding=1)
conv_case('conv1d_stride3_k2_dil2_nobias', 1, (1, 2, 13), 3, 2, stride=3, dilation=2, bias=False)
conv_case('conv1d_k1', 1, (2, 5, 6), 3, 1)
conv_case('conv2d_asym_stride_pad_dil', 2, (2, 3, 9, 7), 5, 3, stride=(2, 1), padding=(1, 2), dilation=(1, 2))
conv_case('conv2d_stride_gt_kernel', 2, (1, 2, 10, 11), 3, 2, stride=3)
conv_case('conv2d_groups2', 2, (1, 4, 7, 7), 6, 3, groups=2, padding=1)
conv_case('conv2d_depthwise_s2', 2, (2, 4, 8, 9), 4, 3, stride=2, padding=1, groups=4)
conv_case('conv2d_depthwise_mult2_k5', 2, (1, 3, 9, 8), 6, 5, padding=2, groups=3)
conv_case('conv2d_unbatched', 2, (3, 8, 6), 2, 3, padding=1)
conv_case('conv2d_rect_kernel', 2, (1, 3, 7, 10), 4, (1, 5), padding=(0, 2))
conv_case('conv3d_mixed', 3, (1, 2, 5, 6, 7), 3, (3, 2, 3), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2))
conv_case('conv3d_batch2_groups', 3, (2, 4, 4, 5, 4), 2, 3, padding=1, groups=2)

# padding='same' with an even kernel: PyTorch puts the odd pixel after (window.ts samePadding).
seed(1)
x = randn(1, 2, 7, 8)
w = randn(3, 2, 4, 3)
single('conv2d_same_even_kernel', 'conv', conv_attrs(2, 1, [1, 1], 1, 1, False, pad_after=[2, 1]), {'x': x, 'w': w},
       {'y': F.conv2d(x, w, padding='same')})
seed(2)
x = randn(1, 2, 9)
w = randn(2, 2, 3)
single('conv1d_same_dil3', 'conv', conv_attrs(1, 1, 3, 3, 1, False), {'x': x, 'w': w}, {'y': F.conv1d(x, w, padding='same', dilation=3)})

# padding_mode != 'zeros' is a pad node then a conv without padding.
for mode in ['reflect', 'replicate', 'circular']:
    seed(3)
    m = nn.Conv2d(3, 4, 3, stride=2, padding=(1, 2), padding_mode=mode)
    x = randn(2, 3, 7, 8)
    case(f'conv2d_padding_mode_{mode}', [
        node('pad', {'mode': mode, 'before': [0, 0, 1, 2], 'after': [0, 0, 1, 2], 'value': 0}, ['x'], ['xp']),
        node('conv', conv_attrs(2, 2, 0), ['xp', 'w', 'b'], ['y']),
    ], {'x': x, 'w': m.weight, 'b': m.bias}, {'y': m(x)})
seed(4)
m = nn.Conv1d(2, 3, 5, padding=2, padding_mode='circular')
x = randn(1, 2, 6)
case('conv1d_padding_mode_circular', [
    node('pad', {'mode': 'circular', 'before': [0, 0, 2], 'after': [0, 0, 2], 'value': 0}, ['x'], ['xp']),
    node('conv', conv_attrs(1), ['xp', 'w', 'b'], ['y']),
], {'x': x, 'w': m.weight, 'b': m.bias}, {'y': m(x)})


def convt_case(cid, nd, x_shape, cout, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True, s=0):
    seed(s)
    fn = [None, F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][nd]
    x = randn(*x_shape)
    cin = x_shape[1]
    w = randn(cin, cout // groups, *tup(k, nd))
    b = randn(cout) if bias else None
    y = fn(x, w, b, stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    given = {'x': x, 'w': w}
    if bias:
        given['b'] = b
    single(cid, 'conv_transpose', {'nd': nd, 'stride': tup(stride, nd), 'padding': tup(padding, nd), 'outputPadding': tup(output_padding, nd),
                                   'dilation': tup(dilation, nd), 'groups': groups, 'bias': bias}, given, {'y': y})


convt_case('convt1d_s2_p1_op1', 1, (2, 3, 5), 4, 3, stride=2, padding=1, output_padding=1)
convt_case('convt2d_dil_op', 2, (1, 4, 5, 4), 3, 3, stride=2, padding=1, output_padding=(1, 0), dilation=(1, 2))
convt_case('convt2d_groups2_k4', 2, (1, 4, 3, 3), 4, 4, stride=2, padding=1, groups=2)
convt_case('convt2d_stride_gt_kernel_nobias', 2, (2, 2, 3, 4), 3, 2, stride=3, bias=False)
convt_case('convt2d_op_bias_only_cells', 2, (1, 2, 3, 3), 2, 1, stride=3, output_padding=2)
convt_case('convt3d', 3, (1, 2, 3, 4, 3), 3, (2, 3, 2), stride=(2, 1, 2), padding=(0, 1, 0))

# ---------------------------------------------------------------- pad


def pad_case(cid, x, pads, mode, value=0.0):
    """pads in F.pad's order (last dim first); written per dim for the IR."""
    r = x.dim()
    before, after = [0] * r, [0] * r
    for i in range(len(pads) // 2):
        before[r - 1 - i] = pads[2 * i]
        after[r - 1 - i] = pads[2 * i + 1]
    y = F.pad(x, pads, mode=mode, value=value) if mode == 'constant' else F.pad(x, pads, mode=mode)
    single(cid, 'pad', {'mode': mode, 'before': before, 'after': after, 'value': value if mode == 'constant' else 0}, {'x': x}, {'y': y})


seed(5)
pad_case('pad_constant_asym_value', randn(2, 3, 4, 5), (1, 2, 0, 3), 'constant', 0.5)
pad_case('pad_constant_negative_crop', randn(1, 2, 6, 5), (-1, 2, 1, -2), 'constant', -1.0)
pad_case('pad_constant_channels', randn(1, 2, 3, 3), (0, 0, 0, 0, 1, 2), 'constant', 0.0)
pad_case('pad_reflect_1d', randn(2, 3, 6), (3, 5), 'reflect')
pad_case('pad_reflect_2d', randn(1, 2, 5, 4), (1, 3, 2, 4), 'reflect')
pad_case('pad_replicate_2d', randn(1, 2, 3, 4), (2, 1, 3, 0), 'replicate')
pad_case('pad_replicate_3d', randn(1, 1, 3, 2, 4), (1, 1, 2, 0, 0, 2), 'replicate')
pad_case('pad_circular_2d', randn(2, 1, 4, 5), (2, 5, 4, 1), 'circular')
pad_case('pad_circular_1d', randn(1, 2, 5), (4, 2), 'circular')

# ---------------------------------------------------------------- pooling


def maxpool_case(cid, nd, x_shape, k, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, s=6):
    seed(s)
    x = randn(*x_shape)
    fn = [None, F.max_pool1d, F.max_pool2d, F.max_pool3d][nd]
    res = fn(x, k, stride, padding, dilation, ceil_mode=ceil_mode, return_indices=return_indices)
    expected = {'y': res[0], 'idx': res[1]} if return_indices else {'y': res}
    single(cid, 'max_pool', {'nd': nd, 'kernel': tup(k, nd), 'stride': tup(stride if stride is not None else k, nd), 'padding': tup(padding, nd),
                             'dilation': tup(dilation, nd), 'ceilMode': ceil_mode, 'returnIndices': return_indices}, {'x': x}, expected)


maxpool_case('maxpool2d_k3s2p1', 2, (2, 3, 9, 8), 3, 2, 1)
maxpool_case('maxpool2d_ceil_odd', 2, (1, 2, 7, 10), 3, 2, 0, ceil_mode=True)
maxpool_case('maxpool2d_ceil_pad_dropped_window', 2, (1, 1, 6, 6), 2, 2, 1, ceil_mode=True)
maxpool_case('maxpool2d_dilation2', 2, (1, 2, 9, 9), 3, 1, 1, dilation=2)
maxpool_case('maxpool2d_stride_gt_kernel', 2, (1, 2, 10, 11), 2, 3)
maxpool_case('maxpool2d_indices', 2, (2, 2, 6, 7), (2, 3), (2, 2), (1, 0), return_indices=True)
maxpool_case('maxpool1d_ceil', 1, (2, 3, 11), 4, 3, 2, ceil_mode=True)
maxpool_case('maxpool3d', 3, (1, 2, 5, 6, 7), (2, 3, 2), (2, 2, 3), (1, 1, 0), ceil_mode=True)
# NaN propagates through max pooling.
seed(7)
x = randn(1, 1, 4, 4)
x[0, 0, 1, 2] = float('nan')
single('maxpool2d_nan', 'max_pool', {'nd': 2, 'kernel': [2, 2], 'stride': [2, 2], 'padding': [0, 0], 'dilation': [1, 1], 'ceilMode': False, 'returnIndices': False},
       {'x': x}, {'y': F.max_pool2d(x, 2)})


def avgpool_case(cid, nd, x_shape, k, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None, s=8):
    seed(s)
    x = randn(*x_shape)
    if nd == 1:
        y = F.avg_pool1d(x, k, stride, padding, ceil_mode, count_include_pad)
    else:
        fn = F.avg_pool2d if nd == 2 else F.avg_pool3d
        y = fn(x, k, stride, padding, ceil_mode, count_include_pad, divisor_override)
    single(cid, 'avg_pool', {'nd': nd, 'kernel': tup(k, nd), 'stride': tup(stride if stride is not None else k, nd), 'padding': tup(padding, nd),
                             'ceilMode': ceil_mode, 'countIncludePad': count_include_pad, 'divisorOverride': divisor_override}, {'x': x}, {'y': y})


avgpool_case('avgpool2d_k3s2p1_incl', 2, (2, 3, 9, 8), 3, 2, 1)
avgpool_case('avgpool2d_k3s2p1_excl', 2, (2, 3, 9, 8), 3, 2, 1, count_include_pad=False)
avgpool_case('avgpool2d_ceil_pad_incl', 2, (1, 2, 7, 6), 3, 2, 1, ceil_mode=True)
avgpool_case('avgpool2d_ceil_pad_excl', 2, (1, 2, 7, 6), 3, 2, 1, ceil_mode=True, count_include_pad=False)
avgpool_case('avgpool2d_ceil_nopad', 2, (1, 2, 5, 8), 2, 3, 0, ceil_mode=True)
avgpool_case('avgpool2d_divisor_override', 2, (1, 2, 6, 7), (2, 3), (2, 2), (1, 1), divisor_override=5)
avgpool_case('avgpool1d_ceil_excl', 1, (2, 3, 10), 4, 3, 2, ceil_mode=True, count_include_pad=False)
avgpool_case('avgpool3d', 3, (1, 2, 5, 4, 6), (2, 2, 3), (2, 1, 2), (1, 0, 1), ceil_mode=True)


def adaptive_case(cid, kind, nd, x_shape, out, return_indices=False, s=9):
    seed(s)
    x = randn(*x_shape)
    if kind == 'avg':
        fn = [None, F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d][nd]
        single(cid, 'adaptive_avg_pool', {'nd': nd, 'outSize': tup(out, nd)}, {'x': x}, {'y': fn(x, out)})
    else:
        fn = [None, F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d][nd]
        res = fn(x, out, return_indices=return_indices)
        expected = {'y': res[0], 'idx': res[1]} if return_indices else {'y': res}
        single(cid, 'adaptive_max_pool', {'nd': nd, 'outSize': tup(out, nd), 'returnIndices': return_indices}, {'x': x}, expected)


adaptive_case('adaptive_avg2d_7x5_to_3x2', 'avg', 2, (2, 3, 7, 5), (3, 2))
adaptive_case('adaptive_avg2d_global', 'avg', 2, (2, 4, 5, 6), 1)
adaptive_case('adaptive_avg2d_upsample', 'avg', 2, (1, 2, 3, 4), (5, 6))
adaptive_case('adaptive_avg1d', 'avg', 1, (2, 3, 10), 4)
adaptive_case('adaptive_avg3d', 'avg', 3, (1, 2, 5, 4, 7), (2, 3, 3))
adaptive_case('adaptive_max2d_indices', 'max', 2, (2, 2, 7, 9), (3, 4), return_indices=True)
adaptive_case('adaptive_max1d', 'max', 1, (1, 3, 11), 3)
adaptive_case('adaptive_max3d', 'max', 3, (1, 1, 4, 5, 6), (2, 2, 4))
# F.interpolate(mode='area') is adaptive average pooling.
seed(10)
x = randn(1, 2, 9, 7)
single('interp_area_as_adaptive', 'adaptive_avg_pool', {'nd': 2, 'outSize': [4, 3]}, {'x': x}, {'y': F.interpolate(x, size=(4, 3), mode='area')})

# ---------------------------------------------------------------- normalisation


def bn_case(cid, shape, training, momentum=0.1, affine=True, track=True, nbt=0, s=11):
    seed(s)
    C = shape[1]
    nd = {2: 1, 3: 1, 4: 2, 5: 3}[len(shape)]
    cls = [None, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d][nd]
    m = cls(C, momentum=momentum, affine=affine, track_running_stats=track)
    if affine:
        with torch.no_grad():
            m.weight.copy_(torch.rand(C) + 0.5)
            m.bias.copy_(randn(C))
    if track:
        m.running_mean.copy_(randn(C))
        m.running_var.copy_(torch.rand(C) + 0.5)
        m.num_batches_tracked.fill_(nbt)
    x = randn(*shape) * 2 + 0.5
    given = {'x': x}
    names = ['x']
    if track:
        given['running_mean'] = m.running_mean.clone()
        given['running_var'] = m.running_var.clone()
    if affine:
        given['weight'] = m.weight.detach().clone()
        given['bias'] = m.bias.detach().clone()
    if track:
        given['num_batches_tracked'] = m.num_batches_tracked.clone()
    m.train(training)
    with torch.no_grad():
        y = m(x)
    expected = {'y': y}
    bn_training = training or not track
    if bn_training and track:
        expected['new_running_mean'] = m.running_mean
        expected['new_running_var'] = m.running_var
        expected['new_num_batches_tracked'] = m.num_batches_tracked
    attrs = {'training': bn_training, 'momentum': momentum, 'eps': m.eps, 'runningStats': track, 'weight': affine, 'bias': affine,
             'numBatchesTracked': track}
    single(cid, 'batch_norm', attrs, given, expected)


bn_case('bn2d_eval', (2, 3, 5, 4), False)
bn_case('bn2d_train', (2, 3, 5, 4), True)
bn_case('bn2d_train_momentum_none', (2, 3, 4, 4), True, momentum=None, nbt=3)
bn_case('bn1d_train_2d_input', (5, 4), True, momentum=0.3)
bn_case('bn1d_eval_3d_input', (2, 4, 7), False)
bn_case('bn2d_train_no_affine', (3, 2, 3, 3), True, affine=False)
bn_case('bn2d_no_running_stats_eval', (2, 3, 4, 3), False, track=False)
bn_case('bn3d_train', (2, 2, 3, 4, 3), True)
bn_case('bn3d_eval', (1, 3, 2, 3, 4), False)


def ln_case(cid, shape, k, affine=True, s=12):
    seed(s)
    ns = list(shape[-k:])
    m = nn.LayerNorm(ns, elementwise_affine=affine, eps=1e-5)
    given = {'x': randn(*shape)}
    if affine:
        with torch.no_grad():
            m.weight.copy_(randn(*ns))
            m.bias.copy_(randn(*ns))
        given['weight'] = m.weight
        given['bias'] = m.bias
    single(cid, 'layer_norm', {'normalizedShape': ns, 'eps': 1e-5, 'weight': affine, 'bias': affine}, given, {'y': m(given['x'])})


ln_case('layernorm_last1', (2, 5, 7), 1)
ln_case('layernorm_last3', (2, 3, 4, 5), 3)
ln_case('layernorm_no_affine', (3, 6), 1, affine=False)


def gn_case(cid, shape, groups, affine=True, s=13):
    seed(s)
    C = shape[1]
    m = nn.GroupNorm(groups, C, affine=affine)
    given = {'x': randn(*shape) * 3 - 1}
    if affine:
        with torch.no_grad():
            m.weight.copy_(randn(C))
            m.bias.copy_(randn(C))
        given['weight'] = m.weight
        given['bias'] = m.bias
    single(cid, 'group_norm', {'groups': groups, 'eps': m.eps, 'weight': affine, 'bias': affine}, given, {'y': m(given['x'])})


gn_case('groupnorm_2_of_6', (2, 6, 5, 4), 2)
gn_case('groupnorm_1_group', (1, 4, 3, 3), 1)
gn_case('groupnorm_per_channel', (2, 3, 7), 3)
gn_case('groupnorm_no_affine_3d', (1, 4, 2, 3, 3), 2, affine=False)


def in_case(cid, shape, training, affine=False, track=False, momentum=0.1, s=14):
    seed(s)
    C = shape[1]
    nd = len(shape) - 2
    cls = [None, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d][nd]
    m = cls(C, affine=affine, track_running_stats=track, momentum=momentum)
    given = {'x': randn(*shape) * 2 + 1}
    if track:
        m.running_mean.copy_(randn(C))
        m.running_var.copy_(torch.rand(C) + 0.5)
        given['running_mean'] = m.running_mean.clone()
        given['running_var'] = m.running_var.clone()
    if affine:
        with torch.no_grad():
            m.weight.copy_(randn(C))
            m.bias.copy_(randn(C))
        given['weight'] = m.weight.detach().clone()
        given['bias'] = m.bias.detach().clone()
    m.train(training)
    with torch.no_grad():
        y = m(given['x'])
    use_input = training or not track
    expected = {'y': y}
    if use_input and track:
        expected['new_running_mean'] = m.running_mean
        expected['new_running_var'] = m.running_var
    single(cid, 'instance_norm', {'useInputStats': use_input, 'momentum': momentum, 'eps': m.eps, 'runningStats': track, 'weight': affine, 'bias': affine},
           given, expected)


in_case('instnorm2d_default', (2, 3, 5, 4), False)
in_case('instnorm2d_affine', (2, 3, 4, 4), True, affine=True)
in_case('instnorm2d_running_train', (3, 2, 4, 5), True, track=True, momentum=0.2)
in_case('instnorm2d_running_eval', (2, 2, 3, 3), False, affine=True, track=True)
in_case('instnorm1d', (2, 4, 9), True)
in_case('instnorm3d_running_train', (2, 2, 3, 2, 3), True, affine=True, track=True)

for size in (3, 4):
    seed(15)
    x = randn(2, 7, 4, 3)
    m = nn.LocalResponseNorm(size, alpha=0.01, beta=0.75, k=2.0)
    single(f'lrn_size{size}', 'local_response_norm', {'size': size, 'alpha': 0.01, 'beta': 0.75, 'k': 2.0}, {'x': x}, {'y': m(x)})

# ---------------------------------------------------------------- dense

for cid, xs, bias in [('linear_2d_bias', (3, 5), True), ('linear_3d_nobias', (2, 3, 5), False), ('linear_1d_input', (5,), True)]:
    seed(16)
    m = nn.Linear(5, 7, bias=bias)
    x = randn(*xs)
    given = {'x': x, 'weight': m.weight}
    if bias:
        given['bias'] = m.bias
    single(cid, 'linear', {'bias': bias}, given, {'y': m(x)})

for cid, sa, sb in [('matmul_dot', (6,), (6,)), ('matmul_mv', (3, 4), (4,)), ('matmul_vm', (4,), (4, 5)), ('matmul_batched', (2, 3, 4), (2, 4, 5)),
                    ('matmul_broadcast', (2, 1, 3, 4), (5, 4, 2)), ('matmul_2d_by_3d', (3, 4), (2, 4, 5)), ('matmul_batched_by_vec', (2, 3, 4), (4,))]:
    seed(17)
    a, b = randn(*sa), randn(*sb)
    single(cid, 'matmul', {}, {'a': a, 'b': b}, {'y': a @ b})

seed(18)
w = randn(10, 4)
idx = torch.tensor([[1, 0, 9], [3, 3, 7]])
single('embedding_2d_indices', 'embedding', {}, {'idx': idx, 'weight': w}, {'y': F.embedding(idx, w)})

# ---------------------------------------------------------------- element-wise

seed(19)
grid = torch.cat([torch.linspace(-6, 6, 49), torch.tensor([-2.5, -0.5, 0.5, 1.5, 2.5, 3.5, 25.0, -25.0, 0.0])]).reshape(2, 29)
pos = grid.abs() + 0.05
UNARY = [
    ('relu', {}, F.relu, grid), ('relu6', {}, F.relu6, grid), ('selu', {}, F.selu, grid), ('silu', {}, F.silu, grid), ('mish', {}, F.mish, grid),
    ('sigmoid', {}, torch.sigmoid, grid), ('tanh', {}, torch.tanh, grid), ('hardswish', {}, F.hardswish, grid),
    ('hardsigmoid', {}, F.hardsigmoid, grid), ('softsign', {}, F.softsign, grid), ('tanhshrink', {}, F.tanhshrink, grid),
    ('logsigmoid', {}, F.logsigmoid, grid),
    ('exp', {}, torch.exp, grid / 2), ('expm1', {}, torch.expm1, grid / 2), ('log', {}, torch.log, pos), ('log2', {}, torch.log2, pos),
    ('log10', {}, torch.log10, pos), ('log1p', {}, torch.log1p, pos), ('sqrt', {}, torch.sqrt, pos), ('rsqrt', {}, torch.rsqrt, pos),
    ('abs', {}, torch.abs, grid), ('neg', {}, torch.neg, grid), ('reciprocal', {}, torch.reciprocal, pos), ('square', {}, torch.square, grid),
    ('sign', {}, torch.sign, grid), ('sin', {}, torch.sin, grid), ('cos', {}, torch.cos, grid), ('tan', {}, torch.tan, grid / 5),
    ('erf', {}, torch.erf, grid), ('floor', {}, torch.floor, grid), ('ceil', {}, torch.ceil, grid), ('trunc', {}, torch.trunc, grid),
    ('frac', {}, torch.frac, grid), ('round', {}, torch.round, grid),
]
for fn, extra, f, x in UNARY:
    single(f'unary_{fn}', 'unary', {'fn': fn, **extra}, {'x': x}, {'y': f(x)})
PARAM_UNARY = [
    ('leaky_relu_0.2', {'fn': 'leaky_relu', 'negativeSlope': 0.2}, lambda x: F.leaky_relu(x, 0.2)),
    ('elu_1.5', {'fn': 'elu', 'alpha': 1.5}, lambda x: F.elu(x, 1.5)),
    ('celu_0.7', {'fn': 'celu', 'alpha': 0.7}, lambda x: F.celu(x, 0.7)),
    ('gelu_none', {'fn': 'gelu', 'approximate': 'none'}, lambda x: F.gelu(x)),
    ('gelu_tanh', {'fn': 'gelu', 'approximate': 'tanh'}, lambda x: F.gelu(x, approximate='tanh')),
    ('hardtanh_-2_3', {'fn': 'hardtanh', 'min': -2.0, 'max': 3.0}, lambda x: F.hardtanh(x, -2.0, 3.0)),
    ('softplus_b2_t5', {'fn': 'softplus', 'beta': 2.0, 'threshold': 5.0}, lambda x: F.softplus(x, 2.0, 5.0)),
    ('softplus_default', {'fn': 'softplus', 'beta': 1.0, 'threshold': 20.0}, lambda x: F.softplus(x)),
    ('hardshrink', {'fn': 'hardshrink', 'lambd': 0.5}, lambda x: F.hardshrink(x, 0.5)),
    ('softshrink', {'fn': 'softshrink', 'lambd': 0.75}, lambda x: F.softshrink(x, 0.75)),
    ('threshold', {'fn': 'threshold', 'threshold': 0.3, 'value': -7.0}, lambda x: F.threshold(x, 0.3, -7.0)),
    ('clamp_both', {'fn': 'clamp', 'min': -1.0, 'max': 2.0}, lambda x: torch.clamp(x, -1.0, 2.0)),
    ('clamp_min_only', {'fn': 'clamp', 'min': 0.5, 'max': None}, lambda x: torch.clamp(x, min=0.5)),
    ('clamp_min_gt_max', {'fn': 'clamp', 'min': 2.0, 'max': 1.0}, lambda x: torch.clamp(x, 2.0, 1.0)),
    ('pow_scalar_2', {'fn': 'pow_scalar', 'exponent': 2.0}, lambda x: x ** 2),
    ('pow_scalar_3', {'fn': 'pow_scalar', 'exponent': 3.0}, lambda x: x.pow(3)),
    ('rrelu_eval', {'fn': 'leaky_relu', 'negativeSlope': (1 / 8 + 1 / 3) / 2}, lambda x: F.rrelu(x, training=False)),
]
for cid, attrs, f in PARAM_UNARY:
    single(f'unary_{cid}', 'unary', attrs, {'x': grid}, {'y': f(grid)})
single('unary_pow_scalar_half', 'unary', {'fn': 'pow_scalar', 'exponent': 0.5}, {'x': pos}, {'y': pos ** 0.5})
ints = torch.tensor([[-3, -1, 0, 2, 5]])
for fn, f in [('relu', F.relu), ('abs', torch.abs), ('neg', torch.neg), ('sign', torch.sign), ('square', torch.square)]:
    single(f'unary_int_{fn}', 'unary', {'fn': fn}, {'x': ints}, {'y': f(ints)})
single('unary_int_sigmoid_to_float', 'unary', {'fn': 'sigmoid'}, {'x': ints}, {'y': torch.sigmoid(ints)})
bools = torch.tensor([True, False, True])
single('unary_logical_not', 'unary', {'fn': 'logical_not'}, {'x': bools}, {'y': torch.logical_not(bools)})

seed(20)
A = randn(2, 1, 4) * 3
B = randn(3, 1) * 3
Bp = B.abs() + 0.5
BINARY = [
    ('add_alpha2', {'fn': 'add', 'alpha': 2.0}, lambda a, b: torch.add(a, b, alpha=2.0), A, B),
    ('sub_alpha_half', {'fn': 'sub', 'alpha': 0.5}, lambda a, b: torch.sub(a, b, alpha=0.5), A, B),
    ('mul', {'fn': 'mul'}, torch.mul, A, B),
    ('div', {'fn': 'div', 'rounding': 'none'}, torch.div, A, B),
    ('div_trunc', {'fn': 'div', 'rounding': 'trunc'}, lambda a, b: torch.div(a, b, rounding_mode='trunc'), A, B),
    ('div_floor', {'fn': 'div', 'rounding': 'floor'}, lambda a, b: torch.div(a, b, rounding_mode='floor'), A, B),
    ('remainder', {'fn': 'remainder'}, torch.remainder, A, B),
    ('fmod', {'fn': 'fmod'}, torch.fmod, A, B),
    ('pow', {'fn': 'pow'}, torch.pow, A.abs() + 0.1, B / 2),
    ('atan2', {'fn': 'atan2'}, torch.atan2, A, B),
    ('maximum', {'fn': 'maximum'}, torch.maximum, A, B),
    ('minimum', {'fn': 'minimum'}, torch.minimum, A, B),
    ('lt', {'fn': 'lt'}, torch.lt, A, B), ('le', {'fn': 'le'}, torch.le, A, A[:, :, :1]), ('gt', {'fn': 'gt'}, torch.gt, A, B),
    ('ge', {'fn': 'ge'}, torch.ge, A, A[:, :, :1]), ('eq', {'fn': 'eq'}, torch.eq, A, A[:, :, :1]), ('ne', {'fn': 'ne'}, torch.ne, A, A[:, :, 1:2]),
    ('logical_and', {'fn': 'logical_and'}, torch.logical_and, A > 0, B > 0),
    ('logical_or', {'fn': 'logical_or'}, torch.logical_or, A > 0, B > 0),
    ('logical_xor', {'fn': 'logical_xor'}, torch.logical_xor, A > 0, B > 0),
    ('mul_scalar_const', {'fn': 'mul'}, torch.mul, A, torch.tensor(0.25)),
    ('add_int_float', {'fn': 'add', 'alpha': 1.0}, torch.add, torch.tensor([[1, -2, 3]]), Bp),
    ('add_int_int', {'fn': 'add', 'alpha': 1.0}, torch.add, torch.tensor([[1, -2, 3]]), torch.tensor([[4], [5]])),
    ('div_floor_int', {'fn': 'div', 'rounding': 'floor'}, lambda a, b: torch.div(a, b, rounding_mode='floor'), torch.tensor([7, -7, 7, -7]), torch.tensor([2, 2, -2, -2])),
    ('remainder_int', {'fn': 'remainder'}, torch.remainder, torch.tensor([7, -7, 7, -7]), torch.tensor([3, 3, -3, -3])),
    ('div_int_true', {'fn': 'div', 'rounding': 'none'}, torch.div, torch.tensor([7, -7, 1]), torch.tensor([2, 4, 3])),
]
for cid, attrs, f, a, b in BINARY:
    single(f'binary_{cid}', 'binary', attrs, {'a': a, 'b': b}, {'y': f(a, b)})

seed(21)
a, b = randn(2, 3, 4), randn(4)
cond = randn(3, 1) > 0
single('where_broadcast', 'where', {}, {'cond': cond, 'a': a, 'b': b}, {'y': torch.where(cond, a, b)})
single('where_masked_fill', 'where', {}, {'mask': a > 0.5, 'v': torch.tensor(-1.0), 'x': a}, {'y': a.masked_fill(a > 0.5, -1.0)})

for cid, n in [('prelu_per_channel', 3), ('prelu_shared', 1)]:
    seed(22)
    m = nn.PReLU(n)
    with torch.no_grad():
        m.weight.copy_(torch.rand(n))
    x = randn(2, 3, 4, 2)
    single(cid, 'prelu', {}, {'x': x, 'weight': m.weight}, {'y': m(x)})

seed(23)
x = randn(2, 3, 4, 4)
single('dropout_eval_identity', 'dropout', {'p': 0.5, 'training': False, 'featureDims': 0, 'seed': 0}, {'x': x}, {'y': nn.Dropout(0.5).eval()(x)})
single('dropout2d_train_p0_identity', 'dropout', {'p': 0.0, 'training': True, 'featureDims': 2, 'seed': 7}, {'x': x}, {'y': nn.Dropout2d(0.0).train()(x)})

# ---------------------------------------------------------------- resampling


def interp_case(cid, x, mode, size=None, scale=None, align_corners=None, recompute=None):
    nd = x.dim() - 2
    y = F.interpolate(x, size=size, scale_factor=scale, mode=mode, align_corners=align_corners, recompute_scale_factor=recompute)
    out = list(y.shape[2:])
    if scale is not None and not recompute:
        scales = [float(v) for v in tup(scale, nd)]
    else:
        scales = [None] * nd
    ir_mode = {'nearest': 'nearest', 'nearest-exact': 'nearest-exact', 'linear': 'linear', 'bilinear': 'linear', 'trilinear': 'linear', 'bicubic': 'cubic'}[mode]
    single(cid, 'interpolate', {'mode': ir_mode, 'nd': nd, 'size': out, 'scales': scales, 'alignCorners': bool(align_corners)}, {'x': x}, {'y': y})


seed(24)
x1, x2, x3 = randn(2, 2, 5), randn(1, 2, 5, 4), randn(1, 2, 3, 4, 5)
interp_case('interp_nearest_2d_x2', x2, 'nearest', scale=2)
interp_case('interp_nearest_2d_x1.7', x2, 'nearest', scale=1.7)
interp_case('interp_nearest_2d_size_5x4_to_7x9', x2, 'nearest', size=(7, 9))
interp_case('interp_nearest_2d_x0.6', x2, 'nearest', scale=0.6)
interp_case('interp_nearest_2d_x1.1_same_size', x2, 'nearest', scale=1.1)
interp_case('interp_nearest_2d_x2.3_recompute', x2, 'nearest', scale=2.3, recompute=True)
interp_case('interp_nearest_2d_x1.3x2.6', x2, 'nearest', scale=(1.3, 2.6))
interp_case('interp_nearest_1d_x2.5', x1, 'nearest', scale=2.5)
interp_case('interp_nearest_3d_x1.5', x3, 'nearest', scale=1.5)
# Output 39 of 31×1.3 reads input 30 with PyTorch's float32 1/scale, 29 in double precision (and 37 of 11×3.7: 10, not 9).
interp_case('interp_nearest_1d_x1.3_float32_index', randn(1, 1, 31), 'nearest', scale=1.3)
interp_case('interp_nearest_1d_x3.7_float32_index', randn(1, 1, 11), 'nearest', scale=3.7)
interp_case('interp_nearest_exact_2d_x1.7', x2, 'nearest-exact', scale=1.7)
interp_case('interp_nearest_exact_2d_size', x2, 'nearest-exact', size=(3, 7))
interp_case('interp_linear_1d_x2.3', x1, 'linear', scale=2.3, align_corners=False)
interp_case('interp_linear_1d_x2.3_align', x1, 'linear', scale=2.3, align_corners=True)
interp_case('interp_bilinear_x2', x2, 'bilinear', scale=2, align_corners=False)
interp_case('interp_bilinear_x1.5', x2, 'bilinear', scale=1.5, align_corners=False)
interp_case('interp_bilinear_size_align', x2, 'bilinear', size=(8, 11), align_corners=True)
interp_case('interp_bilinear_size_noalign', x2, 'bilinear', size=(8, 11), align_corners=False)
interp_case('interp_bilinear_x0.4', randn(1, 2, 9, 11), 'bilinear', scale=0.4, align_corners=False)
interp_case('interp_bilinear_x1.1_same_size', x2, 'bilinear', scale=1.1, align_corners=False)
interp_case('interp_bilinear_x2.3_recompute', x2, 'bilinear', scale=2.3, align_corners=False, recompute=True)
interp_case('interp_trilinear_x1.5', x3, 'trilinear', scale=(1.5, 2.0, 0.7), align_corners=False)
interp_case('interp_trilinear_size_align', x3, 'trilinear', size=(4, 6, 3), align_corners=True)
interp_case('interp_bicubic_x1.7', x2, 'bicubic', scale=1.7, align_corners=False)
interp_case('interp_bicubic_size_align', x2, 'bicubic', size=(9, 7), align_corners=True)
interp_case('interp_bicubic_x0.5', randn(1, 1, 8, 10), 'bicubic', scale=0.5, align_corners=False)

for r in (2, 3):
    seed(25)
    x = randn(2, 2 * r * r, 3, 2)
    single(f'pixel_shuffle_r{r}', 'pixel_shuffle', {'upscale': r}, {'x': x}, {'y': F.pixel_shuffle(x, r)})
seed(26)
x = randn(1, 3, 4, 6)
single('pixel_unshuffle_r2', 'pixel_unshuffle', {'downscale': 2}, {'x': x}, {'y': F.pixel_unshuffle(x, 2)})
x = randn(2, 2, 3, 6, 3)
single('pixel_unshuffle_r3_batch_dims', 'pixel_unshuffle', {'downscale': 3}, {'x': x}, {'y': F.pixel_unshuffle(x, 3)})

# ---------------------------------------------------------------- shape and data movement

seed(27)
x = randn(2, 3, 4, 5)
single('reshape_flatten', 'reshape', {'shape': [2, 60]}, {'x': x}, {'y': torch.flatten(x, 1)})
single('permute_transpose', 'permute', {'perm': [0, 3, 1, 2]}, {'x': x}, {'y': x.permute(0, 3, 1, 2)})
single('permute_t', 'permute', {'perm': [1, 0]}, {'x': x[0, 0]}, {'y': x[0, 0].t()})
single('expand_leading', 'expand', {'shape': [2, 3, 4, 5]}, {'x': x[0, :, :1, :]}, {'y': x[0, :, :1, :].expand(2, 3, 4, 5)})
parts = [randn(2, 1, 4), randn(2, 3, 4), randn(2, 2, 4)]
single('cat_dim1', 'cat', {'dim': 1}, {'a': parts[0], 'b': parts[1], 'c': parts[2]}, {'y': torch.cat(parts, 1)})
single('cat_int_float_promotes', 'cat', {'dim': 0}, {'a': torch.tensor([[1, 2]]), 'b': torch.tensor([[0.5, 1.5]])},
       {'y': torch.cat([torch.tensor([[1, 2]]), torch.tensor([[0.5, 1.5]])])})
same = [randn(2, 3), randn(2, 3), randn(2, 3)]
single('stack_dim2', 'stack', {'dim': 2}, {'a': same[0], 'b': same[1], 'c': same[2]}, {'y': torch.stack(same, 2)})
single('stack_dim0', 'stack', {'dim': 0}, {'a': same[0], 'b': same[1]}, {'y': torch.stack(same[:2], 0)})
sp = torch.split(x, [1, 2, 2], dim=3)
single('split_sizes', 'split', {'dim': 3, 'sizes': [1, 2, 2]}, {'x': x}, {'y0': sp[0], 'y1': sp[1], 'y2': sp[2]})
ch = torch.chunk(x, 2, dim=2)
single('chunk_as_split', 'split', {'dim': 2, 'sizes': [2, 2]}, {'x': x}, {'y0': ch[0], 'y1': ch[1]})
single('slice_steps', 'slice', {'start': [0, 1, 0, 1], 'stop': [2, 3, 4, 5], 'step': [1, 1, 3, 2]}, {'x': x}, {'y': x[:, 1:, ::3, 1::2]})
single('slice_int_index_then_reshape', 'slice', {'start': [0, 2, 0, 0], 'stop': [2, 3, 4, 5], 'step': [1, 1, 1, 1]}, {'x': x}, {'y': x[:, 2:3]})
idx = torch.tensor([3, 0, 3])
single('index_select_dim2', 'index_select', {'dim': 2}, {'x': x, 'idx': idx}, {'y': torch.index_select(x, 2, idx)})
neg = torch.tensor([[-1.7, -0.2, 0.0, 0.9, 2.5]])
single('cast_float_to_long', 'cast', {'dtype': 'int64'}, {'x': neg}, {'y': neg.long()})
single('cast_float_to_bool', 'cast', {'dtype': 'bool'}, {'x': neg}, {'y': neg.bool()})
single('cast_bool_to_float', 'cast', {'dtype': 'float32'}, {'x': neg > 0}, {'y': (neg > 0).float()})
case('full_ones', node('full', {'shape': [2, 3], 'value': 1.0, 'dtype': 'float32'}, [], ['y']), {}, {'y': torch.ones(2, 3)})
case('full_int', node('full', {'shape': [4], 'value': 7, 'dtype': 'int64'}, [], ['y']), {}, {'y': torch.full((4,), 7)})

# ---------------------------------------------------------------- reductions

seed(28)
x = randn(2, 3, 4, 5)
REDUCE = [
    ('sum_keepdim', {'fn': 'sum', 'dims': [1, 3], 'keepdim': True}, x.sum((1, 3), keepdim=True)),
    ('mean_all', {'fn': 'mean', 'dims': [0, 1, 2, 3], 'keepdim': False}, x.mean()),
    ('mean_spatial', {'fn': 'mean', 'dims': [2, 3], 'keepdim': False}, x.mean((-2, -1))),
    ('amax_dim2', {'fn': 'amax', 'dims': [2], 'keepdim': False}, x.amax(2)),
    ('amin_dims', {'fn': 'amin', 'dims': [0, 3], 'keepdim': True}, x.amin((0, 3), keepdim=True)),
    ('prod_dim1', {'fn': 'prod', 'dims': [1], 'keepdim': False}, x.prod(1)),
    ('var_unbiased', {'fn': 'var', 'dims': [1, 2], 'keepdim': False, 'correction': 1}, x.var((1, 2), unbiased=True)),
    ('var_biased', {'fn': 'var', 'dims': [3], 'keepdim': True, 'correction': 0}, x.var(3, unbiased=False, keepdim=True)),
    ('std_unbiased', {'fn': 'std', 'dims': [0, 1, 2, 3], 'keepdim': False, 'correction': 1}, x.std()),
]
for cid, attrs, y in REDUCE:
    single(f'reduce_{cid}', 'reduce', attrs, {'x': x}, {'y': y})
xi = torch.tensor([[1, 2, 3], [4, 5, 6]])
single('reduce_sum_int', 'reduce', {'fn': 'sum', 'dims': [1], 'keepdim': False}, {'x': xi}, {'y': xi.sum(1)})
single('reduce_sum_bool', 'reduce', {'fn': 'sum', 'dims': [0, 1, 2], 'keepdim': False}, {'x': x[0] > 0}, {'y': (x[0] > 0).sum()})
single('argmax_dim1', 'arg_reduce', {'fn': 'argmax', 'dim': 1, 'keepdim': False}, {'x': x}, {'y': x.argmax(1)})
single('argmax_keepdim', 'arg_reduce', {'fn': 'argmax', 'dim': 3, 'keepdim': True}, {'x': x}, {'y': x.argmax(3, keepdim=True)})
single('argmin_flat', 'arg_reduce', {'fn': 'argmin', 'dim': None, 'keepdim': False}, {'x': x}, {'y': x.argmin()})
ties = torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0]])
single('argmax_ties_first', 'arg_reduce', {'fn': 'argmax', 'dim': 1, 'keepdim': False}, {'x': ties}, {'y': ties.argmax(1)})
single('argmin_ties_first', 'arg_reduce', {'fn': 'argmin', 'dim': 1, 'keepdim': False}, {'x': ties}, {'y': ties.argmin(1)})
single('softmax_dim1', 'softmax', {'dim': 1, 'log': False}, {'x': x * 3}, {'y': F.softmax(x * 3, 1)})
single('softmax_last', 'softmax', {'dim': 3, 'log': False}, {'x': x}, {'y': F.softmax(x, -1)})
single('log_softmax_dim2', 'softmax', {'dim': 2, 'log': True}, {'x': x * 5}, {'y': F.log_softmax(x * 5, 2)})
case('softmin_as_neg_softmax', [node('unary', {'fn': 'neg'}, ['x'], ['nx']), node('softmax', {'dim': 1, 'log': False}, ['nx'], ['y'])],
     {'x': x}, {'y': F.softmin(x, 1)})
single('cumsum_dim2', 'cumsum', {'dim': 2}, {'x': x}, {'y': x.cumsum(2)})
single('cumsum_int', 'cumsum', {'dim': 1}, {'x': xi}, {'y': xi.cumsum(1)})

# A small chain as a module would trace it: conv → BN(train) → relu → maxpool → flatten → linear.
seed(29)
conv = nn.Conv2d(2, 4, 3, padding=1)
bn = nn.BatchNorm2d(4)
fc = nn.Linear(4 * 4 * 3, 5)
x = randn(2, 2, 7, 6)
bn.train()
with torch.no_grad():
    h = F.max_pool2d(F.relu(bn(conv(x))), 2, ceil_mode=True)
    y = fc(torch.flatten(h, 1))
case('chain_conv_bn_train_pool_linear', [
    node('conv', conv_attrs(2, 1, 1), ['x', 'conv.weight', 'conv.bias'], ['c']),
    node('batch_norm', {'training': True, 'momentum': 0.1, 'eps': 1e-5, 'runningStats': True, 'weight': True, 'bias': True, 'numBatchesTracked': True},
         ['c', 'bn.running_mean0', 'bn.running_var0', 'bn.weight', 'bn.bias', 'bn.nbt0'], ['b', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']),
    node('unary', {'fn': 'relu'}, ['b'], ['r']),
    node('max_pool', {'nd': 2, 'kernel': [2, 2], 'stride': [2, 2], 'padding': [0, 0], 'dilation': [1, 1], 'ceilMode': True, 'returnIndices': False}, ['r'], ['p']),
    node('reshape', {'shape': [2, 48]}, ['p'], ['f']),
    node('linear', {'bias': True}, ['f', 'fc.weight', 'fc.bias'], ['y']),
], {'x': x, 'conv.weight': conv.weight, 'conv.bias': conv.bias, 'bn.running_mean0': torch.zeros(4), 'bn.running_var0': torch.ones(4),
    'bn.weight': bn.weight, 'bn.bias': bn.bias, 'bn.nbt0': torch.tensor(0), 'fc.weight': fc.weight, 'fc.bias': fc.bias},
   {'y': y, 'bn.running_mean': bn.running_mean, 'bn.running_var': bn.running_var, 'bn.num_batches_tracked': bn.num_batches_tracked})

# ---------------------------------------------------------------- default initialisation

INIT_LAYERS = [
    ('conv', 'conv2d', nn.Conv2d(3, 16, 3)),
    ('conv', 'conv1d_groups', nn.Conv1d(4, 8, 5, groups=2)),
    ('conv', 'conv3d', nn.Conv3d(2, 4, (3, 2, 2))),
    ('conv_transpose', 'convt2d_groups', nn.ConvTranspose2d(8, 6, 3, groups=2)),
    ('conv_transpose', 'convt1d', nn.ConvTranspose1d(5, 3, 4)),
    ('linear', 'linear_100_10', nn.Linear(100, 10)),
    ('linear', 'linear_5_3', nn.Linear(5, 3)),
    ('batch_norm', 'bn', nn.BatchNorm2d(6)),
    ('instance_norm', 'in_affine', nn.InstanceNorm2d(3, affine=True, track_running_stats=True)),
    ('group_norm', 'gn', nn.GroupNorm(2, 6)),
    ('layer_norm', 'ln', nn.LayerNorm([4, 5])),
    ('embedding', 'emb', nn.Embedding(50, 8, padding_idx=3)),
    ('prelu', 'prelu', nn.PReLU(4)),
]
init_entries = []
gain = init.calculate_gain('leaky_relu', math.sqrt(5))
for kind, name, layer in INIT_LAYERS:
    weight = getattr(layer, 'weight', None)
    for key, t in list(layer.named_parameters()) + list(layer.named_buffers()):
        e = {'layer': name, 'kind': kind, 'key': f'{name}.{key}', 'shape': list(t.shape), 'dtype': 'int64' if t.dtype == torch.int64 else 'float32'}
        if kind in ('conv', 'conv_transpose', 'linear'):
            fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
            e['weightShape'] = list(weight.shape)
            e['fanIn'] = fan_in
            # reset_parameters: kaiming_uniform_(a=√5) for the weight, uniform(±1/√fan_in) for the bias.
            e['bound'] = math.sqrt(3.0) * gain / math.sqrt(fan_in) if key == 'weight' else 1 / math.sqrt(fan_in)
            e['torchMaxAbs'] = float(t.detach().abs().max())
        elif kind == 'embedding':
            e['paddingIdx'] = layer.padding_idx
            e['torchStd'] = float(t.detach().std())
        else:
            vals = sorted(set(t.detach().flatten().tolist()))
            assert len(vals) == 1, (name, key, vals)
            e['fill'] = vals[0]
        init_entries.append(e)
# Recurrent layers: every parameter uniform(±1/√hidden_size), an LSTM's projection weight_hr included
# (with proj_size, weight_hh is [4·hidden, proj]: the hidden size must come from elsewhere).
for name, layer in [('lstm_proj', nn.LSTM(3, 6, num_layers=2, proj_size=2)), ('gru_bidir', nn.GRU(4, 5, bidirectional=True))]:
    for key, t in layer.named_parameters():
        init_entries.append({'layer': name, 'kind': 'rnn', 'cls': type(layer).__name__, 'key': f'{name}.{key}', 'shape': list(t.shape), 'dtype': 'float32',
                             'hiddenSize': layer.hidden_size, 'rnnBound': 1 / math.sqrt(layer.hidden_size), 'torchMaxAbs': float(t.detach().abs().max())})

# ---------------------------------------------------------------- .npy files as numpy writes them

npy_samples = []


def npy_sample(sid, arr, version=None, values=None):
    """Stores numpy's own bytes for arr (any dtype/order) and the values a reader must produce, row-major."""
    b = io.BytesIO()
    if version is None:
        np.save(b, arr, allow_pickle=False)
    else:
        np.lib.format.write_array(b, arr, version=version, allow_pickle=False)
    start = blob.tell()
    blob.write(b.getvalue())
    flat = np.asarray(arr).reshape(-1, order='C') if values is None else values
    npy_samples.append({'id': sid, 'ref': [start, len(b.getvalue())], 'shape': list(np.shape(arr)),
                        'values': [json_num(v) for v in np.asarray(flat).tolist()]})


def json_num(v):
    """JSON has no NaN or infinities: they are written as the strings 'nan', 'inf', '-inf'."""
    if isinstance(v, float) and not math.isfinite(v):
        return 'nan' if math.isnan(v) else ('inf' if v > 0 else '-inf')
    return v


rs = np.random.RandomState(0)
npy_sample('float32_2x3', rs.randn(2, 3).astype(np.float32))
npy_sample('float32_0d', np.float32(2.5))
npy_sample('float32_1d', np.array([1.5, -2.0, 3.25], dtype=np.float32))
npy_sample('float32_empty', np.zeros((0, 3), dtype=np.float32))
npy_sample('float32_specials', np.array([np.nan, np.inf, -np.inf, -0.0], dtype=np.float32))
npy_sample('int64_2x2', np.array([[1, -2], [2 ** 40, -(2 ** 50)]], dtype=np.int64))
npy_sample('bool_3', np.array([True, False, True]))
npy_sample('float64_to_float32', np.array([[0.1, 1e30], [-3.5, 2.0]], dtype=np.float64))
npy_sample('float16', np.array([0.5, -1.25, 65504.0, 6e-8], dtype=np.float16))
npy_sample('int32', np.array([-7, 0, 2 ** 31 - 1], dtype=np.int32))
npy_sample('uint8', np.array([0, 200, 255], dtype=np.uint8))
npy_sample('int16_big_endian', np.array([-300, 5, 1234], dtype='>i2'))
npy_sample('float32_big_endian', np.array([[1.5, -2.25], [1e-3, 7.0]], dtype='>f4'))
npy_sample('fortran_order_2x3x2', np.asfortranarray(np.arange(12, dtype=np.float32).reshape(2, 3, 2)))
npy_sample('version_2_0', np.arange(6, dtype=np.int64).reshape(3, 2), version=(2, 0))
npy_sample('version_3_0', np.arange(4, dtype=np.float32), version=(3, 0))

# ---------------------------------------------------------------- recurrent layers and einsum
# Appended after everything else so that the earlier cases' tensor offsets stay as they were.


def rnn_case(cid, m, x, hx=None):
    """One rnn node over an nn.RNN/LSTM/GRU module in eval mode, inputs in the IR's order."""
    m.eval()
    mode = {'LSTM': 'lstm', 'GRU': 'gru'}.get(type(m).__name__) or ('rnn_relu' if m.nonlinearity == 'relu' else 'rnn_tanh')
    attrs = {'mode': mode, 'inputSize': m.input_size, 'hiddenSize': m.hidden_size, 'numLayers': m.num_layers, 'bidirectional': m.bidirectional,
             'batchFirst': m.batch_first, 'bias': m.bias, 'projSize': getattr(m, 'proj_size', 0), 'initialState': hx is not None}
    given = {'x': x}
    if hx is not None:
        for k, t in zip(['h0', 'c0'], hx if isinstance(hx, tuple) else (hx,)):
            given[k] = t
    for name in m._flat_weights_names:  # PyTorch's own order: per layer and direction w_ih, w_hh, b_ih, b_hh, w_hr
        given[name] = getattr(m, name)
    with torch.no_grad():
        y, h = m(x, hx) if hx is not None else m(x)
    expected = {'y': y, 'h_n': h[0], 'c_n': h[1]} if isinstance(h, tuple) else {'y': y, 'h_n': h}
    single(cid, 'rnn', attrs, given, expected)


seed(40)
rnn_case('lstm_2layer_bidir_batch_first_h0c0', nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True, dropout=0.3),
         randn(2, 6, 5), (randn(4, 2, 4), randn(4, 2, 4)))
seed(41)
rnn_case('lstm_proj_seq_first', nn.LSTM(3, 6, proj_size=2), randn(5, 2, 3))
seed(42)
rnn_case('gru_unbatched', nn.GRU(4, 5), randn(7, 4))
seed(43)
rnn_case('gru_2layer_bidir_h0', nn.GRU(3, 4, num_layers=2, bidirectional=True), randn(5, 2, 3), randn(4, 2, 4))
seed(44)
rnn_case('rnn_relu_nobias_batch_first', nn.RNN(4, 3, nonlinearity='relu', bias=False, batch_first=True), randn(2, 6, 4))
seed(45)
rnn_case('rnn_tanh_2layer_unbatched_h0', nn.RNN(3, 4, num_layers=2), randn(5, 3), randn(2, 4))

seed(46)
EINSUM = [
    ('bmm', 'bij,bjk->bik', [(2, 3, 4), (2, 4, 5)]),
    ('transpose', 'ij->ji', [(3, 4)]),
    ('attention_scores', 'bhqd,bhkd->bhqk', [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ('trace', 'ii->', [(4, 4)]),
    ('full_contraction', 'ij,ij->', [(3, 5), (3, 5)]),
    ('outer_broadcast', 'i,jk->ijk', [(3,), (1, 4)]),
    ('three_operands', 'ab,bc,cd->ad', [(2, 3), (3, 4), (4, 2)]),
    ('diagonal_kept', 'bii->bi', [(2, 3, 3)]),
]
for cid, eq, shapes in EINSUM:
    ts = [randn(*sh) for sh in shapes]
    single(f'einsum_{cid}', 'einsum', {'equation': eq}, {f'op{k}': t for k, t in enumerate(ts)}, {'y': torch.einsum(eq, *ts)})
xi = torch.tensor([[1, 2], [3, 4]])
single('einsum_int64_matmul', 'einsum', {'equation': 'ij,jk->ik'}, {'a': xi, 'b': xi}, {'y': torch.einsum('ij,jk->ik', xi, xi)})

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'tensors.npys'), 'wb') as f:
    f.write(blob.getvalue())
with open(os.path.join(OUT, 'cases.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases, 'init': init_entries, 'npy': npy_samples}, f, indent=1, sort_keys=True, allow_nan=False)
    f.write('\n')
print(f'{len(cases)} cases, {len(init_entries)} init entries, {blob.tell()} bytes of tensors', file=sys.stderr)
