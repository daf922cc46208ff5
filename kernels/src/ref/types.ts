// The signature every reference kernel has: tensors in, attributes from the graph, fresh tensors out.
import type { NDArray } from '../ndarray';
import type { OpAttrs, OpName } from '../../../server/src/engine/graph/ir';

export type { OpAttrs, OpName };

/** A pure function of its inputs: never writes them, always returns newly allocated outputs. */
export type RefKernel<K extends OpName> = (inputs: readonly NDArray[], attrs: OpAttrs[K]) => NDArray[];
