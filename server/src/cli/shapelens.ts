// `shapelens` command line: summary tables and JSON for model files, and `run` (cli/run.ts). Never prints
// a stack trace for user input; exit 0 = no errors, 1 = shape errors, 2 = usage or file errors (run: 3, 4).
import { readFileSync, statSync } from 'node:fs';
import { analyzeSource, loadParser, type ModelReport, type Diagnostic } from '../engine';
import { HELP, UsageError, parseArgs, type SummaryArgs } from './args';
import { nodeHost } from '../engine/imports/nodeHost';
import { renderDiagnostic, renderReport } from './table';
import { runCommand } from './run';

const MAX_FILE_BYTES = 8 * 1024 * 1024;

function readSource(file: string): { text: string; warning: string | null } {
  const st = statSync(file);
  if (!st.isFile()) throw new UsageError(`${file} is not a file`);
  if (st.size > MAX_FILE_BYTES) throw new UsageError(`${file} is ${Math.round(st.size / 1024 / 1024)} MiB; ShapeLens reads model files up to 8 MiB`);
  const bytes = readFileSync(file);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return { text, warning: text.includes('\uFFFD') && !bytes.includes(Buffer.from('\uFFFD')) ? `${file} is not valid UTF-8; invalid bytes were replaced` : null };
}

async function summary(args: SummaryArgs): Promise<number> {
  await loadParser();
  const host = nodeHost();
  const reports: ModelReport[] = [];
  let errors = false;
  const texts: string[] = [];
  for (const file of args.files) {
    let src: { text: string; warning: string | null };
    try {
      src = readSource(file);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const res = analyzeSource(src.text, { file, model: args.model, kwargs: args.kwargs, inputs: args.inputs, host });
    const fileDiags: Diagnostic[] = res.diagnostics;
    if (src.warning) fileDiags.unshift({ line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'warning', code: 'encoding', message: src.warning });
    if (args.model && !res.reports.length && fileDiags.some((d) => d.code === 'no-model')) {
      throw new UsageError(fileDiags.find((d) => d.code === 'no-model')!.message);
    }
    // File-level diagnostics (syntax errors, top-level failures) belong to every model of the file.
    for (const r of res.reports) r.diagnostics = dedupe([...fileDiags, ...r.diagnostics]);
    if (!res.reports.length) {
      const none: ModelReport = { model: args.model ?? '', file, input: [], output: null, params: { total: 0, trainable: 0 }, macs: 0, layers: [], values: [], diagnostics: dedupe(fileDiags) };
      none.diagnostics.push({ line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'information', code: 'no-model', message: `No nn.Module model found in ${file}` });
      if (args.json) reports.push(none);
      else texts.push(`${file}: no nn.Module model found${fileDiags.length ? '\n' + fileDiags.map((d) => renderDiagnostic(file, d)).join('\n') : ''}`);
    }
    for (const r of res.reports) {
      reports.push(r);
      if (!args.json) texts.push(renderReport(r));
    }
  }
  for (const r of reports) if (r.diagnostics.some((d) => d.severity === 'error')) errors = true;
  if (args.json) {
    const lean = reports.map(({ values: _values, ...r }) => ({ ...r, layers: r.layers.map(({ explain: _explain, ...l }) => l) }));
    process.stdout.write(JSON.stringify(lean.length === 1 ? lean[0] : lean) + '\n');
  }
  else process.stdout.write(texts.join('\n\n') + '\n');
  return errors ? 1 : 0;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.column}:${d.code}:${d.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

async function main(): Promise<number> {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.command === 'help') {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    if (args.command === 'lsp') {
      // The server bundle sits beside this one; it reads --stdio / --node-ipc from process.argv.
      require(require('node:path').join(__dirname, '..', 'server', 'server.js'));
      return -1;
    }
    if (args.command === 'version') {
      process.stdout.write('shapelens 0.1.0\n');
      return 0;
    }
    if (args.command === 'run') return await runCommand(args);
    return await summary(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`shapelens: ${e.message}\n`);
      return 2;
    }
    // An engine bug: say so plainly; the stack only on request.
    process.stderr.write(`shapelens: internal error: ${(e as Error)?.message ?? e}\n`);
    if (process.env.SHAPELENS_DEBUG) process.stderr.write(String((e as Error)?.stack) + '\n');
    return 2;
  }
}

main().then((code) => {
  if (code >= 0) process.exitCode = code;
});
