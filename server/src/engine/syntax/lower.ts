// Lowers the copied tree-sitter tree into the engine's AST (ast.ts). Never throws on user code:
// tree-sitter ERROR/MISSING nodes become syntax problems plus 'error' nodes the interpreter treats
// as unknown values, so everything that parses is still analysed.
import type { Arg, ClassDef, CompFor, DictItem, Expr, FunctionDef, Param, PyModule, Range, Stmt, SyntaxProblem } from './ast';
import type { RawNode } from './parser';

export function lowerModule(root: RawNode, src: string): PyModule {
  return new Lowerer(src).module(root);
}

/** The statements, comments and syntax problems of some top-level nodes (incremental parsing). */
export function lowerTopLevel(root: RawNode, src: string): Omit<PyModule, 'lineCount'> {
  return new Lowerer(src).statements(root);
}

export function countLines(src: string): number {
  let lineCount = 1;
  for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) lineCount++;
  return lineCount;
}

const rangeOf = (n: RawNode): Range => ({ sl: n.sl, sc: n.sc, el: n.el, ec: n.ec });

class Lowerer {
  private errors: SyntaxProblem[] = [];
  private comments = new Map<number, string>();
  constructor(private src: string) {}

  module(root: RawNode): PyModule {
    return { ...this.statements(root), lineCount: countLines(this.src) };
  }

  statements(root: RawNode): Omit<PyModule, 'lineCount'> {
    this.scanProblems(root);
    return { body: this.block(root.kids), comments: this.comments, errors: this.errors };
  }

  private text(n: RawNode): string {
    return this.src.slice(n.si, n.ei);
  }

  /** Records every ERROR/MISSING node (first few per file are enough for a user) and every comment. */
  private scanProblems(root: RawNode): void {
    const stack = [root];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === 'comment') {
        this.comments.set(n.sl, this.text(n).replace(/^#/, ''));
        continue;
      }
      if (n.type === 'ERROR') {
        const t = this.text(n).split('\n')[0]!.trim();
        this.errors.push({ r: rangeOf(n), message: `Syntax error: cannot parse '${t.length > 40 ? t.slice(0, 40) + '…' : t}'` });
      } else if (n.missing) {
        this.errors.push({ r: rangeOf(n), message: `Syntax error: missing '${n.type}'` });
      }
      for (let i = n.kids.length - 1; i >= 0; i--) stack.push(n.kids[i]!);
    }
    this.errors.sort((a, b) => a.r.sl - b.r.sl || a.r.sc - b.r.sc);
  }

  /** The operator token of an operator node (anonymous tokens carry their text as their type). */
  private op(n: RawNode): string {
    return n.kids.find((k) => !k.named && k.type !== ':')?.type ?? '+';
  }

  private named(n: RawNode): RawNode[] {
    return n.kids.filter((k) => k.named && k.type !== 'comment');
  }
  private field(n: RawNode, f: string): RawNode | null {
    for (const k of n.kids) if (k.field === f) return k;
    return null;
  }
  private fields(n: RawNode, f: string): RawNode[] {
    return n.kids.filter((k) => k.field === f);
  }

  // ---------------------------------------------------------------- statements

  private block(kids: RawNode[]): Stmt[] {
    const out: Stmt[] = [];
    for (const k of kids) {
      if (!k.named || k.type === 'comment') continue;
      this.stmt(k, out);
    }
    return out;
  }

  private body(n: RawNode | null): Stmt[] {
    if (!n) return [];
    if (n.type === 'block') return this.block(n.kids);
    const out: Stmt[] = [];
    this.stmt(n, out);
    return out;
  }

  private stmt(n: RawNode, out: Stmt[]): void {
    const r = rangeOf(n);
    switch (n.type) {
      case 'expression_statement': {
        for (const e of this.named(n)) {
          if (e.type === 'assignment') out.push(this.assignment(e));
          else if (e.type === 'augmented_assignment') {
            out.push({ k: 'aug', r, target: this.expr(this.field(e, 'left')), op: this.op(e).slice(0, -1), value: this.expr(this.field(e, 'right')) });
          } else out.push({ k: 'expr', r: rangeOf(e), e: this.expr(e) });
        }
        return;
      }
      case 'return_statement': {
        const v = this.named(n);
        out.push({ k: 'return', r, value: v.length ? this.exprOrTuple(v) : null });
        return;
      }
      case 'pass_statement':
        out.push({ k: 'pass', r });
        return;
      case 'break_statement':
        out.push({ k: 'break', r });
        return;
      case 'continue_statement':
        out.push({ k: 'continue', r });
        return;
      case 'if_statement': {
        // Lower elif chains into nested ifs.
        const cond = this.expr(this.field(n, 'condition'));
        const body = this.body(this.field(n, 'consequence'));
        const alts = this.fields(n, 'alternative');
        let orelse: Stmt[] = [];
        for (let i = alts.length - 1; i >= 0; i--) {
          const a = alts[i]!;
          if (a.type === 'else_clause') orelse = this.body(this.field(a, 'body'));
          else orelse = [{ k: 'if', r: rangeOf(a), cond: this.expr(this.field(a, 'condition')), body: this.body(this.field(a, 'consequence')), orelse }];
        }
        out.push({ k: 'if', r, cond, body, orelse });
        return;
      }
      case 'for_statement': {
        const alt = this.field(n, 'alternative');
        out.push({ k: 'for', r, target: this.expr(this.field(n, 'left')), iter: this.exprOrTupleNode(this.field(n, 'right')), body: this.body(this.field(n, 'body')), orelse: alt ? this.body(this.field(alt, 'body')) : [] });
        return;
      }
      case 'while_statement': {
        const alt = this.field(n, 'alternative');
        out.push({ k: 'while', r, cond: this.expr(this.field(n, 'condition')), body: this.body(this.field(n, 'body')), orelse: alt ? this.body(this.field(alt, 'body')) : [] });
        return;
      }
      case 'function_definition':
        out.push(this.funcDef(n, []));
        return;
      case 'class_definition':
        out.push(this.classDef(n, []));
        return;
      case 'decorated_definition': {
        const decos = n.kids.filter((k) => k.type === 'decorator').map((d) => this.expr(this.named(d)[0] ?? null));
        const def = this.field(n, 'definition');
        if (def?.type === 'function_definition') out.push(this.funcDef(def, decos));
        else if (def?.type === 'class_definition') out.push(this.classDef(def, decos));
        return;
      }
      case 'import_statement': {
        const names = this.fields(n, 'name').map((x) => this.importName(x));
        out.push({ k: 'import', r, names: names.map((x) => ({ module: x.name, alias: x.alias })) });
        return;
      }
      case 'import_from_statement': {
        const modNode = this.field(n, 'module_name');
        let module = '';
        let level = 0;
        if (modNode) {
          if (modNode.type === 'relative_import') {
            const t = this.text(modNode);
            level = t.length - t.replace(/^\.+/, '').length;
            module = t.replace(/^\.+/, '');
          } else module = this.text(modNode);
        }
        const names = this.fields(n, 'name').map((x) => this.importName(x));
        if (n.kids.some((k) => k.type === 'wildcard_import')) names.push({ name: '*', alias: null });
        out.push({ k: 'from', r, module, level, names });
        return;
      }
      case 'with_statement': {
        const items: { ctx: Expr; target: Expr | null }[] = [];
        const clause = n.kids.find((k) => k.type === 'with_clause');
        for (const it of clause ? this.named(clause) : []) {
          const v = this.field(it, 'value') ?? this.named(it)[0] ?? null;
          if (v && v.type === 'as_pattern') {
            const t = this.field(v, 'alias');
            items.push({ ctx: this.expr(this.named(v)[0] ?? null), target: t ? this.expr(this.named(t)[0] ?? t) : null });
          } else items.push({ ctx: this.expr(v), target: null });
        }
        out.push({ k: 'with', r, items, body: this.body(this.field(n, 'body')) });
        return;
      }
      case 'try_statement': {
        const handlers: { type: Expr | null; name: string | null; body: Stmt[] }[] = [];
        let orelse: Stmt[] = [];
        let fin: Stmt[] = [];
        for (const k of n.kids) {
          if (k.type === 'except_clause' || k.type === 'except_group_clause') {
            const parts = this.named(k).filter((x) => x.type !== 'block');
            let type: Expr | null = null;
            let name: string | null = null;
            if (parts[0]?.type === 'as_pattern') {
              type = this.expr(this.named(parts[0])[0] ?? null);
              const alias = this.field(parts[0], 'alias');
              name = alias ? this.text(alias) : null;
            } else if (parts[0]) {
              type = this.expr(parts[0]);
              if (parts[1]) name = this.text(parts[1]);
            }
            handlers.push({ type, name, body: this.body(k.kids.find((x) => x.type === 'block') ?? null) });
          } else if (k.type === 'else_clause') orelse = this.body(this.field(k, 'body'));
          else if (k.type === 'finally_clause') fin = this.body(k.kids.find((x) => x.type === 'block') ?? null);
        }
        out.push({ k: 'try', r, body: this.body(this.field(n, 'body')), handlers, orelse, fin });
        return;
      }
      case 'raise_statement': {
        const v = this.named(n);
        out.push({ k: 'raise', r, exc: v.length ? this.expr(v[0]!) : null });
        return;
      }
      case 'assert_statement': {
        const v = this.named(n);
        out.push({ k: 'assert', r, test: this.expr(v[0] ?? null), msg: v[1] ? this.expr(v[1]) : null });
        return;
      }
      case 'global_statement':
      case 'nonlocal_statement':
        out.push({ k: 'global', r, names: this.named(n).map((x) => this.text(x)) });
        return;
      case 'delete_statement':
        out.push({ k: 'del', r, targets: this.named(n).map((x) => this.expr(x)) });
        return;
      case 'block':
        out.push(...this.block(n.kids));
        return;
      case 'ERROR': {
        // Statements tree-sitter could place inside an ERROR node are still worth running
        // (a half-typed line must not hide the rest of __init__).
        for (const k of n.kids) if (k.named && isStatementType(k.type)) this.stmt(k, out);
        return;
      }
      case 'future_import_statement':
      case 'type_alias_statement':
      case 'print_statement':
      case 'exec_statement':
        return;
      default:
        if (isExpressionType(n.type)) out.push({ k: 'expr', r, e: this.expr(n) });
        else out.push({ k: 'error', r, what: n.type });
    }
  }

  private importName(n: RawNode): { name: string; alias: string | null } {
    if (n.type === 'aliased_import') {
      const a = this.field(n, 'alias');
      return { name: this.text(this.field(n, 'name') ?? n), alias: a ? this.text(a) : null };
    }
    return { name: this.text(n), alias: null };
  }

  private assignment(n: RawNode): Stmt {
    const r = rangeOf(n);
    const targets: Expr[] = [];
    let cur: RawNode | null = n;
    // a = b = value: tree-sitter nests assignments on the right.
    for (;;) {
      const left = this.field(cur, 'left');
      const right: RawNode | null = this.field(cur, 'right');
      const type = this.field(cur, 'type');
      targets.push(this.exprOrTupleNode(left));
      if (type && !right) return { k: 'ann', r, target: targets[0]!, annotation: this.expr(type), value: null };
      if (type) return { k: 'ann', r, target: targets[0]!, annotation: this.expr(type), value: this.exprOrTupleNode(right) };
      if (right && right.type === 'assignment') {
        cur = right;
        continue;
      }
      return { k: 'assign', r, targets, value: this.exprOrTupleNode(right) };
    }
  }

  private funcDef(n: RawNode, decorators: Expr[]): FunctionDef {
    const nameN = this.field(n, 'name');
    return {
      k: 'def',
      r: rangeOf(n),
      name: nameN ? this.text(nameN) : '<missing>',
      nameR: nameN ? rangeOf(nameN) : rangeOf(n),
      params: this.params(this.field(n, 'parameters')),
      body: this.body(this.field(n, 'body')),
      decorators,
    };
  }

  private classDef(n: RawNode, decorators: Expr[]): ClassDef {
    const nameN = this.field(n, 'name');
    const sup = this.field(n, 'superclasses');
    return {
      k: 'class',
      r: rangeOf(n),
      name: nameN ? this.text(nameN) : '<missing>',
      nameR: nameN ? rangeOf(nameN) : rangeOf(n),
      bases: sup ? this.args(sup) : [],
      body: this.body(this.field(n, 'body')),
      decorators,
    };
  }

  private params(n: RawNode | null): Param[] {
    if (!n) return [];
    const out: Param[] = [];
    for (const p of this.named(n)) {
      const r = rangeOf(p);
      switch (p.type) {
        case 'identifier':
          out.push({ name: this.text(p), kind: 'normal', dflt: null, annotation: null, r });
          break;
        case 'default_parameter':
        case 'typed_default_parameter':
          out.push({ name: this.text(this.field(p, 'name')!), kind: 'normal', dflt: this.expr(this.field(p, 'value')), annotation: this.optExpr(this.field(p, 'type')), r });
          break;
        case 'typed_parameter': {
          const inner = this.named(p)[0]!;
          const ann = this.optExpr(this.field(p, 'type'));
          if (inner.type === 'list_splat_pattern') out.push({ name: this.text(this.named(inner)[0]!), kind: 'varargs', dflt: null, annotation: ann, r });
          else if (inner.type === 'dictionary_splat_pattern') out.push({ name: this.text(this.named(inner)[0]!), kind: 'varkw', dflt: null, annotation: ann, r });
          else out.push({ name: this.text(inner), kind: 'normal', dflt: null, annotation: ann, r });
          break;
        }
        case 'list_splat_pattern':
          out.push({ name: this.text(this.named(p)[0]!), kind: 'varargs', dflt: null, annotation: null, r });
          break;
        case 'dictionary_splat_pattern':
          out.push({ name: this.text(this.named(p)[0]!), kind: 'varkw', dflt: null, annotation: null, r });
          break;
        case 'keyword_separator':
          out.push({ name: '*', kind: 'kwonlyMarker', dflt: null, annotation: null, r });
          break;
        default:
          break; // positional_separator and errors
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- expressions

  private optExpr(n: RawNode | null): Expr | null {
    return n ? this.expr(n) : null;
  }

  /** `return a, b` and `for x in a, b` give several named children: a tuple. */
  private exprOrTuple(ns: RawNode[]): Expr {
    if (ns.length === 1) return this.expr(ns[0]!);
    const r = { sl: ns[0]!.sl, sc: ns[0]!.sc, el: ns[ns.length - 1]!.el, ec: ns[ns.length - 1]!.ec };
    return { k: 'tuple', r, elts: ns.map((x) => this.expr(x)) };
  }
  private exprOrTupleNode(n: RawNode | null): Expr {
    return this.expr(n);
  }

  private args(n: RawNode): Arg[] {
    const out: Arg[] = [];
    for (const a of this.named(n)) {
      if (a.type === 'keyword_argument') {
        out.push({ kind: 'kw', name: this.text(this.field(a, 'name')!), value: this.expr(this.field(a, 'value')) });
      } else if (a.type === 'list_splat') out.push({ kind: 'star', value: this.expr(this.named(a)[0] ?? null) });
      else if (a.type === 'dictionary_splat') out.push({ kind: 'dstar', value: this.expr(this.named(a)[0] ?? null) });
      else out.push({ kind: 'pos', value: this.expr(a) });
    }
    return out;
  }

  expr(n: RawNode | null): Expr {
    if (!n) return { k: 'error', r: { sl: 0, sc: 0, el: 0, ec: 0 }, what: 'missing expression' };
    const r = rangeOf(n);
    if (n.missing) return { k: 'error', r, what: `missing ${n.type}` };
    switch (n.type) {
      case 'identifier':
        return { k: 'name', r, id: this.text(n) };
      case 'integer': {
        const t = this.text(n).replace(/_/g, '').replace(/[lL]$/, '');
        const v = /^0[xX]/.test(t) ? parseInt(t.slice(2), 16) : /^0[oO]/.test(t) ? parseInt(t.slice(2), 8) : /^0[bB]/.test(t) ? parseInt(t.slice(2), 2) : /[jJ]$/.test(t) ? NaN : parseInt(t, 10);
        return { k: 'num', r, v, int: true };
      }
      case 'float':
        return { k: 'num', r, v: parseFloat(this.text(n).replace(/_/g, '')), int: false };
      case 'true':
        return { k: 'const', r, v: true };
      case 'false':
        return { k: 'const', r, v: false };
      case 'none':
        return { k: 'const', r, v: null };
      case 'ellipsis':
        return { k: 'const', r, v: 'ellipsis' };
      case 'string':
        return this.string(n);
      case 'concatenated_string': {
        const parts = this.named(n).map((s) => this.string(s));
        if (parts.every((p) => p.k === 'str')) return { k: 'str', r, v: parts.map((p) => (p as { v: string }).v).join('') };
        const all: (string | { e: Expr; spec: string })[] = [];
        for (const p of parts) {
          if (p.k === 'str') all.push(p.v);
          else if (p.k === 'fstr') all.push(...p.parts);
        }
        return { k: 'fstr', r, parts: all };
      }
      case 'attribute': {
        const a = this.field(n, 'attribute');
        return { k: 'attr', r, obj: this.expr(this.field(n, 'object')), name: a ? this.text(a) : '', nameR: a ? rangeOf(a) : r };
      }
      case 'call': {
        const argsN = this.field(n, 'arguments');
        let args: Arg[] = [];
        if (argsN?.type === 'argument_list') args = this.args(argsN);
        else if (argsN?.type === 'generator_expression') args = [{ kind: 'pos', value: this.expr(argsN) }];
        return { k: 'call', r, fn: this.expr(this.field(n, 'function')), args };
      }
      case 'subscript': {
        const subs = this.fields(n, 'subscript').map((s) => this.expr(s));
        const index: Expr = subs.length === 1 ? subs[0]! : { k: 'tuple', r, elts: subs };
        return { k: 'sub', r, obj: this.expr(this.field(n, 'value')), index };
      }
      case 'slice': {
        // Children: [lo] ':' [hi] [':' [step]]
        const parts: (Expr | null)[] = [null, null, null];
        let i = 0;
        for (const k of n.kids) {
          if (k.type === ':') i++;
          else if (k.named && k.type !== 'comment') parts[i] = this.expr(k);
        }
        return { k: 'slice', r, lo: parts[0]!, hi: parts[1]!, step: parts[2]! };
      }
      case 'binary_operator':
        return { k: 'bin', r, op: this.op(n), l: this.expr(this.field(n, 'left')), rt: this.expr(this.field(n, 'right')) };
      case 'unary_operator':
        return { k: 'un', r, op: this.op(n), e: this.expr(this.field(n, 'argument')) };
      case 'not_operator':
        return { k: 'not', r, e: this.expr(this.field(n, 'argument')) };
      case 'boolean_operator':
        return { k: 'bool', r, op: this.op(n) as 'and' | 'or', l: this.expr(this.field(n, 'left')), rt: this.expr(this.field(n, 'right')) };
      case 'comparison_operator': {
        const operands = this.named(n);
        const ops: string[] = [];
        let pending = '';
        for (const k of n.kids) {
          if (k.named) {
            if (pending) ops.push(pending.trim());
            pending = '';
          } else pending += ' ' + k.type;
        }
        return { k: 'cmp', r, first: this.expr(operands[0] ?? null), ops: ops.map((o) => o.replace(/\s+/g, ' ')), rest: operands.slice(1).map((x) => this.expr(x)) };
      }
      case 'conditional_expression': {
        const [a, cond, b] = this.named(n);
        return { k: 'ifexp', r, cond: this.expr(cond ?? null), a: this.expr(a ?? null), b: this.expr(b ?? null) };
      }
      case 'parenthesized_expression': {
        const inner = this.named(n);
        return this.expr(inner[0] ?? null);
      }
      case 'list':
        return { k: 'list', r, elts: this.named(n).map((x) => this.expr(x)) };
      case 'set':
        return { k: 'set', r, elts: this.named(n).map((x) => this.expr(x)) };
      case 'tuple':
      case 'expression_list':
      case 'pattern_list':
      case 'tuple_pattern':
        return { k: 'tuple', r, elts: this.named(n).map((x) => this.expr(x)) };
      case 'list_pattern':
        return { k: 'list', r, elts: this.named(n).map((x) => this.expr(x)) };
      case 'list_splat':
      case 'list_splat_pattern':
        return { k: 'star', r, e: this.expr(this.named(n)[0] ?? null) };
      case 'dictionary': {
        const items: DictItem[] = [];
        for (const p of this.named(n)) {
          if (p.type === 'pair') items.push({ key: this.expr(this.field(p, 'key')), value: this.expr(this.field(p, 'value')) });
          else if (p.type === 'dictionary_splat') items.push({ spread: this.expr(this.named(p)[0] ?? null) });
        }
        return { k: 'dict', r, items };
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension': {
        const bodyN = this.field(n, 'body');
        const kind = n.type === 'list_comprehension' ? 'list' : n.type === 'set_comprehension' ? 'set' : n.type === 'generator_expression' ? 'gen' : 'dict';
        const gens: CompFor[] = [];
        for (const k of this.named(n)) {
          if (k.type === 'for_in_clause') {
            const rights = this.fields(k, 'right');
            gens.push({ target: this.expr(this.field(k, 'left')), iter: rights.length > 1 ? this.exprOrTuple(rights) : this.expr(rights[0] ?? null), ifs: [] });
          } else if (k.type === 'if_clause' && gens.length) gens[gens.length - 1]!.ifs.push(this.expr(this.named(k)[0] ?? null));
        }
        if (kind === 'dict' && bodyN?.type === 'pair') {
          return { k: 'comp', r, kind, elt: this.expr(this.field(bodyN, 'key')), val: this.expr(this.field(bodyN, 'value')), gens };
        }
        return { k: 'comp', r, kind, elt: this.expr(bodyN), val: null, gens };
      }
      case 'lambda': {
        return { k: 'lambda', r, params: this.params(this.field(n, 'parameters')), body: this.expr(this.field(n, 'body')) };
      }
      case 'named_expression':
        return { k: 'walrus', r, target: this.text(this.field(n, 'name')!), value: this.expr(this.field(n, 'value')) };
      case 'keyword_identifier':
        return { k: 'name', r, id: this.text(n) };
      case 'generic_type': {
        // `Float[Tensor, "b 3 H W"]` in an annotation: tree-sitter's generic type, read as a subscript.
        const [head, params] = this.named(n);
        const elts = params ? this.named(params).map((x) => this.expr(x)) : [];
        return { k: 'sub', r, obj: this.expr(head ?? null), index: elts.length === 1 ? elts[0]! : { k: 'tuple', r, elts } };
      }
      case 'await':
      case 'type': // an annotation wraps its expression in a `type` node
        return this.expr(this.named(n)[0] ?? null);
      default:
        return { k: 'error', r, what: n.type };
    }
  }

  private string(n: RawNode): Expr {
    const r = rangeOf(n);
    if (n.type !== 'string') return this.expr(n);
    const start = n.kids.find((k) => k.type === 'string_start');
    const prefix = start ? this.text(start).toLowerCase() : '';
    const raw = prefix.includes('r');
    const isF = prefix.includes('f');
    const parts: (string | { e: Expr; spec: string })[] = [];
    for (const k of n.kids) {
      if (k.type === 'string_content') parts.push(raw ? this.text(k) : unescape(this.text(k)));
      else if (k.type === 'escape_sequence') parts.push(raw ? this.text(k) : unescape(this.text(k)));
      else if (k.type === 'interpolation') {
        const e = this.field(k, 'expression') ?? this.named(k)[0] ?? null;
        const spec = k.kids.find((x) => x.type === 'format_specifier');
        parts.push({ e: this.expr(e), spec: spec ? this.text(spec).replace(/^:/, '') : '' });
      }
    }
    if (!isF || parts.every((p) => typeof p === 'string')) return { k: 'str', r, v: parts.join('') };
    return { k: 'fstr', r, parts };
  }
}

function unescape(s: string): string {
  return s.replace(/\\(n|t|r|\\|'|"|\n)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '\n' ? '' : c));
}

const STATEMENT_TYPES = new Set([
  'expression_statement', 'return_statement', 'pass_statement', 'break_statement', 'continue_statement', 'if_statement',
  'for_statement', 'while_statement', 'function_definition', 'class_definition', 'decorated_definition', 'import_statement',
  'import_from_statement', 'with_statement', 'try_statement', 'raise_statement', 'assert_statement', 'global_statement',
  'nonlocal_statement', 'delete_statement', 'block',
]);
function isStatementType(t: string): boolean {
  return STATEMENT_TYPES.has(t);
}
function isExpressionType(t: string): boolean {
  return !STATEMENT_TYPES.has(t) && t !== 'ERROR' && t !== 'comment';
}
