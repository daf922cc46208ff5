// Loads the PyTorch kernel fixtures (test/fixtures/kernels, written by test/gen/make_kernel_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NDArray } from '../../kernels/src/ndarray';
import { parseNpy } from '../../kernels/src/npy';
import type { OpName } from '../../server/src/engine/graph/ir';
import { FIXTURES } from './paths';

/** [byte offset, byte length] of one .npy record in tensors.npys. */
type Ref = [number, number];

export interface FixtureNode {
  op: OpName;
  attrs: Record<string, unknown>;
  inputs: string[];
  outputs: string[];
}

export interface KernelCase {
  id: string;
  nodes: FixtureNode[];
  given: Map<string, NDArray>;
  expected: Map<string, NDArray>;
}

/** One parameter or buffer of a layer as PyTorch initialised it, with the bound its formula gives. */
export interface InitEntry {
  layer: string;
  kind: string;
  key: string;
  shape: number[];
  dtype: 'float32' | 'int64';
  weightShape?: number[];
  fanIn?: number;
  bound?: number;
  torchMaxAbs?: number;
  paddingIdx?: number | null;
  torchStd?: number;
  fill?: number;
  /** Recurrent layers: the PyTorch class, its hidden_size and the bound 1/√hidden_size of every parameter. */
  cls?: string;
  hiddenSize?: number;
  rnnBound?: number;
}

/** A .npy file exactly as numpy wrote it, and the row-major values a reader must produce ('nan'/'inf'/'-inf' as strings). */
export interface NpySample {
  id: string;
  bytes: Uint8Array;
  shape: number[];
  values: (number | boolean | string)[];
}

interface RawCase {
  id: string;
  nodes: FixtureNode[];
  given: Record<string, Ref>;
  expected: Record<string, Ref>;
}

const DIR = join(FIXTURES, 'kernels');

export function loadKernelFixtures(): { torch: string; cases: KernelCase[]; init: InitEntry[]; npy: NpySample[] } {
  const index = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as {
    torch: string;
    cases: RawCase[];
    init: InitEntry[];
    npy: { id: string; ref: Ref; shape: number[]; values: NpySample['values'] }[];
  };
  const blob = new Uint8Array(readFileSync(join(DIR, 'tensors.npys')));
  const tensor = ([off, len]: Ref): NDArray => {
    const { array, end } = parseNpy(blob, off);
    if (end !== off + len) throw new Error(`fixture record at ${off} is ${end - off} bytes, the index says ${len}`);
    return array;
  };
  const map = (r: Record<string, Ref>): Map<string, NDArray> => new Map(Object.entries(r).map(([k, v]) => [k, tensor(v)]));
  return {
    torch: index.torch,
    cases: index.cases.map((c) => ({ id: c.id, nodes: c.nodes, given: map(c.given), expected: map(c.expected) })),
    init: index.init,
    npy: index.npy.map((n) => ({ id: n.id, bytes: blob.slice(n.ref[0], n.ref[0] + n.ref[1]), shape: n.shape, values: n.values })),
  };
}
