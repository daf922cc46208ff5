// Max and average pooling (1-D as height 1, 2-D) on the fast path: a plan per layer and input shape
// (packed layout with -inf or zero padding, tap table, PyTorch's divisor per output position).
import type { AvgPoolAttrs, MaxPoolAttrs } from '../../../server/src/engine/graph/ir';
import { poolOutSize } from '../../../server/src/engine/torch/window';
import type { NDArray } from '../ndarray';
import { f32bits, KernelContext, splitLayout } from './context';
import { byteDeltas, packedLayout, readSlack } from './windowPlan';
import * as S from './layout';

interface PoolPlan {
  params: number;
  tables: number[];
  OH: number;
  OW: number;
  scratchBytes: number;
  /** 'pool2x2': 2x2 windows of stride 2 inside the input, read in place; 'pool2d': the general packed path. */
  job: 'pool2d' | 'pool2x2';
}

/** Plans by attributes and input shape; pooling layers have no weights, so the backend keeps these. */
export type PoolPlans = Map<string, PoolPlan>;

export function poolSupported(a: MaxPoolAttrs | AvgPoolAttrs): boolean {
  return (a.nd === 1 || a.nd === 2) && !('returnIndices' in a && a.returnIndices);
}

/** The plan a pooling node used last, found by its attrs object (graph nodes keep theirs and never change them), so repeated calls build no key. */
interface LastUse {
  kind: 'max' | 'avg';
  op: string;
  shape: number[];
  plan: PoolPlan;
  outShape: number[];
  ntiles: number;
  runKey: string;
}

const lastUse = new WeakMap<PoolPlans, WeakMap<object, LastUse>>();

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function runPool(ctx: KernelContext, plans: PoolPlans, kind: 'max' | 'avg', x: NDArray, a: MaxPoolAttrs | AvgPoolAttrs, relu: boolean): Promise<NDArray> {
  let byAttrs = lastUse.get(plans);
  if (!byAttrs) {
    byAttrs = new WeakMap();
    lastUse.set(plans, byAttrs);
  }
  let use = byAttrs.get(a);
  if (!use || use.kind !== kind || !sameShape(use.shape, x.shape)) {
    use = lookup(ctx, plans, kind, x, a);
    byAttrs.set(a, use);
  }
  const plan = use.plan;
  const xPtr = ctx.input(x, use.op);
  const out = ctx.output(use.outShape);
  const scratch = plan.scratchBytes ? ctx.scratch(plan.scratchBytes * ctx.maxThreads) : 0;
  const m = ctx.mem32();
  const b = plan.params >> 2;
  m[b + S.C_X_PTR] = xPtr;
  m[b + S.C_OUT_PTR] = out.ptr;
  m[b + S.C_RELU] = relu ? 1 : 0;
  m[b + S.C_TILEBUF] = scratch;
  await ctx.runKeyed(plan.job, plan.params, use.ntiles, use.runKey);
  return out.array;
}

/** The plan for these attributes and input shape (made on first use; the attrs may be a new object with the same values). */
function lookup(ctx: KernelContext, plans: PoolPlans, kind: 'max' | 'avg', x: NDArray, a: MaxPoolAttrs | AvgPoolAttrs): LastUse {
  const op = `${kind}_pool${a.nd}d`;
  if (!poolSupported(a)) throw new Error(`${op}: the fast path runs 1-D and 2-D pooling without indices; use the reference kernel`);
  const L = splitLayout(op, x.shape, a.nd);
  const [H, W] = a.nd === 1 ? [1, L.spatial[0]!] : [L.spatial[0]!, L.spatial[1]!];
  const key = `${op}:${JSON.stringify(a)}:${L.N}x${L.C}x${H}x${W}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = makePlan(ctx, kind, a, L.N * L.C, H, W, op);
    plans.set(key, plan);
  }
  return {
    kind, op, shape: x.shape.slice(), plan,
    outShape: [...L.lead, L.C, ...(a.nd === 1 ? [plan.OW] : [plan.OH, plan.OW])],
    ntiles: L.N * L.C, runKey: `${plan.job}:${key}`,
  };
}

function makePlan(ctx: KernelContext, kind: 'max' | 'avg', a: MaxPoolAttrs | AvgPoolAttrs, planes: number, H: number, W: number, op: string): PoolPlan {
  const two = (v: readonly number[], fill: number): [number, number] => (a.nd === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const [KH, KW] = two(a.kernel, 1);
  const [SH, SW] = two(a.stride, 1);
  const [PH0, PW0] = two(a.padding, 0);
  const [DH, DW] = 'dilation' in a ? two(a.dilation, 1) : [1, 1];
  const OH = poolOutSize(H, KH, SH, PH0, DH, a.ceilMode);
  const OW = poolOutSize(W, KW, SW, PW0, DW, a.ceilMode);
  if (OH < 1 || OW < 1) throw new Error(`${op}: input ${H}x${W} is too small for the window (output ${OH}x${OW})`);
  // 2x2 windows of stride 2 wholly inside the input: read in place (no packed copy, no tables).
  // An average with a divisor override goes the general way (x / d is not x * (1 / d)).
  const avgPlain = kind === 'max' || (a as AvgPoolAttrs).divisorOverride == null;
  if (KH === 2 && KW === 2 && SH === 2 && SW === 2 && PH0 === 0 && PW0 === 0 && DH === 1 && DW === 1 && 2 * OH <= H && 2 * OW <= W && avgPlain) {
    const params = ctx.params();
    ctx.setSlots(params, { [S.C_H]: H, [S.C_W]: W, [S.C_OH]: OH, [S.C_OW]: OW, [S.C_DIV_PTR]: kind === 'avg' ? 1 : 0, [S.C_TILEBUF]: 0 });
    return { params, tables: [params], OH, OW, scratchBytes: 0, job: 'pool2x2' };
  }
  const layout = packedLayout({ H, W, KH, KW, SH, SW, DH, DW, PT: PH0, PL: PW0, OH, OW });
  // Per thread: the packed plane (with the slack the last block of a row reads) and a 16-float buffer.
  const chanBytes = (layout.chanFloats + readSlack(layout.PW)) * 4;
  const tmpBytes = 128;
  const tables = [ctx.persistI32(layout.pa), ctx.persistI32(layout.pb), ctx.persistI32(byteDeltas(layout.taps))];
  let divPtr = 0;
  if (kind === 'avg') {
    const av = a as AvgPoolAttrs;
    // PyTorch's avg_pool2d divisor: the window clipped to the padded input (count_include_pad) or
    // to the input itself; the ceil_mode overhang past the right padding never counts.
    const span = (o: number, s: number, p: number, k: number, len: number): number => {
      let start = o * s - p;
      let end = Math.min(start + k, len + p);
      const padded = end - start;
      start = Math.max(start, 0);
      end = Math.min(end, len);
      return av.countIncludePad ? padded : end - start;
    };
    // One divisor per position of the OH x PW grid, plus one block of slack (a row's last block of
    // 16 reads past the row); positions that are never stored divide by 1.
    const div = new Float32Array(OH * layout.PW + 16).fill(1);
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        div[oh * layout.PW + ow] = av.divisorOverride ?? span(oh, SH, PH0, KH, H) * span(ow, SW, PW0, KW, W);
      }
    }
    divPtr = ctx.persistF32(div);
    tables.push(divPtr);
  }
  const params = ctx.params();
  ctx.setSlots(params, {
    [S.C_H]: H, [S.C_W]: W, [S.C_OH]: OH, [S.C_OW]: OW, [S.C_SH]: SH, [S.C_SW]: SW, [S.C_PT]: PH0, [S.C_PL]: PW0,
    [S.C_PH]: layout.PH, [S.C_PW]: layout.PW, [S.C_NPA]: layout.pa.length, [S.C_NPB]: layout.pb.length,
    [S.C_PA_PTR]: tables[0]!, [S.C_PB_PTR]: tables[1]!, [S.C_KOFF_PTR]: tables[2]!, [S.C_K]: KH * KW,
    [S.C_Q_IC]: chanBytes, [S.C_TILEBUF_STRIDE]: chanBytes + tmpBytes, [S.C_DIV_PTR]: divPtr,
    [S.C_PADVAL]: f32bits(kind === 'max' ? -Infinity : 0), [S.C_IC]: planes,
  });
  return { params, tables: [params, ...tables], OH, OW, scratchBytes: chanBytes + tmpBytes, job: 'pool2d' };
}

export function disposePoolPlans(ctx: KernelContext, plans: PoolPlans): void {
  lastUse.delete(plans);
  for (const p of plans.values()) for (const t of p.tables) ctx.heap.release(t);
  plans.clear();
}
