// `npm run editor`: the extension on examples/ in a real VS Code. The local `code` with
// --extensionDevelopmentPath when it is installed; otherwise code-server, installed into the cache on
// first use, served on localhost with the extension loaded from this checkout until Ctrl+C.
// `--code-server` uses code-server even when `code` exists; SHAPELENS_EDITOR_PORT picks the port.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_SERVER_VERSION, ROOT, cacheDir, isolatedEnv } from './cache';
import { QUIET_SETTINGS, remote, startCodeServer, workbenchUrl } from './codeServer';
import { ensureCodeServer } from './install';
import { onPath } from './proc';

const EXAMPLES = join(ROOT, 'examples');

function runLocalCode(code: string): Promise<number> {
  console.log(`opening ${EXAMPLES} in ${code} with the extension from ${ROOT}`);
  return new Promise((resolve) => {
    const child = spawn(code, [`--extensionDevelopmentPath=${ROOT}`, EXAMPLES], { stdio: 'inherit', shell: process.platform === 'win32' });
    child.on('error', (err) => {
      console.error(`could not start ${code}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (status) => resolve(status ?? 1));
  });
}

async function serveCodeServer(): Promise<number> {
  const cache = cacheDir();
  // One persistent profile, so settings and open editors survive between sessions.
  const dir = join(cache, 'editor');
  const install = await ensureCodeServer(cache, join(cache, 'install.log'));
  const fresh = !existsSync(join(dir, 'user-data', 'User', 'settings.json'));
  const port = Number(process.env.SHAPELENS_EDITOR_PORT) || undefined;
  const cs = await startCodeServer(install, { dir, env: isolatedEnv(join(dir, 'home')), port, settings: fresh ? QUIET_SETTINGS : undefined });
  const url = workbenchUrl(cs, EXAMPLES, [['extensionDevelopmentPath', remote(cs, ROOT)]]);
  console.log(`code-server ${CODE_SERVER_VERSION} is serving VS Code with ShapeLens loaded from ${ROOT}:\n\n  ${url}\n\nOpen it in a browser on this machine (or forward port ${cs.port}). Ctrl+C stops it. Log: ${cs.log}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping code-server');
  await cs.stop();
  return 0;
}

const code = process.argv.includes('--code-server') ? undefined : onPath(process.platform === 'win32' ? 'code.cmd' : 'code');
(code ? runLocalCode(code) : serveCodeServer()).then(
  (status) => process.exit(status),
  (err: unknown) => {
    console.error(`npm run editor: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
