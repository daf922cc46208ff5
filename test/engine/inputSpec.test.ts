// Input shape specs in every form a user types them (CLI flag, settings, the "Set input shape" box).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputSpecError, parseInputs, specText } from '../../server/src/engine';

test('parses the CLI form, the comment form and mixed lists', () => {
  const cases: [string, string[]][] = [
    ['1x3x32x32', ['[1, 3, 32, 32]']],
    ['Nx3xHxW', ['[N, 3, H, W]']],
    ['1x3x32x32,int64:2x50', ['[1, 3, 32, 32]', 'int64 [2, 50]']],
    ['N, 3, 32, 32', ['[N, 3, 32, 32]']],
    ['[B, 3, 224, 224]', ['[B, 3, 224, 224]']],
    ['[1, 3, 8, 8]; int64 [1, 10]', ['[1, 3, 8, 8]', 'int64 [1, 10]']],
    ['2x1x28x28; 3x4', ['[2, 1, 28, 28]', '[3, 4]']],
    ['5', ['[5]']],
  ];
  for (const [spec, want] of cases) assert.deepEqual(parseInputs(spec).map(specText), want, spec);
});

test('rejects what is not a shape with a message naming the bad part', () => {
  for (const [spec, msg] of [
    ['2x?x3', /'\?' is not a dimension/],
    ['', /no input shape/],
    ['[1, 3,, 4]', /'' is not a dimension/],
  ] as const) assert.throws(() => parseInputs(spec), (e: unknown) => e instanceof InputSpecError && msg.test(e.message), spec);
});
