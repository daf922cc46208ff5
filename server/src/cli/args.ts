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
export interface RunArgs {
  command: 'run';
  file: string;
  model?: string;
  kwargs?: Record<string, unknown>;
  /** --input: shapes to trace with and fill with seeded standard-normal values. */
  inputs?: InputSpec[];
  /** --input-file (repeatable, one per forward argument): .npy files. */
  inputFiles: string[];
  weights?: string;
  nonStrict: boolean;
  seed: number;
  mode: 'eval' | 'train';
  out?: string;
  stats: boolean;
  threads?: number;
  bench: boolean;
  /** --memory-budget: activation-memory limit in bytes. */
  budgetBytes?: number;
}
export type CliArgs = SummaryArgs | RunArgs | { command: 'help' } | { command: 'version' } | { command: 'lsp' };

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

/** Each argument with a reader of its value (`--flag value` or `--flag=value`); `value()` consumes the next argument. */
function* flags(rest: string[]): Generator<{ flag: string; arg: string; value: () => string }> {
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    yield {
      flag,
      arg: a,
      value: () => {
        const v = inline ?? rest[++i];
        if (v === undefined) throw new UsageError(`${flag} needs a value`);
        return v;
      },
    };
  }
}

export function parseArgs(argv: string[]): CliArgs {
  if (!argv.length || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return { command: 'help' };
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'version' };
  const [cmd, ...rest] = argv;
  if (cmd === 'lsp') return { command: 'lsp' };
  if (cmd === 'run') return parseRunArgs(rest);
  if (cmd !== 'summary') throw new UsageError(`unknown command '${cmd}' (try: shapelens summary FILE --input 1x3x32x32)`);
  const out: SummaryArgs = { command: 'summary', files: [], json: false };
  for (const { flag, arg: a, value } of flags(rest)) {
    switch (flag) {
      case '--model':
        out.model = value();
        break;
      case '--input':
        out.inputs = parseInputs(value());
        break;
      case '--kwargs':
        out.kwargs = parseKwargs(value());
        break;
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

function parseKwargs(raw: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new UsageError(`--kwargs is not valid JSON: ${raw}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--kwargs must be a JSON object, e.g. \'{"num_classes": 10}\'');
  return v as Record<string, unknown>;
}

/** `512MiB`, `1GiB`, `2e9`: a byte count. */
function parseBytes(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(raw.trim());
  const unit: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1e3, mb: 1e6, gb: 1e9 };
  const n = m ? Number(m[1]) * unit[(m[2] ?? 'b').toLowerCase()]! : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a size such as 512MiB or 2GiB, got '${raw}'`);
  return Math.floor(n);
}

function parseInt32(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > 0xffffffff) throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

function parseRunArgs(rest: string[]): RunArgs {
  const out: RunArgs = { command: 'run', file: '', inputFiles: [], nonStrict: false, seed: 0, mode: 'eval', stats: false, bench: false };
  const files: string[] = [];
  for (const { flag, arg: a, value } of flags(rest)) {
    switch (flag) {
      case '--model':
        out.model = value();
        break;
      case '--kwargs':
        out.kwargs = parseKwargs(value());
        break;
      case '--input': {
        const specs = parseInputs(value());
        const sym = specs.find((s) => s.shape.some((d) => typeof d !== 'number'));
        if (sym) throw new UsageError(`run needs concrete sizes: --input ${sym.shape.join('x')} has a named dim`);
        out.inputs = specs;
        break;
      }
      case '--input-file':
        out.inputFiles.push(value());
        break;
      case '--weights':
        out.weights = value();
        break;
      case '--non-strict':
        out.nonStrict = true;
        break;
      case '--seed':
        out.seed = parseInt32('--seed', value(), 0);
        break;
      case '--mode': {
        const m = value();
        if (m !== 'eval' && m !== 'train') throw new UsageError(`--mode must be eval or train, got '${m}'`);
        out.mode = m;
        break;
      }
      case '--out':
        out.out = value();
        break;
      case '--stats':
        out.stats = true;
        break;
      case '--threads':
        out.threads = parseInt32('--threads', value(), 1);
        break;
      case '--bench':
        out.bench = true;
        break;
      case '--memory-budget':
        out.budgetBytes = parseBytes('--memory-budget', value());
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
        files.push(a);
    }
  }
  if (files.length !== 1) throw new UsageError(files.length ? `run takes one FILE, got ${files.length}` : 'run needs a FILE');
  if (out.inputs && out.inputFiles.length) throw new UsageError('give --input or --input-file, not both');
  out.file = files[0]!;
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

  shapelens run FILE [--model NAME] [--kwargs JSON] [--input SHAPE | --input-file X.npy]
                [--weights W] [--non-strict] [--seed S] [--mode eval|train] [--out Y.npy]
                [--stats] [--bench] [--threads N] [--memory-budget SIZE]
    runs the model's forward pass on the CPU, without Python
  --input SHAPE       trace at this shape and feed seeded standard-normal values (torch.randn-like)
  --input-file X.npy  feed this array (repeat for several forward arguments); its shape is traced
                      (default: the file's declared input, random values)
  --weights W         a .safetensors or PyTorch .pt/.pth checkpoint (a state_dict, or one nested
                      under "state_dict"/"model"); default: PyTorch's initialisation from --seed
  --non-strict        like load_state_dict(strict=False): missing keys keep their initial values
  --seed S            seed of default weights, random inputs and train-mode dropout (default 0)
  --mode eval|train   model.eval() (default) or model.train(): batch statistics, active dropout
  --out Y.npy         write the output (a tuple output writes Y.npy, Y.1.npy, ...)
  --stats             one JSON line per module call: {path, shape, mean, std, min, max}
  --bench             per-layer times (median of 5 runs after a warm-up)
  --threads N         threads of the WebAssembly kernels (default: every core)
  --memory-budget SIZE  refuse a run whose activations need more, e.g. 512MiB (default 1GiB)

  shapelens lsp --stdio    the language server, for any LSP client (also: shapelens-lsp --stdio)

Exit status: 0 no errors, 1 shape errors found, 2 usage, file or checkpoint errors;
run also: 3 the model cannot run (an op without a kernel, over the memory budget, a kernel
failure), 4 the run finished but produced NaN/Inf (the first layer that did is named).`;
