#!/usr/bin/python3
"""Writes the checkpoint-loader fixtures to test/fixtures/checkpoints/.

Run with Debian's Python (it has PyTorch 1.13): /usr/bin/python3 test/gen/make_checkpoints.py

Every file is written by PyTorch itself (torch.save, both serialisations) or, for .safetensors,
by a small writer below that follows the format spec (the `safetensors` package is not
installed here). expected.json records what PyTorch holds for each tensor (values flattened
in row-major order, after .float() for float types), the state_dict entries of the models, and
what load_state_dict says for each matching case, so the TypeScript tests compare exactly.
The hostile pickles are checked to really run their payload in Python (in a subprocess, on a
marker file) before they are kept, so a test that sees them refused is meaningful.
"""
import collections
import copy
import io
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'checkpoints')
# The hostile fixtures try to create this file; the tests check it never appears.
MARKER = os.path.join(tempfile.gettempdir(), 'shapelens-pwned-marker')


class TinyCNN(nn.Module):
    def __init__(self, classes=10, width=6):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, width, 3, stride=2)
        self.fc = nn.Linear(width * 4, classes)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 2), 1))


def trained_tiny_cnn():
    torch.manual_seed(0)
    m = TinyCNN()
    m.train()
    for _ in range(3):  # non-trivial running statistics, num_batches_tracked == 3
        m(torch.randn(2, 3, 12, 12))
    return m


def encode_value(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
        if v == 0 and math.copysign(1, v) < 0:
            return '-0'
    return v


def describe(t):
    """What the loader must produce: shape, stored dtype, row-major values in the loaded dtype."""
    src = str(t.dtype).replace('torch.', '')
    if t.dtype.is_floating_point:
        vals = t.detach().float().contiguous().reshape(-1).tolist()
    elif t.dtype == torch.bool:
        vals = t.contiguous().reshape(-1).tolist()
    else:
        vals = t.contiguous().reshape(-1).tolist()
    return {'shape': list(t.shape), 'dtype': src, 'values': [encode_value(v) for v in vals]}


def describe_all(d):
    return {k: describe(v) for k, v in d.items()}


def entries(model):
    """The model's state_dict entries as the engine will describe them."""
    out = []
    for k, v in model.state_dict().items():
        out.append({'key': k, 'shape': list(v.shape), 'dtype': 'int64' if v.dtype == torch.int64 else 'float32'})
    return out


ST_CODES = {
    torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8',
    torch.uint8: 'U8', torch.bool: 'BOOL',
}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout: u64 LE header size, JSON header (space-padded to 8), then data."""
    header, blobs, offset = {}, [], 0
    for k, t in tensors.items():
        b = raw_bytes(t)
        header[k] = {'dtype': ST_CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata is not None:
        header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def save(obj, name, legacy=False, **kw):
    torch.save(obj, os.path.join(OUT, name), _use_new_zipfile_serialization=not legacy, **kw)


def torch_load_result(model, sd, strict):
    """What load_state_dict says: ok plus missing/unexpected, or the error text."""
    try:
        r = model.load_state_dict(sd, strict=strict)
        return {'ok': True, 'missing': list(r.missing_keys), 'unexpected': list(r.unexpected_keys)}
    except RuntimeError as e:
        return {'ok': False, 'error': str(e)}


class BadView:
    """Pickles as a tensor of 5 elements from offset 2 of a 4-element storage."""

    def __init__(self):
        # Kept alive: legacy storage keys are addresses, and a freed temporary's could be reused.
        self.storage = torch.arange(4.0).storage()

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (self.storage, 2, (5,), (1,), False, collections.OrderedDict()))


def torch_load_error(path):
    """PyTorch's own verdict on a broken file (it must fail)."""
    try:
        torch.load(path)
    except Exception as e:  # noqa: BLE001 - any failure is the point
        return '%s: %s' % (type(e).__name__, str(e).splitlines()[0])
    raise SystemExit('!! %s loads in PyTorch; it is not broken' % path)


# --- hostile payloads: each __reduce__ names a dangerous global ---------------------------------
class EvilSystem:
    def __reduce__(self):
        return (os.system, ('touch ' + MARKER,))


class EvilEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch %s')" % MARKER,))


class EvilPopen:
    def __reduce__(self):
        return (subprocess.Popen, (['touch', MARKER],))


class ImportOs:
    def __reduce__(self):
        return (__import__, ('os',))


class GetSystem:
    """Unpickles to getattr(__import__('os'), 'system')."""

    def __reduce__(self):
        return (getattr, (ImportOs(), 'system'))

    def __call__(self, *args):  # pickle insists that a reduce function be callable
        pass


class EvilGetattr:
    def __reduce__(self):
        return (GetSystem(), ('touch ' + MARKER,))


class _Refused(Exception):
    pass


class _FirstGlobal(pickle.Unpickler):
    """Python's own unpickler, stopped at the first global outside the tensor allowlist; it sees
    the names exactly as the file spells them (protocol 2 writes __builtin__ for builtins)."""

    def find_class(self, module, name):
        full = module + '.' + name
        if full == 'collections.OrderedDict' or full.startswith('torch._utils._rebuild') or (module == 'torch' and name.endswith('Storage')):
            return lambda *a, **k: None
        raise _Refused(full)

    def persistent_load(self, pid):
        return None


def first_refused_global(path):
    with open(path, 'rb') as fh:
        data = fh.read()
    streams = []
    if zipfile.is_zipfile(path):
        z = zipfile.ZipFile(path)
        streams = [io.BytesIO(z.read(n)) for n in z.namelist() if n.endswith('/data.pkl')]
    else:
        streams = [io.BytesIO(data)]
    for f in streams:
        try:
            while f.tell() < len(f.getvalue()):
                _FirstGlobal(f).load()
        except _Refused as e:
            return e.args[0]
        except Exception:  # noqa: BLE001 - past the pickles (legacy raw storages)
            pass
    raise SystemExit('!! %s names no refused global' % path)


def check_hostile(path, loader):
    """Loads the file in a separate Python and returns True if the payload created the marker."""
    if os.path.exists(MARKER):
        os.remove(MARKER)
    code = 'import sys, torch, pickle, subprocess, time\n' + loader + '\ntime.sleep(0.3)\n'
    subprocess.run([sys.executable, '-c', code, path], capture_output=True, timeout=60)
    ran = os.path.exists(MARKER)
    if ran:
        os.remove(MARKER)
    return ran


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    expected = {'torch': torch.__version__.split('+')[0], 'marker': MARKER, 'sets': {}, 'files': {}, 'models': {}, 'loads': [], 'broken': {}}

    def record(name, set_name, fmt, **extra):
        expected['files'][name] = {'set': set_name, 'format': fmt, **extra}

    # 1. The tiny CNN's state_dict in every format.
    model = trained_tiny_cnn()
    sd = copy.deepcopy(model.state_dict())  # a snapshot: state_dict() shares memory with the model
    expected['sets']['tiny_cnn'] = describe_all(sd)
    expected['models']['TinyCNN'] = entries(model)
    expected['models']['TinyCNN_fc12'] = entries(TinyCNN(classes=12))
    expected['models']['TinyCNN_wide'] = entries(TinyCNN(width=8))
    save(sd, 'tiny_cnn.pt')
    record('tiny_cnn.pt', 'tiny_cnn', 'torch-zip')
    save(sd, 'tiny_cnn_legacy.pt', legacy=True)
    record('tiny_cnn_legacy.pt', 'tiny_cnn', 'torch-legacy')
    save(sd, 'tiny_cnn_p4.pt', pickle_protocol=4)  # FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL
    record('tiny_cnn_p4.pt', 'tiny_cnn', 'torch-zip')
    write_safetensors(os.path.join(OUT, 'tiny_cnn.safetensors'), sd, {'format': 'pt'})
    record('tiny_cnn.safetensors', 'tiny_cnn', 'safetensors')
    save(model.state_dict(keep_vars=True), 'tiny_cnn_params.pt')  # nn.Parameter: _rebuild_parameter
    record('tiny_cnn_params.pt', 'tiny_cnn', 'torch-zip')

    # 2. A training checkpoint: DataParallel's "module." prefix, nested under "state_dict", next to
    #    optimizer state (int keys, lists, floats) and plain values.
    dp_sd = nn.DataParallel(model).state_dict()
    trainee = copy.deepcopy(model)  # the step below must not change the weights saved above
    opt = torch.optim.SGD(trainee.parameters(), lr=0.1, momentum=0.9)
    trainee(torch.randn(2, 3, 12, 12)).sum().backward()
    opt.step()
    opt.zero_grad()
    save({'epoch': 7, 'arch': 'TinyCNN', 'best_acc': 0.8125, 'state_dict': dp_sd, 'optimizer': opt.state_dict()}, 'nested_module.pth')
    record('nested_module.pth', 'tiny_cnn', 'torch-zip', sourceKey='state_dict', prefix='module.')
    # ... and under "model" with a "model." prefix (a wrapper attribute), in the legacy format.
    save({'model': collections.OrderedDict(('model.' + k, v) for k, v in sd.items()), 'step': 100}, 'nested_model_legacy.pt', legacy=True)
    record('nested_model_legacy.pt', 'tiny_cnn', 'torch-legacy', sourceKey='model', prefix='model.')

    # 3. Views into one shared storage (the base itself is not saved), both serialisations.
    base = torch.arange(30, dtype=torch.float32) * 0.5 - 3
    views = {'a': base[3:9], 'b': base.view(5, 6)[1:4, ::2], 'c': base.view(6, 5).t()[1], 'd': base.view(2, 3, 5)[1]}
    assert len({v.storage().data_ptr() for v in views.values()}) == 1
    expected['sets']['shared_views'] = describe_all(views)
    save(views, 'shared_views.pt')
    record('shared_views.pt', 'shared_views', 'torch-zip')
    save(views, 'shared_views_legacy.pt', legacy=True)
    record('shared_views_legacy.pt', 'shared_views', 'torch-legacy')

    # 4. Non-contiguous tensors, 0-dim and empty ones.
    torch.manual_seed(1)
    nc = {
        'wt': torch.randn(5, 3).t(),
        'strided': torch.randn(4, 6)[:, ::2],
        'expanded': torch.randn(3, 1).expand(3, 4),
        'permuted': torch.randn(2, 3, 4, 5).permute(0, 2, 3, 1),
        'scalar': torch.tensor(3.5),
        'offset_scalar': torch.randn(10)[7],
        'empty': torch.zeros(0, 3),
        'int_t': torch.arange(12).view(3, 4).t(),
    }
    assert not nc['wt'].is_contiguous() and not nc['permuted'].is_contiguous() and nc['expanded'].stride() == (1, 0)
    expected['sets']['noncontig'] = describe_all(nc)
    save(nc, 'noncontig.pt')
    record('noncontig.pt', 'noncontig', 'torch-zip')
    save(nc, 'noncontig_legacy.pt', legacy=True)
    record('noncontig_legacy.pt', 'noncontig', 'torch-legacy')

    # 5. Every dtype, with the float edge cases (inf, nan, -0, subnormals) and float64 values that
    #    round when narrowed to float32.
    f = [0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 1e-5, float('inf'), float('-inf'), float('nan'), 0.1, 1 / 3]
    dt = {
        'f32': torch.tensor(f, dtype=torch.float32),
        'f16': torch.tensor(f, dtype=torch.float16),
        'bf16': torch.tensor(f + [3.0e38, 1e-40], dtype=torch.bfloat16),
        'f64': torch.tensor(f + [1 + 2 ** -30, 1e-320, 1e300], dtype=torch.float64),
        'i64': torch.tensor([0, 1, -1, 2 ** 53 - 1, -(2 ** 53), 2 ** 40 + 7, -123456789012], dtype=torch.int64),
        'i32': torch.tensor([0, 2 ** 31 - 1, -(2 ** 31), 77], dtype=torch.int32),
        'i16': torch.tensor([0, 32767, -32768, -5], dtype=torch.int16),
        'i8': torch.tensor([0, 127, -128, -1], dtype=torch.int8),
        'u8': torch.tensor([0, 255, 128, 1], dtype=torch.uint8),
        'bool': torch.tensor([[True, False, True], [False, False, True]]),
        'f16_2d': torch.randn(3, 4).half(),
    }
    expected['sets']['dtypes'] = describe_all(dt)
    save(dt, 'dtypes.pt')
    record('dtypes.pt', 'dtypes', 'torch-zip')
    save(dt, 'dtypes_legacy.pt', legacy=True)
    record('dtypes_legacy.pt', 'dtypes', 'torch-legacy')
    write_safetensors(os.path.join(OUT, 'dtypes.safetensors'), dt)
    record('dtypes.safetensors', 'dtypes', 'safetensors')

    # 6. A big-endian zip (what torch >= 2.1 writes on big-endian hosts: a byteorder record).
    be = {'w': torch.randn(3, 4), 'v': torch.randn(5).t()}
    expected['sets']['big_endian'] = describe_all(be)
    buf = io.BytesIO()
    torch.save(be, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(os.path.join(OUT, 'big_endian.pt'), 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if '/data/' in info.filename:  # every storage here is float32
                data = b''.join(data[i:i + 4][::-1] for i in range(0, len(data), 4))
            dst.writestr(info.filename, data)
        dst.writestr('archive/byteorder', b'big')
    record('big_endian.pt', 'big_endian', 'torch-zip')

    # 7. BatchNorm's num_batches_tracked: absent in an old checkpoint (module version 1, tolerated)
    #    and absent while the metadata says version 2 (missing key).
    old = copy.deepcopy(sd)
    del old['bn.num_batches_tracked']
    old._metadata['bn']['version'] = 1
    save(old, 'bn_v1_no_counter.pt')
    v2 = copy.deepcopy(sd)
    del v2['bn.num_batches_tracked']
    save(v2, 'bn_v2_no_counter.pt')
    write_safetensors(os.path.join(OUT, 'bn_no_counter.safetensors'), v2)
    for name, sdx in [('bn_v1_no_counter.pt', old), ('bn_v2_no_counter.pt', v2), ('bn_no_counter.safetensors', collections.OrderedDict(v2))]:
        expected['loads'].append({'file': name, 'model': 'TinyCNN', 'strict': True, 'torch': torch_load_result(TinyCNN(), sdx, True)})

    # load_state_dict's verdicts on mismatching models, for the error text.
    for mname, ctor in [('TinyCNN_fc12', lambda: TinyCNN(classes=12)), ('TinyCNN_wide', lambda: TinyCNN(width=8))]:
        expected['loads'].append({'file': 'tiny_cnn.pt', 'model': mname, 'strict': True, 'torch': torch_load_result(ctor(), sd, True)})
    partial = collections.OrderedDict((k, v) for k, v in sd.items() if not k.startswith('fc.'))
    partial['head.weight'] = torch.zeros(2, 2)
    save(partial, 'partial.pt')
    for strict in (True, False):
        expected['loads'].append({'file': 'partial.pt', 'model': 'TinyCNN', 'strict': strict, 'torch': torch_load_result(TinyCNN(), partial, strict)})

    # 8. Broken files: a view running past its storage (both formats; PyTorch refuses them too), and
    #    a zip whose storage record is shorter than the storage it declares.
    for name, legacy in [('view_past_storage.pt', False), ('view_past_storage_legacy.pt', True)]:
        save({'ok': torch.ones(3), 'bad': BadView()}, name, legacy=legacy)
        expected['broken'][name] = torch_load_error(os.path.join(OUT, name))
    buf = io.BytesIO()
    torch.save({'w': torch.arange(12.0)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(os.path.join(OUT, 'short_storage.pt'), 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, data[:20] if info.filename.endswith('/data/0') else data)
    # PyTorch 1.13 loads this one, sizing the storage from the pickle and reading past the record.
    expected['broken']['short_storage.pt'] = None

    # 9. A whole pickled model: must be refused (it would import and build __main__.TinyCNN).
    save(model, 'whole_module.pt')
    expected['refused'] = {'whole_module.pt': first_refused_global(os.path.join(OUT, 'whole_module.pt'))}

    # 10. Hostile pickles, raw and inside torch.save files. Each is verified to run its payload.
    hostile = {}

    def keep(name, global_name, loader):
        path = os.path.join(OUT, name)
        if not check_hostile(path, loader):
            raise SystemExit('!! %s did not run its payload in Python; the fixture proves nothing' % name)
        hostile[name] = first_refused_global(path)
        # Protocol 2 spells some names the Python 2 way (__builtin__.eval, commands.Popen).
        print('%s names %s (%s)' % (name, hostile[name], global_name))

    pickle_load = 'pickle.load(open(sys.argv[1], "rb"))'
    torch_load = 'torch.load(sys.argv[1])'
    with open(os.path.join(OUT, 'evil_system.pkl'), 'wb') as fh:
        pickle.dump(EvilSystem(), fh, protocol=2)
    keep('evil_system.pkl', os.system.__module__ + '.system', pickle_load)
    with open(os.path.join(OUT, 'evil_system_p0.pkl'), 'wb') as fh:  # protocol 0, spelled os.system
        fh.write(b"cos\nsystem\n(S'touch " + MARKER.encode() + b"'\ntR.")
    keep('evil_system_p0.pkl', 'os.system', pickle_load)
    with open(os.path.join(OUT, 'evil_getattr_p4.pkl'), 'wb') as fh:
        pickle.dump([EvilGetattr()], fh, protocol=4)
    keep('evil_getattr_p4.pkl', 'builtins.getattr', 'pickle.load(open(sys.argv[1], "rb"))')
    torch.save({'w': torch.ones(2), 'x': EvilEval()}, os.path.join(OUT, 'evil_eval.pt'))
    keep('evil_eval.pt', 'builtins.eval', torch_load)
    torch.save({'w': torch.ones(2), 'p': EvilPopen()}, os.path.join(OUT, 'evil_popen_legacy.pt'), _use_new_zipfile_serialization=False)
    keep('evil_popen_legacy.pt', 'subprocess.Popen', torch_load)
    torch.save({'p': EvilPopen()}, os.path.join(OUT, 'evil_popen_p4.pt'), pickle_protocol=4)
    keep('evil_popen_p4.pt', 'subprocess.Popen', torch_load)
    expected['hostile'] = hostile

    with open(os.path.join(OUT, 'expected.json'), 'w') as fh:
        json.dump(expected, fh, indent=1, sort_keys=True)
        fh.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print('wrote %d files, %d bytes, to %s' % (len(os.listdir(OUT)), total, os.path.relpath(OUT)))


if __name__ == '__main__':
    main()
