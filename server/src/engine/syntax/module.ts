// Source text to the engine's AST in one call: tree-sitter parse, copy, lower (the tree is freed).
import type { PyModule } from './ast';
import { copyTree, parseTree } from './parser';
import { lowerModule } from './lower';

export function parseModule(text: string): PyModule {
  const tree = parseTree(text);
  try {
    return lowerModule(copyTree(tree, text), text);
  } finally {
    tree.delete();
  }
}
