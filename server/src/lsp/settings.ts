// The user's `shapelens.*` settings as the server uses them: read from whatever the client sends
// (workspace/configuration or initializationOptions), checked, with defaults for what is missing.
import { parseInputs, type InputSpec } from '../engine';
import type { ShapeLensSettings } from '../protocol';

export const DEFAULT_SETTINGS: ShapeLensSettings = {
  defaultInputs: {},
  batchSymbol: 'N',
  inlayHints: { forward: true, sequential: true, init: true },
};

/** Settings from an untrusted JSON value; each bad entry falls back to its default (reported via `warn`). */
export function readSettings(raw: unknown, warn: (m: string) => void): ShapeLensSettings {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const hints = (o.inlayHints && typeof o.inlayHints === 'object' ? o.inlayHints : {}) as Record<string, unknown>;
  const flag = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
  const defaultInputs: Record<string, string> = {};
  if (o.defaultInputs && typeof o.defaultInputs === 'object') {
    for (const [k, v] of Object.entries(o.defaultInputs as Record<string, unknown>)) {
      if (typeof v === 'string') defaultInputs[k] = v;
      else warn(`ShapeLens: shapelens.defaultInputs.${k} should be a string like "1x3x32x32"`);
    }
  }
  const batch = typeof o.batchSymbol === 'string' && /^[A-Za-z_]\w*$/.test(o.batchSymbol.trim()) ? o.batchSymbol.trim() : DEFAULT_SETTINGS.batchSymbol;
  if (typeof o.batchSymbol === 'string' && batch !== o.batchSymbol.trim()) warn(`ShapeLens: shapelens.batchSymbol must be a name like N or B, not '${o.batchSymbol}'`);
  return {
    defaultInputs,
    batchSymbol: batch,
    inlayHints: { forward: flag(hints.forward, true), sequential: flag(hints.sequential, true), init: flag(hints.init, true) },
  };
}

/** The engine's `defaultInputs` option from the setting's strings; unparsable entries are reported and skipped. */
export function engineDefaults(s: ShapeLensSettings, warn: (m: string) => void): Record<string, InputSpec[]> {
  const out: Record<string, InputSpec[]> = {};
  for (const [model, spec] of Object.entries(s.defaultInputs)) {
    try {
      out[model] = parseInputs(spec);
    } catch (e) {
      warn(`ShapeLens: shapelens.defaultInputs.${model}: ${(e as Error).message}`);
    }
  }
  return out;
}
