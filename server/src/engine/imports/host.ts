// How the engine reads other files of the user's project (for `from .blocks import BasicBlock`):
// an injected host, so the engine itself does no I/O and the server can serve unsaved editor text.

export interface SourceHost {
  /** The text of a file, or null when there is no such file. */
  read(path: string): string | null;
  /** Whether a directory exists (namespace packages have no __init__.py). */
  isDir(path: string): boolean;
  /** Directories that absolute imports are resolved from, for a file: its own, then its ancestors up to the project root. */
  searchRoots(fromFile: string): string[];
}

/** Path helpers on '/'-separated paths (the engine stays free of node:path). */
export function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : p.slice(0, i);
}
export function joinPath(...parts: string[]): string {
  return parts.filter((x) => x).join('/').replace(/\/+/g, '/');
}
