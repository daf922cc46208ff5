// The fast path's 3-D convs and transposed convs (1-D/2-D/3-D) against the TypeScript reference on
// seeded inputs: odd sizes, stride 2 and 3 and stride > kernel, dilation, padding, output_padding,
// groups and depthwise, bias on/off, batch 2, fused ReLU and folded batch norm, in both builds on 1
// and 2 threads, with NaN-filled outputs; strided layers both in sub-pixel form and on the stuffed
// input; temporaries freed (heap back to its baseline), and the executor's adapter running these
// nodes (fused or not) with nothing left in the kernels' memory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConvAttrs, ConvTransposeAttrs, Graph, GraphValue, OpNode } from '../../server/src/engine/graph/ir';
import type { NDArray } from '../../kernels/src/ndarray';
import { runRef } from '../../kernels/src/ref/index';
import { createNodeBackend } from '../../kernels/src/node/index';
import { referenceBackend, runGraph, wasmExecBackend } from '../../kernels/src/exec/index';
import { flipTransposedWeight } from '../../kernels/src/wasm/convTranspose';
import type { WasmBackend } from '../../kernels/src/wasm/backend';
import { assertClose, backend, CONFIGS, describeConfig, disposeAll, randn, relu } from './wasmHelpers';

after(disposeAll);

interface TCase {
  name: string;
  x: number[];
  /** [C_in, C_out / groups, ...kernel] */
  w: number[];
  stride: number[];
  padding: number[];
  outputPadding: number[];
  dilation: number[];
  groups?: number;
  bias?: boolean;
}

/** A transposed conv case with the same value in every dim unless given per dim. */
function t(name: string, x: number[], w: number[], s: number | number[], p: number | number[] = 0, op: number | number[] = 0, d: number | number[] = 1, groups = 1, bias = true): TCase {
  const nd = w.length - 2;
  const per = (v: number | number[]) => (typeof v === 'number' ? Array<number>(nd).fill(v) : v);
  return { name, x, w, stride: per(s), padding: per(p), outputPadding: per(op), dilation: per(d), groups, bias };
}

const TRANSPOSED: TCase[] = [
  // 1-D
  t('1-D stride 2, padding 1, output_padding 1, batch 2', [2, 3, 7], [3, 4, 3], 2, 1, 1),
  t('1-D stride 3, output_padding 2', [1, 5, 9], [5, 2, 4], 3, 0, 2),
  t('1-D stride 5 > kernel 2, no bias', [1, 4, 6], [4, 3, 2], 5, 0, 0, 1, 1, false),
  t('1-D stride 1 (no stuffing), unbatched', [4, 10], [4, 6, 3], 1, 1),
  t('1-D dilation 2, stride 2, padding 2', [1, 3, 8], [3, 2, 3], 2, 2, 1, 2),
  t('1-D groups 2', [2, 4, 5], [4, 3, 3], 2, 1, 0, 1, 2),
  // 2-D
  t('2-D k2 s2 (the U-Net upsampler)', [1, 6, 5, 7], [6, 4, 2, 2], 2),
  t('2-D k3 s2 p1 op1, odd sizes, batch 2', [2, 4, 5, 6], [4, 3, 3, 3], 2, 1, 1),
  t('2-D k4 s2 p1, groups 2', [1, 4, 4, 5], [4, 2, 4, 4], 2, 1, 0, 1, 2),
  t('2-D stride 3 > kernel 2, no bias', [1, 3, 4, 4], [3, 5, 2, 2], 3, 0, 0, 1, 1, false),
  t('2-D stride 3, output_padding 2 (bias-only cells)', [1, 3, 3, 4], [3, 2, 3, 3], 3, 0, 2),
  t('2-D rectangular stride, padding, output_padding and dilation', [1, 2, 5, 5], [2, 3, 3, 3], [1, 2], [1, 0], [0, 1], [2, 1]),
  t('2-D depthwise (groups = C_in)', [1, 4, 5, 6], [4, 1, 3, 3], 2, 1, 1, 1, 4),
  t('2-D depthwise, channel multiplier 2', [2, 4, 5, 5], [4, 2, 3, 3], 2, 1, 0, 1, 4),
  t('2-D stride 1 padding 1 (no stuffing)', [1, 5, 6, 7], [5, 3, 3, 3], 1, 1),
  t('2-D unbatched, stride 2', [3, 4, 5], [3, 2, 3, 3], 2, 1),
  t('2-D dilation 2, stride 2', [1, 3, 5, 4], [3, 4, 3, 3], 2, 1, 1, 2),
  t('2-D 13 -> 17 channels, output width a multiple of 4', [1, 13, 6, 8], [13, 17, 2, 2], 2),
  t('2-D k3 s2 p2 (one phase would need a crop: the stuffed form runs)', [2, 3, 5, 6], [3, 4, 3, 3], 2, 2, 1),
  t('1-D k5 s3 p4, output_padding 2', [1, 2, 7], [2, 3, 5], 3, 4, 2),
  // 3-D
  t('3-D k2 s2', [1, 3, 3, 4, 5], [3, 2, 2, 2, 2], 2),
  t('3-D k3, stride (2,1,2), padding (0,1,0), output_padding (1,0,0), batch 2', [2, 4, 3, 3, 4], [4, 3, 3, 3, 3], [2, 1, 2], [0, 1, 0], [1, 0, 0]),
  t('3-D groups 2, s2 p1 op1', [1, 4, 2, 3, 3], [4, 2, 3, 3, 3], 2, 1, 1, 1, 2),
  t('3-D depthwise, stride 1', [1, 3, 3, 3, 4], [3, 1, 3, 3, 3], 1, 1, 0, 1, 3),
  t('3-D stride 3 > kernel 2, no bias', [1, 2, 2, 3, 2], [2, 3, 2, 2, 2], 3, 0, 0, 1, 1, false),
  t('3-D mixed stride, padding, output_padding and dilation', [1, 2, 3, 4, 4], [2, 2, 2, 3, 3], [1, 2, 2], [0, 1, 2], [0, 1, 1], [1, 1, 2]),
  t('3-D k2 s2 (the 3-D U-Net upsampler), 8 -> 4 channels, batch 2, odd sizes', [2, 8, 3, 5, 4], [8, 4, 2, 2, 2], 2),
  t('3-D k3 s3 (kernel = stride 3)', [1, 3, 3, 2, 4], [3, 2, 3, 3, 3], 3),
  t('3-D k4 s2 p1 (kernel > stride), batch 2', [2, 2, 3, 4, 3], [2, 3, 4, 4, 4], 2, 1),
  t('3-D k5 s3 p1 op2, no bias', [1, 2, 2, 3, 3], [2, 3, 5, 5, 5], 3, 1, 2, 1, 1, false),
  t('3-D dilation 2, s2 p1 op1', [1, 2, 3, 3, 4], [2, 3, 3, 3, 3], 2, 1, 1, 2),
  t('3-D depthwise (groups = C_in), s2 p1 op1, no bias', [1, 4, 3, 4, 5], [4, 1, 3, 3, 3], 2, 1, 1, 1, 4, false),
  t('3-D depthwise, channel multiplier 2, k2 s2, batch 2', [2, 3, 2, 3, 3], [3, 2, 2, 2, 2], 2, 0, 0, 1, 3),
  t('3-D stride (1,2,2), kernel (1,2,2) (upsampling H and W only)', [1, 4, 3, 4, 5], [4, 3, 1, 2, 2], [1, 2, 2]),
  t('3-D stride (1,2,2), kernel 3, padding 1, output_padding (0,1,1), groups 2', [1, 4, 3, 3, 4], [4, 2, 3, 3, 3], [1, 2, 2], 1, [0, 1, 1], 1, 2),
  t('3-D stride (3,2,1), kernel (2,3,3), padding (0,1,1)', [1, 3, 2, 3, 4], [3, 2, 2, 3, 3], [3, 2, 1], [0, 1, 1]),
  t('3-D kernel 1 stride 2 (7 of 8 phases hold the bias), output_padding 1', [1, 3, 2, 3, 3], [3, 4, 1, 1, 1], 2, 0, 1),
  t('3-D unbatched, k3 s2 p1', [3, 2, 3, 4], [3, 2, 3, 3, 3], 2, 1),
  t('3-D k3 s2 p2 (one phase would need a crop: the stuffed form runs)', [1, 2, 3, 4, 3], [2, 3, 3, 3, 3], 2, [2, 1, 1], 1),
];

interface C3Case {
  name: string;
  x: number[];
  /** [C_out, C_in / groups, KD, KH, KW] */
  w: number[];
  stride: number[];
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
  groups?: number;
  bias?: boolean;
}

function c3(name: string, x: number[], w: number[], s: number | number[], p: number | number[], d: number | number[] = 1, groups = 1, bias = true, padAfter?: number[]): C3Case {
  const per = (v: number | number[]) => (typeof v === 'number' ? [v, v, v] : v);
  return { name, x, w, stride: per(s), padBefore: per(p), padAfter: padAfter ?? per(p), dilation: per(d), groups, bias };
}

const CONV3D: C3Case[] = [
  c3('3x3x3 same, odd sizes', [1, 3, 5, 6, 7], [4, 3, 3, 3, 3], 1, 1),
  c3('stride 2, groups 2, batch 2', [2, 4, 6, 7, 5], [6, 2, 3, 3, 3], 2, 1, 1, 2),
  c3('stride (3,2,1) > depth kernel 2', [1, 3, 7, 8, 9], [5, 3, 2, 3, 2], [3, 2, 1], [0, 1, 0]),
  c3('dilation (2,1,2), asymmetric padding', [1, 2, 9, 7, 8], [3, 2, 3, 2, 3], 1, [2, 0, 1], [2, 1, 2], 1, true, [1, 1, 0]),
  c3('depthwise 3x3x3 (a grouped dense 2-D conv of 3 channels per group)', [1, 4, 5, 6, 6], [4, 1, 3, 3, 3], 1, 1, 1, 4),
  c3('depthwise 1x3x3, channel multiplier 2 (a 2-D depthwise conv)', [1, 4, 3, 6, 6], [8, 1, 1, 3, 3], 1, [0, 1, 1], 1, 4),
  c3('depthwise stride 2, batch 2, no bias', [2, 3, 6, 7, 7], [3, 1, 3, 3, 3], 2, 1, 1, 3, false),
  c3('1x1x1', [1, 5, 3, 4, 4], [7, 5, 1, 1, 1], 1, 0),
  c3('depth kernel wider than the input (zero planes at both ends)', [1, 2, 2, 5, 5], [3, 2, 3, 3, 3], 1, 1),
  c3('unbatched input', [3, 4, 5, 5], [4, 3, 3, 3, 3], 1, 1),
  c3('no bias, output width a multiple of 4', [1, 3, 4, 5, 8], [9, 3, 3, 3, 3], 1, 1, 1, 1, false),
];

const tAttrs = (c: TCase): ConvTransposeAttrs => ({
  nd: (c.w.length - 2) as 1 | 2 | 3, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups ?? 1, bias: c.bias !== false,
});
const cAttrs = (c: C3Case): ConvAttrs => ({ nd: 3, stride: c.stride, padBefore: c.padBefore, padAfter: c.padAfter, dilation: c.dilation, groups: c.groups ?? 1, bias: c.bias !== false });

/** Seeded inputs for a case: x, weight and (when the case has one) bias, of `outChannels` channels. */
function tensors(x: number[], w: number[], outChannels: number, bias: boolean, seed: number): { x: NDArray; w: NDArray; b: NDArray | null } {
  return { x: randn(x, 100 + seed), w: randn(w, 200 + seed, 0.5), b: bias ? randn([outChannels], 300 + seed) : null };
}

/**
 * Runs a prepared layer three ways against the reference result: into the arena, with ReLU, and kept
 * on the heap from an input already in the memory, after which freeing the output must bring the
 * heap back to where it was (the op's temporaries were freed, not left behind).
 */
async function checkLayer(be: WasmBackend, what: string, run: (x: NDArray, o?: { relu?: boolean; keep?: boolean }) => Promise<NDArray>, x: NDArray, want: NDArray): Promise<void> {
  assertClose(what, await run(x), want);
  assertClose(`${what}, ReLU`, await run(x, { relu: true }), relu(want));
  be.resetArena();
  const xs = be.upload(x);
  const base = be.bytesInUse;
  const kept = await run(xs, { keep: true });
  assert.ok(be.holds(kept), `${what}: the kept output is a heap block`);
  assertClose(`${what}, kept`, kept, want);
  assert.equal(be.free(kept), true);
  assert.equal(be.bytesInUse, base, `${what}: the op freed its temporaries`);
  be.resetArena();
}

for (const cfg of CONFIGS) {
  test(`conv_transpose 1-D/2-D/3-D, ${describeConfig(cfg)}: fast path equals the reference on ${TRANSPOSED.length} shapes`, async () => {
    const be = await backend(cfg);
    const methods = new Map<string, number>();
    for (const [i, c] of TRANSPOSED.entries()) {
      const a = tAttrs(c);
      const { x, w, b } = tensors(c.x, c.w, c.w[1]! * a.groups, a.bias, i);
      const want = runRef('conv_transpose', b ? [x, w, b] : [x, w], a)[0]!;
      const h = be.prepareConvTranspose(w, b, a);
      const how = `${a.nd}-D ${h.method}`;
      methods.set(how, (methods.get(how) ?? 0) + 1);
      await checkLayer(be, `${c.name} (${h.method})`, (xx, o) => be.convTranspose(h, xx, o), x, want);
      be.release(h);
      if (h.method === 'phases') {
        // The same layer on the zero-stuffed input, the form every strided layer can take.
        const hs = be.prepareConvTranspose(w, b, a, undefined, { stuffed: true });
        assert.equal(hs.method, 'stuffed');
        await checkLayer(be, `${c.name} (stuffed)`, (xx, o) => be.convTranspose(hs, xx, o), x, want);
        be.release(hs);
      }
    }
    assert.equal(be.keptCount, 0);
    // Every way a transposed conv runs was exercised in every dim count: sub-pixel phases, stuffed
    // (a phase would need negative padding) and stride 1.
    const ways = ['1-D phases', '1-D stride1', '1-D stuffed', '2-D phases', '2-D stride1', '2-D stuffed', '3-D phases', '3-D stride1', '3-D stuffed'];
    assert.deepEqual([...methods.keys()].sort(), ways, JSON.stringify([...methods]));
    assert.equal(methods.get('3-D stuffed'), 1, 'only the cropping 3-D case falls back to the stuffed form');
  });

  test(`conv3d, ${describeConfig(cfg)}: fast path equals the reference on ${CONV3D.length} shapes`, async () => {
    const be = await backend(cfg);
    for (const [i, c] of CONV3D.entries()) {
      const a = cAttrs(c);
      const { x, w, b } = tensors(c.x, c.w, c.w[0]!, a.bias, 50 + i);
      const want = runRef('conv', b ? [x, w, b] : [x, w], a)[0]!;
      const h = be.prepareConv3d(w, b, a);
      await checkLayer(be, c.name, (xx, o) => be.conv3d(h, xx, o), x, want);
      be.release(h);
    }
    assert.equal(be.keptCount, 0);
  });
}

test('the transposed weight: W\'[g·CoutG + o, i, k] = W[g·CinG + i, o, K − 1 − k] in every spatial dim', () => {
  // [C_in 4, C_out/G 3, 2, 3] with groups 2: element values encode their own index.
  const shape = [4, 3, 2, 3];
  const w: NDArray = { shape, dtype: 'float32', data: Float32Array.from({ length: 72 }, (_, i) => i) };
  const f = flipTransposedWeight(w, 2);
  assert.deepEqual(f.shape, [6, 2, 2, 3]);
  for (let g = 0; g < 2; g++)
    for (let o = 0; o < 3; o++)
      for (let i = 0; i < 2; i++)
        for (let kh = 0; kh < 2; kh++)
          for (let kw = 0; kw < 3; kw++) {
            const got = f.data[(((g * 3 + o) * 2 + i) * 2 + kh) * 3 + kw];
            const want = w.data[(((g * 2 + i) * 3 + o) * 2 + (1 - kh)) * 3 + (2 - kw)];
            assert.equal(got, want, `g ${g} o ${o} i ${i} k (${kh}, ${kw})`);
          }
});

test('a batch norm folded at prepare time equals the transposed conv / 3-D conv followed by it', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const C = 6;
  const mean = randn([C], 4);
  const variance = randn([C], 5);
  variance.data.forEach((v, i) => ((variance.data as Float32Array)[i] = Math.abs(v) + 0.5));
  const bn = { mean, variance, weight: randn([C], 6), bias: randn([C], 7), eps: 1e-5 };
  const bnAttrs = { training: false, momentum: 0.1, eps: 1e-5, runningStats: true, weight: true, bias: true, numBatchesTracked: false };
  const withBn = (y: NDArray) => runRef('batch_norm', [y, mean, variance, bn.weight, bn.bias], bnAttrs)[0]!;

  const ta: ConvTransposeAttrs = { nd: 2, stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], dilation: [1, 1], groups: 1, bias: true };
  const x2 = randn([2, 4, 5, 6], 1);
  const w2 = randn([4, C, 3, 3], 2);
  const b2 = randn([C], 3);
  const h2 = be.prepareConvTranspose(w2, b2, ta, bn);
  assertClose('conv_transpose2d + folded batch norm', await be.convTranspose(h2, x2), withBn(runRef('conv_transpose', [x2, w2, b2], ta)[0]!));

  // Stride 3 > kernel 2: a third of the outputs see no tap and hold the folded bias alone.
  const t1: ConvTransposeAttrs = { nd: 1, stride: [3], padding: [0], outputPadding: [2], dilation: [1], groups: 2, bias: true };
  const x1 = randn([2, 4, 7], 10);
  const w1 = randn([4, 3, 2], 11);
  const h1 = be.prepareConvTranspose(w1, b2, t1, bn);
  assert.equal(h1.method, 'phases');
  assertClose('conv_transpose1d + folded batch norm, ReLU', await be.convTranspose(h1, x1, { relu: true }), relu(withBn(runRef('conv_transpose', [x1, w1, b2], t1)[0]!)));
  be.release(h1);

  // 3-D, stride (3, 2, 2) over kernel 2 with groups 2: a third of the depths hold the folded bias
  // alone, the rest run as phases, with and without ReLU; the stuffed form gives the same.
  const t3: ConvTransposeAttrs = { nd: 3, stride: [3, 2, 2], padding: [0, 1, 0], outputPadding: [2, 1, 0], dilation: [1, 1, 1], groups: 2, bias: true };
  const x3t = randn([2, 4, 3, 4, 3], 12);
  const w3t = randn([4, 3, 2, 3, 2], 13);
  const want3t = withBn(runRef('conv_transpose', [x3t, w3t, b2], t3)[0]!);
  for (const stuffed of [false, true]) {
    const h = be.prepareConvTranspose(w3t, b2, t3, bn, { stuffed });
    assert.equal(h.method, stuffed ? 'stuffed' : 'phases');
    assertClose(`conv_transpose3d (${h.method}) + folded batch norm`, await be.convTranspose(h, x3t), want3t);
    assertClose(`conv_transpose3d (${h.method}) + folded batch norm, ReLU`, await be.convTranspose(h, x3t, { relu: true }), relu(want3t));
    be.release(h);
  }

  const ca: ConvAttrs = { nd: 3, stride: [1, 2, 1], padBefore: [1, 1, 1], padAfter: [1, 1, 1], dilation: [1, 1, 1], groups: 1, bias: false };
  const x3 = randn([1, 3, 4, 6, 5], 8);
  const w3 = randn([C, 3, 3, 3, 3], 9);
  const h3 = be.prepareConv3d(w3, null, ca, bn);
  assertClose('conv3d + folded batch norm, ReLU', await be.conv3d(h3, x3, { relu: true }), relu(withBn(runRef('conv', [x3, w3], ca)[0]!)));
  be.release(h2);
  be.release(h3);
  be.resetArena();
});

test('a 3-D conv whose gathered input exceeds one chunk runs in several 2-D conv runs, same result', async () => {
  // 2 images x 24 depths x 3 taps x 180 x 180 floats = 18.7 MB of gathered planes: more than the
  // 16 MiB one 2-D conv run gathers, so the (image, depth) pairs are split.
  const be = await backend({ threads: 2, relaxed: false, parallel: 'always' });
  const a: ConvAttrs = { nd: 3, stride: [1, 1, 1], padBefore: [1, 1, 1], padAfter: [1, 1, 1], dilation: [1, 1, 1], groups: 1, bias: true };
  const x = randn([2, 1, 24, 180, 180], 1);
  const w = randn([2, 1, 3, 3, 3], 2);
  const b = randn([2], 3);
  const h = be.prepareConv3d(w, b, a);
  assertClose('chunked conv3d', await be.conv3d(h, x), runRef('conv', [x, w, b], a)[0]!);
  be.release(h);
  be.resetArena();
});

test('prepare and release leave the heap as it was; a released layer is refused with a message', async () => {
  const be = await backend({ threads: 1, relaxed: false });
  const ta: ConvTransposeAttrs = { nd: 3, stride: [2, 2, 2], padding: [0, 0, 0], outputPadding: [0, 0, 0], dilation: [1, 1, 1], groups: 1, bias: true };
  const ca: ConvAttrs = { nd: 3, stride: [1, 1, 1], padBefore: [1, 1, 1], padAfter: [1, 1, 1], dilation: [1, 1, 1], groups: 1, bias: true };
  const x = randn([1, 4, 3, 4, 4], 1);
  const cycle = async () => {
    const ht = be.prepareConvTranspose(randn([4, 5, 2, 2, 2], 2), randn([5], 3), ta);
    const hc = be.prepareConv3d(randn([3, 5, 3, 3, 3], 4), randn([3], 5), ca);
    await be.conv3d(hc, await be.convTranspose(ht, x));
    be.resetArena();
    be.release(ht);
    be.release(hc);
    return [ht, hc] as const;
  };
  await cycle(); // sizes the scratch space
  const base = be.bytesInUse;
  const [ht, hc] = await cycle();
  assert.equal(be.bytesInUse, base, 'the packed weights and plans were freed');
  await assert.rejects(be.convTranspose(ht, x), /conv_transpose3d: the layer's prepared weights were disposed/);
  await assert.rejects(be.conv3d(hc, x), /conv3d: the layer's prepared weights were disposed/);
  assert.throws(() => be.prepareConvTranspose(randn([4, 5, 2, 2, 2], 2), null, { ...ta, padding: [2, 0, 0], bias: false }), /dilation·\(kernel − 1\) ≥ padding/);
  assert.equal(be.bytesInUse, base, 'a refused layer packs nothing');
  const other = be.prepareConv3d(randn([5, 3, 3, 3, 3], 4), null, { ...ca, padBefore: [0, 0, 0], padAfter: [0, 0, 0], bias: false });
  const packed = be.bytesInUse;
  await assert.rejects(be.conv3d(other, x), /conv3d: input \[1, 4, 3, 4, 4\] has 4 channels, the weight expects 3/);
  await assert.rejects(be.conv3d(other, randn([1, 3, 2, 4, 4], 6)), /conv3d: input 2x4x4 is smaller than the dilated kernel \(output 0x2x2\)/);
  assert.equal(be.bytesInUse, packed, 'refused inputs leave nothing behind');
  be.release(other);
  assert.equal(be.bytesInUse, base);
});

test('a worker crash during a 3-D or transposed conv (2-D, 3-D per phase) fails the op and frees its temporaries and output', async () => {
  const be = await createNodeBackend({ threads: 2, relaxed: false, parallel: 'always' });
  try {
    await be.ready();
    // Big enough for jobs of many tiles, so that worker 1 takes some.
    const ht = be.prepareConvTranspose(randn([32, 32, 3, 3], 1, 0.2), null, { nd: 2, stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], dilation: [1, 1], groups: 1, bias: false });
    const hc = be.prepareConv3d(randn([16, 16, 3, 3, 3], 2, 0.2), null, { nd: 3, stride: [1, 1, 1], padBefore: [1, 1, 1], padAfter: [1, 1, 1], dilation: [1, 1, 1], groups: 1, bias: false });
    const ht3 = be.prepareConvTranspose(randn([16, 16, 3, 3, 3], 5, 0.2), null, { nd: 3, stride: [2, 2, 2], padding: [1, 1, 1], outputPadding: [1, 1, 1], dilation: [1, 1, 1], groups: 1, bias: false });
    assert.equal(ht3.method, 'phases');
    const x2 = be.upload(randn([1, 32, 32, 32], 3));
    const x3 = be.upload(randn([1, 16, 8, 24, 24], 4));
    const runs = [
      ['conv_transpose2d', () => be.convTranspose(ht, x2, { keep: true })],
      ['conv3d', () => be.conv3d(hc, x3, { keep: true })],
      ['conv_transpose3d', () => be.convTranspose(ht3, x3, { keep: true })],
    ] as const;
    for (const [what, run] of runs) {
      be.free(await run()); // plans and scratch sized
      let failed = false;
      for (let attempt = 0; attempt < 20 && !failed; attempt++) {
        await be.ready();
        const before = be.bytesInUse;
        be.injectWorkerCrash(1);
        await run().then(
          (y) => assert.equal(be.free(y), true),
          (e: Error) => {
            assert.match(e.message, /kernel worker 1 died/);
            failed = true;
          },
        );
        assert.equal(be.bytesInUse, before, `${what}, attempt ${attempt}: nothing left behind`);
      }
      assert.ok(failed, `${what}: the crash never happened`);
    }
    assert.equal(be.keptCount, 0);
  } finally {
    await be.dispose();
  }
});

// ---------------------------------------------------------------- through the executor's adapter

/** Two branches: conv_transpose2d → BatchNorm → ReLU → a cropping conv_transpose2d, and conv3d → BatchNorm → ReLU → conv_transpose3d. */
function graphs(): { graph: Graph; params: Map<string, NDArray>; inputs: NDArray[] } {
  const values: GraphValue[] = [];
  const nodes: OpNode[] = [];
  const params = new Map<string, NDArray>();
  let seed = 10;
  const value = (shape: number[], param?: string): number => {
    const id = values.length;
    values.push(param ? { id, shape, dtype: 'float32', param } : { id, shape, dtype: 'float32' });
    if (param) params.set(param, randn(shape, seed++, param.endsWith('var') ? 0 : 0.5));
    return id;
  };
  const bnNode = (x: number, key: string, c: number, shape: number[]): number => {
    const ins = [x, value([c], `${key}.running_mean`), value([c], `${key}.running_var`), value([c], `${key}.weight`), value([c], `${key}.bias`)];
    const v = params.get(`${key}.running_var`)!.data as Float32Array;
    for (let i = 0; i < c; i++) v[i] = 0.5 + (i % 3) * 0.25;
    const y = value(shape);
    nodes.push({ op: 'batch_norm', inputs: ins, outputs: [y], attrs: { training: false, momentum: 0.1, eps: 1e-5, runningStats: true, weight: true, bias: true, numBatchesTracked: false }, path: key, line: 1 });
    return y;
  };
  const reluNode = (x: number, shape: number[]): number => {
    const y = value(shape);
    nodes.push({ op: 'unary', inputs: [x], outputs: [y], attrs: { fn: 'relu' }, path: '', line: 1 });
    return y;
  };
  const x2 = value([2, 4, 5, 6]);
  const x3 = value([1, 3, 4, 5, 6]);
  // 2-D: ConvTranspose2d(4, 6, 3, stride 2, padding 1, output_padding 1) → BN → ReLU.
  let y2 = value([2, 6, 10, 12]);
  nodes.push({ op: 'conv_transpose', inputs: [x2, value([4, 6, 3, 3], 'up.weight'), value([6], 'up.bias')], outputs: [y2], attrs: { nd: 2, stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], dilation: [1, 1], groups: 1, bias: true }, path: 'up', line: 1 });
  y2 = reluNode(bnNode(y2, 'bn_up', 6, [2, 6, 10, 12]), [2, 6, 10, 12]);
  // A transposed conv whose padding exceeds d(K−1): a crop the fast path leaves to the reference.
  const y2c = value([2, 6, 7, 11]);
  nodes.push({ op: 'conv_transpose', inputs: [y2, value([6, 6, 2, 2], 'crop.weight')], outputs: [y2c], attrs: { nd: 2, stride: [1, 1], padding: [2, 1], outputPadding: [0, 0], dilation: [1, 1], groups: 1, bias: false }, path: 'crop', line: 2 });
  // 3-D: Conv3d(3, 5, 3, padding 1) → BN → ReLU → ConvTranspose3d(5, 2, 2, stride 2).
  let y3 = value([1, 5, 4, 5, 6]);
  nodes.push({ op: 'conv', inputs: [x3, value([5, 3, 3, 3, 3], 'c3.weight'), value([5], 'c3.bias')], outputs: [y3], attrs: { nd: 3, stride: [1, 1, 1], padBefore: [1, 1, 1], padAfter: [1, 1, 1], dilation: [1, 1, 1], groups: 1, bias: true }, path: 'c3', line: 3 });
  y3 = reluNode(bnNode(y3, 'bn3', 5, [1, 5, 4, 5, 6]), [1, 5, 4, 5, 6]);
  const y3t = value([1, 2, 8, 10, 12]);
  nodes.push({ op: 'conv_transpose', inputs: [y3, value([5, 2, 2, 2, 2], 'up3.weight'), value([2], 'up3.bias')], outputs: [y3t], attrs: { nd: 3, stride: [2, 2, 2], padding: [0, 0, 0], outputPadding: [0, 0, 0], dilation: [1, 1, 1], groups: 1, bias: true }, path: 'up3', line: 4 });
  return { graph: { values, nodes, inputs: [x2, x3], outputs: [y2c, y3t] }, params, inputs: [randn([2, 4, 5, 6], 1), randn([1, 3, 4, 5, 6], 2)] };
}

test('the executor runs 3-D and transposed convs on the fast path (BatchNorm + ReLU fused in outputs-only runs), equal to the reference, leaking nothing', async () => {
  const wb = await createNodeBackend({ threads: 2 });
  try {
    await wb.ready();
    const { graph, params, inputs } = graphs();
    const want = await runGraph(graph, params, inputs, { seed: 0 });
    assert.equal(want.status, 'ok', want.message);
    const fast = wasmExecBackend(wb);
    const backends = [fast, referenceBackend];
    // One complete run of each kind packs the weights both ways (plain, and BatchNorm-folded for fused runs).
    for (const detail of ['all', 'outputs'] as const) assert.equal((await runGraph(graph, params, inputs, { seed: 0, backends, detail })).status, 'ok');
    const baseline = wb.bytesInUse;
    const packings = fast.packings;
    for (const detail of ['all', 'outputs', 'all', 'outputs'] as const) {
      const seen = new Map<number, NDArray>();
      const r = await runGraph(graph, params, inputs, { seed: 0, backends, detail, onNode: (info) => seen.set(info.index, info.outputs[0]!) });
      assert.equal(r.status, 'ok', r.message);
      r.outputs.forEach((o, i) => assertClose(`${detail}: output ${i}`, o, want.outputs[i]!));
      const ran = r.nodes.map((n) => `${n.path || n.op}:${n.backend}`);
      assert.deepEqual(ran, ['up:wasm', 'bn_up:wasm', 'unary:wasm', 'crop:reference', 'c3:wasm', 'bn3:wasm', 'unary:wasm', 'up3:wasm']);
      // A fused chain hands its one result to the BatchNorm and ReLU nodes it covered.
      const fused = [1, 2, 5, 6].filter((i) => seen.get(i) === seen.get(i - 1)).length;
      assert.equal(fused, detail === 'outputs' ? 4 : 0, `${detail}: nodes fused`);
      assert.equal(wb.keptCount, 0, `${detail}: no activation left in the kernels' memory`);
      assert.equal(wb.bytesInUse, baseline, `${detail}: heap back to its baseline`);
      assert.equal(fast.packings, packings, `${detail}: no weights packed again`);
    }
    assert.equal(fast.prepared, 3, 'the two transposed convs and the 3-D conv the fast path ran are packed');
  } finally {
    await wb.dispose();
  }
});
