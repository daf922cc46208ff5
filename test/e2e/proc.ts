// Child processes for the editor tests: run one to completion with its output in a log file (and
// optionally on the console), find a command on PATH, tail a log for an error message.
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function onPath(cmd: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Appends stdout and stderr here. */
  log: string;
  /** Also echo the output on this process's stdout. */
  echo?: boolean;
  timeoutMs?: number;
}

/** Runs a command to completion; resolves with its exit code (a signal or a timeout count as failure). */
export function run(cmd: string, args: string[], o: RunOptions): Promise<number> {
  return new Promise((resolve) => {
    const out = createWriteStream(o.log, { flags: 'a' });
    out.write(`$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = o.timeoutMs
      ? setTimeout(() => {
          out.write(`\n(timed out after ${o.timeoutMs} ms, killing pid ${child.pid})\n`);
          child.kill('SIGKILL');
        }, o.timeoutMs)
      : undefined;
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (d: Buffer) => {
        out.write(d);
        if (o.echo) process.stdout.write(d);
      });
    }
    child.on('error', (err) => {
      out.write(`\n${err.message}\n`);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      out.end(() => resolve(code ?? 1));
    });
  });
}
