// Runs the editor tests (out/e2e/index.js) in desktop VS Code with @vscode/test-electron: the local
// installation when VSCODE_EXECUTABLE is set or `code` is on PATH, else the download that
// @vscode/test-electron does (needs internet). `npm run test:e2e:electron`.
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT } from './cache';
import { onPath } from './proc';
import { prepareWorkspace } from './workspace';

/** The VS Code executable behind the `code` command (the CLI script lives in <install>/bin/). */
function localVSCode(): string | undefined {
  if (process.env.VSCODE_EXECUTABLE) return process.env.VSCODE_EXECUTABLE;
  const cli = onPath(process.platform === 'win32' ? 'code.cmd' : 'code');
  if (!cli) return undefined;
  const bin = dirname(realpathSync(cli));
  const candidates =
    process.platform === 'darwin' ? [join(bin, '..', '..', '..', 'MacOS', 'Electron'), join(bin, '..', '..', '..', 'MacOS', 'Code')]
    : process.platform === 'win32' ? [join(bin, '..', 'Code.exe')]
    : [join(bin, '..', 'code')];
  const exe = candidates.find((c) => existsSync(c));
  if (!exe) console.log(`found ${cli} but not the VS Code executable next to it (set VSCODE_EXECUTABLE); downloading VS Code instead`);
  return exe;
}

async function main(): Promise<number> {
  const vscodeExecutablePath = localVSCode();
  const workspace = prepareWorkspace(mkdtempSync(join(tmpdir(), 'shapelens-e2e-ws-')));
  console.log(`VS Code: ${vscodeExecutablePath ?? 'download (stable)'}; workspace ${workspace}`);
  try {
    return await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: join(ROOT, 'out', 'e2e', 'index.js'),
      // Other installed extensions (a Python extension's hovers, say) stay out of the way.
      launchArgs: [workspace, '--disable-extensions'],
    });
  } catch (err) {
    console.error(`editor tests failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
