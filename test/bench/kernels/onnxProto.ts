// A minimal ONNX protobuf writer (ModelProto and the few messages under it), so the benchmark can
// build its onnxruntime-web models in memory without Python, the `onnx` package or a committed file.
// Field numbers are onnx.proto's (proto2); repeated scalars are written unpacked, as proto2 does.

export type OnnxAttr = { name: string; int: number } | { name: string; ints: readonly number[] };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: readonly OnnxAttr[];
}

export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxInitializer[];
  inputs: readonly { name: string; dims: readonly number[] }[];
  outputs: readonly { name: string; dims: readonly number[] }[];
}

/** Protobuf wire types. */
const VARINT = 0;
const LEN = 2;

/** ONNX enums used here. */
const TENSOR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

class Writer {
  private chunks: Uint8Array[] = [];
  private cur: number[] = [];

  private flush(): void {
    if (this.cur.length) this.chunks.push(Uint8Array.from(this.cur));
    this.cur = [];
  }

  /** Unsigned or non-negative varint; negative int64 values take the 10-byte two's-complement form. */
  varint(v: number): void {
    if (v < 0) {
      let big = BigInt.asUintN(64, BigInt(v));
      while (big >= 0x80n) {
        this.cur.push(Number(big & 0x7fn) | 0x80);
        big >>= 7n;
      }
      this.cur.push(Number(big));
      return;
    }
    while (v >= 0x80) {
      this.cur.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.cur.push(v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, v: number): void {
    this.tag(field, VARINT);
    this.varint(v);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(b.length);
    this.flush();
    this.chunks.push(b);
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function writeValueInfo(w: Writer, v: { name: string; dims: readonly number[] }): void {
  w.string(1, v.name); // ValueInfoProto.name
  w.message(2, (type) =>
    // TypeProto.tensor_type
    type.message(1, (t) => {
      t.int(1, TENSOR_FLOAT); // elem_type
      t.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => dim.int(1, d)); // dim { dim_value }
      });
    }),
  );
}

function writeAttr(w: Writer, a: OnnxAttr): void {
  w.string(1, a.name);
  if ('int' in a) {
    w.int(20, ATTR_INT);
    w.int(3, a.int);
  } else {
    w.int(20, ATTR_INTS);
    for (const i of a.ints) w.int(8, i);
  }
}

function writeInitializer(w: Writer, t: OnnxInitializer): void {
  for (const d of t.dims) w.int(1, d); // dims
  w.int(2, TENSOR_FLOAT); // data_type
  w.string(8, t.name);
  // raw_data is little-endian bytes, which is what a Float32Array holds on every platform Node runs on.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** Serialises a ModelProto (IR version 8, default-domain opset 17) holding this graph. */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'shapelens-bench'); // producer_name
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, 17);
  }); // opset_import
  w.message(7, (gw) => {
    g.nodes.forEach((n, i) => {
      gw.message(1, (nw) => {
        for (const x of n.inputs) nw.string(1, x);
        for (const y of n.outputs) nw.string(2, y);
        nw.string(3, `${n.op}_${i}`);
        nw.string(4, n.op);
        for (const a of n.attrs ?? []) nw.message(5, (aw) => writeAttr(aw, a));
      });
    });
    gw.string(2, g.name);
    for (const t of g.initializers) gw.message(5, (tw) => writeInitializer(tw, t));
    for (const v of g.inputs) gw.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of g.outputs) gw.message(12, (vw) => writeValueInfo(vw, v));
  });
  return w.finish();
}
