// Which graph nodes the WebAssembly fast path runs: a pure function of the node, its attributes and the
// graph's shapes and dtypes (float32 throughout). Attributes PyTorch refuses are left to the
// reference kernels, which report them with PyTorch's message.
import type { Graph, OpNode } from '../../../server/src/engine/graph/ir';
import { numel } from '../ndarray';
import { padProblem } from '../ref/pad';
import { activationOf } from '../wasm/activation';
import { adaptiveAsPlain } from '../wasm/adaptivePool';
import { broadcastPlan } from '../wasm/broadcast';
import { convTransposeSupported } from '../wasm/convTranspose';
import { einsumPlan } from '../wasm/einsum';
import { matmulSupported } from '../wasm/linear';
import { poolSupported } from '../wasm/pool2d';
import { pool3dSupported } from '../wasm/pool3d';
import { trailingReduction } from '../wasm/reduce';
import { expandView, permuteView, pixelShuffleView, pixelUnshuffleView, sliceView, splitViews } from '../wasm/views';

const f32 = (g: Graph, v: number | undefined) => v !== undefined && g.values[v]?.dtype === 'float32';

/** Whether the fast path runs this node (the executor then hands it to the wasm backend before the reference). */
export function wasmSupports(node: OpNode, g: Graph): boolean {
  const x = node.inputs[0];
  if (!f32(g, x)) return false;
  switch (node.op) {
    case 'conv':
      return f32(g, node.inputs[1]) && g.values[node.inputs[1]!]!.shape.length === node.attrs.nd + 2;
    case 'conv_transpose': {
      const w = g.values[node.inputs[1]!];
      return f32(g, node.inputs[1]) && w!.shape.length === node.attrs.nd + 2 && convTransposeSupported(node.attrs, w!.shape.slice(2));
    }
    case 'linear':
      return f32(g, node.inputs[1]);
    case 'matmul':
      return f32(g, node.inputs[1]) && matmulSupported(g.values[x!]!.shape, g.values[node.inputs[1]!]!.shape);
    case 'adaptive_avg_pool':
      return adaptiveAsPlain('avg', node.attrs, g.values[x!]!.shape) !== null;
    case 'adaptive_max_pool':
      return node.outputs.length === 1 && adaptiveAsPlain('max', node.attrs, g.values[x!]!.shape) !== null;
    case 'reshape':
      return true;
    case 'max_pool':
    case 'avg_pool':
      return poolSupported(node.attrs) || pool3dSupported(node.attrs);
    case 'batch_norm': {
      // Degenerate inputs (one value per channel in training) go to the reference, which reports them.
      const s = g.values[x!]!.shape;
      if (s.length < 2) return false;
      return node.attrs.training ? numel(s) / s[1]! > 1 && (node.attrs.momentum !== null || node.attrs.numBatchesTracked || !node.attrs.runningStats) : node.attrs.runningStats;
    }
    case 'instance_norm': {
      const s = g.values[x!]!.shape;
      return s.length >= 2 && (node.attrs.useInputStats ? numel(s.slice(2)) > 1 : node.attrs.runningStats);
    }
    case 'group_norm': {
      const s = g.values[x!]!.shape;
      return s.length >= 2 && Number.isInteger(node.attrs.groups) && node.attrs.groups >= 1 && s[1]! % node.attrs.groups === 0;
    }
    case 'layer_norm': {
      const s = g.values[x!]!.shape;
      const k = node.attrs.normalizedShape;
      return k.length >= 1 && k.length <= s.length && k.every((d, j) => d === s[s.length - k.length + j]) && numel(k) >= 1;
    }
    case 'unary':
      return f32(g, node.outputs[0]) && activationOf(node.attrs) !== null;
    case 'binary': {
      // Float results of a float tensor and a float (or int64 constant) operand.
      const other = g.values[node.inputs[1]!]!;
      if (!f32(g, node.outputs[0]) || (other.dtype !== 'float32' && other.dtype !== 'int64')) return false;
      const plan = broadcastPlan(node.attrs, g.values[x!]!.shape, other.shape);
      return plan !== null && (other.dtype === 'float32' || plan.kind !== 'same');
    }
    case 'cat':
      return node.inputs.every((v) => f32(g, v));
    case 'permute':
      return f32(g, node.outputs[0]) && permuteView(g.values[x!]!.shape, node.attrs) !== null;
    case 'slice':
      return f32(g, node.outputs[0]) && sliceView(g.values[x!]!.shape, node.attrs) !== null;
    case 'expand':
      return f32(g, node.outputs[0]) && expandView(g.values[x!]!.shape, node.attrs) !== null;
    case 'pixel_shuffle':
      return f32(g, node.outputs[0]) && pixelShuffleView(g.values[x!]!.shape, node.attrs) !== null;
    case 'pixel_unshuffle':
      return f32(g, node.outputs[0]) && pixelUnshuffleView(g.values[x!]!.shape, node.attrs) !== null;
    case 'split':
      return node.outputs.every((v) => f32(g, v)) && splitViews(g.values[x!]!.shape, node.attrs)?.length === node.outputs.length;
    case 'pad':
      // What PyTorch refuses stays with the reference, which reports it.
      return f32(g, node.outputs[0]) && padProblem(g.values[x!]!.shape, node.attrs) === null;
    case 'interpolate': {
      // The reference reports bad attributes (align_corners with nearest, sizes that do not fit).
      const a = node.attrs;
      const s = g.values[x!]!.shape;
      return s.length >= a.nd + 1 && a.size.length === a.nd && a.size.every((n) => Number.isInteger(n) && n >= 1) && s.slice(s.length - a.nd).every((n) => n >= 1) && !(a.alignCorners && a.mode.startsWith('nearest'));
    }
    case 'reduce':
      return f32(g, node.outputs[0]) && trailingReduction(node.attrs, g.values[x!]!.shape);
    case 'einsum':
      return node.inputs.length === 2 && f32(g, node.inputs[1]) && einsumPlan(node.attrs.equation, g.values[x!]!.shape, g.values[node.inputs[1]!]!.shape) !== null;
    case 'softmax': {
      const rank = g.values[x!]!.shape.length;
      return rank > 0 && node.attrs.dim >= 0 && node.attrs.dim < rank;
    }
    default:
      return false;
  }
}
