// The interface an op implementation set presents to the executor, and the reference backend (every op, plain TypeScript).
import type { NDArray } from '../ndarray';
import type { TensorStats } from './stats';
import type { Graph, OpName, OpNode } from '../../../server/src/engine/graph/ir';
import { REF_KERNELS } from '../ref/index';
import type { RefKernel } from '../ref/types';

/** What a backend learns about the node it runs, besides its inputs. */
export interface NodeContext {
  /** Position of the node in `graph.nodes`. */
  readonly index: number;
  readonly graph: Graph;
  /**
   * Only the graph's outputs are wanted (RunOptions.detail 'outputs'): a backend may compute a node
   * together with the single-use nodes right after it (conv → BatchNorm → ReLU), return the chain's
   * result as this node's output, and then the same array for those nodes.
   */
  readonly fuse?: boolean;
  /** The current value of a graph value (a fusing backend reads the next nodes' parameters). */
  readonly value?: (id: number) => NDArray | undefined;
}

/**
 * A set of op implementations. The executor gives each node to the first backend in its list that
 * `supports` it, so a fast backend that only has conv/linear/pools is listed before the reference,
 * which takes the rest.
 *
 * Contract: `run` never writes its inputs and returns newly owned outputs of the node's shapes and
 * dtypes. Parameter tensors (weights, biases, norm statistics) keep their object identity across
 * runs while the model's weights are unchanged (see weights.ts), so a backend may cache per-model
 * preparation (e.g. GEMM-packed weights) in a WeakMap keyed by the input NDArray.
 */
export interface Backend {
  readonly name: string;
  /** Whether this backend can run this node (decided by op, attributes and the graph's shapes/dtypes). */
  supports(node: OpNode, graph: Graph): boolean;
  run(node: OpNode, inputs: readonly NDArray[], ctx: NodeContext): NDArray[] | Promise<NDArray[]>;
  /**
   * Whether `value`, an output this backend returned, lives in memory the backend manages (a view of
   * the WebAssembly memory). The executor then passes it only to this backend's nodes (any other
   * backend gets a plain copy, which replaces it), copies it out for callers (onNode, the run's
   * outputs, written-back state) and calls `release` once no graph value holds it, or when the run
   * ends however it ends.
   */
  owns?(value: NDArray): boolean;
  /** Frees an output `owns` claimed; the executor never uses it afterwards. */
  release?(value: NDArray): void;
  /**
   * The statistics of an output `owns` claimed, computed where it lives (detailed runs summarise
   * every node); null leaves them to the executor (which also counts NaN/Inf exactly).
   */
  stats?(value: NDArray): Promise<TensorStats | null>;
  /** Called once when a run that reached its nodes ends; `complete` when every node ran (e.g. to drop stale per-layer preparation). */
  endRun?(complete: boolean): void;
}

/** The TypeScript reference kernels: every op of the vocabulary, readable and exact; the fallback of every run. */
export const referenceBackend: Backend = {
  name: 'reference',
  supports: (node) => Object.prototype.hasOwnProperty.call(REF_KERNELS, node.op),
  run: (node, inputs) => (REF_KERNELS[node.op] as RefKernel<OpName>)(inputs, node.attrs),
};
