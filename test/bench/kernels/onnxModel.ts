// Translates a benchmark workload into an ONNX graph (opset 17) with its seeded weights as
// initializers, the way torch.onnx.export writes an eval-mode network with BatchNorm folded.
import { encodeOnnxModel, type OnnxNode } from './onnxProto';
import type { Workload } from './workloads';

export function workloadToOnnx(w: Workload): Uint8Array {
  const nodes: OnnxNode[] = w.layers.map((l): OnnxNode => {
    switch (l.op) {
      case 'conv':
        return {
          op: 'Conv',
          inputs: [l.x, l.w, l.b],
          outputs: [l.y],
          attrs: [
            { name: 'kernel_shape', ints: [l.k, l.k] },
            { name: 'strides', ints: [l.stride, l.stride] },
            { name: 'pads', ints: [l.pad, l.pad, l.pad, l.pad] },
            { name: 'dilations', ints: [1, 1] },
            { name: 'group', int: l.groups },
          ],
        };
      case 'relu':
        return { op: 'Relu', inputs: [l.x], outputs: [l.y] };
      case 'maxpool':
        return {
          op: 'MaxPool',
          inputs: [l.x],
          outputs: [l.y],
          attrs: [
            { name: 'kernel_shape', ints: [l.k, l.k] },
            { name: 'strides', ints: [l.stride, l.stride] },
            { name: 'pads', ints: [l.pad, l.pad, l.pad, l.pad] },
          ],
        };
      case 'add':
        return { op: 'Add', inputs: [l.a, l.b], outputs: [l.y] };
      case 'gap':
        return { op: 'GlobalAveragePool', inputs: [l.x], outputs: [l.y] };
      case 'flatten':
        return { op: 'Flatten', inputs: [l.x], outputs: [l.y], attrs: [{ name: 'axis', int: 1 }] };
      case 'linear':
        // nn.Linear exports as Gemm(x, W, b, transB=1).
        return { op: 'Gemm', inputs: [l.x, l.w, l.b], outputs: [l.y], attrs: [{ name: 'transB', int: 1 }] };
    }
  });
  return encodeOnnxModel({
    name: w.id,
    nodes,
    initializers: [...w.params].map(([name, p]) => ({ name, dims: p.shape, data: p.data })),
    inputs: [{ name: w.input, dims: w.shapes.get(w.input)! }],
    outputs: [{ name: w.output, dims: w.shapes.get(w.output)! }],
  });
}
