// The graph executor: hand-built and engine-traced graphs run against PyTorch's outputs and every module
// call's output (test/fixtures/exec, written by test/gen/make_exec_fixtures.py), plus the executor's own
// promises: refusals before running (missing ops, memory budget), cancellation between nodes, the first
// NaN located, seeded default weights and dropout masks, train-mode running statistics written back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NDArray } from '../../kernels/src/ndarray';
import { readNpy } from '../../kernels/src/npy';
import { readSafetensors } from '../../kernels/src/weights/safetensors';
import { StateDictError } from '../../kernels/src/weights/stateDict';
import { REF_KERNELS } from '../../kernels/src/ref/index';
import { dropoutNodeSeed } from '../../kernels/src/ref/dropout';
import {
  loadWeights,
  moduleCalls,
  planGraph,
  prepareWeights,
  randomInputs,
  referenceBackend,
  runGraph,
  WeightCache,
  WeightsError,
  wasmExecBackend,
  type Backend,
  type RunResult,
} from '../../kernels/src/exec/index';
import { createNodeBackend } from '../../kernels/src/node/index';
import type { Graph, GraphValue, OpAttrs, OpName, OpNode, DType } from '../../server/src/engine/graph/ir';
import type { GraphParam } from '../../server/src/engine/graph/api';
import { loadParser, traceGraph } from '../../server/src/engine';
import { FIXTURES } from '../support/paths';

const EXEC = join(FIXTURES, 'exec');

// ---------------------------------------------------------------- a small graph builder

class Builder {
  values: GraphValue[] = [];
  nodes: OpNode[] = [];
  inputs: number[] = [];
  outputs: number[] = [];
  params: GraphParam[] = [];

  private value(shape: number[], dtype: DType, extra: Partial<GraphValue> = {}): number {
    const id = this.values.length;
    this.values.push({ id, shape, dtype, ...extra });
    return id;
  }
  input(shape: number[], dtype: DType = 'float32'): number {
    const id = this.value(shape, dtype);
    this.inputs.push(id);
    return id;
  }
  /** A parameter or buffer the graph reads. */
  param(key: string, shape: number[], layer: string, dtype: DType = 'float32', buffer = false): number {
    const id = this.value(shape, dtype, { param: key });
    this.params.push({ key, value: id, shape, dtype, layer, name: key.slice(key.lastIndexOf('.') + 1), buffer });
    return id;
  }
  /** A state_dict entry the graph does not read (e.g. num_batches_tracked in eval mode). */
  unread(key: string, shape: number[], layer: string, dtype: DType, buffer: boolean): void {
    this.params.push({ key, value: -1, shape, dtype, layer, name: key.slice(key.lastIndexOf('.') + 1), buffer });
  }
  constant(shape: number[], values: number[], dtype: DType = 'float32'): number {
    return this.value(shape, dtype, { const: values });
  }
  op<K extends OpName>(op: K, inputs: number[], attrs: OpAttrs[K], outShapes: number[][], path: string, line: number, dtypes?: DType[]): number[] {
    const outs = outShapes.map((s, i) => this.value(s, dtypes?.[i] ?? 'float32'));
    this.nodes.push({ op, inputs, outputs: outs, attrs, path, line } as OpNode);
    return outs;
  }
  one<K extends OpName>(op: K, inputs: number[], attrs: OpAttrs[K], shape: number[], path: string, line: number): number {
    return this.op(op, inputs, attrs, [shape], path, line)[0]!;
  }
  graph(...outputs: number[]): Graph {
    return { values: this.values, nodes: this.nodes, inputs: this.inputs, outputs };
  }

  // Layer helpers, shaped like the tracer's output.
  conv(x: number, key: string, cin: number, cout: number, k: number, outShape: number[], line: number, o: { stride?: number; pad?: number; bias?: boolean } = {}): number {
    const bias = o.bias ?? true;
    const ins = [x, this.param(`${key}.weight`, [cout, cin, k, k], 'Conv2d')];
    if (bias) ins.push(this.param(`${key}.bias`, [cout], 'Conv2d'));
    const s = o.stride ?? 1;
    const p = o.pad ?? 0;
    return this.one('conv', ins, { nd: 2, stride: [s, s], padBefore: [p, p], padAfter: [p, p], dilation: [1, 1], groups: 1, bias }, outShape, key, line);
  }
  linear(x: number, key: string, fin: number, fout: number, outShape: number[], line: number): number {
    return this.one('linear', [x, this.param(`${key}.weight`, [fout, fin], 'Linear'), this.param(`${key}.bias`, [fout], 'Linear')], { bias: true }, outShape, key, line);
  }
  bn(x: number, key: string, c: number, shape: number[], line: number, training: boolean): number {
    const ins = [x, this.param(`${key}.running_mean`, [c], 'BatchNorm2d', 'float32', true), this.param(`${key}.running_var`, [c], 'BatchNorm2d', 'float32', true)];
    ins.push(this.param(`${key}.weight`, [c], 'BatchNorm2d'), this.param(`${key}.bias`, [c], 'BatchNorm2d'));
    if (training) ins.push(this.param(`${key}.num_batches_tracked`, [], 'BatchNorm2d', 'int64', true));
    else this.unread(`${key}.num_batches_tracked`, [], 'BatchNorm2d', 'int64', true);
    const attrs = { training, momentum: 0.1, eps: 1e-5, runningStats: true, weight: true, bias: true, numBatchesTracked: training };
    if (!training) return this.one('batch_norm', ins, attrs, shape, key, line);
    return this.op('batch_norm', ins, attrs, [shape, [c], [c], []], key, line, ['float32', 'float32', 'float32', 'int64'])[0]!;
  }
  relu(x: number, shape: number[], path: string, line: number): number {
    return this.one('unary', [x], { fn: 'relu' }, shape, path, line);
  }
  maxPool(x: number, shape: number[], path: string, line: number): number {
    return this.one('max_pool', [x], { nd: 2, kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false, returnIndices: false }, shape, path, line);
  }
}

/** The CIFAR-10 tutorial net (test/fixtures/exec/cifar_net.py) as the tracer records it. */
function cifarGraph(): { graph: Graph; params: GraphParam[] } {
  const b = new Builder();
  let x = b.input([1, 3, 32, 32]);
  x = b.maxPool(b.relu(b.conv(x, 'conv1', 3, 6, 5, [1, 6, 28, 28], 18), [1, 6, 28, 28], '', 18), [1, 6, 14, 14], 'pool', 18);
  x = b.maxPool(b.relu(b.conv(x, 'conv2', 6, 16, 5, [1, 16, 10, 10], 19), [1, 16, 10, 10], '', 19), [1, 16, 5, 5], 'pool', 19);
  x = b.one('reshape', [x], { shape: [1, 400] }, [1, 400], '', 20);
  x = b.relu(b.linear(x, 'fc1', 400, 120, [1, 120], 21), [1, 120], '', 21);
  x = b.relu(b.linear(x, 'fc2', 120, 84, [1, 84], 22), [1, 84], '', 22);
  x = b.linear(x, 'fc3', 84, 10, [1, 10], 23);
  return { graph: b.graph(x), params: b.params };
}

/** TinyResNet (test/fixtures/exec/tiny_resnet.py) at [2, 3, 8, 8], in eval or train mode. */
function resnetGraph(training: boolean): { graph: Graph; params: GraphParam[] } {
  const b = new Builder();
  const block = (x: number, key: string, cin: number, cout: number, stride: number, hw: number): number => {
    const s = [2, cout, hw, hw];
    let o = b.relu(b.bn(b.conv(x, `${key}.conv1`, cin, cout, 3, s, 19, { stride, pad: 1, bias: false }), `${key}.bn1`, cout, s, 19, training), s, key, 19);
    o = b.bn(b.conv(o, `${key}.conv2`, cout, cout, 3, s, 20, { pad: 1, bias: false }), `${key}.bn2`, cout, s, 20, training);
    let sc = x;
    if (stride !== 1 || cin !== cout) sc = b.bn(b.conv(x, `${key}.shortcut.0`, cin, cout, 1, s, 21, { stride, bias: false }), `${key}.shortcut.1`, cout, s, 21, training);
    o = b.one('binary', [o, sc], { fn: 'add', alpha: 1 }, s, key, 21);
    return b.relu(o, s, key, 22);
  };
  let x = b.input([2, 3, 8, 8]);
  x = b.relu(b.bn(b.conv(x, 'conv1', 3, 8, 3, [2, 8, 8, 8], 36, { pad: 1, bias: false }), 'bn1', 8, [2, 8, 8, 8], 36, training), [2, 8, 8, 8], '', 36);
  x = block(block(x, 'layer1', 8, 8, 1, 8), 'layer2', 8, 16, 2, 4);
  x = b.one('adaptive_avg_pool', [x], { nd: 2, outSize: [1, 1] }, [2, 16, 1, 1], 'pool', 38);
  x = b.one('reshape', [x], { shape: [2, 16] }, [2, 16], '', 38);
  x = b.linear(x, 'fc', 16, 10, [2, 10], 39);
  return { graph: b.graph(x), params: b.params };
}

/** DropNet (test/fixtures/exec/dropout_net.py) at [1, 1, 12, 12], dropout nodes present (eval: identity). */
function dropoutGraph(training: boolean): { graph: Graph; params: GraphParam[] } {
  const b = new Builder();
  let x = b.input([1, 1, 12, 12]);
  x = b.relu(b.conv(x, 'features.0', 1, 4, 3, [1, 4, 10, 10], 16), [1, 4, 10, 10], 'features.1', 16);
  x = b.one('dropout', [x], { p: 0.25, training, featureDims: 2, seed: 0 }, [1, 4, 10, 10], 'features.2', 16);
  x = b.maxPool(x, [1, 4, 5, 5], 'features.3', 16);
  x = b.one('reshape', [x], { shape: [1, 100] }, [1, 100], '', 17);
  x = b.relu(b.linear(x, 'fc1', 100, 16, [1, 16], 18), [1, 16], '', 18);
  x = b.one('dropout', [x], { p: 0.5, training, featureDims: 0, seed: 0 }, [1, 16], 'drop', 18);
  x = b.linear(x, 'fc2', 16, 3, [1, 3], 19);
  x = b.one('softmax', [x], { dim: 1, log: true }, [1, 3], '', 19);
  return { graph: b.graph(x), params: b.params };
}

// ---------------------------------------------------------------- comparing with PyTorch

interface FixtureCall {
  index: number;
  path: string;
  type: string;
  alias: boolean;
  file: string | null;
}

/**
 * ‖got − want‖∞ / ‖want‖∞. Float32 kernels sum in a different order than PyTorch's (im2col + BLAS
 * vs direct loops; float64 accumulators in the reference), so elements differ by a few ulps of the
 * layer's largest magnitudes: a relative error against the tensor's scale is the meaningful bound,
 * where an element-wise one would blow up on values that cancel to near zero.
 */
function relErr(got: NDArray, want: NDArray): number {
  assert.deepEqual([...got.shape], [...want.shape], 'shape');
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.data.length; i++) {
    d = Math.max(d, Math.abs(got.data[i]! - want.data[i]!));
    m = Math.max(m, Math.abs(want.data[i]!));
  }
  if (Number.isNaN(d)) return Infinity;
  return d / Math.max(m, 1e-30);
}

const TOL = 1e-4;

/** Runs `graph` on the case's input and weights; checks the output and every module call PyTorch recorded. */
async function checkAgainstTorch(caseId: string, graph: Graph, params: GraphParam[], backends?: Backend[]): Promise<{ result: RunResult; values: Map<string, NDArray> }> {
  const dir = join(EXEC, caseId);
  const w = loadWeights(readFileSync(join(dir, 'weights.safetensors')), params, { modelName: caseId });
  const prepared = prepareWeights(params, { seed: 0, checkpoint: w });
  assert.equal(prepared.initialised.length, 0, `every param came from the checkpoint (initialised: ${prepared.initialised.join(', ')})`);
  const calls = moduleCalls(graph);
  const wanted = new Set(calls.map((c) => c.output));
  const kept = new Map<number, NDArray>();
  const input = readNpy(readFileSync(join(dir, 'input.npy')));
  const result = await runGraph(graph, prepared.values, [input], {
    seed: 0,
    backends,
    onNode: (info) => {
      const node = graph.nodes[info.index]!;
      node.outputs.forEach((v, k) => {
        if (wanted.has(v)) kept.set(v, { shape: info.outputs[k]!.shape.slice(), dtype: info.outputs[k]!.dtype, data: info.outputs[k]!.data.slice() });
      });
    },
  });
  assert.equal(result.status, 'ok', result.message);
  assert.equal(result.nonFinite, undefined);
  const out = readNpy(readFileSync(join(dir, 'output.npy')));
  assert.ok(relErr(result.outputs[0]!, out) <= TOL, `${caseId} output: relative error ${relErr(result.outputs[0]!, out)}`);

  // Every module call PyTorch's hooks saw is matched by path and occurrence, except aliases (their output is their input).
  const fixture = JSON.parse(readFileSync(join(dir, 'calls.json'), 'utf8')) as FixtureCall[];
  const seen = new Map<string, number>();
  let compared = 0;
  for (const fc of fixture) {
    const k = seen.get(fc.path) ?? 0;
    seen.set(fc.path, k + 1);
    if (fc.alias || !fc.file) continue;
    const mine = calls.filter((c) => c.path === fc.path)[k];
    assert.ok(mine, `${caseId}: no call of '${fc.path}' #${k} in the graph`);
    const got = fc.path === '' ? result.outputs[0]! : kept.get(mine.output)!;
    const want = readNpy(readFileSync(join(dir, fc.file)));
    const e = relErr(got, want);
    assert.ok(e <= TOL, `${caseId}: ${fc.path || '(root)'} (${fc.type}) call #${k}: relative error ${e}`);
    compared++;
  }
  assert.ok(compared >= fixture.filter((c) => !c.alias).length, 'every non-alias call compared');
  return { result, values: prepared.values };
}

/** A file's bytes as a plain Uint8Array (a Node Buffer's slice() is a view, which the checkpoint readers do not expect). */
function plainBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The buffers PyTorch had after the train-mode forward pass. */
function stateAfter(caseId: string): Map<string, NDArray> {
  const m = new Map<string, NDArray>();
  for (const [k, t] of readSafetensors(plainBytes(join(EXEC, caseId, 'state_after.safetensors')))) m.set(k, t.toNDArray());
  return m;
}

function checkStateAfter(caseId: string, values: Map<string, NDArray>, updated: string[]): void {
  const want = stateAfter(caseId);
  assert.deepEqual([...updated].sort(), [...want.keys()].sort(), 'every running statistic is written back');
  for (const [k, t] of want) {
    const got = values.get(k)!;
    if (t.dtype === 'int64') assert.deepEqual([...got.data], [...t.data], k);
    else assert.ok(relErr(got, t) <= TOL, `${k}: relative error ${relErr(got, t)}`);
  }
}

// ---------------------------------------------------------------- hand-built graphs against PyTorch

test('hand-built CIFAR-10 tutorial net matches PyTorch, output and every module call', async () => {
  const { graph, params } = cifarGraph();
  const { result } = await checkAgainstTorch('cifar_eval', graph, params);
  assert.deepEqual(
    result.nodes.map((n) => n.op),
    ['conv', 'unary', 'max_pool', 'conv', 'unary', 'max_pool', 'reshape', 'linear', 'unary', 'linear', 'unary', 'linear'],
  );
  const conv1 = result.nodes[0]!;
  assert.deepEqual({ path: conv1.path, line: conv1.line, shapes: conv1.shapes }, { path: 'conv1', line: 18, shapes: [[1, 6, 28, 28]] });
  assert.ok(conv1.std > 0 && conv1.min < conv1.max && conv1.ms >= 0);
  assert.equal(result.nodes[1]!.min, 0, 'relu output has min 0');
});

test('hand-built ResNet with BatchNorm in eval mode matches PyTorch', async () => {
  const { graph, params } = resnetGraph(false);
  const { result } = await checkAgainstTorch('resnet_eval', graph, params);
  assert.deepEqual(result.updatedState, []);
});

test('hand-built ResNet in train mode matches PyTorch, and its running statistics are written back', async () => {
  const { graph, params } = resnetGraph(true);
  const { result, values } = await checkAgainstTorch('resnet_train', graph, params);
  checkStateAfter('resnet_train', values, result.updatedState);
});

test('hand-built dropout net in eval mode matches PyTorch (dropout is the identity)', async () => {
  const { graph, params } = dropoutGraph(false);
  await checkAgainstTorch('dropout_eval', graph, params);
});

// ---------------------------------------------------------------- engine-traced graphs against PyTorch

interface ExecCase {
  id: string;
  file: string;
  model: string;
  input: number[];
  mode: 'eval' | 'train';
}

for (const c of JSON.parse(readFileSync(join(EXEC, 'cases.json'), 'utf8')) as ExecCase[]) {
  test(`end to end: ${c.file} traced by the engine (${c.mode}) matches PyTorch`, async () => {
    await loadParser();
    const file = join(EXEC, c.file);
    const traced = traceGraph(readFileSync(file, 'utf8'), { file, model: c.model, mode: c.mode, inputs: [{ shape: c.input, dtype: 'float32' }] });
    assert.equal(traced.length, 1);
    const t = traced[0]!;
    assert.deepEqual(t.unsupported, []);
    assert.ok(t.graph, `no graph: ${t.diagnostics.map((d) => d.message).join('; ')}`);
    const { result, values } = await checkAgainstTorch(c.id, t.graph, t.params);
    if (c.mode === 'train') checkStateAfter(c.id, values, result.updatedState);
  });
}

// ---------------------------------------------------------------- the WebAssembly fast path as a backend

test('with the wasm fast path in front, conv/linear/pool/BatchNorm (eval and train)/add/ReLU run there and the models still match PyTorch', async () => {
  const wb = await createNodeBackend({ threads: 2 });
  try {
    await wb.ready();
    const fast = wasmExecBackend(wb);
    const backends = [fast, referenceBackend];
    const cifar = cifarGraph();
    const { result } = await checkAgainstTorch('cifar_eval', cifar.graph, cifar.params, backends);
    assert.deepEqual(
      result.nodes.map((n) => `${n.op}:${n.backend}`),
      ['conv', 'unary', 'max_pool', 'conv', 'unary', 'max_pool', 'reshape', 'linear', 'unary', 'linear', 'unary', 'linear'].map((op) => `${op}:wasm`),
    );
    assert.equal(fast.prepared, 5, 'two convs and three linears packed');
    const eval_ = resnetGraph(false);
    const r = (await checkAgainstTorch('resnet_eval', eval_.graph, eval_.params, backends)).result;
    assert.ok(r.nodes.some((n) => n.op === 'batch_norm' && n.backend === 'wasm') && r.nodes.some((n) => n.op === 'binary' && n.backend === 'wasm'));
    assert.equal(fast.prepared, 6 + 1, 'the CIFAR layers were released after a complete run without them: 6 convs and the fc remain');
    // Train-mode BatchNorm computes batch statistics on the fast path too (and its running-statistic update matches).
    const train = resnetGraph(true);
    const tr = await checkAgainstTorch('resnet_train', train.graph, train.params, backends);
    const t = tr.result;
    assert.ok(t.nodes.every((n) => n.op !== 'batch_norm' || n.backend === 'wasm'));
    checkStateAfter('resnet_train', tr.values, t.updatedState);
    assert.ok(t.nodes.some((n) => n.op === 'conv' && n.backend === 'wasm'));
  } finally {
    await wb.dispose();
  }
});

test('outputs-only runs fuse conv + BatchNorm + ReLU on the fast path and still match PyTorch', async () => {
  const wb = await createNodeBackend({ threads: 1 });
  try {
    await wb.ready();
    const backends = [wasmExecBackend(wb), referenceBackend];
    for (const [id, g] of [['resnet_eval', resnetGraph(false)], ['cifar_eval', cifarGraph()]] as const) {
      const dir = join(EXEC, id);
      const w = loadWeights(readFileSync(join(dir, 'weights.safetensors')), g.params, { modelName: id });
      const prepared = prepareWeights(g.params, { seed: 0, checkpoint: w });
      const outputs = new Map<number, NDArray>();
      const r = await runGraph(g.graph, prepared.values, [readNpy(readFileSync(join(dir, 'input.npy')))], {
        seed: 0,
        backends,
        detail: 'outputs',
        onNode: (info) => outputs.set(info.index, info.outputs[0]!),
      });
      assert.equal(r.status, 'ok', r.message);
      const want = readNpy(readFileSync(join(dir, 'output.npy')));
      assert.ok(relErr(r.outputs[0]!, want) <= TOL, `${id}: relative error ${relErr(r.outputs[0]!, want)}`);
      // A fused chain hands its one result to the BatchNorm and ReLU nodes it covered.
      const fusedNodes = g.graph.nodes.filter((n, i) => (n.op === 'batch_norm' || (n.op === 'unary' && n.attrs.fn === 'relu')) && outputs.get(i) === outputs.get(i - 1));
      assert.ok(fusedNodes.length >= (id === 'resnet_eval' ? 4 : 2), `${id}: ${fusedNodes.length} nodes fused`);
    }
  } finally {
    await wb.dispose();
  }
});

/** Bytes of every node output of the graph (what a run would hold if nothing were released). */
function activationBytes(g: Graph): number {
  return g.nodes.flatMap((n) => n.outputs).reduce((a, v) => a + g.values[v]!.shape.reduce((p, d) => p * d, 1) * 4, 0);
}

test('the fast path keeps activations in the kernels\' memory between its ops, frees each after its last use, and leaks nothing across runs', async () => {
  const wb = await createNodeBackend({ threads: 2 });
  try {
    await wb.ready();
    assert.ok(wb.shared, 'Node has shared memory: the in-memory path is the one under test');
    const fast = wasmExecBackend(wb);
    const backends = [fast, referenceBackend];
    const { graph, params } = resnetGraph(false);
    const values = prepareWeights(params, { seed: 3 }).values;
    const inputs = [randomInputs(graph, 1), randomInputs(graph, 2)];
    const want = await Promise.all(inputs.map((x) => runGraph(graph, values, x, { seed: 0 })));
    // The first run of each kind packs the weights (plain, and with the BatchNorms folded) and sizes
    // the scratch space: what stays in use afterwards is the baseline, and nothing is packed again.
    for (const detail of ['all', 'outputs'] as const) assert.equal((await runGraph(graph, values, inputs[0]!, { seed: 0, backends, detail })).status, 'ok');
    const baseline = wb.bytesInUse;
    const packings = fast.packings;
    assert.equal(packings, 2 * 6 + 1, 'six convs packed plain and folded, the fc once');
    // Inputs the ops had to copy into the memory: only the graph input; every op (adaptive_avg_pool
    // and the reshape before the fc included) read its producer's output in place.
    const xBytes = 2 * 3 * 8 * 8 * 4;
    for (let run = 0; run < 24; run++) {
      const detail = run % 2 ? 'outputs' : 'all';
      const k = (run >> 1) % 2;
      const uploaded = wb.uploadedBytes;
      wb.resetPeak();
      const r = await runGraph(graph, values, inputs[k]!, { seed: 0, backends, detail });
      assert.equal(r.status, 'ok', r.message);
      assert.ok(relErr(r.outputs[0]!, want[k]!.outputs[0]!) <= TOL, `run ${run}: relative error ${relErr(r.outputs[0]!, want[k]!.outputs[0]!)}`);
      assert.ok(r.nodes.filter((n) => n.backend === 'wasm').length >= (detail === 'all' ? 17 : 7), `run ${run}: the fast path ran the convs, BatchNorms, ReLUs and adds`);
      assert.equal(wb.uploadedBytes - uploaded, xBytes, `run ${run} (${detail}): bytes copied into the kernels' memory`);
      assert.equal(wb.bytesInUse, baseline, `run ${run} (${detail}): heap back to its baseline`);
      assert.equal(wb.keptCount, 0, `run ${run}: no activation left in the kernels' memory`);
      assert.equal(fast.packings, packings, `run ${run} (${detail}): no weights packed again`);
      // Released after the last use: at most a few activations were alive at once, far below all of them.
      const peak = wb.peakBytesInUse - baseline;
      assert.ok(peak > 0 && peak < activationBytes(graph) / 2, `run ${run} (${detail}): peak ${peak} bytes of activations, all of them ${activationBytes(graph)}`);
    }
  } finally {
    await wb.dispose();
  }
});

test('what the fast path hands out (run outputs, onNode outputs) stays valid after the run and the runs after it', async () => {
  const wb = await createNodeBackend({ threads: 1 });
  try {
    const backends = [wasmExecBackend(wb), referenceBackend];
    const { graph, params } = resnetGraph(false);
    const values = prepareWeights(params, { seed: 4 }).values;
    const x = randomInputs(graph, 5);
    const refNodes: NDArray[] = [];
    const ref = await runGraph(graph, values, x, { seed: 0, onNode: (n) => refNodes.push(n.outputs[0]!) });
    const got: NDArray[] = [];
    const first = await runGraph(graph, values, x, { seed: 0, backends, onNode: (n) => got.push(n.outputs[0]!) });
    assert.equal(first.status, 'ok', first.message);
    // Other inputs reuse (and overwrite) the memory the first run's activations lived in.
    for (let i = 0; i < 4; i++) assert.equal((await runGraph(graph, values, randomInputs(graph, 100 + i), { seed: 0, backends, detail: i % 2 ? 'outputs' : 'all' })).status, 'ok');
    assert.ok(relErr(first.outputs[0]!, ref.outputs[0]!) <= TOL);
    assert.equal(got.length, graph.nodes.length);
    got.forEach((o, i) => {
      assert.ok(!(o.data.buffer instanceof SharedArrayBuffer), `node ${i} (${graph.nodes[i]!.op}): a plain array, not a view of the kernels' memory`);
      assert.ok(relErr(o, refNodes[i]!) <= TOL, `node ${i} (${graph.nodes[i]!.op}): relative error ${relErr(o, refNodes[i]!)}`);
    });
  } finally {
    await wb.dispose();
  }
});

test('a cancelled or failed run frees the activations it left in the kernels\' memory', async () => {
  const wb = await createNodeBackend({ threads: 1 });
  try {
    const backends = [wasmExecBackend(wb), referenceBackend];
    const { graph, params } = resnetGraph(false);
    const values = prepareWeights(params, { seed: 6 }).values;
    const x = randomInputs(graph, 7);
    // One complete run of each kind packs the weights both ways (plain and BatchNorm-folded).
    for (const detail of ['all', 'outputs'] as const) assert.equal((await runGraph(graph, values, x, { seed: 0, backends, detail })).status, 'ok');
    const baseline = wb.bytesInUse;
    // Stop inside layer1, where the block's input (the skip connection) and the conv path are both alive.
    const at = graph.nodes.findIndex((n) => n.path === 'layer1.conv2');
    for (const detail of ['all', 'outputs'] as const) {
      let held = 0;
      const signal = { aborted: false };
      const cancelled = await runGraph(graph, values, x, {
        seed: 0,
        backends,
        detail,
        signal,
        onNode: (n) => {
          if (n.index === at) {
            held = wb.keptCount;
            signal.aborted = true;
          }
        },
      });
      assert.equal(cancelled.status, 'cancelled');
      assert.ok(held >= 2, `${detail}: ${held} activations were in the kernels' memory when cancelled`);
      assert.equal(wb.keptCount, 0);
      assert.equal(wb.bytesInUse, baseline, `${detail}: cancelled run freed its activations`);
      const failed = await runGraph(graph, values, x, {
        seed: 0,
        backends,
        detail,
        onNode: (n) => {
          if (n.index === at) throw new Error('callback broke');
        },
      });
      assert.equal(failed.status, 'failed');
      assert.equal(wb.keptCount, 0);
      assert.equal(wb.bytesInUse, baseline, `${detail}: failed run freed its activations`);
    }
    const again = await runGraph(graph, values, x, { seed: 0, backends });
    const ref = await runGraph(graph, values, x, { seed: 0 });
    assert.ok(relErr(again.outputs[0]!, ref.outputs[0]!) <= TOL);
  } finally {
    await wb.dispose();
  }
});

test('the fast path keeps a layer\'s packed weights while its tensor is unchanged and repacks a changed one', async () => {
  const wb = await createNodeBackend({ threads: 1 });
  try {
    const fast = wasmExecBackend(wb);
    const { graph, params } = cifarGraph();
    const cache = new WeightCache();
    const x = randomInputs(graph, 0);
    const first = await runGraph(graph, cache.get(params, { seed: 0 }).values, x, { seed: 0, backends: [fast, referenceBackend] });
    const again = await runGraph(graph, cache.get(params, { seed: 0 }).values, x, { seed: 0, backends: [fast, referenceBackend] });
    assert.deepEqual(again.outputs[0]!.data, first.outputs[0]!.data);
    const ref = await runGraph(graph, cache.get(params, { seed: 0 }).values, x, { seed: 0 });
    let d = 0;
    ref.outputs[0]!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - first.outputs[0]!.data[i]!))));
    assert.ok(d < 1e-5, `fast path vs reference: ${d}`);
    // New values for fc3 (as after loading a checkpoint): its packing must follow, not the stale one.
    const values = cache.get(params, { seed: 0 }).values;
    values.set('fc3.weight', { shape: [10, 84], dtype: 'float32', data: new Float32Array(840) });
    const zeroed = await runGraph(graph, values, x, { seed: 0, backends: [fast, referenceBackend] });
    assert.deepEqual([...zeroed.outputs[0]!.data], [...values.get('fc3.bias')!.data]);
    assert.equal(fast.prepared, 5);
  } finally {
    await wb.dispose();
  }
});

// ---------------------------------------------------------------- refusals before running

/** A backend that counts the nodes it ran (to prove a refused run ran nothing). */
function counting(inner: Backend, ops?: ReadonlySet<string>): Backend & { ran: number } {
  const b = {
    name: `counting ${inner.name}`,
    ran: 0,
    supports: (n: OpNode, g: Graph) => (!ops || ops.has(n.op)) && inner.supports(n, g),
    run: (n: OpNode, ins: readonly NDArray[], ctx: Parameters<Backend['run']>[2]) => {
      b.ran++;
      return inner.run(n, ins, ctx);
    },
  };
  return b;
}

test('an op no backend supports is refused by name and line before anything runs', async () => {
  const { graph, params } = dropoutGraph(false);
  const values = prepareWeights(params, { seed: 1 }).values;
  const be = counting(referenceBackend, new Set(Object.keys(REF_KERNELS).filter((k) => k !== 'softmax' && k !== 'max_pool')));
  let called = 0;
  const r = await runGraph(graph, values, randomInputs(graph, 1), { seed: 1, backends: [be], onNode: () => called++ });
  assert.equal(r.status, 'refused');
  assert.equal(r.refusal?.kind, 'unsupported');
  assert.match(r.message!, /no kernel for 'max_pool' \(line 16\), 'softmax' \(line 19\)/);
  assert.equal(be.ran, 0);
  assert.equal(called, 0);
  // The same graph with the reference behind the partial backend runs, each node on the first backend that has it.
  const ok = await runGraph(graph, values, randomInputs(graph, 1), { seed: 1, backends: [be, referenceBackend] });
  assert.equal(ok.status, 'ok');
  assert.deepEqual(
    ok.nodes.filter((n) => n.backend === 'reference').map((n) => n.op),
    ['max_pool', 'softmax'],
  );
});

test('an unknown op name (a newer tracer) is refused, not crashed on', async () => {
  const b = new Builder();
  const x = b.input([2, 2]);
  const y = b.one('frobnicate' as 'reshape', [x], { shape: [4] }, [4], 'head', 7);
  const r = await runGraph(b.graph(y), new Map(), [randomInputs(b.graph(y), 0)[0]!], { seed: 0 });
  assert.equal(r.status, 'refused');
  assert.match(r.message!, /'frobnicate' \(line 7\)/);
});

test('the memory budget refusal gives the figure and names the node, before allocating', async () => {
  const b = new Builder();
  let x = b.input([1, 3, 64, 64]);
  x = b.conv(x, 'stem', 3, 16, 3, [1, 16, 64, 64], 11, { pad: 1 }); // 256 KiB
  x = b.relu(x, [1, 16, 64, 64], '', 11);
  x = b.conv(x, 'wide', 16, 64, 3, [1, 64, 64, 64], 12, { pad: 1 }); // 1 MiB
  x = b.relu(x, [1, 64, 64, 64], 'wide_act', 13);
  const graph = b.graph(x);
  const plan = planGraph(graph, { backends: [referenceBackend], budgetBytes: 1024 ** 3 });
  assert.ok(plan.ok);
  // Peak: at wide_act, the 1 MiB conv output and the 1 MiB relu output are live together.
  assert.equal(plan.plan.peakBytes, 2 * 1024 * 1024);
  assert.equal(plan.plan.peakNode?.path, 'wide_act');

  const be = counting(referenceBackend);
  const params = prepareWeights(b.params, { seed: 0 }).values;
  const r = await runGraph(graph, params, randomInputs(graph, 0), { seed: 0, backends: [be], budgetBytes: 1024 * 1024 });
  assert.equal(r.status, 'refused');
  assert.equal(r.refusal?.kind, 'budget');
  assert.equal(be.ran, 0);
  assert.match(r.message!, /needs 2\.0 MiB of activation memory, over the 1\.0 MiB budget: wide \(line 12, conv\)/);
  if (r.refusal?.kind === 'budget') assert.deepEqual(r.refusal.node, { index: 2, path: 'wide', line: 12, op: 'conv' });
});

test('intermediates are released after their last consumer (the plan), and a long-lived skip connection is counted', () => {
  const b = new Builder();
  const x = b.input([1, 1024]); // 4 KiB each
  const a = b.relu(x, [1, 1024], 'a', 1);
  const c = b.relu(a, [1, 1024], 'c', 2);
  const d = b.relu(c, [1, 1024], 'd', 3);
  const e = b.relu(d, [1, 1024], 'e', 4);
  const chain = planGraph(b.graph(e), { backends: [referenceBackend] });
  assert.ok(chain.ok);
  // x freed after a, a after c, ...: never more than two 4 KiB tensors live.
  assert.equal(chain.plan.peakBytes, 8192);
  assert.deepEqual(chain.plan.freeAfter, [[x], [a], [c], [d]]);
  const skip = b.one('binary', [e, a], { fn: 'add', alpha: 1 }, [1, 1024], 'skip', 5);
  const withSkip = planGraph(b.graph(skip), { backends: [referenceBackend] });
  assert.ok(withSkip.ok);
  assert.equal(withSkip.plan.peakBytes, 12288, 'a stays live until the add');
});

test('inputs and parameters that do not fit the graph are refused with the reason', async () => {
  const { graph, params } = cifarGraph();
  const values = prepareWeights(params, { seed: 0 }).values;
  const bad = await runGraph(graph, values, [{ shape: [1, 3, 28, 28], dtype: 'float32', data: new Float32Array(3 * 28 * 28) }], { seed: 0 });
  assert.equal(bad.status, 'refused');
  assert.match(bad.message!, /input 0 has shape \[1, 3, 28, 28\], but the model was traced with \[1, 3, 32, 32\]/);
  const missing = new Map(values);
  missing.delete('fc2.bias');
  const r = await runGraph(graph, missing, randomInputs(graph, 0), { seed: 0 });
  assert.equal(r.status, 'refused');
  assert.match(r.message!, /no value for 'fc2.bias'/);
});

// ---------------------------------------------------------------- during a run

test('cancellation stops between nodes: set in a callback, and set by an event while the run yields', async () => {
  const { graph, params } = cifarGraph();
  const values = prepareWeights(params, { seed: 0 }).values;
  const signal = { aborted: false };
  const r = await runGraph(graph, values, randomInputs(graph, 0), { seed: 0, signal, onNode: (n) => void (n.index === 2 && (signal.aborted = true)) });
  assert.equal(r.status, 'cancelled');
  assert.equal(r.nodes.length, 3);
  assert.deepEqual(r.node, { index: 3, path: 'conv2', line: 19, op: 'conv' });
  assert.deepEqual(r.outputs, []);

  // An edit arrives as an event: the run yields to the event loop between nodes and sees it before the next one.
  const s2 = { aborted: false };
  const r2 = await runGraph(graph, values, randomInputs(graph, 0), { seed: 0, signal: s2, onNode: (n) => void (n.index === 0 && setImmediate(() => (s2.aborted = true))) });
  assert.equal(r2.status, 'cancelled');
  assert.equal(r2.nodes.length, 1);
});

test('NaN/Inf is reported at the first node that produced it, and the run still completes', async () => {
  const b = new Builder();
  const x = b.input([1, 4]);
  const a = b.relu(x, [1, 4], 'act', 3);
  const neg = b.constant([], [-1]);
  const lg = b.one('unary', [neg], { fn: 'log' }, [], 'head', 4);
  const s = b.one('binary', [a, lg], { fn: 'add', alpha: 1 }, [1, 4], 'head', 5);
  const y = b.one('binary', [s, s], { fn: 'mul' }, [1, 4], 'out', 6);
  const graph = b.graph(y);
  const r = await runGraph(graph, new Map(), randomInputs(graph, 3), { seed: 0 });
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.nonFinite?.node, { index: 1, path: 'head', line: 4, op: 'unary', fn: 'log' });
  assert.equal(r.nonFinite?.message, 'NaN/Inf first produced by head (line 4, log): 1 NaN, 0 Inf');
  assert.equal(r.nonFinite?.source, 'node');
  assert.equal(r.nonFinite?.nan, 1);
  assert.ok(Number.isNaN(r.outputs[0]!.data[0]!));
  assert.ok(Number.isNaN(r.nodes[3]!.mean) && r.nodes[3]!.nan === 4);

  // NaN already in the input: the report names the input and the node that first read it.
  const b2 = new Builder();
  const x2 = b2.input([3]);
  const y2 = b2.relu(b2.relu(x2, [3], 'first', 2), [3], 'second', 3);
  const g2 = b2.graph(y2);
  const r2 = await runGraph(g2, new Map(), [{ shape: [3], dtype: 'float32', data: new Float32Array([1, NaN, 2]) }], { seed: 0 });
  assert.equal(r2.status, 'ok');
  assert.equal(r2.nonFinite?.source, 'input 0');
  assert.equal(r2.nonFinite?.node.path, 'first');
  assert.match(r2.nonFinite!.message, /input 0 holds 1 NaN and 0 Inf values \(first read by first \(line 2, relu\)\)/);
});

test('a kernel error fails the run and names the node', async () => {
  const b = new Builder();
  const ids = b.input([1, 3], 'int64');
  const table = b.param('emb.weight', [5, 2], 'Embedding');
  const y = b.one('embedding', [ids, table], {}, [1, 3, 2], 'emb', 9);
  const graph = b.graph(y);
  const values = prepareWeights(b.params, { seed: 0 }).values;
  const r = await runGraph(graph, values, [{ shape: [1, 3], dtype: 'int64', data: new Float64Array([0, 7, 1]) }], { seed: 0 });
  assert.equal(r.status, 'failed');
  assert.deepEqual(r.node, { index: 0, path: 'emb', line: 9, op: 'embedding' });
  assert.match(r.message!, /^emb \(line 9, embedding\) failed: embedding: /);
  // Random token ids stay below the table size, so the same graph runs on a seeded input.
  const ok = await runGraph(graph, values, randomInputs(graph, 0), { seed: 0 });
  assert.equal(ok.status, 'ok', ok.message);
});

test('a backend returning the wrong shape fails the run instead of passing garbage on', async () => {
  const { graph, params } = dropoutGraph(false);
  const liar: Backend = { name: 'liar', supports: (n) => n.op === 'linear', run: () => [{ shape: [1, 2], dtype: 'float32', data: new Float32Array(2) }] };
  const r = await runGraph(graph, prepareWeights(params, { seed: 0 }).values, randomInputs(graph, 0), { seed: 0, backends: [liar, referenceBackend] });
  assert.equal(r.status, 'failed');
  assert.match(r.message!, /fc1 \(line 18, linear\) failed: the liar kernel returned float32 \[1, 2\] for output 0, where the trace has float32 \[1, 16\]/);
});

// ---------------------------------------------------------------- seeds: weights, inputs, dropout masks

test('default initialisation is stable: same seed, same weights and outputs; another seed, others', async () => {
  const { graph, params } = cifarGraph();
  const run = async (seed: number) => (await runGraph(graph, prepareWeights(params, { seed }).values, randomInputs(graph, 5), { seed: 0 })).outputs[0]!.data;
  const a = await run(7);
  const again = await run(7);
  const other = await run(8);
  assert.deepEqual(a, again);
  assert.notDeepEqual(a, other);
  // PyTorch's rules: conv/linear weights uniform within 1/√fan_in, norms ones and zeros.
  const w = prepareWeights(params, { seed: 7 }).values.get('conv1.weight')!;
  const bound = 1 / Math.sqrt(3 * 5 * 5);
  assert.ok([...w.data].every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...w.data) > 0.8 * bound, 'uses the range');
  const bn = prepareWeights(resnetGraph(false).params, { seed: 7 }).values;
  assert.deepEqual([...bn.get('bn1.weight')!.data], new Array(8).fill(1));
  assert.deepEqual([...bn.get('bn1.running_mean')!.data], new Array(8).fill(0));
  assert.equal(bn.get('bn1.num_batches_tracked')!.dtype, 'int64');
});

test('seeded inputs: standard normal for float32, reproducible', () => {
  const { graph } = cifarGraph();
  const x = randomInputs(graph, 11)[0]!;
  assert.deepEqual(x.data, randomInputs(graph, 11)[0]!.data);
  assert.notDeepEqual(x.data, randomInputs(graph, 12)[0]!.data);
  const v = Array.from(x.data);
  const n = v.length;
  const mean = v.reduce((s, e) => s + e, 0) / n;
  const std = Math.sqrt(v.reduce((s, e) => s + (e - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.05, `mean ${mean}, std ${std} over ${n}`);
});

test('train-mode dropout masks come from the run seed and the node index', async () => {
  const { graph, params } = dropoutGraph(true);
  const values = prepareWeights(params, { seed: 0 }).values;
  const x = randomInputs(graph, 0);
  const grab = async (seed: number) => {
    const outs: NDArray[] = [];
    await runGraph(graph, values, x, { seed, onNode: (n) => void (n.op === 'dropout' && outs.push({ ...n.outputs[0]!, data: n.outputs[0]!.data.slice() })) });
    return outs;
  };
  const [d1, d2] = await grab(42);
  // The executor's mask equals the reference kernel's with seed dropoutNodeSeed(42, index).
  const relu = await (async () => {
    let kept: NDArray | undefined;
    await runGraph(graph, values, x, { seed: 42, onNode: (n) => void (n.index === 1 && (kept = { ...n.outputs[0]!, data: n.outputs[0]!.data.slice() })) });
    return kept!;
  })();
  const expect = REF_KERNELS.dropout([relu], { p: 0.25, training: true, featureDims: 2, seed: dropoutNodeSeed(42, 2) })[0]!;
  assert.deepEqual(d1!.data, expect.data);
  assert.deepEqual((await grab(42))[1]!.data, d2!.data, 'same seed, same mask');
  assert.notDeepEqual((await grab(43))[1]!.data, d2!.data, 'another seed, another mask');
  // Feature dropout zeroes whole maps: each of the 4 channels is all kept (scaled by 1/0.75) or all zero.
  for (let c = 0; c < 4; c++) {
    const map = d1!.data.slice(c * 100, (c + 1) * 100);
    const src = relu.data.slice(c * 100, (c + 1) * 100);
    const dropped = map.every((v) => v === 0);
    assert.ok(dropped || map.every((v, i) => Math.abs(v - src[i]! / 0.75) < 1e-6), `channel ${c}`);
  }
});

// ---------------------------------------------------------------- weights: checkpoints and the cache

test('a strict checkpoint load lists missing and unexpected keys; non-strict fills the rest by default init', () => {
  const { params } = cifarGraph();
  const bytes = readFileSync(join(EXEC, 'resnet_eval', 'weights.safetensors')); // another model's weights
  assert.throws(
    () => loadWeights(bytes, params, { modelName: 'Net' }),
    (e: unknown) => e instanceof StateDictError && /Missing key\(s\) in state_dict: "conv1.bias"/.test(e.message) && /Unexpected key\(s\) in state_dict: "bn1.weight"/.test(e.message) && /size mismatch for conv1.weight/.test(e.message),
  );
  const partial = loadWeights(bytes, params, { strict: false });
  const prepared = prepareWeights(params, { seed: 3, checkpoint: partial });
  assert.equal(prepared.loaded.length, 0, 'conv1.weight has the wrong shape, nothing else matches');
  assert.equal(prepared.initialised.length, params.length);
  assert.ok(prepared.messages.some((m) => /not loaded/.test(m)));
});

test('a parameter of a custom module without a checkpoint is refused by name', () => {
  const params: GraphParam[] = [{ key: 'blk.scale', value: 3, shape: [4], dtype: 'float32', layer: 'LayerScale', name: 'scale', buffer: false }];
  assert.throws(() => prepareWeights(params, { seed: 0 }), (e: unknown) => e instanceof WeightsError && /'blk\.scale'/.test(e.message) && e.keys[0] === 'blk.scale');
  // Unread by the graph, it is simply left out.
  assert.equal(prepareWeights([{ ...params[0]!, value: -1 }], { seed: 0 }).values.size, 0);
});

test('the weight cache keeps each unchanged parameter object across runs and re-initialises only a changed layer', () => {
  const cache = new WeightCache();
  const { params } = cifarGraph();
  const first = cache.get(params, { seed: 1 });
  const same = cache.get(params, { seed: 1 });
  assert.notEqual(first.values, same.values, 'a fresh map each time (a train run may write into it)');
  for (const [k, t] of first.values) assert.equal(same.values.get(k), t, k);
  // An edit that widens fc2 (84 → 90 outputs, so fc3's input too): a new param list with fresh objects.
  const edited = params.map((p) => (p.key === 'fc2.weight' ? { ...p, shape: [90, 120] } : p.key === 'fc2.bias' ? { ...p, shape: [90] } : p.key === 'fc3.weight' ? { ...p, shape: [10, 90] } : { ...p }));
  const after = cache.get(edited, { seed: 1 });
  for (const k of ['conv1.weight', 'conv2.bias', 'fc1.weight', 'fc3.bias']) assert.equal(after.values.get(k), first.values.get(k), `${k} kept`);
  for (const k of ['fc2.weight', 'fc2.bias', 'fc3.weight']) assert.notEqual(after.values.get(k), first.values.get(k), `${k} re-initialised`);
  assert.deepEqual(after.values.get('fc2.weight')!.shape, [90, 120]);
  assert.equal(cache.size, params.length, 'entries of the old shapes are dropped');
  const reseeded = cache.get(edited, { seed: 2 });
  assert.notEqual(reseeded.values.get('conv1.weight'), first.values.get('conv1.weight'));
});

test('a train-mode run writes running statistics into the map it was given, so the next run continues from them', async () => {
  const { graph, params } = resnetGraph(true);
  const values = prepareWeights(params, { seed: 0 }).values;
  const x = randomInputs(graph, 0);
  const r1 = await runGraph(graph, values, x, { seed: 0 });
  assert.equal(r1.status, 'ok');
  assert.equal(values.get('bn1.num_batches_tracked')!.data[0], 1);
  const m1 = values.get('bn1.running_mean')!.data.slice();
  assert.ok(m1.some((v) => v !== 0));
  await runGraph(graph, values, x, { seed: 0 });
  assert.equal(values.get('bn1.num_batches_tracked')!.data[0], 2);
  // Same batch again: mean' = 0.9·m1 + 0.1·batch_mean where batch_mean = m1 / 0.1.
  const m2 = values.get('bn1.running_mean')!.data;
  for (let c = 0; c < 8; c++) assert.ok(Math.abs(m2[c]! - 1.9 * m1[c]!) < 1e-5);
  const frozen = prepareWeights(params, { seed: 0 }).values;
  const r3 = await runGraph(graph, frozen, x, { seed: 0, updateState: false });
  assert.deepEqual(r3.updatedState, []);
  assert.equal(frozen.get('bn1.num_batches_tracked')!.data[0], 0);
});
