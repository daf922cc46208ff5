// A real JSON-RPC client for the ShapeLens server over stdio, for protocol tests: start, open documents,
// send requests with a timeout, wait for published diagnostics, shut down cleanly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

const SERVER = join(__dirname, '..', '..', 'server', 'server.js');
export const WAIT_MS = 15_000;
export const FULL_RANGE = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };

export interface LspDiag {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity?: number;
  code?: string | number;
  message: string;
  relatedInformation?: { location: { uri: string; range: { start: { line: number } } }; message: string }[];
}
export interface Published {
  uri: string;
  version?: number;
  diagnostics: LspDiag[];
}

export function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** 0-based index of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i;
}

export class LspClient {
  private child!: ChildProcess;
  conn!: MessageConnection;
  stderr = '';
  readonly published: Published[] = [];
  private readonly listeners: (() => void)[] = [];
  capabilities: Record<string, unknown> = {};

  async start(initializationOptions?: unknown): Promise<void> {
    this.child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.conn = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.push(p);
      for (const l of this.listeners) l();
    });
    this.conn.onNotification('window/logMessage', (p: { message: string }) => (this.stderr += p.message + '\n'));
    this.conn.listen();
    const init = await this.request<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } } },
      initializationOptions,
    });
    this.capabilities = init.capabilities;
    void this.conn.sendNotification('initialized', {});
  }

  /** Shuts the server down and checks it exits with 0. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
    try {
      await this.request('shutdown', null);
      void this.conn.sendNotification('exit');
      const code = await withTimeout(exited, 'the server to exit', 5000);
      assert.equal(code, 0, `server exit code (stderr: ${this.stderr})`);
    } finally {
      this.conn.dispose();
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  }

  /** Resolves with the first publication for `uri` (already received or future) that satisfies `ok`. */
  diagnostics(uri: string, ok: (p: Published) => boolean = () => true): Promise<Published> {
    return withTimeout(
      new Promise<Published>((resolve) => {
        const check = (): boolean => {
          const p = this.published.find((x) => x.uri === uri && ok(x));
          if (p) resolve(p);
          return !!p;
        };
        if (!check()) this.listeners.push(() => void check());
      }),
      `diagnostics for ${uri}`,
    );
  }

  open(uri: string, text: string, languageId = 'python'): void {
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Replaces the whole text of an open document. */
  change(uri: string, version: number, text: string): void {
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: FULL_RANGE, text }] });
  }

  notify(method: string, params: unknown): void {
    void this.conn.sendNotification(method, params);
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return withTimeout(this.conn.sendRequest<R>(method, params), method);
  }
}
