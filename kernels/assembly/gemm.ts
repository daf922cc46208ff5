// Dense convolution as a GEMM over the packed input: out[oc][q] = bias[oc] + sum_k W[oc][k] * B[k][q]
// with B[k][q] = packed[koff[k] + f(q)] (see pack.ts), q running over real output positions only
// (q = oh * OW + ow, f(q) = oh * PW + ow in the padded packed grid). For each tile of NR = 8 positions
// (two runs of 4) the B rows are copied into a contiguous panel (vector loads where a run stays in one
// row, lane-by-lane gathers where it crosses one), then the micro-kernel keeps an MR x NR register tile
// (4 output channels x 8 positions = 8 f32x4 accumulators), streams the packed weights as splats and
// reads two vectors of the panel per tap: 6 loads for 8 multiply-adds.
import { madd, p32, pptr } from './simd';
import {
  C_N, C_OC, C_OH, C_OW, C_G, C_ICG, C_OCG, C_PW, C_Q_PTR, C_Q_IMG, C_Q_IC, C_OUT_PTR, C_W_PTR,
  C_BIAS_PTR, C_KOFF_PTR, C_K, C_RELU, C_CHUNK_Q, C_NCHUNK, C_OCB, C_NOCS, C_TILEBUF, C_TILEBUF_STRIDE, MR, NR,
} from '../src/wasm/layout';

/**
 * The 4 x 8 register tile over K taps of a packed panel: `b` holds K rows of 8 floats (see
 * packPanel), `a` K rows of 4 weights. Writes the tile row-major (4 rows of 8 floats) to `tb`.
 * Four rows is what V8's register allocator holds without spilling: it hoists every load of a tap
 * above that tap's arithmetic, so accumulators + loaded vectors + one temporary must fit in 15.
 */
@inline function micro4x8(a: usize, b: usize, K: i32, bias: usize, tb: usize): void {
  let c00 = v128.load32_splat(bias), c01 = c00;
  let c10 = v128.load32_splat(bias, 4), c11 = c10;
  let c20 = v128.load32_splat(bias, 8), c21 = c20;
  let c30 = v128.load32_splat(bias, 12), c31 = c30;
  const aend = a + (<usize>K << 4);
  while (a < aend) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    const w0 = v128.load32_splat(a);
    c00 = madd(w0, b0, c00); c01 = madd(w0, b1, c01);
    const w1 = v128.load32_splat(a, 4);
    c10 = madd(w1, b0, c10); c11 = madd(w1, b1, c11);
    const w2 = v128.load32_splat(a, 8);
    c20 = madd(w2, b0, c20); c21 = madd(w2, b1, c21);
    const w3 = v128.load32_splat(a, 12);
    c30 = madd(w3, b0, c30); c31 = madd(w3, b1, c31);
    a += 16;
    b += 32;
  }
  v128.store(tb, c00); v128.store(tb, c01, 16);
  v128.store(tb, c10, 32); v128.store(tb, c11, 48);
  v128.store(tb, c20, 64); v128.store(tb, c21, 80);
  v128.store(tb, c30, 96); v128.store(tb, c31, 112);
}

/**
 * Copies the B rows of one tile (two runs of 4 positions, from `b0` and `b1`, tap k at byte delta
 * sum(deltas[..k])) into a contiguous panel: the micro-kernel then streams it from L1 for every
 * output-channel block, instead of gathering from all input planes each time (which the weight
 * stream would evict).
 */
@inline function packPanel(b0: usize, b1: usize, deltas: usize, K: i32, panel: usize): void {
  const dend = deltas + (<usize>K << 2);
  let p0 = b0, p1 = b1;
  while (deltas < dend) {
    const d = <usize>load<i32>(deltas);
    p0 += d;
    p1 += d;
    v128.store(panel, v128.load(p0));
    v128.store(panel, v128.load(p1), 16);
    panel += 32;
    deltas += 4;
  }
}

/**
 * packPanel for runs that cross an output row: position l of the tile reads the packed grid at byte
 * offset o_l from the tap's base. Only edge tiles take this path; its cost is shared by every
 * output-channel block the panel serves.
 */
@inline function packPanelGather(base: usize, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, o5: usize, o6: usize, o7: usize, deltas: usize, K: i32, panel: usize): void {
  const dend = deltas + (<usize>K << 2);
  let p = base;
  while (deltas < dend) {
    p += <usize>load<i32>(deltas);
    let v = v128.load32_zero(p + o0);
    v = v128.load32_lane(p + o1, v, 1);
    v = v128.load32_lane(p + o2, v, 2);
    v = v128.load32_lane(p + o3, v, 3);
    let u = v128.load32_zero(p + o4);
    u = v128.load32_lane(p + o5, u, 1);
    u = v128.load32_lane(p + o6, u, 2);
    u = v128.load32_lane(p + o7, u, 3);
    v128.store(panel, v);
    v128.store(panel, u, 16);
    panel += 32;
    deltas += 4;
  }
}

/** Byte offset in the packed grid (row pitch PW) of real output position q (q < qEnd; later ones repeat the last). */
@inline function gridOffset(q: i32, qEnd: i32, OW: i32, PW: i32): usize {
  if (q >= qEnd) q = qEnd - 1;
  const oh = q / OW;
  return <usize>(oh * PW + q - oh * OW) << 2;
}

/**
 * Writes `rows` rows of a tile (positions q .. q + NR of a grid QW wide, only those < qEnd) to the
 * NCHW output plane(s) at `out`, dropping the padding columns ow >= OW of a flat grid (QW = PW)
 * and applying ReLU.
 */
function storeTile(tb: usize, out: usize, rows: i32, q: i32, qEnd: i32, QW: i32, OW: i32, planeBytes: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let v = 0; v < NR; v += 4) {
    const qq = q + v;
    if (qq >= qEnd) break;
    const oh = qq / QW, ow = qq - oh * QW;
    if (ow + 4 <= OW && qq + 4 <= qEnd) {
      const dst = out + (<usize>(oh * OW + ow) << 2);
      for (let r = 0; r < rows; r++) {
        let x = v128.load(tb + (<usize>(r * NR + v) << 2));
        if (relu) x = f32x4.max(x, zero);
        v128.store(dst + <usize>r * planeBytes, x);
      }
    } else {
      for (let l = 0; l < 4; l++) {
        const ql = qq + l;
        if (ql >= qEnd) break;
        const ohl = ql / QW, owl = ql - ohl * QW;
        if (owl >= OW) continue;
        const dst = out + (<usize>(ohl * OW + owl) << 2);
        for (let r = 0; r < rows; r++) {
          let x = load<f32>(tb + (<usize>(r * NR + v + l) << 2));
          if (relu && !(x > 0)) x = x != x ? x : 0; // max(x, 0) that keeps NaN visible
          store<f32>(dst + <usize>r * planeBytes, x);
        }
      }
    }
  }
}

/**
 * Parallel job: tile = ((n * G + g) * NCHUNK + chunk) * NOCS + part computes output channels of
 * group g in block range `part` (of NOCS) over one chunk of positions. Splitting the channels lets
 * small late layers (7x7 outputs: a handful of position chunks) still give every thread work.
 */
export function conv_gemm(params: usize, tile: i32, thread: i32): void {
  const NCHUNK = p32(params, C_NCHUNK), G = p32(params, C_G), NOCS = p32(params, C_NOCS);
  const part = tile % NOCS, t = tile / NOCS;
  const chunk = t % NCHUNK, ng = t / NCHUNK;
  const g = ng % G, n = ng / G;
  const OC = p32(params, C_OC), OH = p32(params, C_OH), OW = p32(params, C_OW);
  const OCG = p32(params, C_OCG), ICG = p32(params, C_ICG), PW = p32(params, C_PW);
  const K = p32(params, C_K), OCB = p32(params, C_OCB), CHUNK_Q = p32(params, C_CHUNK_Q);
  const relu = p32(params, C_RELU) != 0;
  const per = (OCB + NOCS - 1) / NOCS;
  const ocb0 = part * per;
  let ocb1 = ocb0 + per;
  if (ocb1 > OCB) ocb1 = OCB;
  const qAll = OH * OW;
  const q0 = chunk * CHUNK_Q;
  let q1 = q0 + CHUNK_Q;
  if (q1 > qAll) q1 = qAll;
  const planeBytes = <usize>(OH * OW) << 2;
  const bBase = pptr(params, C_Q_PTR) + <usize>n * <usize>p32(params, C_Q_IMG) + <usize>(g * ICG) * <usize>p32(params, C_Q_IC);
  const aBase = pptr(params, C_W_PTR) + (<usize>(g * OCB * K * MR) << 2);
  const biasBase = pptr(params, C_BIAS_PTR) + (<usize>(g * OCB * MR) << 2);
  const outBase = pptr(params, C_OUT_PTR) + <usize>(n * OC + g * OCG) * planeBytes;
  const koff = pptr(params, C_KOFF_PTR);
  const tb = pptr(params, C_TILEBUF) + <usize>thread * <usize>p32(params, C_TILEBUF_STRIDE);
  const panel = tb + <usize>(MR * NR * 4);
  for (let q = q0; q < q1; q += NR) {
    const f0 = gridOffset(q, q1, OW, PW), f3 = gridOffset(q + 3, q1, OW, PW);
    const f4 = gridOffset(q + 4, q1, OW, PW), f7 = gridOffset(q + 7, q1, OW, PW);
    if (f3 == f0 + 12 && f7 == f4 + 12) {
      packPanel(bBase + f0, bBase + f4, koff, K, panel);
    } else {
      packPanelGather(
        bBase, f0, gridOffset(q + 1, q1, OW, PW), gridOffset(q + 2, q1, OW, PW), f3,
        f4, gridOffset(q + 5, q1, OW, PW), gridOffset(q + 6, q1, OW, PW), f7, koff, K, panel,
      );
    }
    for (let ocb = ocb0; ocb < ocb1; ocb++) {
      micro4x8(aBase + (<usize>(ocb * K * MR) << 2), panel, K, biasBase + (<usize>(ocb * MR) << 2), tb);
      let rows = OCG - ocb * MR;
      if (rows > MR) rows = MR;
      storeTile(tb, outBase + <usize>(ocb * MR) * planeBytes, rows, q, q1, OW, OW, planeBytes, relu);
    }
  }
}
