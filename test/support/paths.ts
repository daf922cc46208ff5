// Locations of the repository's test material, independent of where the bundled test runs from.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest ancestor of this bundle with package.json and test/fixtures. */
export const ROOT: string = (() => {
  for (let d = __dirname, i = 0; i < 6; i++, d = dirname(d)) if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'test', 'fixtures'))) return d;
  throw new Error(`cannot find the repository root above ${__dirname}`);
})();
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const CLI = join(ROOT, 'out', 'cli', 'shapelens.js');
