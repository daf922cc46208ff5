// Command-line parsing for `shapelens`: flags, input shape specs (`1x3x32x32`, `int64:2x50`) and --kwargs JSON.
import type { InputSpec } from '../engine/report';
import { InputSpecError, parseInputs as parseSpecs } from '../engine/declare/inputSpec';

export interface SummaryArgs {
  command: 'summary';
  files: string[];
  model?: string;
  kwargs?: Record<string, unknown>;
  inputs?: InputSpec[];
  json: boolean;
}
export type CliArgs = SummaryArgs | { command: 'help' } | { command: 'version' } | { command: 'lsp' };

export class UsageError extends Error {}

/** `1x3x32x32,int64:2x50`, `Nx3xHxW` -> input specs (a name is a symbolic dim). */
export function parseInputs(spec: string): InputSpec[] {
  try {
    return parseSpecs(spec);
  } catch (e) {
    if (e instanceof InputSpecError) throw new UsageError(e.message.replace(/^bad input/, 'bad --input'));
    throw e;
  }
}

export function parseArgs(argv: string[]): CliArgs {
  if (!argv.length || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return { command: 'help' };
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'version' };
  const [cmd, ...rest] = argv;
  if (cmd === 'lsp') return { command: 'lsp' };
  if (cmd !== 'summary') throw new UsageError(`unknown command '${cmd}' (try: shapelens summary FILE --input 1x3x32x32)`);
  const out: SummaryArgs = { command: 'summary', files: [], json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model':
        out.model = value();
        break;
      case '--input':
        out.inputs = parseInputs(value());
        break;
      case '--kwargs': {
        const raw = value();
        let v: unknown;
        try {
          v = JSON.parse(raw);
        } catch {
          throw new UsageError(`--kwargs is not valid JSON: ${raw}`);
        }
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--kwargs must be a JSON object, e.g. \'{"num_classes": 10}\'');
        out.kwargs = v as Record<string, unknown>;
        break;
      }
      case '--json':
        out.json = true;
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
        out.files.push(a);
    }
  }
  if (!out.files.length) throw new UsageError('summary needs a FILE');
  return out;
}

export const HELP = `shapelens: shapes, parameters, receptive fields and MACs of PyTorch CNNs, without running Python

Usage:
  shapelens summary FILE... [--model NAME] [--kwargs JSON] [--input SHAPE[,SHAPE...]] [--json]

  --model NAME    a model class, a factory function or a module-level nn.Module variable
                  (default: every model in the file that can be built without arguments)
  --kwargs JSON   constructor / factory keyword arguments, e.g. '{"num_classes": 10}'
  --input SHAPE   e.g. 1x3x32x32; int64:2x50 for token ids; several inputs separated by commas
                  (default: the file's declaration, def forward(self, x):  # x: [1, 3, 32, 32])
  --json          print JSON (one object per model; a list when there are several)

  shapelens lsp --stdio    the language server, for any LSP client (also: shapelens-lsp --stdio)

Exit status: 0 no errors, 1 shape errors found, 2 usage or file errors.`;
