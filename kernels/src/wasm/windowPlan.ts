// Geometry of the packed (padded, stride-phase-split) input planes shared by dense conv, depthwise
// conv and pooling: which phases to pack, their size, and where each kernel tap reads. See
// kernels/assembly/pack.ts for the layout this describes.

export interface WindowGeometry {
  H: number;
  W: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  DH: number;
  DW: number;
  /** Padding before (top, left); the padding after is implied by OH/OW. */
  PT: number;
  PL: number;
  OH: number;
  OW: number;
}

export interface PackedLayout {
  /** Row / column phases that some tap reads (offsets into the stride). */
  pa: number[];
  pb: number[];
  /** Rows and row pitch of each phase plane. */
  PH: number;
  PW: number;
  /** Floats of one channel's packed block (all its phase planes). */
  chanFloats: number;
  /** Float offset of tap (kh, kw) within a channel's block, row-major over (kh, kw). */
  taps: number[];
  /** Stride 1, no padding: the packed plane is the input plane itself, no copy needed. */
  direct: boolean;
}

/** Floats that kernels may read past the end of a packed plane (rounded-up tiles, padding columns). */
export function readSlack(PW: number): number {
  return PW + 64;
}

export function packedLayout(g: WindowGeometry): PackedLayout {
  const rowPhase = (kh: number) => (kh * g.DH) % g.SH;
  const colPhase = (kw: number) => (kw * g.DW) % g.SW;
  const pa = [...new Set(range(g.KH).map(rowPhase))].sort((a, b) => a - b);
  const pb = [...new Set(range(g.KW).map(colPhase))].sort((a, b) => a - b);
  const maxRo = Math.floor(((g.KH - 1) * g.DH) / g.SH);
  const maxCo = Math.floor(((g.KW - 1) * g.DW) / g.SW);
  const PH = g.OH + maxRo;
  const PW = g.OW + maxCo;
  const taps: number[] = [];
  for (let kh = 0; kh < g.KH; kh++) {
    for (let kw = 0; kw < g.KW; kw++) {
      const ia = pa.indexOf(rowPhase(kh));
      const ib = pb.indexOf(colPhase(kw));
      taps.push((ia * pb.length + ib) * PH * PW + Math.floor((kh * g.DH) / g.SH) * PW + Math.floor((kw * g.DW) / g.SW));
    }
  }
  // Stride 1 and no padding make the single phase plane identical to the input plane (PH = H,
  // PW = W), provided the padding after is zero too (OH, OW then span the whole input).
  const direct = g.SH === 1 && g.SW === 1 && g.PT === 0 && g.PL === 0 && PH === g.H && PW === g.W;
  return { pa, pb, PH, PW, chanFloats: pa.length * pb.length * PH * PW, taps, direct };
}

/** Offsets as successive differences in bytes: the kernels walk a pointer through them. */
export function byteDeltas(offsets: readonly number[]): Int32Array {
  const d = new Int32Array(offsets.length);
  let prev = 0;
  offsets.forEach((o, i) => {
    d[i] = (o - prev) * 4;
    prev = o;
  });
  return d;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
