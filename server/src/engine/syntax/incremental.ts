// Parses successive versions of one file cheaply: tree-sitter reparses incrementally from the
// previous tree (the edit is found by comparing the texts), and a top-level statement whose text
// and starting line are unchanged keeps its lowered AST, so only the statements an edit touched are
// copied out of wasm and lowered again. A version with syntax errors is parsed in full.
import type { Tree } from 'web-tree-sitter';
import type { PyModule, Stmt, SyntaxProblem } from './ast';
import { copyTree, parseTree, type RawNode } from './parser';
import { countLines, lowerModule, lowerTopLevel } from './lower';

interface Piece {
  body: Stmt[];
  comments: [number, string][];
  errors: SyntaxProblem[];
}

/** Row and column (UTF-16 units, as tree-sitter's JS binding counts them) of an offset. */
function point(text: string, offset: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

export class IncrementalParser {
  private text = '';
  private tree: Tree | null = null;
  /** Lowered top-level statements by `startRow:text`. */
  private pieces = new Map<string, Piece>();
  /** How many top-level statements the last parse reused (for tests and the benchmark). */
  reused = 0;

  parse(text: string): PyModule {
    const old = this.tree;
    let tree: Tree;
    if (old && !old.rootNode.hasError) {
      // One edit covering everything between the common prefix and the common suffix.
      const a = this.text;
      let start = 0;
      const max = Math.min(a.length, text.length);
      while (start < max && a.charCodeAt(start) === text.charCodeAt(start)) start++;
      let endA = a.length;
      let endB = text.length;
      while (endA > start && endB > start && a.charCodeAt(endA - 1) === text.charCodeAt(endB - 1)) {
        endA--;
        endB--;
      }
      old.edit({
        startIndex: start,
        oldEndIndex: endA,
        newEndIndex: endB,
        startPosition: point(a, start),
        oldEndPosition: point(a, endA),
        newEndPosition: point(text, endB),
      });
      tree = parseTree(text, old);
    } else tree = parseTree(text);
    old?.delete();
    this.tree = tree;
    this.text = text;
    this.reused = 0;
    const root = tree.rootNode;
    if (root.hasError) {
      this.pieces.clear();
      return lowerModule(copyTree(tree, text), text);
    }
    const next = new Map<string, Piece>();
    const body: Stmt[] = [];
    const comments = new Map<number, string>();
    const errors: SyntaxProblem[] = [];
    for (let i = 0, n = root.childCount; i < n; i++) {
      const child = root.child(i)!;
      const key = `${child.startPosition.row}:${text.slice(child.startIndex, child.endIndex)}`;
      let piece = this.pieces.get(key) ?? next.get(key);
      if (piece) this.reused++;
      else {
        const raw: RawNode = { ...copyTree(tree, text, child) };
        const wrapper: RawNode = { type: 'module', field: null, named: true, missing: false, si: raw.si, ei: raw.ei, sl: raw.sl, sc: raw.sc, el: raw.el, ec: raw.ec, kids: [raw] };
        const low = lowerTopLevel(wrapper, text);
        piece = { body: low.body, comments: [...low.comments], errors: low.errors };
      }
      next.set(key, piece);
      body.push(...piece.body);
      for (const [l, c] of piece.comments) comments.set(l, c);
      errors.push(...piece.errors);
    }
    this.pieces = next;
    return { body, comments, errors, lineCount: countLines(text) };
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = null;
    this.pieces.clear();
  }
}
