// Starts code-server (VS Code served to a browser) on a free localhost port with its own user data,
// and builds the workbench URLs that load the extension from the checkout (code-server refuses
// --extensionDevelopmentPath on its command line; the workbench accepts it in the URL's payload).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { CodeServerInstall } from './install';
import { tail } from './proc';

export interface CodeServer {
  port: number;
  /** http://127.0.0.1:PORT */
  base: string;
  log: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Holds user-data/, extensions/ and code-server.log. */
  dir: string;
  env: NodeJS.ProcessEnv;
  port?: number;
  /** VS Code user settings. */
  settings?: Record<string, unknown>;
}

/** Settings that keep the workbench quiet and predictable for people and tests alike. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'editor.inlayHints.enabled': 'on',
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function healthy(base: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${base}/healthz`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

export async function startCodeServer(install: CodeServerInstall, o: StartOptions): Promise<CodeServer> {
  const port = o.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const userData = join(o.dir, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  if (o.settings) writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(o.settings, null, 2));
  const config = join(o.dir, 'config.yaml');
  writeFileSync(config, 'auth: none\n');
  const log = join(o.dir, 'code-server.log');
  const fd = openSync(log, 'a');
  const args = [
    install.entry, '--config', config, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', userData, '--extensions-dir', join(o.dir, 'extensions'),
    // Without the smoke-test driver the workbench ignores extensionDevelopmentPath in the URL
    // payload (seen with 4.139.1); with it, it also reports the end of an extension test run to the
    // page (window.codeAutomationExit).
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  // Its own process group, so stopping it also stops the extension hosts and watchers it forked.
  const child = spawn(install.node, args, { env: o.env, stdio: ['ignore', fd, fd], detached: true });
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    if (exited) return;
    killGroup('SIGTERM');
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    killGroup('SIGKILL');
  };
  const end = Date.now() + 90_000;
  while (!(await healthy(base))) {
    if (exited || Date.now() > end) {
      await stop();
      throw new Error(`code-server did not come up on ${base} (${exited ?? 'timed out'}); ${log}:\n${tail(log)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, base, log, stop };
}

/** The workbench on `folder`, with VS Code launch options passed through the URL. */
export function workbenchUrl(cs: CodeServer, folder: string, payload: [string, string][] = []): string {
  let url = `${cs.base}/?folder=${encodeURIComponent(folder)}`;
  if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** A path on code-server's machine as the workbench addresses it. */
export function remote(cs: CodeServer, absPath: string): string {
  return `vscode-remote://127.0.0.1:${cs.port}${absPath}`;
}
