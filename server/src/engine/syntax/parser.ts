// Loads tree-sitter (wasm) and the Python grammar once, and turns source text into a plain-JS
// copy of the concrete syntax tree, read in one TreeCursor pass (crossing into wasm per node is slow).
import { Parser, Language, type Tree, type TreeCursor } from 'web-tree-sitter';
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

export function parserReady(): boolean {
  return parser !== null;
}

/** Parses with the loaded parser (call loadParser() first). */
export function parseTree(text: string, old?: Tree | null): Tree {
  if (!parser) throw new Error('ShapeLens: parser not loaded; await loadParser() first');
  const tree = parser.parse(text, old ?? null);
  if (!tree) throw new Error('ShapeLens: tree-sitter returned no tree');
  return tree;
}

/** Copies a tree-sitter tree into RawNodes (comments included, anonymous tokens included). */
export function copyTree(tree: Tree): RawNode {
  const c: TreeCursor = tree.walk();
  const make = (): RawNode => {
    const sp = c.startPosition;
    const ep = c.endPosition;
    return {
      type: c.nodeType,
      field: c.currentFieldName,
      named: c.nodeIsNamed,
      missing: c.nodeIsMissing,
      si: c.startIndex,
      ei: c.endIndex,
      sl: sp.row,
      sc: sp.column,
      el: ep.row,
      ec: ep.column,
      kids: [],
    };
  };
  const root = make();
  const stack: RawNode[] = [root];
  // Iterative pre-order walk: 200 levels of nesting must not blow the JS stack.
  if (c.gotoFirstChild()) {
    for (;;) {
      const n = make();
      stack[stack.length - 1]!.kids.push(n);
      if (c.gotoFirstChild()) {
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
