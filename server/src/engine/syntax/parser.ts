// Loads tree-sitter (wasm) and the Python grammar once, and turns source text into a plain-JS
// copy of the concrete syntax tree, read in one TreeCursor pass (crossing into wasm per node is slow).
import { Parser, Language, type Node, type Tree, type TreeCursor } from 'web-tree-sitter';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A concrete syntax tree node, copied out of tree-sitter. */
export interface RawNode {
  type: string;
  field: string | null;
  named: boolean;
  missing: boolean;
  si: number;
  ei: number;
  sl: number;
  sc: number;
  el: number;
  ec: number;
  kids: RawNode[];
}

let parser: Parser | null = null;
let loading: Promise<Parser> | null = null;

/** Finds a wasm file shipped next to the bundle (out/) or in node_modules during development. */
function findWasm(file: string, pkg: string): string {
  const candidates: string[] = [];
  for (let d = __dirname, i = 0; i < 5; i++, d = dirname(d)) {
    candidates.push(join(d, file), join(d, 'out', file), join(d, 'node_modules', pkg, file));
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`ShapeLens: cannot find ${file} (looked beside ${__dirname}); run 'npm run build'`);
  return found;
}

/** Loads the parser once; every later call returns the same instance. */
export function loadParser(): Promise<Parser> {
  if (parser) return Promise.resolve(parser);
  if (!loading) {
    loading = (async () => {
      const runtime = findWasm('tree-sitter.wasm', 'web-tree-sitter');
      await Parser.init({ locateFile: () => runtime });
      const lang = await Language.load(findWasm('tree-sitter-python.wasm', 'tree-sitter-python'));
      const p = new Parser();
      p.setLanguage(lang);
      parser = p;
      return p;
    })();
  }
  return loading;
}


/** Parses with the loaded parser (call loadParser() first). */
export function parseTree(text: string, old?: Tree | null): Tree {
  if (!parser) throw new Error('ShapeLens: parser not loaded; await loadParser() first');
  const tree = parser.parse(text, old ?? null);
  if (!tree) throw new Error('ShapeLens: tree-sitter returned no tree');
  return tree;
}

/** Start offsets of every line, for turning UTF-16 offsets into (line, column) in JS. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const NO_KIDS: RawNode[] = [];

/** Anonymous tokens the lowering reads (operators, and ':' inside slices); the rest are skipped. */
const KEPT_TOKENS = new Set([
  '+', '-', '*', '/', '//', '%', '**', '@', '<<', '>>', '&', '|', '^', '~', '+=', '-=', '*=', '/=', '//=', '%=', '**=', '@=',
  '<<=', '>>=', '&=', '|=', '^=', '<', '>', '<=', '>=', '==', '!=', '<>', 'not', 'in', 'is', 'not in', 'is not', 'and', 'or', ':',
]);

/**
 * Copies a tree-sitter tree into RawNodes (comments included). Each cursor property is a round
 * trip into wasm, so a named node costs four reads (type id, field id, start and end offset) and an
 * anonymous token one; names, namedness and line/column are derived in JS. Trees with syntax
 * errors are copied in full, so that MISSING tokens are found wherever they are.
 */
export function copyTree(tree: Tree, text: string, from?: Node): RawNode {
  const full = tree.rootNode.hasError;
  const tokenNodes = new Map<number, RawNode | null>();
  const lang = tree.language;
  const names = lang.types;
  const fields = lang.fields;
  const namedCache = new Map<number, boolean>();
  const isNamed = (id: number): boolean => {
    let v = namedCache.get(id);
    if (v === undefined) namedCache.set(id, (v = lang.nodeTypeIsNamed(id)));
    return v;
  };
  const starts = lineStarts(text);
  let hint = 0;
  const lineOf = (off: number): number => {
    // Offsets arrive mostly in order: search forward from the last answer, else binary search.
    if (starts[hint]! <= off && (hint + 1 >= starts.length || starts[hint + 1]! > off)) return hint;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return (hint = lo);
  };
  // From a node, the cursor cannot leave its subtree: the walk below ends at the subtree's root.
  const c: TreeCursor = from ? from.walk() : tree.walk();
  /** A shared, position-less node for a kept anonymous token; null for one the lowering ignores. */
  const token = (id: number): RawNode | null => {
    let t = tokenNodes.get(id);
    if (t === undefined) {
      const type = names[id] ?? '';
      t = KEPT_TOKENS.has(type) ? { type, field: null, named: false, missing: false, si: 0, ei: 0, sl: 0, sc: 0, el: 0, ec: 0, kids: [] } : null;
      tokenNodes.set(id, t);
    }
    return t;
  };
  const make = (): RawNode | null => {
    const id = c.nodeTypeId;
    if (!full && !isNamed(id)) return token(id);
    const fid = c.currentFieldId;
    const si = c.startIndex;
    const ei = c.endIndex;
    const sl = lineOf(si);
    const el = lineOf(ei);
    return {
      type: names[id] ?? c.nodeType,
      field: fid ? (fields[fid] ?? null) : null,
      named: isNamed(id),
      missing: si === ei && c.nodeIsMissing,
      si,
      ei,
      sl,
      sc: si - starts[sl]!,
      el,
      ec: ei - starts[el]!,
      kids: NO_KIDS,
    };
  };
  const root = make()!;
  const stack: RawNode[] = [root];
  // Iterative pre-order walk: 200 levels of nesting must not blow the JS stack.
  if (c.gotoFirstChild()) {
    for (;;) {
      const n = make();
      if (n) {
        // Leaves share one empty array; a node gets its own on its first child (less garbage).
        const parent = stack[stack.length - 1]!;
        if (parent.kids === NO_KIDS) parent.kids = [n];
        else parent.kids.push(n);
      }
      if (n && n.named && c.gotoFirstChild()) {
        stack.push(n);
        continue;
      }
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent() || stack.length === 1) {
          c.delete();
          return root;
        }
        stack.pop();
      }
    }
  }
  c.delete();
  return root;
}
