// Loads the user's own Python modules that a model file imports (relative and absolute imports of
// files in the project, packages and their __init__.py re-exports) into the same interpreter.
// Each file is parsed and run once per analysis; an import cycle sees the partly filled module,
// as in Python.
import type { PyModule, Range } from '../syntax/ast';
import { parseModule } from '../syntax/module';
import { Namespace, type Value } from '../interp/values';
import type { Interp } from '../interp/interpreter';
import { dirOf, joinPath, type SourceHost } from './host';

/** Lowered files by path, reused across analyses while their text is unchanged. */
const astCache = new Map<string, { text: string; mod: PyModule }>();
const MAX_CACHE = 500;

function lowered(path: string, text: string): PyModule {
  const hit = astCache.get(path);
  if (hit && hit.text === text) return hit.mod;
  const mod = parseModule(text);
  if (astCache.size >= MAX_CACHE) astCache.delete(astCache.keys().next().value!);
  astCache.set(path, { text, mod });
  return mod;
}

export class UserModules {
  /** Loaded (or loading) modules by file path. */
  private readonly byPath = new Map<string, Namespace>();
  constructor(
    private readonly ip: Interp,
    private readonly host: SourceHost,
  ) {}

  /** Files of a dotted module under a base directory: `a/b.py`, `a/b/__init__.py`, or a bare package dir. */
  private locate(base: string, dotted: string): { file: string | null; dir: string | null } | null {
    const rel = dotted.split('.').join('/');
    const asFile = joinPath(base, rel + '.py');
    if (this.host.read(asFile) !== null) return { file: asFile, dir: null };
    const pkgDir = joinPath(base, rel);
    const init = joinPath(pkgDir, '__init__.py');
    if (this.host.read(init) !== null) return { file: init, dir: pkgDir };
    if (this.host.isDir(pkgDir)) return { file: null, dir: pkgDir };
    return null;
  }

  /**
   * Resolves `import dotted` (level 0) or `from ...dotted import` (level > 0) from the file being
   * run. Returns null when no project file matches.
   */
  load(dotted: string, level: number, site: Range): Namespace | null {
    const from = this.ip.curFile;
    let bases: string[];
    if (level > 0) {
      let d = dirOf(from);
      for (let i = 1; i < level; i++) d = dirOf(d);
      bases = [d];
    } else bases = this.host.searchRoots(from);
    for (const base of bases) {
      if (!dotted) return this.loadFile(joinPath(base, '__init__.py'), base, site, '.');
      // Load each package on the way, so `import a.b` also makes `a.b` an attribute of `a`.
      const parts = dotted.split('.');
      let parent: Namespace | null = null;
      let found: Namespace | null = null;
      for (let i = 1; i <= parts.length; i++) {
        const loc = this.locate(base, parts.slice(0, i).join('.'));
        if (!loc) {
          found = null;
          break;
        }
        const ns = loc.file ? this.loadFile(loc.file, loc.dir, site, parts.slice(0, i).join('.')) : this.packageDir(loc.dir!, parts.slice(0, i).join('.'));
        if (parent && !parent.members.has(parts[i - 1]!)) parent.members.set(parts[i - 1]!, ns);
        parent = ns;
        found = ns;
      }
      if (found) return found;
    }
    return null;
  }

  private packageDir(dir: string, name: string): Namespace {
    const key = dir + '/';
    let ns = this.byPath.get(key);
    if (!ns) this.byPath.set(key, (ns = new Namespace(name, new Map<string, Value>())));
    return ns;
  }

  private loadFile(path: string, pkgDir: string | null, site: Range, name: string): Namespace {
    const known = this.byPath.get(path);
    if (known) return known;
    const text = this.host.read(path) ?? '';
    const ns = new Namespace(name, new Map<string, Value>());
    this.byPath.set(path, ns);
    const mod = lowered(path, text);
    const problems = this.ip.runImported(mod, path, ns.members);
    if (problems.length) {
      this.ip.report(site, 'information', 'import-problem', `Importing ${name} (${path}): ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`);
    }
    return ns;
  }
}
