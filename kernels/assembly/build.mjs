// Compiles the AssemblyScript kernels (kernels/assembly) into the four .wasm variants under out/kernels/:
// {SIMD128, relaxed SIMD} x {shared memory for the worker pool, plain memory where SharedArrayBuffer is
// unavailable}. Skipped when every output is newer than every source. Called by esbuild.mjs.
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** File names the loaders in kernels/src/node and kernels/src/web look for. */
export const VARIANTS = {
  'kernels-simd128-shared.wasm': ['simd', 'threads'],
  'kernels-relaxed-shared.wasm': ['simd', 'threads', 'relaxed-simd'],
  'kernels-simd128-local.wasm': ['simd'],
  'kernels-relaxed-local.wasm': ['simd', 'relaxed-simd'],
};

function newestSource() {
  const files = [join(root, 'kernels', 'src', 'wasm', 'layout.ts'), ...readdirSync(here).map((f) => join(here, f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

export async function buildKernels(outDir = join(root, 'out', 'kernels')) {
  mkdirSync(outDir, { recursive: true });
  const newest = newestSource();
  const stale = Object.keys(VARIANTS).filter((f) => !existsSync(join(outDir, f)) || statSync(join(outDir, f)).mtimeMs < newest);
  if (stale.length === 0) return stale;
  // Loading the compiler takes a second or two: only when something is stale.
  const { default: asc } = await import('assemblyscript/asc');
  await Promise.all(stale.map(async (file) => {
    const features = VARIANTS[file];
    const shared = features.includes('threads');
    const args = [
      join(here, 'index.ts'), '-o', join(outDir, file),
      '-O3', '--noAssert', '--runtime', 'stub', '--enable', features.join(','),
      // The memory is created by the loader (one memory shared by every worker's instance).
      '--importMemory', '--initialMemory', '1', '--maximumMemory', '65536',
      ...(shared ? ['--sharedMemory'] : []),
    ];
    let errors = '';
    const { error } = await asc.main(args, { stderr: { write: (s) => { errors += s; return true; } } });
    if (error) throw new Error(`AssemblyScript build of ${file} failed: ${error.message}\n${errors}`);
  }));
  return stale;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildKernels();
  console.log(built.length ? `built ${built.join(', ')}` : 'kernels up to date');
}
