// What the engine hands the kernels for one model: its op graph at a concrete input, the parameters and
// buffers the graph reads (with state_dict keys and the layer kind that decides their initialisation),
// and what could not be recorded (ops the graph has no node for), each with its source line.
import type { Diagnostic } from '../report';
import type { Graph } from './ir';
import type { ParamInit } from '../torch/tensor';

/** A parameter or buffer the graph reads, as `model.state_dict()` lists it. */
export interface GraphParam {
  /** state_dict key: "features.0.weight", "bn1.running_mean", "bn1.num_batches_tracked". */
  key: string;
  /** The value id in `graph.values` holding it. */
  value: number;
  shape: number[];
  dtype: 'float32' | 'int64' | 'bool';
  /** The PyTorch class of the module that owns it ("Conv2d", "BatchNorm2d", "Linear", ...), for default init. */
  layer: string;
  /** The tensor's name within its module: "weight", "bias", "running_mean", ... */
  name: string;
  /** Buffers (running stats, num_batches_tracked) are state, not trainable parameters. */
  buffer: boolean;
  /** Constructor arguments its default initialisation depends on (Embedding's padding_idx, PReLU's init). */
  init?: ParamInit;
  /**
   * Set when this entry is a second name of a tensor listed earlier (a tied weight, a module
   * registered twice): state_dict lists it again, the graph reads the first key's value.
   */
  aliasOf?: string;
}

export interface TracedGraph {
  model: string;
  /** Null when the model could not be traced at a concrete input (see diagnostics / unsupported). */
  graph: Graph | null;
  /** Every state_dict entry of the model, in state_dict order (second names of shared tensors included), read by the graph or not. */
  params: GraphParam[];
  /** Operations the trace ran that have no graph node: the kernels cannot run this model. */
  unsupported: { op: string; line: number }[];
  /** The shape engine's diagnostics for this model (errors mean no graph). */
  diagnostics: Diagnostic[];
}
