// The `kernels` step of the editor tests (issue 5: the kernel module must load in a browser Web Worker):
// serves a page, the worker bundle (out/e2e/kernelsWorker/worker.js) and the .wasm builds from a local
// HTTP server, once cross-origin isolated (COOP + COEP: SharedArrayBuffer, the worker pool) and once
// not (one thread, non-shared memory), and checks in Chromium that the WebAssembly fast path ran the
// check graph's conv, pool and linear nodes and agrees with the reference kernels there and in Node.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { referenceBackend, runGraph } from '../../kernels/src/exec/index';
import { CTRL } from '../../kernels/src/pool/protocol';
import { variantFile } from '../../kernels/src/wasm/module';
import { launchChromium } from './browser';
import { ROOT } from './cache';
import { checkModel, SEED } from './kernelsWorker/graph';
import type { BackendRun, KernelsReply, WorkerCrashRun } from './kernelsWorker/protocol';

export interface KernelsOptions {
  /** The run folder: Chromium's profile and kernels-browser.log (the page's console) go here. */
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** Largest accepted max|a - b| / max|b| between two outputs of the same graph. */
const TOLERANCE = 1e-4;
/** The kernels' memory starts at 256 pages; the check graph must need more (see graph.ts). */
const INITIAL_MEMORY = 256 * 65536;
const REPLY_TIMEOUT_MS = 60_000;

/** URL path → file and content type: nothing else is served. */
function servedFiles(): Map<string, { file: string; type: string }> {
  const files = new Map([
    ['/', { file: join(ROOT, 'test', 'e2e', 'kernelsWorker', 'index.html'), type: 'text/html; charset=utf-8' }],
    ['/worker.js', { file: join(ROOT, 'out', 'e2e', 'kernelsWorker', 'worker.js'), type: 'text/javascript; charset=utf-8' }],
  ]);
  for (const variant of ['relaxed', 'simd128'] as const) {
    for (const shared of [true, false]) {
      const name = variantFile(variant, shared);
      files.set(`/kernels/${name}`, { file: join(ROOT, 'out', 'kernels', name), type: 'application/wasm' });
    }
  }
  return files;
}

/** A static server on 127.0.0.1; `isolated` adds the headers that make the page cross-origin isolated. */
async function serve(isolated: boolean): Promise<{ base: string; close: () => Promise<void> }> {
  const files = servedFiles();
  const server = createServer((req, res) => {
    const entry = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    if (!entry) {
      res.writeHead(404, headers).end();
      return;
    }
    readFile(entry.file).then(
      (body) => res.writeHead(200, { ...headers, 'Content-Type': entry.type }).end(body),
      () => res.writeHead(404, headers).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** max|a - b| / max|b|; Infinity when the lengths differ or a value is not finite. */
function relDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) return Infinity;
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

function check(ok: boolean, what: string, r: BackendRun, label: string): void {
  if (!ok) throw new Error(`${label}, relaxed ${r.relaxedOption}: ${what}`);
}

/** Asserts one backend's run; returns its summary line. */
function verify(r: BackendRun, isolated: boolean, nodeRef: readonly number[]): string {
  const label = isolated ? 'cross-origin isolated' : 'not isolated';
  for (const n of r.nodes) {
    if (['conv', 'linear', 'max_pool'].includes(n.op)) check(n.backend === 'wasm', `${n.op} '${n.path}' ran on '${n.backend}', not on the WebAssembly fast path`, r, label);
  }
  check(r.crossOriginIsolated === isolated, `the worker's crossOriginIsolated is ${r.crossOriginIsolated}`, r, label);
  check(r.sharedArrayBuffer === isolated, `SharedArrayBuffer ${r.sharedArrayBuffer ? 'exists' : 'is missing'}`, r, label);
  check(r.shared === isolated, `the backend chose ${r.shared ? 'shared' : 'non-shared'} memory`, r, label);
  if (isolated) {
    const want = Math.min(r.hardwareConcurrency, CTRL.MAX_THREADS);
    check(r.threads === want, `${r.threads} threads for ${r.hardwareConcurrency} cores (the pool's Web Workers did not all start)`, r, label);
  } else {
    check(r.threads === 1 && r.lastMode === 'single', `${r.threads} threads (last job ${r.lastMode}) without shared memory`, r, label);
  }
  const wantVariant = r.relaxedOption === 'auto' && r.relaxedSimdSupported ? 'relaxed' : 'simd128';
  check(r.variant === wantVariant, `the ${r.variant} build was chosen (relaxed SIMD ${r.relaxedSimdSupported ? '' : 'not '}supported)`, r, label);
  check(r.bytesInUse > INITIAL_MEMORY, `only ${r.bytesInUse} bytes in use: the check no longer grows the memory`, r, label);
  const diffs = {
    wasm: relDiff(r.wasm, r.reference),
    warm: relDiff(r.wasmWarm, r.reference),
    fused: relDiff(r.wasmFused, r.reference),
    node: relDiff(r.reference, nodeRef),
  };
  check(diffs.wasm <= TOLERANCE, `wasm vs reference: relative difference ${diffs.wasm}`, r, label);
  check(diffs.warm <= TOLERANCE, `second wasm run vs reference: relative difference ${diffs.warm}`, r, label);
  check(diffs.fused <= TOLERANCE, `fused wasm run vs reference: relative difference ${diffs.fused}`, r, label);
  check(diffs.node <= TOLERANCE, `browser reference vs Node reference: relative difference ${diffs.node}`, r, label);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return (
    `  ${label}, relaxed ${r.relaxedOption}: ${r.threads} thread${r.threads > 1 ? 's' : ''} (last job ${r.lastMode}), ` +
    `${r.shared ? 'shared' : 'non-shared'} memory, relaxed SIMD ${r.variant === 'relaxed' ? 'on' : 'off'}; ` +
    `backend ${ms(r.createMs)} + workers ready ${ms(r.readyMs)}; wasm run ${ms(r.wasmColdMs)} cold, ${ms(r.wasmWarmMs)} warm; reference ${ms(r.referenceMs)}; ` +
    `rel. diff ${diffs.wasm.toExponential(1)} (wasm), ${diffs.node.toExponential(1)} (browser vs Node reference)`
  );
}

/** The isolated page's crash probe; returns its summary line. */
function verifyCrash(c: WorkerCrashRun | null, reference: readonly number[]): string {
  if (!c) throw new Error('cross-origin isolated: the worker did not run the worker-crash probe');
  if (c.attempts < 0) throw new Error('cross-origin isolated: pool worker 1 never claimed a tile in 20 runs (the Web Workers do not take part)');
  if (!/kernel worker 1 died.*restarted/.test(c.message)) throw new Error(`cross-origin isolated: the run with a crashing worker failed with an unexpected message: ${c.message}`);
  if (c.threadsAfter !== c.threadsBefore) throw new Error(`cross-origin isolated: ${c.threadsAfter} threads after the crashed worker was replaced, ${c.threadsBefore} before`);
  const d = relDiff(c.after, reference);
  if (!(d <= TOLERANCE)) throw new Error(`cross-origin isolated: after the worker was replaced, wasm vs reference: relative difference ${d}`);
  return `  cross-origin isolated, worker crash: worker 1 died in run ${c.attempts} ("${c.message.slice(0, 80)}"), replaced; ${c.threadsAfter} threads after, rel. diff ${d.toExponential(1)}`;
}

/** Runs both variants; resolves with their summary lines, throws on the first failed check. */
export async function checkKernelsInBrowser(o: KernelsOptions): Promise<string[]> {
  const m = checkModel();
  const nodeRun = await runGraph(m.graph, m.weights, [m.input], { seed: SEED, backends: [referenceBackend] });
  if (nodeRun.status !== 'ok') throw new Error(`the check graph did not run in Node: ${nodeRun.message ?? nodeRun.status}`);
  const nodeRef = Array.from(nodeRun.outputs[0]!.data);

  const log = join(o.dir, 'kernels-browser.log');
  const { ctx } = await launchChromium(join(o.dir, 'kernels'), o.env);
  const lines: string[] = [];
  try {
    for (const isolated of [true, false]) {
      const server = await serve(isolated);
      const page = await ctx.newPage();
      page.on('console', (msg) => appendFileSync(log, `[${isolated ? 'isolated' : 'plain'}] ${msg.type()}: ${msg.text()}\n`));
      page.on('pageerror', (err) => appendFileSync(log, `[${isolated ? 'isolated' : 'plain'}] page error: ${err.message}\n`));
      try {
        await page.goto(server.base);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no reply from the kernel worker within ${REPLY_TIMEOUT_MS / 1000} s (page console: ${log})`)), REPLY_TIMEOUT_MS);
        });
        const reply = (await Promise.race([page.evaluate('window.kernelsReply'), timeout]).finally(() => clearTimeout(timer))) as KernelsReply;
        if (!reply.ok) throw new Error(`${isolated ? 'cross-origin isolated' : 'not isolated'}: ${reply.error}`);
        for (const r of reply.runs) lines.push(verify(r, isolated, nodeRef));
        if (isolated) lines.push(verifyCrash(reply.workerCrash, nodeRef));
        else if (reply.workerCrash) throw new Error('not isolated: the worker ran the worker-crash probe without a worker pool');
      } finally {
        await page.close();
        await server.close();
      }
    }
  } finally {
    await ctx.close();
  }
  return lines;
}
