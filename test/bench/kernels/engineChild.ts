// An engine in a child process of the harness, for what one process cannot hold twice:
// onnxruntime-web fixes its thread pool when its wasm module starts, so 1 and 2 threads need two
// processes. The child times its own runs (an IPC round trip per run would swamp sub-millisecond
// workloads) and sends back the samples and one output, checked like any other engine's.
import { fork, type ChildProcess } from 'node:child_process';
import type { EngineRun } from './engine';
import { sampleRuns, type Slice } from './measure';
import type { Engine } from './engine';
import { WORKLOADS } from './workloads';

export const CHILD_FLAG = '--engine-child';

type Request = { kind: 'setup'; id: string; input: Float32Array } | { kind: 'sample'; warmup: number; slice: Slice } | { kind: 'dispose' };

type Reply = { ok: true; output?: Float32Array; samples?: number[] } | { ok: false; error: string };

/** The parent's handle on the child: one workload at a time, one request at a time. */
export class EngineChild {
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcess, readonly name: string, readonly threads: number) {
    child.on('message', (m: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(m);
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`the ${name} ${threads}-thread process exited (${signal ?? `code ${code}`})`);
      this.pending?.reject(this.exited);
      this.pending = undefined;
    });
  }

  /**
   * Forks this same bundle with the child flag and `key` (which the child hands to its engine
   * factory); structured-clone serialisation carries Float32Arrays as they are.
   */
  static start(key: string, name: string, threads: number): EngineChild {
    const child = fork(process.argv[1]!, [CHILD_FLAG, key], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new EngineChild(child, name, threads);
  }

  private async ask(req: Request): Promise<Reply & { ok: true }> {
    if (this.exited) throw this.exited;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(req);
    });
    if (!reply.ok) throw new Error(reply.error);
    return reply;
  }

  /** Loads the workload (built from the same seeded definition) in the child; returns its output. */
  async setup(id: string, input: Float32Array): Promise<Float32Array> {
    return (await this.ask({ kind: 'setup', id, input })).output!;
  }

  async sample(warmup: number, slice: Slice): Promise<number[]> {
    return (await this.ask({ kind: 'sample', warmup, slice })).samples!;
  }

  async dispose(): Promise<void> {
    await this.ask({ kind: 'dispose' });
  }

  close(): void {
    if (!this.exited) this.child.disconnect();
  }
}

/** The child's side, serving the one engine its parent asked for. */
export function serveEngineChild(engine: Engine): void {
  let run: EngineRun | undefined;
  const handle = async (req: Request): Promise<Reply> => {
    switch (req.kind) {
      case 'setup': {
        const entry = WORKLOADS.find((w) => w.id === req.id);
        if (!entry) throw new Error(`unknown workload ${req.id}`);
        await run?.dispose();
        run = await engine.setup(entry.build(), req.input);
        return { ok: true, output: await run.output() };
      }
      case 'sample': {
        if (!run) throw new Error('sample before setup');
        const r = run;
        for (let i = 0; i < req.warmup; i++) await r.run();
        return { ok: true, samples: await sampleRuns(() => r.run(), req.slice) };
      }
      case 'dispose':
        await run?.dispose();
        run = undefined;
        return { ok: true };
    }
  };
  process.on('message', (req: Request) => {
    handle(req)
      .catch((e: unknown): Reply => ({ ok: false, error: e instanceof Error ? e.message : String(e) }))
      .then((reply) => process.send!(reply));
  });
  // The parent disconnects when it is done; an engine's worker threads would otherwise keep the child alive.
  process.on('disconnect', () => process.exit(0));
}
