// Neovim (Debian's 0.7) as a second LSP client: runs nvim/lsp-check.lua headless against the
// standalone server over stdio on a copy of the broken CIFAR model.
import { join } from 'node:path';
import { ROOT } from './cache';
import { run } from './proc';

export async function checkNeovim(o: { folder: string; env: NodeJS.ProcessEnv; log: string }): Promise<number> {
  const script = join(ROOT, 'test', 'e2e', 'nvim', 'lsp-check.lua');
  const env = { ...o.env, SHAPELENS_SERVER: join(ROOT, 'out', 'server', 'server.js'), SHAPELENS_NODE: process.execPath };
  return run('nvim', ['--headless', '--clean', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`, 'cifar_wrong_fc.py'], { cwd: o.folder, env, log: o.log, echo: true, timeoutMs: 180_000 });
}
