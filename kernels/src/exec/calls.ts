// Module calls as forward hooks would see them: the tracer's record when the graph has one, else
// recovered from the nodes' module paths (each call a contiguous run of nodes under its path, its
// output the first output of the last of them).
import type { Graph } from '../../../server/src/engine/graph/ir';

export interface ModuleCall {
  /** named_modules() path; '' is the root (the whole forward). */
  path: string;
  /** Nesting depth (root 0). */
  depth: number;
  /** First and last node of the call. */
  first: number;
  last: number;
  /** Value id of the call's output (for the root: the graph's first output). */
  output: number;
}

/**
 * Every module call that ran at least one node, in call order (parents before children), root first.
 *
 * The graph records only each node's innermost module path, so a call is inferred from path prefixes:
 * this is exact for modules that call their own children (every torch.nn container and the usual
 * blocks), but cannot separate two back-to-back calls of one module with nothing between them, and
 * lists a container that is never called itself (an nn.ModuleList iterated by its parent) as a call
 * whose output is that of its last child. Modules that run no node (nn.Identity, eval-mode dropout)
 * have no call, as their output is their input's.
 */
export function moduleCalls(graph: Graph): ModuleCall[] {
  // The tracer's own record is exact; the inference below is for graphs built without one.
  if (graph.calls) return graph.calls.filter((c) => c.last > c.first || c.path === '').map((c) => ({ path: c.path, depth: c.depth, first: c.first, last: c.last - 1, output: c.path === '' ? (graph.outputs[0] ?? -1) : c.output }));
  const calls: ModuleCall[] = [];
  if (!graph.nodes.length) return calls;
  calls.push({ path: '', depth: 0, first: 0, last: graph.nodes.length - 1, output: graph.outputs[0] ?? -1 });
  const open: ModuleCall[] = [];
  graph.nodes.forEach((node, i) => {
    const chain = ancestry(node.path);
    let keep = 0;
    while (keep < open.length && keep < chain.length && open[keep]!.path === chain[keep]) keep++;
    open.length = keep;
    for (let d = keep; d < chain.length; d++) {
      const c: ModuleCall = { path: chain[d]!, depth: d + 1, first: i, last: i, output: -1 };
      calls.push(c);
      open.push(c);
    }
    for (const c of open) {
      c.last = i;
      c.output = node.outputs[0] ?? -1;
    }
  });
  return calls;
}

/** "layer1.0.conv1" → ["layer1", "layer1.0", "layer1.0.conv1"]; '' → []. */
function ancestry(path: string): string[] {
  if (!path) return [];
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}
