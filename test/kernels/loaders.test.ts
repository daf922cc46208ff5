// Checkpoint loaders against what PyTorch saved (test/gen/make_checkpoints.py): exact values,
// refused hostile pickles, clean errors on damaged files, and load_state_dict's matching rules.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, unzipSync } from 'fflate';
import { FIXTURES } from '../support/paths';
import {
  CheckpointError,
  CheckpointTensor,
  PyDict,
  StateDictError,
  UnsafeGlobalError,
  findStateDict,
  forEachTensor,
  loadStateDict,
  readCheckpoint,
  readSafetensors,
  tensorValues,
  type ExpectedEntry,
  type PyValue,
} from '../../kernels/src/weights';
import { readCheckpointBytes } from '../../kernels/src/weights/nodeFile';

const DIR = join(FIXTURES, 'checkpoints');
type Value = number | string;
interface TensorTruth {
  shape: number[];
  dtype: string;
  values: Value[];
}
interface TorchVerdict {
  ok: boolean;
  error?: string;
  missing?: string[];
  unexpected?: string[];
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  marker: string;
  sets: Record<string, Record<string, TensorTruth>>;
  files: Record<string, { set: string; format: string; sourceKey?: string; prefix?: string }>;
  models: Record<string, ExpectedEntry[]>;
  loads: { file: string; model: string; strict: boolean; torch: TorchVerdict }[];
  broken: Record<string, string | null>;
  refused: Record<string, string>;
  hostile: Record<string, string>;
};

const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));

function decode(v: Value): number {
  if (typeof v === 'number') return v;
  return { nan: NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 }[v] ?? Number.NaN;
}

/** Exact comparison: same shape, stored dtype, typed-array kind, and every value (NaN, -0 included). */
function assertTensor(t: CheckpointTensor, truth: TensorTruth, what: string): void {
  assert.deepEqual([...t.shape], truth.shape, `${what}: shape`);
  assert.equal(t.sourceDtype, truth.dtype, `${what}: dtype`);
  const a = tensorValues(t);
  assert.deepEqual([...a.shape], truth.shape, `${what}: array shape`);
  const kind = truth.dtype === 'bool' ? Uint8Array : /float/.test(truth.dtype) ? Float32Array : Float64Array;
  assert.ok(a.data instanceof kind, `${what}: ${a.data.constructor.name} for ${truth.dtype}`);
  assert.equal(a.data.length, truth.values.length, `${what}: length`);
  for (let i = 0; i < truth.values.length; i++) {
    const want = decode(truth.values[i]!);
    if (!Object.is(a.data[i], want)) assert.fail(`${what}[${i}]: got ${a.data[i]}, PyTorch saved ${want}`);
  }
}

function rootEntry(root: PyValue, key: string): CheckpointTensor {
  assert.ok(root instanceof PyDict);
  const t = root.get(key);
  assert.ok(t instanceof CheckpointTensor, `${key} is a tensor`);
  return t;
}

/**
 * Asserts that `f` throws a CheckpointError that a reader check raised (not a lower-level exception
 * the safety net converted), and returns it.
 */
function checkpointError(f: () => unknown, what: string): CheckpointError {
  try {
    f();
  } catch (e) {
    if (e instanceof CheckpointError && e.internal) assert.fail(`${what}: no check caught it; converted: ${e.message}`);
    if (e instanceof CheckpointError) return e;
    assert.fail(`${what}: threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} instead of a CheckpointError`);
  }
  assert.fail(`${what}: did not throw`);
}

/** Reads the file and materialises every tensor; only CheckpointError may come out. */
function loadFully(bytes: Uint8Array): void {
  const c = readCheckpoint(bytes);
  forEachTensor(c.root, (t) => tensorValues(t));
}

describe('checkpoints load exactly as PyTorch saved them', () => {
  for (const [file, info] of Object.entries(EXPECTED.files)) {
    test(file, () => {
      const c = readCheckpoint(bytesOf(file));
      assert.equal(c.format, info.format);
      const set = EXPECTED.sets[info.set]!;
      if (info.sourceKey) {
        const sd = findStateDict(c);
        assert.equal(sd.sourceKey, info.sourceKey);
        for (const [k, truth] of Object.entries(set)) {
          const t = sd.tensors.get(`${info.prefix ?? ''}${k}`);
          assert.ok(t, `${k} present`);
          assertTensor(t, truth, `${file}:${k}`);
        }
        assert.equal(sd.tensors.size, Object.keys(set).length);
      } else {
        assert.ok(c.root instanceof PyDict);
        for (const [k, truth] of Object.entries(set)) assertTensor(rootEntry(c.root, k), truth, `${file}:${k}`);
        assert.equal(c.root.size, Object.keys(set).length, 'no extra entries (safetensors __metadata__ is not a tensor)');
      }
    });
  }

  test('a Node Buffer at an offset inside a larger allocation reads the same values', () => {
    for (const file of ['dtypes.pt', 'dtypes_legacy.pt', 'dtypes.safetensors']) {
      const buf = Buffer.concat([Buffer.alloc(3, 0xee), readFileSync(join(DIR, file))]).subarray(3);
      const c = readCheckpoint(buf);
      for (const [k, truth] of Object.entries(EXPECTED.sets.dtypes!)) assertTensor(rootEntry(c.root, k), truth, `Buffer ${file}:${k}`);
    }
  });

  test('views into one storage stay independent copies after loading', () => {
    const c = readCheckpoint(bytesOf('shared_views.pt'));
    const a = tensorValues(rootEntry(c.root, 'a'));
    const b = tensorValues(rootEntry(c.root, 'b'));
    assert.notEqual(a.data.buffer, b.data.buffer);
  });

  test('the training checkpoint keeps its other entries as plain Python values', () => {
    const c = readCheckpoint(bytesOf('nested_module.pth'));
    assert.ok(c.root instanceof PyDict);
    assert.equal(c.root.get('epoch'), 7);
    assert.equal(c.root.get('arch'), 'TinyCNN');
    assert.equal(c.root.get('best_acc'), 0.8125);
    const opt = c.root.get('optimizer');
    assert.ok(opt instanceof PyDict);
    const state = opt.get('state');
    assert.ok(state instanceof PyDict);
    const first = state.get(0);
    assert.ok(first instanceof PyDict && first.get('momentum_buffer') instanceof CheckpointTensor, 'optimizer state keyed by int');
  });
});

describe('hostile pickles are refused, naming the global, and nothing runs', () => {
  for (const [file, global] of Object.entries({ ...EXPECTED.hostile, ...EXPECTED.refused })) {
    test(`${file} (${global})`, () => {
      rmSync(EXPECTED.marker, { force: true });
      const e = checkpointError(() => readCheckpoint(bytesOf(file)), file);
      assert.ok(e instanceof UnsafeGlobalError, `${e.kind}: ${e.message}`);
      assert.equal(e.kind, 'unsafe');
      assert.equal(e.global, global);
      assert.ok(e.message.includes(`checkpoint refers to ${global};`), e.message);
      assert.ok(e.message.includes('weights_only=True'), e.message);
      assert.equal(existsSync(EXPECTED.marker), false, 'the payload did not run');
    });
  }

  test('a whole pickled nn.Module is refused with advice to save its state_dict', () => {
    const e = checkpointError(() => readCheckpoint(bytesOf('whole_module.pt')), 'whole_module.pt');
    assert.match(e.message, /whole pickled model \(torch\.save\(model\)\).*torch\.save\(model\.state_dict\(\), path\)/);
  });

  test('a hostile pickle is not explained as a model', () => {
    const e = checkpointError(() => readCheckpoint(bytesOf('evil_eval.pt')), 'evil_eval.pt');
    assert.doesNotMatch(e.message, /state_dict/);
  });

  test('the copyreg extension registry (EXT1) is refused', () => {
    const e = checkpointError(() => readCheckpoint(Uint8Array.from([0x80, 2, 0x82, 1, 0x29, 0x52, 0x2e])), 'EXT1');
    assert.equal(e.kind, 'unsafe');
    assert.match(e.message, /extension registry/);
  });
});

describe('damaged files give a CheckpointError, never another exception or a hang', () => {
  const files = ['tiny_cnn.pt', 'tiny_cnn_legacy.pt', 'tiny_cnn.safetensors', 'tiny_cnn_p4.pt', 'dtypes.pt', 'dtypes_legacy.pt', 'shared_views_legacy.pt', 'nested_module.pth', 'noncontig.pt'];
  for (const file of files) {
    test(`${file} truncated at every offset`, { timeout: 120_000 }, () => {
      const full = bytesOf(file);
      loadFully(full);
      for (let n = 0; n < full.length; n++) {
        const e = checkpointError(() => loadFully(full.subarray(0, n)), `${file} cut at ${n}`);
        assert.ok(e.message.length > 10);
      }
    });
  }

  for (const file of ['tiny_cnn.pt', 'tiny_cnn_legacy.pt', 'tiny_cnn.safetensors', 'nested_module.pth']) {
    test(`${file} with corrupted bytes`, { timeout: 120_000 }, () => {
      const full = bytesOf(file);
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
      let failures = 0;
      for (let trial = 0; trial < 600; trial++) {
        const b = full.slice();
        const flips = 1 + Math.floor(rand() * 3);
        for (let f = 0; f < flips; f++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        try {
          loadFully(b);
        } catch {
          checkpointError(() => loadFully(b), `trial ${trial}`);
          failures++;
        }
      }
      assert.ok(failures > 0, 'some corruptions are detected');
    });
  }

  test('a view running past its storage is refused, in both formats (PyTorch fails too)', () => {
    for (const file of ['view_past_storage.pt', 'view_past_storage_legacy.pt']) {
      assert.ok(EXPECTED.broken[file], 'PyTorch refuses it');
      const e = checkpointError(() => readCheckpoint(bytesOf(file)), file);
      assert.equal(e.kind, 'corrupt');
      assert.match(e.message, /tensor "bad" \(size \[5\], offset 2, stride \[1\]\) reads element 6 of storage "[^"]+", which has 4/);
    }
  });

  test('a storage record shorter than the storage it declares is refused', () => {
    const e = checkpointError(() => readCheckpoint(bytesOf('short_storage.pt')), 'short_storage.pt');
    assert.equal(e.kind, 'truncated');
    assert.match(e.message, /storage "0" holds 20 bytes but declares 12 float32 elements \(48 bytes\)/);
  });

  test('a zip without data.pkl, and bytes that are no checkpoint', () => {
    const e = checkpointError(() => readCheckpoint(zipSync({ 'x/y.npy': new Uint8Array(4) }, { level: 0 })), 'npz');
    assert.equal(e.kind, 'format');
    assert.match(e.message, /no <name>\/data\.pkl/);
    assert.equal(checkpointError(() => readCheckpoint(new TextEncoder().encode('\x93NUMPY stuff')), 'npy').kind, 'format');
    assert.equal(checkpointError(() => readCheckpoint(new Uint8Array(0)), 'empty').kind, 'truncated');
  });

  test('a bare pickle that is not torch.save output', () => {
    // PROTO 2, EMPTY_DICT, STOP: a harmless pickle without the magic number.
    const e = checkpointError(() => readCheckpoint(Uint8Array.from([0x80, 2, 0x7d, 0x2e])), 'bare pickle');
    assert.equal(e.kind, 'format');
    assert.match(e.message, /magic number/);
  });

  test('malformed pickles: memo read before write, stack underflow, unknown opcode', () => {
    const cases: [number[], RegExp][] = [
      [[0x80, 2, 0x68, 5, 0x2e], /memo entry 5 read before it was written/],
      [[0x80, 2, 0x52, 0x2e], /stack underflow/],
      [[0x80, 2, 0xff, 0x2e], /unknown pickle opcode 0xff/],
      [[0x80, 2, 0x4e, 0x4e, 0x61, 0x2e], /APPEND to a NoneType/],
    ];
    for (const [ops, re] of cases) {
      const e = checkpointError(() => readCheckpoint(Uint8Array.from(ops)), re.source);
      assert.equal(e.kind, 'corrupt');
      assert.match(e.message, re);
    }
  });

  test('a zip entry the archive claims but does not hold', () => {
    // Cut the data/ record out from under the central directory by rewriting the archive without it.
    const entries = unzipSync(bytesOf('tiny_cnn.pt'));
    delete entries['tiny_cnn/data/3'];
    const e = checkpointError(() => readCheckpoint(zipSync(entries, { level: 0 })), 'missing record');
    assert.equal(e.kind, 'corrupt');
    assert.match(e.message, /no tiny_cnn\/data\/3 record/);
  });

  test('deflate-compressed archives (a re-zipped checkpoint) still load', () => {
    const entries = unzipSync(bytesOf('shared_views.pt'));
    const c = readCheckpoint(zipSync(entries, { level: 6 }));
    assertTensor(rootEntry(c.root, 'b'), EXPECTED.sets.shared_views!.b!, 'deflated:b');
  });
});

describe('limits', () => {
  test('a file over the size cap is refused before parsing', () => {
    const b = bytesOf('tiny_cnn.pt');
    const e = checkpointError(() => readCheckpoint(b, { maxFileBytes: 1000 }), 'cap');
    assert.equal(e.kind, 'too-large');
    assert.match(e.message, /checkpoint is 5\.\d KiB, over the 1000 bytes limit/);
    const e2 = checkpointError(() => readCheckpointBytes(join(DIR, 'tiny_cnn.pt'), { maxFileBytes: 1000 }), 'node cap');
    assert.equal(e2.kind, 'too-large');
    assert.equal(checkpointError(() => readCheckpointBytes(join(DIR, 'does-not-exist.pt')), 'missing file').kind, 'io');
    assert.equal(readCheckpointBytes(join(DIR, 'tiny_cnn.pt')).length, b.length);
  });

  test('a tensor over the materialisation cap is refused by name (an expanded view copies out large)', () => {
    const e = checkpointError(() => readCheckpoint(bytesOf('noncontig.pt'), { maxTensorBytes: 40 }), 'tensor cap');
    assert.equal(e.kind, 'too-large');
    assert.match(e.message, /tensor "\w+" \[[\d, ]+\] would take \d+ bytes, over the 40 bytes limit/);
  });
});

/** A .safetensors file from a header object and a data section. */
function safetensors(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors validation', () => {
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).map((_, i) => i + 1).buffer);

  test('overlapping byte ranges are refused, naming both tensors', () => {
    const b = safetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, f32(4));
    const e = checkpointError(() => readSafetensors(b), 'overlap');
    assert.equal(e.message, 'safetensors tensors "a" [0, 16) and "b" [8, 16) overlap');
  });

  test('header and range errors', () => {
    const cases: [Uint8Array, string, RegExp][] = [
      [safetensors({ a: { dtype: 'F32', shape: [5], data_offsets: [0, 20] } }, f32(4)), 'truncated', /bytes \[0, 20\) run past the end of the data \(16 bytes\)/],
      [safetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f32(4)), 'corrupt', /shape \[3\] of F32 needs 12 bytes but data_offsets cover 16/],
      [safetensors({ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, f32(1)), 'unsupported', /dtype F8_E4M3 is not supported/],
      [safetensors({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), 'corrupt', /"shape" is not a list of non-negative integers/],
      [safetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)), 'corrupt', /run backwards/],
      [safetensors([1, 2], f32(1)), 'corrupt', /not a JSON object/],
      [safetensors({ a: 3 }, f32(1)), 'corrupt', /header entry is not an object/],
    ];
    for (const [b, kind, re] of cases) {
      const e = checkpointError(() => readSafetensors(b), re.source);
      assert.equal(e.kind, kind, e.message);
      assert.match(e.message, re);
    }
    const bad = safetensors({}, new Uint8Array(0));
    bad[8] = 0x7b;
    bad[9] = 0x7b; // "{{" is not JSON
    assert.match(checkpointError(() => readSafetensors(bad), 'json').message, /not valid JSON/);
  });

  test('header length beyond the file, and beyond the header cap', () => {
    const b = safetensors({}, new Uint8Array(0));
    new DataView(b.buffer).setUint32(0, 4096, true);
    assert.match(checkpointError(() => readSafetensors(b), 'long').message, /header claims 4096 bytes but the file has only 2 after the length field/);
    new DataView(b.buffer).setUint32(0, 200_000_000, true);
    const e = checkpointError(() => readSafetensors(b), 'cap');
    assert.equal(e.kind, 'too-large');
    assert.match(e.message, /over the 95\.4 MiB limit/);
  });

  test('empty tensors overlap nothing; zero-element shapes load', () => {
    const b = safetensors({ e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(2));
    const m = readSafetensors(b);
    assert.deepEqual([...tensorValues(m.get('a')!).data], [1, 2]);
    assert.deepEqual([...tensorValues(m.get('e')!).shape], [0, 3]);
  });
});

describe('state dict matching (load_state_dict)', () => {
  const tiny = EXPECTED.models.TinyCNN!;
  const truth = EXPECTED.sets.tiny_cnn!;
  /** PyTorch prints torch.Size([..]) and a trailing space after some lines; ShapeLens prints [..]. */
  const normalise = (s: string) => s.replace(/torch\.Size\((\[[\d, ]*\])\)/g, '$1').replace(/ +$/gm, '');

  for (const file of ['tiny_cnn.pt', 'tiny_cnn_legacy.pt', 'tiny_cnn.safetensors', 'tiny_cnn_p4.pt', 'tiny_cnn_params.pt', 'nested_module.pth', 'nested_model_legacy.pt']) {
    test(`${file} matches TinyCNN strictly`, () => {
      const r = loadStateDict(bytesOf(file), tiny);
      const info = EXPECTED.files[file]!;
      assert.equal(r.sourceKey, info.sourceKey ?? null);
      assert.equal(r.strippedPrefix, info.prefix ?? null);
      assert.deepEqual([r.missing, r.unexpected, r.mismatched], [[], [], []]);
      assert.deepEqual([...r.tensors.keys()], tiny.map((e) => e.key));
      for (const e of tiny) {
        const a = r.tensors.get(e.key)!;
        assert.equal(a.dtype, e.dtype);
        const t = truth[e.key]!;
        assert.deepEqual([...a.data], t.values.map(decode), e.key);
      }
      if (info.sourceKey) assert.ok(r.messages.includes(`state dict found under checkpoint["${info.sourceKey}"]`), r.messages.join('; '));
      if (info.prefix) assert.ok(r.messages.includes(`stripped the prefix "${info.prefix}" from every checkpoint key`));
    });
  }

  for (const l of EXPECTED.loads) {
    test(`${l.file} into ${l.model}, strict=${l.strict}: as load_state_dict`, () => {
      const load = () => loadStateDict(bytesOf(l.file), EXPECTED.models[l.model]!, { strict: l.strict, modelName: 'TinyCNN' });
      if (l.torch.ok) {
        const r = load();
        assert.deepEqual(r.missing, l.torch.missing);
        assert.deepEqual(r.unexpected, l.torch.unexpected);
        if (l.file.startsWith('bn_')) {
          const n = r.tensors.get('bn.num_batches_tracked')!;
          assert.deepEqual([n.shape, n.dtype, [...n.data]], [[], 'int64', [0]]);
        }
      } else {
        const e = checkpointError(load, l.file);
        assert.ok(e instanceof StateDictError);
        assert.equal(e.message, normalise(l.torch.error!));
      }
    });
  }

  test('non-strict: shape mismatches are listed and skipped, the rest loads', () => {
    const r = loadStateDict(bytesOf('tiny_cnn.pt'), EXPECTED.models.TinyCNN_fc12!, { strict: false });
    assert.deepEqual(
      r.mismatched.map((m) => [m.key, m.expected, m.got]),
      [['fc.weight', [12, 24], [10, 24]], ['fc.bias', [12], [10]]],
    );
    assert.deepEqual([...r.tensors.keys()], tiny.map((e) => e.key).filter((k) => !k.startsWith('fc.')));
    assert.ok(r.messages.some((m) => /2 entries with a different shape or dtype were not loaded/.test(m)));
  });

  test('a dtype of another kind is a mismatch (a float tensor for an int64 buffer)', () => {
    const entries = tiny.map((e) => (e.key === 'bn.running_mean' ? { ...e, dtype: 'int64' as const } : e));
    const e = checkpointError(() => loadStateDict(bytesOf('tiny_cnn.pt'), entries), 'dtype');
    assert.match(e.message, /dtype mismatch for bn\.running_mean: copying a float32 tensor from checkpoint, the dtype in current model is int64\./);
  });

  test('narrower float types load as float32 and say so', () => {
    const entries: ExpectedEntry[] = [{ key: 'f16', shape: [12], dtype: 'float32' }, { key: 'i32', shape: [4], dtype: 'int64' }];
    const r = loadStateDict(bytesOf('dtypes.safetensors'), entries, { strict: false });
    assert.deepEqual([...r.tensors.keys()], ['f16', 'i32']);
    assert.ok(r.messages.includes('1 tensor stored as float16 loaded as float32'), r.messages.join('; '));
    assert.ok(r.messages.includes('1 tensor stored as int32 loaded as int64'));
  });

  test('a prefix is kept when the model itself uses it', () => {
    const entries = tiny.map((e) => ({ ...e, key: `module.${e.key}` }));
    const r = loadStateDict(bytesOf('nested_module.pth'), entries);
    assert.equal(r.strippedPrefix, null);
    assert.equal(r.tensors.size, tiny.length);
  });

  test('a 0-dim entry accepts a 1-element vector, like load_state_dict', () => {
    const b = safetensors({ s: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(new Float32Array([2.5]).buffer));
    const r = loadStateDict(b, [{ key: 's', shape: [], dtype: 'float32' }]);
    const s = r.tensors.get('s')!;
    assert.deepEqual([s.shape, [...s.data]], [[], [2.5]]);
  });

  test('no state dict anywhere: the error lists the top-level keys', () => {
    const e = checkpointError(() => loadStateDict(safetensors({ __metadata__: {} }, new Uint8Array(0)), tiny), 'empty');
    assert.equal(e.kind, 'state-dict');
    assert.match(e.message, /no state dict in the checkpoint: expected a dict of tensors, or one under "state_dict", "model", "model_state_dict", "net"/);
  });
});
