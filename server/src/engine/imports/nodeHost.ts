// The SourceHost for the CLI and the server: files on disk, optionally overlaid with editor text.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SourceHost } from './host';

const MARKERS = ['.git', 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt'];
const MAX_BYTES = 8 * 1024 * 1024;

export function nodeHost(overlay?: (path: string) => string | null): SourceHost {
  return {
    read(path) {
      const o = overlay?.(resolve(path));
      if (o !== undefined && o !== null) return o;
      try {
        const st = statSync(path);
        if (!st.isFile() || st.size > MAX_BYTES) return null;
        return new TextDecoder('utf-8', { fatal: false }).decode(readFileSync(path));
      } catch {
        return null;
      }
    },
    isDir(path) {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    },
    searchRoots(fromFile) {
      const roots: string[] = [];
      let d = dirname(resolve(fromFile));
      for (let i = 0; i < 12; i++) {
        roots.push(d);
        if (MARKERS.some((m) => existsSync(resolve(d, m)))) break;
        const up = dirname(d);
        if (up === d) break;
        d = up;
      }
      return roots;
    },
  };
}
