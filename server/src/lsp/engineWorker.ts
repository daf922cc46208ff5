// The engine in a worker thread: the server's main thread stays free to answer hovers and inlay
// hints while a file is analysed. One request at a time; results are plain data.
import { parentPort } from 'node:worker_threads';
import { analyzeSource, inputDeclaration, loadParser } from '../engine';
import { nodeHost } from '../engine/imports/nodeHost';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

parentPort!.on('message', async (m: WorkerRequest) => {
  let reply: WorkerResponse;
  try {
    await loadParser();
    // Imports of project files see the editor's unsaved text of open files.
    const host = nodeHost((path) => m.open[path] ?? null);
    const result =
      m.kind === 'analyze'
        ? analyzeSource(m.text, { file: m.file, host, defaultInputs: m.options.defaultInputs, batchSymbol: m.options.batchSymbol })
        : inputDeclaration(m.text, { file: m.file, host, model: m.model, inputs: m.inputs });
    reply = { id: m.id, result };
  } catch (e) {
    reply = { id: m.id, error: String((e as Error)?.stack ?? e) };
  }
  parentPort!.postMessage(reply);
});
