// The engine in a worker thread: the server's main thread stays free to answer hovers and inlay
// hints while a file is analysed. One request at a time; results are plain data.
import { parentPort } from 'node:worker_threads';
import { IncrementalParser, analyzeSource, inputDeclaration, loadParser } from '../engine';
import { nodeHost } from '../engine/imports/nodeHost';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

/** One incremental parser per recently analysed file (least recently used first), trees freed on eviction. */
const parsers = new Map<string, IncrementalParser>();
const MAX_PARSERS = 16;
function parserFor(file: string): IncrementalParser {
  let p = parsers.get(file);
  if (p) parsers.delete(file);
  else p = new IncrementalParser();
  parsers.set(file, p);
  for (const [f, old] of parsers) {
    if (parsers.size <= MAX_PARSERS) break;
    old.dispose();
    parsers.delete(f);
  }
  return p;
}

parentPort!.on('message', async (m: WorkerRequest) => {
  let reply: WorkerResponse;
  try {
    await loadParser();
    // Imports of project files see the editor's unsaved text of open files.
    const host = nodeHost((path) => m.open[path] ?? null);
    const result =
      m.kind === 'analyze'
        ? analyzeSource(m.text, { file: m.file, host, defaultInputs: m.options.defaultInputs, batchSymbol: m.options.batchSymbol, parse: m.probe ? undefined : (t) => parserFor(m.file).parse(t) })
        : inputDeclaration(m.text, { file: m.file, host, model: m.model, inputs: m.inputs });
    reply = { id: m.id, result };
  } catch (e) {
    reply = { id: m.id, error: String((e as Error)?.stack ?? e) };
  }
  parentPort!.postMessage(reply);
});
