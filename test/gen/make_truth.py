#!/usr/bin/env python3
"""Ground truth for ShapeLens's test suite, produced by PyTorch itself.

    /usr/bin/python3 test/gen/make_truth.py                  # every case in test/fixtures/cases.json
    /usr/bin/python3 test/gen/make_truth.py --only id1,id2   # a few cases
    /usr/bin/python3 test/gen/make_truth.py --no-rf          # shapes / params / errors only

For each case: import the model file, build the model (class or factory called with the
kwargs, or a module-level nn.Module taken as is), run one forward pass with hooks on every
module, and write test/fixtures/truth/<id>.json (see test/gen/README.md for the format).
Receptive fields and jumps are measured empirically with gradients, not computed from
formulas. Exit status is non-zero when a case does not behave as its "kind" says.
"""
import argparse
import copy
import importlib.util
import json
import multiprocessing
import os
import re
import sys
import time
import traceback
import warnings
from fractions import Fraction

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings('ignore')
sys.dont_write_bytecode = True   # no __pycache__ next to the model files
torch.set_num_threads(1)

GEN_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(GEN_DIR))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')
TRUTH_DIR = os.path.join(FIXTURES, 'truth')

# --------------------------------------------------------------------------------------------
# Construction lines: every module instance remembers the line of the model file that built it.
# --------------------------------------------------------------------------------------------
_TARGET = {'file': None}
_module_init = nn.Module.__init__


def _first_arg(frame):
    code = frame.f_code
    if code.co_argcount == 0:
        return None
    return frame.f_locals.get(code.co_varnames[0])


def _tracking_init(self, *args, **kwargs):
    _module_init(self, *args, **kwargs)
    target, stack = _TARGET['file'], []
    if target is not None:
        f = sys._getframe(1)
        while f is not None:
            # skip the instance's own (super().)__init__ chain: we want the call that created it
            if f.f_code.co_filename == target and not (
                    f.f_code.co_name == '__init__' and _first_arg(f) is self):
                stack.append(f.f_lineno)
            f = f.f_back
    self.__dict__['_truth_ctor_line'] = stack[0] if stack else None
    self.__dict__['_truth_ctor_stack'] = stack      # innermost first


nn.Module.__init__ = _tracking_init


def model_file_line():
    """Line of the innermost frame that runs code of the model file (None if there is none)."""
    target = _TARGET['file']
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == target:
            return f.f_lineno
        f = f.f_back
    return None


def import_model_file(path, root=None):
    """Imports a model file; with `root`, as a module of the package tree under root (for
    multi-file fixtures with relative imports, whose top-level package names must be unique)."""
    if root:
        if root not in sys.path:
            sys.path.insert(0, root)
        dotted = os.path.relpath(path, root)[:-3].replace(os.sep, '.')
        if dotted.endswith('.__init__'):
            dotted = dotted[:-len('.__init__')]
        return importlib.import_module(dotted)
    name = 'truth_model_' + re.sub(r'\W', '_', os.path.relpath(path, ROOT))
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def build(mod, name, kwargs):
    obj = getattr(mod, name)
    model = obj if isinstance(obj, nn.Module) else obj(**kwargs)
    if not isinstance(model, nn.Module):
        raise TypeError('%s did not give an nn.Module' % name)
    return model


def to_ctor_kwargs(v):
    """JSON lists stand for tuples."""
    if isinstance(v, list):
        return tuple(to_ctor_kwargs(x) for x in v)
    if isinstance(v, dict):
        return {k: to_ctor_kwargs(x) for k, x in v.items()}
    return v


def shape_of(out):
    if torch.is_tensor(out):
        return [int(d) for d in out.shape]
    if isinstance(out, (tuple, list)):
        return [shape_of(o) for o in out]
    return None


def count_params(m):
    ps = list(m.parameters())          # parameters() yields a shared tensor once
    return int(sum(p.numel() for p in ps)), int(sum(p.numel() for p in ps if p.requires_grad))


def make_inputs(specs):
    xs = []
    for s in specs:
        if s.get('dtype', 'float32') == 'int64':
            xs.append(torch.randint(0, 10, tuple(s['shape']), dtype=torch.int64))
        else:
            xs.append(torch.randn(tuple(s['shape'])))
    return xs


class Recorder:
    """Forward pre/post hooks on every module: one record per call, in call order."""

    def __init__(self, model):
        self.calls, self.stack, self.handles = [], [], []
        for path, m in model.named_modules():
            self.handles.append(m.register_forward_pre_hook(self._pre(path)))
            self.handles.append(m.register_forward_hook(self._post()))

    def _pre(self, path):
        def hook(module, inputs):
            _, _ = inputs, None
            self.calls.append({
                'index': len(self.calls), 'path': path, 'type': type(module).__name__,
                'depth': len(self.stack), 'parent': self.stack[-1] if self.stack else None,
                'output': None, 'params': count_params(module)[0],
                'line': module.__dict__.get('_truth_ctor_line'), 'callLine': model_file_line()})
            self.stack.append(len(self.calls) - 1)
        return hook

    def _post(self):
        def hook(module, inputs, output):
            self.calls[self.stack.pop()]['output'] = shape_of(output)
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def first_line(exc):
    s = str(exc).strip().split('\n')
    return s[0] if s else ''


def file_frames(tb, path):
    return [fs.lineno for fs in traceback.extract_tb(tb) if fs.filename == path]


# --------------------------------------------------------------------------------------------
# Receptive field and jump, measured with gradients on a linearised copy of the model.
# --------------------------------------------------------------------------------------------
NORMS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm)
FACTORS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
X_VALUE, OTHER_VALUE = 1e-4, 5e-5   # small positive constants (first input, other inputs)
SEED = 1e20                          # scale of the back-propagated seed (keeps tails > 0)
MEM_BUDGET = 60_000_000              # saved activation elements per measuring pass
GRADE = ['ok', 'nonuniform', 'global', 'input_dependent', 'clipped', 'nograd', 'layout', 'failed']


def _grows_globally(hist):
    """Field starts at the input's first element, reaches past the middle and keeps growing with
    the input (a finite field would stop growing): the output depends on the whole input."""
    if len(hist) < 2:
        return False
    (s1, lo1, hi1, _), (s2, lo2, hi2, _) = [h[:4] for h in hist[-2:]]
    return s2 > s1 and lo1 == 0 and lo2 == 0 and hi2 >= (s2 - 1) / 2.0 and hi2 - hi1 >= 0.4 * (s2 - s1)


class _Stop(Exception):
    pass


def _prod(xs):
    r = 1
    for v in xs:
        r *= int(v)
    return r


def _identity(x, *args, **kwargs):
    return x


def rf_copy(model):
    m = copy.deepcopy(model).float().eval()
    for sub in m.modules():
        # Norm layers pass through, the torch ones and a project's own leaf norms (ConvNeXt's
        # channels-first LayerNorm), as the graders' oracle does.
        if isinstance(sub, NORMS) or ('norm' in type(sub).__name__.lower() and not list(sub.children())):
            sub.forward = _identity
    with torch.no_grad():
        for sub in m.modules():
            for name, p in sub.named_parameters(recurse=False):
                if 'bias' in name:
                    p.fill_(0.0)
                elif p.dim() >= 2:
                    p.fill_(1.0 / max(1, p.numel() // p.shape[0]))
                else:
                    p.fill_(1.0)
    for p in m.parameters():
        p.requires_grad_(False)
    return m


class max_as_avg:
    """MaxPool (module or functional, incl. adaptive) runs as an average of the same geometry."""
    NAMES = ['max_pool%dd' % n for n in (1, 2, 3)] + ['adaptive_max_pool%dd' % n for n in (1, 2, 3)]

    def __enter__(self):
        self.saved = {n: getattr(F, n) for n in self.NAMES}
        for nd in (1, 2, 3):
            setattr(F, 'max_pool%dd' % nd, self._pool(nd))
            setattr(F, 'adaptive_max_pool%dd' % nd, self._adaptive(nd))

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(F, n, f)

    def _pool(self, nd):
        orig, avg = self.saved['max_pool%dd' % nd], getattr(F, 'avg_pool%dd' % nd)
        conv = getattr(F, 'conv%dd' % nd)

        def tup(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd

        def pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
            if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
                stride = kernel_size
            ref = None
            if return_indices or any(d != 1 for d in tup(dilation)):
                with torch.no_grad():
                    ref = orig(input.detach(), kernel_size, stride, padding, dilation, ceil_mode, True)
            if all(d == 1 for d in tup(dilation)):
                out = avg(input, kernel_size, stride, padding, ceil_mode, True)
            else:   # dilated window: depthwise conv with a dilated box kernel, cut to max_pool's size
                k, s, p, d = tup(kernel_size), tup(stride), tup(padding), tup(dilation)
                osz = ref[0].shape[2:]
                pads = []
                for i in reversed(range(nd)):
                    need = (osz[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
                    pads += [p[i], max(0, need - input.shape[2 + i] - p[i])]
                xp = F.pad(input, pads)
                c = input.shape[1]
                w = torch.full((c, 1) + k, 1.0 / float(torch.tensor(k).prod()), dtype=input.dtype)
                out = conv(xp, w, None, s, 0, d, c)
                out = out[(slice(None), slice(None)) + tuple(slice(0, n) for n in osz)]
            return (out, ref[1]) if return_indices else out
        return pool

    def _adaptive(self, nd):
        orig, avg = self.saved['adaptive_max_pool%dd' % nd], getattr(F, 'adaptive_avg_pool%dd' % nd)

        def pool(input, output_size, return_indices=False):
            out = avg(input, output_size)
            if return_indices:
                with torch.no_grad():
                    return out, orig(input.detach(), output_size, True)[1]
            return out
        return pool


class RFMeasure:
    def __init__(self, model, inputs, calls):
        self.m = rf_copy(model)
        self.x0, self.others = inputs[0], inputs[1:]
        self.nsp = self.x0.dim() - 2
        self.S0 = list(self.x0.shape[2:])
        self.C = self.x0.shape[1]
        self.calls = calls
        self.paths = {id(mod): p for p, mod in self.m.named_modules()}

    # one pass of the RF model; on_out(k, out) sees every call's output
    def run(self, spatial, batch=1, grad=False, on_out=None, wanted=None):
        x = torch.full((batch, self.C) + tuple(spatial), X_VALUE, requires_grad=grad)
        args = [x]
        for t in self.others:
            if t.is_floating_point():
                args.append(torch.full((batch,) + tuple(t.shape[1:]), OTHER_VALUE))
            else:
                args.append(t[:1].expand((batch,) + tuple(t.shape[1:])).clone())
        shapes, stack, count = {}, [], [0]
        remaining = set(wanted) if wanted else None

        def pre(mod, inp):
            stack.append(count[0])
            count[0] += 1

        def post(mod, inp, out):
            k = stack.pop()
            shapes[k] = (self.paths.get(id(mod)), tuple(out.shape) if torch.is_tensor(out) else None)
            if on_out is not None:
                on_out(k, out)
            if remaining is not None:
                remaining.discard(k)
                if not remaining:
                    raise _Stop()
        handles = []
        for mod in self.m.modules():
            handles.append(mod.register_forward_pre_hook(pre))
            handles.append(mod.register_forward_hook(post))
        err = None
        try:
            with max_as_avg(), torch.set_grad_enabled(grad):
                self.m(*args)
        except _Stop:
            pass
        except Exception as e:   # a larger input may break the model further down
            err = '%s: %s' % (type(e).__name__, first_line(e)[:160])
        finally:
            for h in handles:
                h.remove()
        return x, shapes, err

    def shape_at(self, shapes, k):
        s = shapes.get(k)
        if s is None or s[0] != self.calls[k]['path'] or s[1] is None:
            return None
        return s[1]

    def measure(self):
        nsp, S0 = self.nsp, self.S0
        rank = nsp + 2
        cand = [c['index'] for c in self.calls
                if isinstance(c['output'], list) and len(c['output']) == rank
                and all(isinstance(v, int) for v in c['output'])]
        result = {}
        _, base, _ = self.run(S0)
        kinds = {d: {} for d in range(nsp)}
        for d in range(nsp):
            sp = list(S0)
            sp[d] *= 2
            _, big, _ = self.run(sp)
            for k in cand:
                a, b = self.shape_at(base, k), self.shape_at(big, k)
                if a is None:
                    kinds[d][k] = 'failed'
                elif b is None:
                    kinds[d][k] = 'unknown'     # the model does not run at another size
                else:
                    changed = [i for i in range(1, rank) if a[i] != b[i]]
                    kinds[d][k] = ('fixed' if not changed else
                                   'scales' if changed == [2 + d] else 'layout')
        per_dim = {}
        for d in range(nsp):
            per_dim[d] = self.measure_dim(d, cand, kinds[d], base)
        for k in cand:
            if any(kinds[d][k] == 'layout' for d in range(nsp)):
                result[k] = {'rf_status': 'layout', 'rf': None, 'jump': None}
                continue
            dims = [per_dim[d][k] for d in range(nsp)]
            sts = [s['status'] for s in dims]
            status = min(sts, key=lambda s: -GRADE.index(s))    # least gradeable
            rf, jump = None, None
            if status == 'ok':
                rf = [s['rf'] for s in dims]
            elif status == 'global':   # also when only some dims are global: see rf_dims
                rf = 'global'
            if status in ('ok', 'global', 'nonuniform'):
                js = [s.get('jump') for s in dims]
                jump = js if any(j is not None for j in js) else None
            entry = {'rf_status': status, 'rf': rf, 'jump': jump,
                     'rf_dims': [{'status': s['status'], 'rf': s.get('rf'), 'jump': s.get('jump')}
                                 for s in dims]}
            notes = sorted(set(s['note'] for s in dims if s.get('note')))
            if notes:
                entry['rf_note'] = '; '.join(notes)
            result[k] = entry
        return result

    def _shrinks(self, d, keys, base):
        """Smaller sizes for the other spatial dims (the extent along d does not depend on
        them): per call, the smallest probe at which it still runs with the same size along d."""
        choice = {k: list(self.S0) for k in keys}
        if self.nsp == 1:
            return choice
        for div in (2, 4, 8):
            sp = [s if e == d else max(1, s // div) for e, s in enumerate(self.S0)]
            if sp == list(self.S0):
                continue
            _, shp, _ = self.run(sp)
            for k in keys:
                a, b = self.shape_at(base, k), self.shape_at(shp, k)
                if a is not None and b is not None and a[1] == b[1] and a[2 + d] == b[2 + d]:
                    choice[k] = sp
        return choice

    def _ratio(self, d, k, spatial):
        """Exact input/output size ratio along d between two sizes that are multiples of 64."""
        A = 64 * max(1, int(round(self.S0[d] / 64.0)))
        outs = []
        for size in (A, 2 * A):
            sp = list(spatial)
            sp[d] = size
            _, shp, _ = self.run(sp, wanted={k})
            s = self.shape_at(shp, k)
            if s is None:
                return None
            outs.append(s[2 + d])
        if outs[1] == outs[0]:
            return None
        j = Fraction(A, outs[1] - outs[0])
        return int(j) if j.denominator == 1 else float(j)

    def _fields(self, grad, d):
        """Per batch element: sorted nonzero positions along d (None if no gradient)."""
        g = grad != 0
        for dim in sorted([1] + [2 + e for e in range(self.nsp) if e != d], reverse=True):
            g = g.any(dim=dim)
        res = []
        for b in range(g.shape[0]):
            nz = torch.nonzero(g[b]).flatten().tolist()
            res.append(nz or None)
        return res

    def measure_dim(self, d, cand, kinds, base):
        st = {}
        todo = []
        for k in cand:
            kind = kinds[k]
            if kind == 'layout':
                st[k] = {'status': 'layout'}
            elif kind == 'failed':
                st[k] = {'status': 'failed', 'note': 'call not reached by the RF copy'}
            else:
                st[k] = {'status': None, 'hist': []}
                todo.append(k)
        shrink = self._shrinks(d, todo, base)
        S = self.S0[d]
        for f in FACTORS:
            pending = [k for k in todo if st[k]['status'] is None]
            if not pending:
                break
            if f > 1:
                # sizes other than S0 only make sense for calls whose output follows the input
                for k in pending:
                    if kinds[k] == 'unknown':
                        st[k].update(status='clipped', note='the model does not run at other input sizes')
                pending = [k for k in pending if kinds[k] != 'unknown']
            groups = {}
            for k in pending:
                groups.setdefault(tuple(shrink[k]), []).append(k)
            for spatial, keys in sorted(groups.items()):
                sp = list(spatial)
                sp[d] = S * f
                numel = sum(_prod(s[1]) for j, s in base.items() if j <= max(keys) and s[1])
                scale = 3 * _prod(sp) / _prod(self.S0)   # batch of 3 units
                if f > 1 and numel * scale > MEM_BUDGET:
                    for k in keys:
                        st[k]['budget'] = True
                    continue
                try:
                    self._measure_group(d, sp, keys, kinds, st)
                except Exception as e:   # never let one measurement abort the case
                    for k in keys:
                        if st[k]['status'] is None:
                            st[k].update(status='failed', note='%s: %s' % (type(e).__name__, first_line(e)[:160]))
        for k in todo:
            s = st[k]
            if s['status'] is None:
                if _grows_globally(s['hist']):
                    s['status'] = 'global'
                    s['jump'] = self._ratio(d, k, shrink[k]) \
                        if kinds[k] == 'scales' and s['hist'][-1][4] else None
                else:
                    s['status'] = 'clipped'
                    s['note'] = 'memory budget' if s.get('budget') else 'field did not fit at %dx' % FACTORS[-1]
            s.pop('hist', None)
            s.pop('budget', None)
        return st

    def _measure_group(self, d, spatial, keys, kinds, st):
        size = spatial[d]
        offsets = (0, 1, 2)
        sels, units = {}, {}
        want = set(keys)

        def on_out(k, out):
            if k not in want or not torch.is_tensor(out) or out.dim() != self.nsp + 2 \
                    or not out.requires_grad:
                return
            sp = out.shape[2:]
            c = [n // 2 for n in sp]
            n = sp[d]
            sign = 1 if c[d] + 2 < n else -1
            us = []
            for o in offsets:
                u = list(c)
                u[d] = min(max(c[d] + sign * o, 0), n - 1)
                us.append(u)
            units[k] = (sign, n, us)
            s = None
            for b, u in enumerate(us):
                t = out[(b, slice(None)) + tuple(u)].sum()
                s = t if s is None else s + t
            sels[k] = s
        x, shapes, err = self.run(spatial, batch=len(offsets), grad=True, on_out=on_out, wanted=want)
        for k in keys:
            s = st[k]
            if k not in shapes:
                s.update(status='clipped', note='not reached at input size %d (%s)' % (size, err))
                continue
            if k not in sels:
                s.update(status='nograd')
                continue
            try:
                g = torch.autograd.grad(sels[k] * SEED, x, retain_graph=True, allow_unused=True)[0]
            except Exception as e:   # e.g. a tensor needed for backward was modified in place
                s.update(status='failed', note='%s: %s' % (type(e).__name__, first_line(e)[:160]))
                continue
            fields = self._fields(g, d) if g is not None else [None]
            if fields[0] is None:
                s.update(status='nograd')
                continue
            sign, n, us = units[k]
            f0 = fields[0]
            lo, hi = f0[0], f0[-1]
            # neighbouring units that see the input differently (False for a broadcast value,
            # e.g. a globally pooled vector interpolated back to a grid: no jump there)
            distinct = len(fields) > 1 and n > 1 and not torch.equal(g[0], g[1])
            s['hist'].append((size, lo, hi, n, distinct))
            if kinds[k] == 'fixed':
                if len(s['hist']) >= 2:
                    whole = _grows_globally(s['hist'])
                    s['status'] = 'global' if whole else 'input_dependent'
                    if not whole:
                        s['note'] = 'adaptive output size: field %s at input %d' % (
                            [s['hist'][0][1], s['hist'][0][2]], s['hist'][0][0])
                continue
            if n < 3 or any(fl is None for fl in fields):
                continue
            inside = True
            for fl in fields:
                gap = max([b - a for a, b in zip(fl, fl[1:])] + [1])   # holes (dilation)
                if fl[0] < gap or fl[-1] > size - 1 - gap:
                    inside = False
            if not inside:
                continue
            sh1 = (fields[1][0] - fields[0][0]) * sign
            sh2 = (fields[2][0] - fields[1][0]) * sign
            if sh1 == sh2 and sh1 > 0:
                s.update(status='ok', rf=hi - lo + 1, jump=sh1)
            elif sh1 <= 0 and sh2 <= 0 and sh1 + sh2 < 0:
                s.update(status='layout', note='output runs backwards along the input (flip)')
            else:
                s.update(status='nonuniform', rf=None, jump=self._ratio(d, k, spatial))


# --------------------------------------------------------------------------------------------
def run_case(case, do_rf=True):
    path = os.path.realpath(os.path.join(FIXTURES, case['file']))
    kwargs = case.get('kwargs') or {}
    truth = {'id': case['id'], 'file': case['file'], 'model': case['model'], 'kwargs': kwargs,
             'inputs': case['inputs'], 'kind': case['kind'], 'torch': torch.__version__.split('a')[0],
             'params': None, 'output': None, 'modules': {}, 'calls': [], 'error': None,
             'rf_measured': False}
    _TARGET['file'] = path
    phase = 'import'
    try:
        torch.manual_seed(0)
        mod = import_model_file(path, os.path.join(FIXTURES, case['root']) if case.get('root') else None)
        phase = 'construct'
        torch.manual_seed(0)
        model = build(mod, case['model'], to_ctor_kwargs(kwargs))
    except Exception as e:
        frames = file_frames(e.__traceback__, path)
        truth['error'] = {'phase': phase, 'type': type(e).__name__, 'message': first_line(e),
                          'lines': sorted(set(frames)), 'frameLines': frames,
                          'path': None, 'ctorLine': None, 'ctorStack': []}
        return truth
    model.eval()
    total, trainable = count_params(model)
    truth['params'] = {'total': total, 'trainable': trainable}
    for p, m in model.named_modules():
        n, t = count_params(m)
        truth['modules'][p] = {'type': type(m).__name__, 'params': n, 'trainable': t,
                               'line': m.__dict__.get('_truth_ctor_line')}
    torch.manual_seed(0)
    inputs = make_inputs(case['inputs'])
    rec = Recorder(model)
    err = None
    try:
        with torch.no_grad():
            out = model(*inputs)
        truth['output'] = shape_of(out)
    except Exception as e:
        err = e
    finally:
        rec.remove()
    calls = rec.calls
    truth['calls'] = calls
    for c in calls:
        c.update(rf_status='skipped', rf=None, jump=None)
    if err is not None:
        frames = file_frames(err.__traceback__, path)
        open_call = calls[rec.stack[-1]] if rec.stack else None
        ctor = open_call['line'] if open_call else None
        ctor_stack = model.get_submodule(open_call['path']).__dict__.get('_truth_ctor_stack', []) \
            if open_call else []
        truth['error'] = {'phase': 'forward', 'type': type(err).__name__, 'message': first_line(err),
                          'lines': sorted(set(frames + ([ctor] if ctor else []))),
                          'frameLines': frames, 'path': open_call['path'] if open_call else None,
                          'ctorLine': ctor, 'ctorStack': list(ctor_stack)}
        return truth
    x0 = inputs[0]
    if not do_rf:
        return truth
    for c in calls:
        c.update(rf_status='na')
    if not (x0.is_floating_point() and 3 <= x0.dim() <= 5):
        return truth
    try:
        res = RFMeasure(model, inputs, calls).measure()
    except Exception as e:     # never lose the shapes because the RF measurement broke
        note = 'RF measurement failed: %s: %s' % (type(e).__name__, first_line(e)[:160])
        res = {c['index']: {'rf_status': 'failed', 'rf': None, 'jump': None, 'rf_note': note}
               for c in calls if isinstance(c['output'], list) and len(c['output']) == x0.dim()
               and all(isinstance(v, int) for v in c['output'])}
    for c in calls:
        if c['index'] in res:
            c.update(res[c['index']])
    truth['rf_measured'] = True
    return truth


def summary(truth):
    if truth['error']:
        e = truth['error']
        return '%s %s: %s lines %s' % (e['phase'], e['type'], e['message'][:90], e['lines'])
    st = {}
    for c in truth['calls']:
        st[c['rf_status']] = st.get(c['rf_status'], 0) + 1
    return 'out %s params %d calls %d rf %s' % (truth['output'], truth['params']['total'],
                                                len(truth['calls']), dict(sorted(st.items())))


def work(args):
    case, do_rf = args
    t0 = time.time()
    try:
        truth = run_case(case, do_rf)
    except Exception:
        return case, None, traceback.format_exc(), time.time() - t0
    with open(os.path.join(TRUTH_DIR, case['id'] + '.json'), 'w') as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write('\n')
    return case, truth, None, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', default='', help='comma-separated case ids')
    ap.add_argument('--no-rf', action='store_true', help='skip the receptive-field measurement')
    ap.add_argument('--jobs', type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args()
    with open(os.path.join(FIXTURES, 'cases.json')) as f:
        cases = json.load(f)
    ids = [c['id'] for c in cases]
    dup = sorted(set(i for i in ids if ids.count(i) > 1))
    if dup:
        sys.exit('duplicate case ids: %s' % dup)
    only = set(s for s in args.only.split(',') if s)
    unknown = only - set(ids)
    if unknown:
        sys.exit('unknown case ids: %s' % sorted(unknown))
    todo = [c for c in cases if not only or c['id'] in only]
    os.makedirs(TRUTH_DIR, exist_ok=True)
    t0 = time.time()
    bad = []
    jobs = [(c, not args.no_rf) for c in todo]
    if args.jobs > 1 and len(jobs) > 1:
        pool = multiprocessing.get_context('fork').Pool(args.jobs, maxtasksperchild=8)
        results = pool.imap_unordered(work, jobs)
    else:
        pool, results = None, map(work, jobs)
    for case, truth, crash, secs in results:
        if crash:
            bad.append(case['id'])
            print('!! %s: generator crashed\n%s' % (case['id'], crash), flush=True)
            continue
        msg = ''
        if case['kind'] == 'ok' and truth['error']:
            msg = '  !! EXPECTED ok BUT IT RAISED'
        if case['kind'] == 'error' and not truth['error']:
            msg = '  !! EXPECTED AN ERROR BUT IT RAN'
        failed = [c['path'] for c in truth['calls'] if c.get('rf_status') == 'failed']
        if failed:
            msg += '  !! RF MEASUREMENT FAILED at %s' % failed
        if msg:
            bad.append(case['id'])
        print('[%s] %.1fs %s%s' % (case['id'], secs, summary(truth), msg), flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    if not only:   # a full run also removes the truth of cases that no longer exist
        for name in sorted(os.listdir(TRUTH_DIR)):
            if name.endswith('.json') and name[:-5] not in ids:
                os.remove(os.path.join(TRUTH_DIR, name))
                print('removed stale %s' % name)
    print('%d cases in %.1fs' % (len(todo), time.time() - t0))
    if bad:
        print('!! %d case(s) misbehaved: %s' % (len(bad), ', '.join(sorted(bad))))
        sys.exit(1)


if __name__ == '__main__':
    main()
