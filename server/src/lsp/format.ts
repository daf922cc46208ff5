// Compact text for shapes, receptive fields and MAC counts, shared by hover, code lens and inlay hints.
import type { LayerRow, ModelReport } from '../engine';
import { fmtCount, fmtInt, fmtShape } from '../cli/table';

export { fmtCount, fmtInt, fmtShape };

/** "5x5", "global", or null when unknown. */
export function fmtRf(rf: LayerRow['rf']): string | null {
  if (rf === 'global') return 'global';
  return rf && rf.length ? rf.join('x') : null;
}

export function fmtJump(jump: LayerRow['jump']): string | null {
  return jump && jump.length ? jump.join('x') : null;
}

/** 658238 -> "0.66 MMACs" (as the CLI prints totals); small counts stay exact. */
export function fmtMacs(macs: number): string {
  if (macs >= 1e9) return `${(macs / 1e9).toFixed(2)} GMACs`;
  if (macs >= 1e4) return `${(macs / 1e6).toFixed(2)} MMACs`;
  return `${fmtInt(macs)} MACs`;
}

/** Whether `row` runs inside `outer`'s call (a submodule called on the same line, e.g. a Sequential's children). */
export function inside(row: LayerRow, outer: LayerRow): boolean {
  return outer.path !== null && row.path !== null && row.depth > outer.depth && (outer.path === '' || row.path.startsWith(outer.path + '.'));
}

/** Label of a row: its module path, the model name for the root, the op type for functional calls. */
export function rowName(row: LayerRow, model: string): string {
  if (row.path === '') return model;
  return row.path ?? row.type;
}

/**
 * Receptive field of the model's final output over the input's spatial dims. A spatial output keeps the
 * last known field; a reduced or flattened output sees the whole extent of the last spatial map
 * (field + (size - 1) * jump per dim), clipped to the input; 'global' covers the input.
 */
export function modelRf(r: ModelReport): string | null {
  const input = r.input[0];
  const rows = r.layers.filter((l) => l.path !== '' && l.rf !== null);
  const last = rows[rows.length - 1];
  if (!input || !last) return null;
  const spatialIn = input.slice(2);
  const clip = (v: number, i: number): number => (typeof spatialIn[i] === 'number' ? Math.min(v, spatialIn[i] as number) : v);
  if (last.rf === 'global') return spatialIn.every((d) => typeof d === 'number') && spatialIn.length ? spatialIn.join('x') : 'global';
  const rf = last.rf as number[];
  const out = r.output;
  const outputSpatial = Array.isArray(out) && out.length === input.length && !out.some((d) => Array.isArray(d));
  if (outputSpatial) return rf.join('x');
  const shape = Array.isArray(last.output) && !last.output.some((d) => Array.isArray(d)) ? (last.output as (number | string)[]) : null;
  const sizes = shape?.slice(2);
  if (!sizes || sizes.length !== rf.length || !last.jump) return rf.join('x');
  const whole = rf.map((f, i) => {
    const n = sizes[i];
    const j = last.jump![i];
    if (typeof n !== 'number' || typeof j !== 'number') return null;
    return clip(f + (n - 1) * j, i);
  });
  return whole.every((v) => v !== null) ? whole.join('x') : rf.join('x');
}
