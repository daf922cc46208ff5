// The folder the editor tests open: a throwaway copy of test/e2e/workspace/ (models with shape errors
// to fix) and examples/, so a quick fix applied or saved by a test never touches the checkout.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cache';

export function prepareWorkspace(dest: string): string {
  mkdirSync(dest, { recursive: true });
  for (const src of [join(ROOT, 'examples'), join(ROOT, 'test', 'e2e', 'workspace')]) {
    for (const name of readdirSync(src)) if (name.endsWith('.py')) cpSync(join(src, name), join(dest, name));
  }
  return dest;
}
