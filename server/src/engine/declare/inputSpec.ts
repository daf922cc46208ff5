// Input shape specs as people type them: the CLI's `1x3x32x32,int64:2x50` and the comment style
// `[N, 3, 32, 32]` / `N, 3, 32, 32` (several inputs separated by `;`). Shared by the CLI, settings and commands.
import type { InputSpec } from '../report';

export class InputSpecError extends Error {}

function parseOne(one: string, sep: RegExp): InputSpec {
  const m = /^\s*(?:(int64|float32|long|float)\s*:?\s*)?\[?([^\]]*?)\]?\s*$/.exec(one);
  if (!m || !m[2]!.trim()) throw new InputSpecError(`bad input '${one.trim()}': expected something like 1x3x32x32 or [N, 3, 32, 32]`);
  const shape = m[2]!.split(sep).map((raw) => {
    const d = raw.trim();
    if (/^\d+$/.test(d)) return Number(d);
    if (/^[A-Za-z_]\w*$/.test(d)) return d;
    throw new InputSpecError(`bad input '${one.trim()}': '${d}' is not a dimension`);
  });
  return { shape, dtype: m[1] === 'int64' || m[1] === 'long' ? 'int64' : 'float32' };
}

/** Parses one or more input specs; throws InputSpecError with a message for the user. */
export function parseInputs(spec: string): InputSpec[] {
  const commaParts = spec.split(',');
  // The CLI's form: no brackets or `;`, and every comma-separated part is itself an `AxBxC` shape.
  const xForm = !/[[\];]/.test(spec) && commaParts.every((p) => /[x×*]/.test(p.replace(/^\s*(int64|float32|long|float)\s*:/, '')));
  const parts = xForm ? commaParts : spec.split(';');
  // Inside a `;`-separated list each shape may be written either way.
  const out = parts.filter((p) => p.trim()).map((p) => parseOne(p, xForm || !p.includes(',') ? /[x×*]/ : /,/));
  if (!out.length) throw new InputSpecError('no input shape given: expected something like 1x3x32x32 or [N, 3, 32, 32]');
  return out;
}

/** `[N, 3, 32, 32]`, as a declaration comment writes it. */
export function specText(s: InputSpec): string {
  return `${s.dtype === 'int64' ? 'int64 ' : ''}[${s.shape.join(', ')}]`;
}
