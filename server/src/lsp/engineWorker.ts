// The engine in a worker thread: the server's main thread stays free to answer hovers and inlay
// hints while a file is analysed. One request at a time; results are plain data.
import { parentPort } from 'node:worker_threads';
import { IncrementalParser, ModelReportCache, analyzeSource, inputDeclaration, loadParser } from '../engine';
import { nodeHost } from '../engine/imports/nodeHost';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

/** Per recently analysed file (least recently used first): its incremental parser and last reports. */
interface FileState {
  parser: IncrementalParser;
  reports: ModelReportCache;
}
const files = new Map<string, FileState>();
const MAX_FILES = 16;
function stateOf(file: string): FileState {
  let st = files.get(file);
  if (st) files.delete(file);
  else st = { parser: new IncrementalParser(), reports: new ModelReportCache() };
  files.set(file, st);
  for (const [f, old] of files) {
    if (files.size <= MAX_FILES) break;
    old.parser.dispose(); // frees the tree-sitter tree's wasm memory
    files.delete(f);
  }
  return st;
}

parentPort!.on('message', async (m: WorkerRequest) => {
  let reply: WorkerResponse;
  try {
    await loadParser();
    // Imports of project files see the editor's unsaved text of open files.
    const host = nodeHost((path) => m.open[path] ?? null);
    let result;
    if (m.kind === 'analyze') {
      // A completion probe is a one-off variant of the text: it neither parses from nor replaces the file's state.
      const st = m.probe ? null : stateOf(m.file);
      result = analyzeSource(m.text, { file: m.file, host, defaultInputs: m.options.defaultInputs, batchSymbol: m.options.batchSymbol, parse: st ? (t) => st.parser.parse(t) : undefined, reuse: st?.reports });
    } else result = inputDeclaration(m.text, { file: m.file, host, model: m.model, inputs: m.inputs });
    reply = { id: m.id, result };
  } catch (e) {
    reply = { id: m.id, error: String((e as Error)?.stack ?? e) };
  }
  parentPort!.postMessage(reply);
});
