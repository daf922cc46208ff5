// `npm run test:e2e`: the editor tests. Installs what is missing into the cache on first use, then
// (1) runs the Mocha suite inside code-server's extension host, (2) checks the UI through Chromium,
// (3) runs Neovim 0.7 against the standalone server, (4) runs the WebAssembly kernels in a Web Worker in
// Chromium. Exit status 0 only when all pass; each run's logs and screenshots stay in
// <cache>/runs/<time>/. Arguments restrict the steps: `node out/e2e/run.js exthost ui nvim kernels`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_SERVER_VERSION, Clock, ROOT, cacheDir, isolatedEnv, newRunDir } from './cache';
import { QUIET_SETTINGS, startCodeServer } from './codeServer';
import { runSuiteInCodeServer } from './exthost';
import { DEBIAN, ensureCodeServer, ensureDebianPackages } from './install';
import { checkKernelsInBrowser } from './kernels';
import { checkNeovim } from './nvim';
import { checkUi } from './ui';
import { prepareWorkspace } from './workspace';

const STEPS = ['exthost', 'ui', 'nvim', 'kernels'] as const;

async function main(): Promise<number> {
  const clock = new Clock();
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !(STEPS as readonly string[]).includes(a));
  if (unknown.length) {
    console.error(`unknown step ${unknown.join(', ')}; steps: ${STEPS.join(', ')}`);
    return 2;
  }
  const want = (s: (typeof STEPS)[number]) => !args.length || args.includes(s);
  for (const f of ['out/e2e/index.js', 'out/server/server.js', 'out/client/extension.js', 'out/e2e/kernelsWorker/worker.js']) {
    if (!existsSync(join(ROOT, f))) {
      console.error(`${f} is missing: build first (npm run build)`);
      return 2;
    }
  }
  const cache = cacheDir();
  const dir = newRunDir(cache);
  const installLog = join(dir, 'install.log');
  console.log(`cache ${cache}\nrun folder ${dir}`);
  await ensureDebianPackages([...(want('exthost') || want('ui') || want('kernels') ? [DEBIAN.chromium] : []), ...(want('nvim') ? [DEBIAN.neovim] : [])], installLog);
  clock.step('system packages present');

  const failed: string[] = [];
  const env = isolatedEnv(join(dir, 'home'), { SHAPELENS_E2E_LOG: join(dir, 'exthost-mocha.log') });
  if (want('exthost') || want('ui')) {
    const install = await ensureCodeServer(cache, installLog);
    clock.step(`code-server ${CODE_SERVER_VERSION} installed (${install.entry})`);
    const cs = await startCodeServer(install, { dir: join(dir, 'code-server'), env, settings: QUIET_SETTINGS });
    clock.step(`code-server listening on ${cs.base} (log ${cs.log})`);
    try {
      if (want('exthost')) {
        const code = await runSuiteInCodeServer(cs, {
          folder: prepareWorkspace(join(dir, 'ws-exthost')),
          extensionPath: ROOT,
          testsPath: join(ROOT, 'out', 'e2e', 'index.js'),
          resultLog: join(dir, 'exthost-mocha.log'),
          dir,
          env,
          timeoutMs: 600_000,
        });
        if (code !== 0) failed.push(`exthost (Mocha suite in code-server: exit ${code})`);
        clock.step(`exthost: Mocha suite in code-server's extension host ${code === 0 ? 'passed' : 'FAILED'}`);
      }
      if (want('ui')) {
        try {
          await checkUi(cs, { folder: prepareWorkspace(join(dir, 'ws-ui')), extensionPath: ROOT, dir, env, clock });
          clock.step('ui: Playwright checks passed');
        } catch (err) {
          failed.push(`ui (${err instanceof Error ? err.message : String(err)})`);
          clock.step('ui: Playwright checks FAILED');
        }
      }
    } finally {
      await cs.stop();
      clock.step('code-server stopped');
    }
  }
  if (want('nvim')) {
    const code = await checkNeovim({ folder: prepareWorkspace(join(dir, 'ws-nvim')), env, log: join(dir, 'nvim.log') });
    if (code !== 0) failed.push(`nvim (exit ${code})`);
    clock.step(`nvim: Neovim LSP checks ${code === 0 ? 'passed' : 'FAILED'}`);
  }
  if (want('kernels')) {
    try {
      const lines = await checkKernelsInBrowser({ dir, env });
      console.log(lines.join('\n'));
      clock.step('kernels: WebAssembly kernels in a Chromium Web Worker passed');
    } catch (err) {
      failed.push(`kernels (${err instanceof Error ? err.message : String(err)})`);
      clock.step('kernels: WebAssembly kernels in a Chromium Web Worker FAILED');
    }
  }
  if (failed.length) {
    console.error(`\neditor tests FAILED: ${failed.join('; ')}\nlogs and screenshots: ${dir}`);
    return 1;
  }
  console.log(`\neditor tests passed (logs: ${dir})`);
  return 0;
}

// Ctrl+C: exit through process.exit so the 'exit' handlers stop code-server.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`editor tests could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
