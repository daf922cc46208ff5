// A run's inputs: seeded random tensors of the graph's input shapes (standard normal like torch.randn), and
// the check that given tensors (e.g. from .npy) fit the shapes and dtypes the graph was traced with.
import { allocData, numel, type NDArray } from '../ndarray';
import type { Graph } from '../../../server/src/engine/graph/ir';
import { keySeed, mulberry32, normalSampler } from '../prng';

/** Token ids for an int64 input are drawn below this unless an embedding reading the input says less. */
const DEFAULT_INT_BOUND = 10;

/**
 * One tensor per graph input, from `seed`: float32 standard normal, int64 uniform in [0, bound) where
 * bound is the row count of every embedding table the input indexes directly (else 10), bool fair coins.
 * Input i draws from its own generator, so adding an input does not change the others.
 */
export function randomInputs(graph: Graph, seed: number): NDArray[] {
  return graph.inputs.map((id, i) => {
    const v = graph.values[id]!;
    const n = numel(v.shape);
    const rng = mulberry32(keySeed(seed, `input.${i}`));
    const data = allocData(v.dtype, n);
    if (v.dtype === 'float32') {
      const normal = normalSampler(rng);
      for (let k = 0; k < n; k++) data[k] = normal();
    } else if (v.dtype === 'int64') {
      const bound = intBound(graph, id);
      for (let k = 0; k < n; k++) data[k] = Math.floor(rng() * bound);
    } else for (let k = 0; k < n; k++) data[k] = rng() < 0.5 ? 0 : 1;
    return { shape: v.shape.slice(), dtype: v.dtype, data };
  });
}

function intBound(graph: Graph, id: number): number {
  let bound = DEFAULT_INT_BOUND;
  for (const n of graph.nodes) {
    if (n.op === 'embedding' && n.inputs[0] === id) bound = Math.min(bound, graph.values[n.inputs[1]!]?.shape[0] ?? bound);
  }
  return Math.max(1, bound);
}

/** Why `inputs` cannot be the graph's inputs, or null when they fit. */
export function checkInputs(graph: Graph, inputs: readonly NDArray[]): string | null {
  if (inputs.length !== graph.inputs.length) return `the model takes ${graph.inputs.length} input(s), got ${inputs.length}`;
  for (let i = 0; i < inputs.length; i++) {
    const want = graph.values[graph.inputs[i]!]!;
    const x = inputs[i]!;
    const same = x.shape.length === want.shape.length && x.shape.every((d, k) => d === want.shape[k]);
    if (!same) return `input ${i} has shape [${x.shape.join(', ')}], but the model was traced with [${want.shape.join(', ')}]`;
    if (x.dtype !== want.dtype) return `input ${i} is ${x.dtype}, but the model was traced with ${want.dtype}`;
    if (x.data.length !== numel(x.shape)) return `input ${i} has ${x.data.length} elements for shape [${x.shape.join(', ')}]`;
  }
  return null;
}
