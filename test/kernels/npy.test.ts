// The .npy reader and writer against files numpy wrote: dtypes, byte orders, Fortran order, format versions, and bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NDArray } from '../../kernels/src/ndarray';
import { NpyError, parseNpy, readNpy, writeNpy } from '../../kernels/src/npy';
import { loadKernelFixtures } from '../support/kernelFixtures';

const { npy } = loadKernelFixtures();
const sample = (id: string): Uint8Array => {
  const s = npy.find((n) => n.id === id);
  assert.ok(s, `no npy sample ${id}`);
  return s.bytes;
};

const KIND: Record<string, NDArray['dtype']> = { int64_2x2: 'int64', int32: 'int64', uint8: 'int64', int16_big_endian: 'int64', version_2_0: 'int64', bool_3: 'bool' };

test('every numpy-written sample reads to numpy\'s shape and values', () => {
  assert.ok(npy.length >= 16);
  for (const s of npy) {
    const a = readNpy(s.bytes);
    assert.deepEqual(a.shape, s.shape, `${s.id}: shape`);
    assert.equal(a.dtype, KIND[s.id] ?? 'float32', `${s.id}: dtype`);
    assert.equal(a.data.length, s.values.length, `${s.id}: count`);
    s.values.forEach((v, i) => {
      const want = v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : typeof v === 'boolean' ? +v : (v as number);
      // float64 and float16 sources are rounded to float32, like the fixture's own values.
      const expect = a.dtype === 'float32' ? Math.fround(want) : want;
      assert.ok(Object.is(a.data[i], expect), `${s.id}[${i}]: ${a.data[i]} vs ${expect}`);
    });
  }
});

test('writeNpy reproduces numpy\'s bytes for float32, int64 and bool arrays', () => {
  for (const id of ['float32_2x3', 'float32_0d', 'float32_1d', 'float32_empty', 'float32_specials', 'int64_2x2', 'bool_3']) {
    const bytes = sample(id);
    assert.deepEqual(writeNpy(readNpy(bytes)), bytes, id);
  }
});

test('writeNpy output reads back to the same tensor, with a 64-byte aligned header', () => {
  const arrays: NDArray[] = [
    { shape: [2, 3, 4], dtype: 'float32', data: Float32Array.from({ length: 24 }, (_, i) => i * 0.37 - 4) },
    { shape: [], dtype: 'int64', data: new Float64Array([-(2 ** 52)]) },
    { shape: [5], dtype: 'bool', data: new Uint8Array([1, 0, 0, 1, 1]) },
    { shape: [0, 7], dtype: 'float32', data: new Float32Array(0) },
  ];
  for (const a of arrays) {
    const bytes = writeNpy(a);
    const headerEnd = bytes.length - a.data.length * (a.dtype === 'float32' ? 4 : a.dtype === 'int64' ? 8 : 1);
    assert.equal(headerEnd % 64, 0);
    const b = readNpy(bytes);
    assert.deepEqual(b.shape, a.shape);
    assert.equal(b.dtype, a.dtype);
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
  }
});

test('concatenated records parse one after another', () => {
  const a = writeNpy({ shape: [2], dtype: 'float32', data: new Float32Array([1, 2]) });
  const b = sample('int64_2x2');
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  const first = parseNpy(both, 0);
  assert.equal(first.end, a.length);
  const second = parseNpy(both, first.end);
  assert.deepEqual(second.array.shape, [2, 2]);
  assert.equal(second.end, both.length);
});

test('bad files give clear NpyErrors, never a crash or garbage', () => {
  const good = sample('float32_2x3');
  const bad = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => readNpy(bytes), (e: unknown) => e instanceof NpyError && pattern.test(e.message));
  };
  bad(new Uint8Array([1, 2, 3]), /truncated/);
  bad(new TextEncoder().encode('PK\x03\x04 this is a zip, not an npy'), /bad magic/);
  bad(good.slice(0, 20), /truncated file: header/);
  bad(good.slice(0, good.length - 1), /truncated data/);
  const extra = new Uint8Array(good.length + 3);
  extra.set(good);
  bad(extra, /3 unexpected bytes/);
  const withHeader = (h: string): Uint8Array => {
    const src = writeNpy({ shape: [1], dtype: 'float32', data: new Float32Array([1]) });
    const out = src.slice();
    const header = h.padEnd(src.length - 10 - 4 - 1, ' ') + '\n';
    for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
    return out;
  };
  bad(withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"), /unsupported dtype '<c8'/);
  bad(withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), /unsupported dtype '\|O'/);
  bad(withHeader("{'descr': '<f4', 'shape': (1,), }"), /malformed header/);
  bad(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2), }"), /malformed shape/);
  bad(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000), }"), /truncated data/);
  const version = good.slice();
  version[6] = 9;
  bad(version, /version 9/);
  const huge = writeNpy({ shape: [1], dtype: 'int64', data: new Float64Array([0]) });
  new DataView(huge.buffer).setBigInt64(huge.length - 8, 2n ** 60n, true);
  bad(huge, /does not fit in 53 bits/);
  assert.throws(() => writeNpy({ shape: [1], dtype: 'int64', data: new Float64Array([0.5]) }), NpyError);
});
