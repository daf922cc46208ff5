// Builds every bundle of ShapeLens with one esbuild call: the VS Code client, the language server,
// the CLI, the tests and the benchmark. Also copies the tree-sitter wasm files next to the bundles.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernels } from './kernels/assembly/build.mjs';

const watch = process.argv.includes('--watch');

/** Every `*.test.ts` under test/, bundled one-to-one into out/test/. */
function testEntries(dir = 'test') {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...testEntries(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // web-tree-sitter's ESM build reads import.meta.url; give the CommonJS bundles a real one.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

mkdirSync('out', { recursive: true });
// The AssemblyScript kernels (issue 5) compile to out/kernels/*.wasm; skipped when up to date.
await buildKernels();
for (const f of ['node_modules/web-tree-sitter/tree-sitter.wasm', 'node_modules/tree-sitter-python/tree-sitter-python.wasm']) {
  cpSync(f, join('out', f.split('/').pop()));
}

const builds = [
  { entryPoints: { 'client/extension': 'client/src/extension.ts' }, external: ['vscode'] },
  { entryPoints: { 'server/server': 'server/src/server.ts' }, banner: { js: '#!/usr/bin/env node\n' + common.banner.js } },
  { entryPoints: { 'server/engineWorker': 'server/src/lsp/engineWorker.ts' } },
  { entryPoints: { 'bench/bench': 'test/bench/bench.ts', 'bench/lsp': 'test/bench/lspBench.ts', 'bench/wasmOnly': 'test/bench/kernels/wasmOnly.ts' } },
  // The kernel benchmark loads the other runtimes from node_modules, where their wasm files sit.
  { entryPoints: { 'bench/kernels': 'test/bench/kernels/harness.ts' }, external: ['onnxruntime-web', '@tensorflow/*'] },
  { entryPoints: { 'cli/shapelens': 'server/src/cli/shapelens.ts' }, banner: { js: '#!/usr/bin/env node\n' + common.banner.js } },
  { entryPoints: Object.fromEntries(testEntries().map((p) => [p.replace(/^test\//, 'test/').replace(/\.ts$/, ''), p])) },
  // Editor tests (issue 4): the Mocha suite the extension host loads (VS Code provides `vscode`, the
  // project's node_modules `mocha`), and the runners that start VS Code / code-server, Chromium and Neovim.
  { entryPoints: Object.fromEntries(readdirSync('test/e2e/suite').filter((n) => n === 'index.ts' || n.endsWith('.e2e.ts')).map((n) => [`e2e/${n.replace(/\.ts$/, '')}`, `test/e2e/suite/${n}`])), external: ['vscode', 'mocha'] },
  { entryPoints: { 'e2e/run': 'test/e2e/run.ts', 'e2e/editor': 'test/e2e/editor.ts', 'e2e/runElectron': 'test/e2e/runElectron.ts' }, external: ['playwright-core', '@vscode/test-electron'] },
  // The kernel module in a browser Web Worker (issue 5): bundled for the browser, so importing any Node
  // built-in (node:fs, worker_threads, ...) from the platform-neutral kernels fails this build.
  { entryPoints: { 'e2e/kernelsWorker/worker': 'test/e2e/kernelsWorker/worker.ts' }, platform: 'browser', format: 'iife', target: 'chrome120', define: {}, banner: {} },
];

if (watch) {
  for (const b of builds) await (await esbuild.context({ ...common, ...b, outdir: 'out' })).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b, outdir: 'out' })));
  chmodSync('out/cli/shapelens.js', 0o755);
  chmodSync('out/server/server.js', 0o755);
}
