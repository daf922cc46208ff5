// Talks to the engine worker: one analysis request at a time by id; a worker that dies is
// restarted and its pending request fails (logged), so the server keeps serving.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { FileAnalysis, InputSpec } from '../engine';
import type { EngineOptions, InputEditAnswer, WorkerRequest, WorkerResponse } from './workerProtocol';

/** A request without its id and the open documents (the client adds both). */
type Ask = { text: string; file: string } & ({ kind: 'analyze'; options: EngineOptions; probe?: boolean } | { kind: 'inputEdit'; model: string; inputs: InputSpec[] });

export class EngineClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly openDocuments: () => Record<string, string>,
    private readonly log: (m: string) => void,
  ) {}

  private start(): Worker {
    const w = new Worker(join(__dirname, 'engineWorker.js'));
    w.on('message', (m: WorkerResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.result as never);
    });
    const fail = (why: string): void => {
      if (this.worker === w) this.worker = null;
      for (const [, p] of this.pending) p.reject(new Error(why));
      this.pending.clear();
    };
    w.on('error', (e) => fail(`the engine worker failed: ${e.message}`));
    w.on('exit', (code) => {
      if (code !== 0) this.log(`ShapeLens: the engine worker exited with code ${code}; it restarts on the next analysis`);
      fail(`the engine worker exited (${code})`);
    });
    return w;
  }

  analyze(text: string, file: string, options: EngineOptions, probe = false): Promise<FileAnalysis> {
    return this.ask({ kind: 'analyze', text, file, options, probe });
  }

  /** The edit declaring a model's input (the "Set input shape" command). */
  inputEdit(text: string, file: string, model: string, inputs: InputSpec[]): Promise<InputEditAnswer> {
    return this.ask({ kind: 'inputEdit', text, file, model, inputs });
  }

  private ask<T>(q: Ask): Promise<T> {
    this.worker ??= this.start();
    const id = this.nextId++;
    const req = { ...q, id, open: this.openDocuments() } as WorkerRequest;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: never) => void, reject });
      this.worker!.postMessage(req);
    });
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
