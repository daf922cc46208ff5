// Runs the Mocha suite (out/e2e/index.js) inside code-server's extension host, as @vscode/test-electron
// runs it in a desktop VS Code: the workbench URL carries extensionDevelopmentPath and
// extensionTestsPath, and with the smoke-test driver enabled the workbench reports the end of the run
// by calling window.codeAutomationExit(code) on the page.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { launchChromium } from './browser';
import { remote, workbenchUrl, type CodeServer } from './codeServer';

export interface ExtHostOptions {
  folder: string;
  extensionPath: string;
  testsPath: string;
  /** Where the suite writes its results (SHAPELENS_E2E_LOG in code-server's environment). */
  resultLog: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Resolves with the suite's exit code (0 = all passed). */
export async function runSuiteInCodeServer(cs: CodeServer, o: ExtHostOptions): Promise<number> {
  const { ctx, page } = await launchChromium(join(o.dir, 'exthost'), o.env);
  // Everything the page logs (the extension host's console included), for when the suite never reports.
  const pageLog = join(o.dir, 'exthost-console.log');
  try {
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    // The extension host's console reaches the page as console.log('%c…', style, ...args).
    page.on('console', (m) => {
      void (async () => {
        let vals: unknown[];
        try {
          vals = await Promise.all(m.args().map((a) => a.jsonValue()));
        } catch {
          vals = [m.text()];
        }
        if (typeof vals[0] === 'string' && vals[0].startsWith('%c')) vals = vals.slice(2);
        const s = format(...vals);
        appendFileSync(pageLog, s + '\n');
        if (process.env.SHAPELENS_E2E_VERBOSE) console.log(`    [page] ${s.slice(0, 500)}`);
      })();
    });
    await page.goto(workbenchUrl(cs, o.folder, [
      ['extensionDevelopmentPath', remote(cs, o.extensionPath)],
      ['extensionTestsPath', remote(cs, o.testsPath)],
    ]));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((r) => (timer = setTimeout(() => r(-1), o.timeoutMs)));
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    await page.screenshot({ path: join(o.dir, 'exthost-end.png') }).catch(() => undefined);
    if (existsSync(o.resultLog)) console.log(readFileSync(o.resultLog, 'utf8').trimEnd().replace(/^/gm, '    '));
    if (code === -1) console.log(`    the suite did not finish within ${o.timeoutMs / 1000} s (console: ${pageLog})`);
    else if (!existsSync(o.resultLog)) console.log(`    the suite wrote no results; console: ${pageLog}`);
    return code;
  } finally {
    await ctx.close();
  }
}
