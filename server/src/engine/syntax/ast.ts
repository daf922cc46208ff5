// The engine's own Python syntax tree: a small, plain-JS lowering of tree-sitter's tree that the
// interpreter walks without crossing into wasm. Every node carries its source range.

/** 0-based start/end line and UTF-16 column, end exclusive. */
export interface Range {
  sl: number;
  sc: number;
  el: number;
  ec: number;
}

export type Expr =
  | { k: 'name'; r: Range; id: string }
  | { k: 'num'; r: Range; v: number; int: boolean }
  | { k: 'str'; r: Range; v: string }
  | { k: 'fstr'; r: Range; parts: (string | { e: Expr; spec: string })[] }
  | { k: 'const'; r: Range; v: true | false | null | 'ellipsis' }
  | { k: 'attr'; r: Range; obj: Expr; name: string; nameR: Range }
  | { k: 'call'; r: Range; fn: Expr; args: Arg[] }
  | { k: 'sub'; r: Range; obj: Expr; index: Expr }
  | { k: 'slice'; r: Range; lo: Expr | null; hi: Expr | null; step: Expr | null }
  | { k: 'bin'; r: Range; op: string; l: Expr; rt: Expr }
  | { k: 'un'; r: Range; op: string; e: Expr }
  | { k: 'bool'; r: Range; op: 'and' | 'or'; l: Expr; rt: Expr }
  | { k: 'not'; r: Range; e: Expr }
  | { k: 'cmp'; r: Range; first: Expr; ops: string[]; rest: Expr[] }
  | { k: 'ifexp'; r: Range; cond: Expr; a: Expr; b: Expr }
  | { k: 'list' | 'tuple' | 'set'; r: Range; elts: Expr[] }
  | { k: 'star'; r: Range; e: Expr }
  | { k: 'dict'; r: Range; items: DictItem[] }
  | { k: 'comp'; r: Range; kind: 'list' | 'gen' | 'set' | 'dict'; elt: Expr; val: Expr | null; gens: CompFor[] }
  | { k: 'lambda'; r: Range; params: Param[]; body: Expr }
  | { k: 'walrus'; r: Range; target: string; value: Expr }
  | { k: 'error'; r: Range; what: string };

export type DictItem = { key: Expr; value: Expr } | { spread: Expr };
export interface CompFor {
  target: Expr;
  iter: Expr;
  ifs: Expr[];
}
export interface Arg {
  kind: 'pos' | 'star' | 'kw' | 'dstar';
  name?: string;
  value: Expr;
}
export interface Param {
  name: string;
  kind: 'normal' | 'varargs' | 'varkw' | 'kwonlyMarker';
  dflt: Expr | null;
  annotation: Expr | null;
  r: Range;
}

export interface FunctionDef {
  k: 'def';
  r: Range;
  name: string;
  nameR: Range;
  params: Param[];
  body: Stmt[];
  decorators: Expr[];
}
export interface ClassDef {
  k: 'class';
  r: Range;
  name: string;
  nameR: Range;
  bases: Arg[];
  body: Stmt[];
  decorators: Expr[];
}

export type Stmt =
  | { k: 'expr'; r: Range; e: Expr }
  | { k: 'assign'; r: Range; targets: Expr[]; value: Expr }
  | { k: 'aug'; r: Range; target: Expr; op: string; value: Expr }
  | { k: 'ann'; r: Range; target: Expr; annotation: Expr; value: Expr | null }
  | { k: 'if'; r: Range; cond: Expr; body: Stmt[]; orelse: Stmt[] }
  | { k: 'for'; r: Range; target: Expr; iter: Expr; body: Stmt[]; orelse: Stmt[] }
  | { k: 'while'; r: Range; cond: Expr; body: Stmt[]; orelse: Stmt[] }
  | { k: 'return'; r: Range; value: Expr | null }
  | { k: 'pass' | 'break' | 'continue'; r: Range }
  | FunctionDef
  | ClassDef
  | { k: 'import'; r: Range; names: { module: string; alias: string | null }[] }
  | { k: 'from'; r: Range; module: string; level: number; names: { name: string; alias: string | null }[] }
  | { k: 'with'; r: Range; items: { ctx: Expr; target: Expr | null }[]; body: Stmt[] }
  | { k: 'try'; r: Range; body: Stmt[]; handlers: { type: Expr | null; name: string | null; body: Stmt[] }[]; orelse: Stmt[]; fin: Stmt[] }
  | { k: 'raise'; r: Range; exc: Expr | null }
  | { k: 'assert'; r: Range; test: Expr; msg: Expr | null }
  | { k: 'global'; r: Range; names: string[] }
  | { k: 'del'; r: Range; targets: Expr[] }
  | { k: 'error'; r: Range; what: string };

export interface SyntaxProblem {
  r: Range;
  message: string;
}

export interface PyModule {
  body: Stmt[];
  /** Comment text (without '#') by 0-based line, for shape declarations like `# x: [N, 3, 32, 32]`. */
  comments: Map<number, string>;
  errors: SyntaxProblem[];
  lineCount: number;
}
