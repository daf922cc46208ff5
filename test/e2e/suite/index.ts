// Mocha entry loaded by the VS Code extension host (--extensionTestsPath, or code-server's payload):
// runs every `*.e2e.js` bundled beside it and rejects when a test fails, as VS Code expects of run().
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 90_000, reporter: 'spec' });
  const grep = process.env.SHAPELENS_E2E_GREP;
  if (grep) mocha.grep(grep);
  for (const f of readdirSync(__dirname).filter((n) => n.endsWith('.e2e.js')).sort()) mocha.addFile(join(__dirname, f));
  // code-server forwards the extension host's console to the browser only; a log file is what the
  // runner on the command line can always read.
  const logFile = process.env.SHAPELENS_E2E_LOG;
  const log = (line: string): void => {
    if (logFile) appendFileSync(logFile, line + '\n');
  };
  log(`extension host: ${process.versions.node ? `node ${process.versions.node}` : ''} pid ${process.pid}`);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      log(`done: ${failures} failing`);
      if (failures > 0) reject(new Error(`${failures} editor test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => log(`  ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`));
    runner.on('fail', (t, err: Error) => log(`  FAIL ${t.fullTitle()}\n${String(err.stack ?? err.message).replace(/^/gm, '       ')}`));
  });
}
