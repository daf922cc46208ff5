// The model the browser-worker kernel check runs, built by hand (conv 3→8 k3 pad 1 → ReLU → max pool →
// flatten → linear → ReLU → linear) with PyTorch's default initialisation from a seed. Imported by both
// the Web Worker and the Node side, so both run exactly the same graph, weights and input.
import type { NDArray } from '../../../kernels/src/ndarray';
import { prepareWeights, randomInputs } from '../../../kernels/src/exec/index';
import type { GraphParam } from '../../../server/src/engine/graph/api';
import type { Graph, GraphValue, MaxPoolAttrs, OpAttrs, OpName, OpNode } from '../../../server/src/engine/graph/ir';
import { convOutSize, poolOutSize } from '../../../server/src/engine/torch/window';

/** Seed of the default initialisation, the input and the run. */
export const SEED = 7;

/**
 * fc1's weight (2048 x 2560 floats, 20 MiB) is larger than the kernels' initial 16 MiB memory, so
 * packing it grows the memory: with a non-shared memory (no cross-origin isolation) that detaches
 * every view made before, the case only a browser exercises (Node always has shared memory).
 */
const FC1_OUT = 2560;
const CLASSES = 10;

export interface CheckModel {
  graph: Graph;
  params: GraphParam[];
  weights: Map<string, NDArray>;
  input: NDArray;
}

export function checkModel(): CheckModel {
  const values: GraphValue[] = [];
  const nodes: OpNode[] = [];
  const params: GraphParam[] = [];
  const value = (shape: number[], extra: Partial<GraphValue> = {}): number => {
    values.push({ id: values.length, shape, dtype: 'float32', ...extra });
    return values.length - 1;
  };
  const param = (key: string, shape: number[], layer: string): number => {
    const id = value(shape, { param: key });
    params.push({ key, value: id, shape, dtype: 'float32', layer, name: key.slice(key.indexOf('.') + 1), buffer: false });
    return id;
  };
  const op = <K extends OpName>(name: K, inputs: number[], attrs: OpAttrs[K], shape: number[], path: string, line: number): number => {
    const out = value(shape);
    nodes.push({ op: name, inputs, outputs: [out], attrs, path, line } as OpNode);
    return out;
  };

  const x = value([1, 3, 32, 32]);
  const [, , H, W] = values[x]!.shape as [number, number, number, number];
  const conv = op('conv', [x, param('conv.weight', [8, 3, 3, 3], 'Conv2d'), param('conv.bias', [8], 'Conv2d')],
    { nd: 2, stride: [1, 1], padBefore: [1, 1], padAfter: [1, 1], dilation: [1, 1], groups: 1, bias: true },
    [1, 8, convOutSize(H, 3, 1, 1, 1, 1), convOutSize(W, 3, 1, 1, 1, 1)], 'conv', 10);
  const convShape = values[conv]!.shape;
  const relu1 = op('unary', [conv], { fn: 'relu' }, convShape, '', 10);
  const pool: MaxPoolAttrs = { nd: 2, kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false, returnIndices: false };
  const pooled = op('max_pool', [relu1], pool, [1, 8, poolOutSize(convShape[2]!, 2, 2, 0, 1, false), poolOutSize(convShape[3]!, 2, 2, 0, 1, false)], 'pool', 11);
  const features = values[pooled]!.shape.slice(1).reduce((a, b) => a * b, 1);
  const flat = op('reshape', [pooled], { shape: [1, features] }, [1, features], 'flatten', 12);
  const fc1 = op('linear', [flat, param('fc1.weight', [FC1_OUT, features], 'Linear'), param('fc1.bias', [FC1_OUT], 'Linear')], { bias: true }, [1, FC1_OUT], 'fc1', 13);
  const relu2 = op('unary', [fc1], { fn: 'relu' }, [1, FC1_OUT], '', 13);
  const out = op('linear', [relu2, param('fc2.weight', [CLASSES, FC1_OUT], 'Linear'), param('fc2.bias', [CLASSES], 'Linear')], { bias: true }, [1, CLASSES], 'fc2', 14);

  const graph: Graph = { values, nodes, inputs: [x], outputs: [out] };
  return { graph, params, weights: prepareWeights(params, { seed: SEED }).values, input: randomInputs(graph, SEED)[0]! };
}
