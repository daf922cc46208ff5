// A restricted pickle VM: builds plain containers and asks its host for every global and
// persistent id, so a file can only produce what the host's allowlist hands out. Nothing named by
// the file is ever looked up, constructed or called unless the host supplied it.
import { CheckpointError } from './errors';
import { PyBuildable, PyDict, PyHost, PySet, PyTuple, pyTypeName, type PyValue } from './pyValues';

export interface PickleHooks {
  /**
   * GLOBAL / STACK_GLOBAL / INST: returns the value the name stands for, or throws (typically
   * CheckpointError 'unsafe') to refuse it. Called when the name is read, before any use.
   */
  findGlobal(module: string, name: string): PyValue;
  /** BINPERSID / PERSID: resolves a persistent id (torch: a storage reference). */
  persistentLoad(pid: PyValue): PyValue;
}

/** A function or class the host allows: REDUCE, NEWOBJ, INST and OBJ call it with built arguments. */
export class PyCallable extends PyHost {
  readonly pyType = 'function';
  constructor(
    readonly qualname: string,
    readonly call: (args: readonly PyValue[]) => PyValue,
  ) {
    super();
  }
}

/** What scan mode puts wherever a global or its result would be. Never called, never inspected. */
class Opaque extends PyHost {
  readonly pyType = 'object';
}

export interface UnpickleResult {
  readonly value: PyValue;
  /** Offset just past STOP: the next pickle of a multi-pickle stream starts here. */
  readonly end: number;
}

/** Runs one pickle starting at `start`. Throws CheckpointError on bad or refused input. */
export function unpickle(bytes: Uint8Array, start: number, hooks: PickleHooks): UnpickleResult {
  return new Machine(bytes, start, hooks, false).run();
}

/**
 * Lists the globals a pickle names, in order, without resolving any: every global and every call
 * becomes an inert placeholder. Used after a refusal to explain it (a whole pickled nn.Module names
 * torch.nn.modules.* classes). Stops quietly at the first error.
 */
export function scanGlobals(bytes: Uint8Array, start: number): string[] {
  const names: string[] = [];
  const hooks: PickleHooks = {
    findGlobal: (m, n) => {
      names.push(`${m}.${n}`);
      return new Opaque();
    },
    persistentLoad: () => new Opaque(),
  };
  try {
    new Machine(bytes, start, hooks, true).run();
  } catch {
    // A partial list is still an explanation.
  }
  return names;
}

const HIGHEST_PROTOCOL = 5;

class Machine {
  private pos: number;
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private opStart = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly hooks: PickleHooks,
    private readonly scan: boolean,
  ) {
    this.pos = start;
  }

  run(): UnpickleResult {
    // Every opcode consumes at least one byte, so the loop ends within bytes.length iterations.
    for (;;) {
      this.opStart = this.pos;
      const op = this.u8();
      if (op === 0x2e) return { value: this.pop(), end: this.pos }; // STOP
      this.step(op);
    }
  }

  private step(op: number): void {
    switch (op) {
      case 0x80: { // PROTO
        const p = this.u8();
        if (p > HIGHEST_PROTOCOL) throw this.unsupported(`pickle protocol ${p}`);
        return;
      }
      case 0x95: // FRAME: a buffering hint; the frame's opcodes follow inline.
        this.take(8);
        return;
      case 0x28: // MARK
        this.metastack.push(this.stack);
        this.stack = [];
        return;
      case 0x30: // POP
        if (this.stack.length) this.stack.pop();
        else this.popMark();
        return;
      case 0x31: // POP_MARK
        this.popMark();
        return;
      case 0x32: // DUP
        this.push(this.top());
        return;
      case 0x4e: return this.push(null); // NONE
      case 0x88: return this.push(true); // NEWTRUE
      case 0x89: return this.push(false); // NEWFALSE
      case 0x49: { // INT (protocol 0): also spells booleans as 01/00
        const s = this.line();
        if (s === '01' || s === '00') return this.push(s === '01');
        return this.push(this.parseInt(s));
      }
      case 0x4c: return this.push(this.parseInt(this.line().replace(/L$/, ''))); // LONG
      case 0x4a: return this.push(this.view(4).getInt32(0, true)); // BININT
      case 0x4b: return this.push(this.u8()); // BININT1
      case 0x4d: return this.push(this.view(2).getUint16(0, true)); // BININT2
      case 0x8a: return this.push(decodeLong(this.take(this.u8()))); // LONG1
      case 0x8b: return this.push(decodeLong(this.take(this.len32()))); // LONG4
      case 0x46: { // FLOAT
        const s = this.line();
        const f = Number(s);
        if (s.trim() === '' || (Number.isNaN(f) && !/^[+-]?nan$/i.test(s))) throw this.corrupt(`bad float literal ${JSON.stringify(s)}`);
        return this.push(f);
      }
      case 0x47: return this.push(this.view(8).getFloat64(0, false)); // BINFLOAT
      case 0x53: return this.push(unquote(this.line(), () => this.corrupt('bad STRING literal'))); // STRING
      case 0x54: return this.push(utf8(this.take(this.len32()))); // BINSTRING
      case 0x55: return this.push(utf8(this.take(this.u8()))); // SHORT_BINSTRING
      case 0x56: return this.push(rawUnicodeEscape(this.line())); // UNICODE
      case 0x58: return this.push(utf8(this.take(this.len32()))); // BINUNICODE
      case 0x8c: return this.push(utf8(this.take(this.u8()))); // SHORT_BINUNICODE
      case 0x8d: return this.push(utf8(this.take(this.len64()))); // BINUNICODE8
      case 0x42: return this.push(new Uint8Array(this.take(this.len32()))); // BINBYTES
      case 0x43: return this.push(new Uint8Array(this.take(this.u8()))); // SHORT_BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        return this.push(new Uint8Array(this.take(this.len64())));
      case 0x7d: return this.push(new PyDict()); // EMPTY_DICT
      case 0x5d: return this.push([]); // EMPTY_LIST
      case 0x29: return this.push(new PyTuple([])); // EMPTY_TUPLE
      case 0x8f: return this.push(new PySet()); // EMPTY_SET
      case 0x64: { // DICT
        const items = this.popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) this.setItem(d, items[i]!, items[i + 1]!);
        return this.push(d);
      }
      case 0x6c: return this.push(this.popMark()); // LIST
      case 0x74: return this.push(new PyTuple(this.popMark())); // TUPLE
      case 0x85: return this.push(new PyTuple([this.pop()])); // TUPLE1
      case 0x86: { // TUPLE2
        const b = this.pop();
        return this.push(new PyTuple([this.pop(), b]));
      }
      case 0x87: { // TUPLE3
        const c = this.pop();
        const b = this.pop();
        return this.push(new PyTuple([this.pop(), b, c]));
      }
      case 0x90: { // ADDITEMS
        const items = this.popMark();
        const s = this.top();
        if (s instanceof PySet) s.items.push(...items);
        else if (!this.scan) throw this.corrupt(`ADDITEMS on a ${pyTypeName(s)}`);
        return;
      }
      case 0x91: { // FROZENSET
        const s = new PySet();
        s.items.push(...this.popMark());
        return this.push(s);
      }
      case 0x61: { // APPEND
        const item = this.pop();
        this.appendTo(this.top(), [item]);
        return;
      }
      case 0x65: { // APPENDS
        const items = this.popMark();
        this.appendTo(this.top(), items);
        return;
      }
      case 0x73: { // SETITEM
        const v = this.pop();
        const k = this.pop();
        this.setItemOn(this.top(), k, v);
        return;
      }
      case 0x75: { // SETITEMS
        const items = this.popMark();
        const d = this.top();
        for (let i = 0; i + 1 < items.length; i += 2) this.setItemOn(d, items[i]!, items[i + 1]!);
        return;
      }
      case 0x63: { // GLOBAL
        const module = this.line();
        const name = this.line();
        return this.push(this.hooks.findGlobal(module, name));
      }
      case 0x93: { // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw this.corrupt('STACK_GLOBAL needs two strings');
        return this.push(this.hooks.findGlobal(module, name));
      }
      case 0x69: { // INST
        const cls = this.hooks.findGlobal(this.line(), this.line());
        return this.push(this.call(cls, this.popMark()));
      }
      case 0x6f: { // OBJ
        const items = this.popMark();
        if (!items.length) throw this.corrupt('OBJ without a class');
        return this.push(this.call(items[0]!, items.slice(1)));
      }
      case 0x52: { // REDUCE
        const args = this.pop();
        const fn = this.pop();
        return this.push(this.call(fn, this.tupleItems(args, 'REDUCE')));
      }
      case 0x81: { // NEWOBJ
        const args = this.pop();
        const cls = this.pop();
        return this.push(this.call(cls, this.tupleItems(args, 'NEWOBJ')));
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        if (!this.scan && !(kwargs instanceof PyDict && kwargs.size === 0)) throw this.unsupported('NEWOBJ_EX with keyword arguments');
        return this.push(this.call(cls, this.tupleItems(args, 'NEWOBJ_EX')));
      }
      case 0x62: { // BUILD
        const state = this.pop();
        const inst = this.top();
        if (inst instanceof PyDict && state instanceof PyDict) inst.attrs = state;
        else if (inst instanceof PyBuildable) inst.build(state);
        else if (!this.scan) throw this.corrupt(`BUILD on a ${pyTypeName(inst)} (only OrderedDict and tensors take state)`);
        return;
      }
      case 0x51: return this.push(this.hooks.persistentLoad(this.pop())); // BINPERSID
      case 0x50: return this.push(this.hooks.persistentLoad(this.line())); // PERSID
      case 0x68: return this.push(this.memoGet(this.u8())); // BINGET
      case 0x6a: return this.push(this.memoGet(this.view(4).getUint32(0, true))); // LONG_BINGET
      case 0x67: return this.push(this.memoGet(this.memoIndex(this.line()))); // GET
      case 0x71: return void this.memo.set(this.u8(), this.top()); // BINPUT
      case 0x72: return void this.memo.set(this.view(4).getUint32(0, true), this.top()); // LONG_BINPUT
      case 0x70: return void this.memo.set(this.memoIndex(this.line()), this.top()); // PUT
      case 0x94: return void this.memo.set(this.memo.size, this.top()); // MEMOIZE
      case 0x82:
      case 0x83:
      case 0x84:
        // EXT1/2/4 name globals through copyreg's extension registry: no name to vet, so refuse.
        throw new CheckpointError('unsafe', `pickle uses the copyreg extension registry (opcode 0x${op.toString(16)} at byte ${this.opStart}), which can name any global; refused`);
      case 0x97:
      case 0x98:
        throw this.unsupported('out-of-band pickle buffers (protocol 5 NEXT_BUFFER)');
      default:
        throw this.corrupt(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  private call(fn: PyValue, args: readonly PyValue[]): PyValue {
    if (this.scan) return new Opaque();
    if (fn instanceof PyCallable) return fn.call(args);
    throw this.corrupt(`pickle calls a ${pyTypeName(fn)}, which is not callable`);
  }

  private appendTo(target: PyValue, items: readonly PyValue[]): void {
    if (Array.isArray(target)) target.push(...items);
    else if (!this.scan) throw this.corrupt(`APPEND to a ${pyTypeName(target)} (only lists)`);
  }

  private setItemOn(target: PyValue, k: PyValue, v: PyValue): void {
    if (target instanceof PyDict) this.setItem(target, k, v);
    else if (!this.scan) throw this.corrupt(`SETITEM on a ${pyTypeName(target)} (only dicts)`);
  }

  private setItem(d: PyDict, k: PyValue, v: PyValue): void {
    if (!d.set(k, v) && !this.scan) throw this.corrupt(`unhashable dict key of type ${pyTypeName(k)}`);
  }

  private tupleItems(v: PyValue, op: string): readonly PyValue[] {
    if (v instanceof PyTuple) return v.items;
    if (this.scan) return [];
    throw this.corrupt(`${op} arguments are a ${pyTypeName(v)}, not a tuple`);
  }

  private memoGet(i: number): PyValue {
    const v = this.memo.get(i);
    if (v === undefined) throw this.corrupt(`memo entry ${i} read before it was written`);
    return v;
  }

  private memoIndex(s: string): number {
    if (!/^\d+$/.test(s)) throw this.corrupt(`bad memo index ${JSON.stringify(s)}`);
    return Number(s);
  }

  private parseInt(s: string): number | bigint {
    if (!/^[+-]?\d+$/.test(s)) throw this.corrupt(`bad integer literal ${JSON.stringify(s)}`);
    const b = BigInt(s);
    return b >= -BigInt(Number.MAX_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private pop(): PyValue {
    if (!this.stack.length) throw this.corrupt('stack underflow');
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (!this.stack.length) throw this.corrupt('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (!prev) throw this.corrupt('no MARK to pop to');
    this.stack = prev;
    return items;
  }

  private u8(): number {
    if (this.pos >= this.bytes.length) throw this.truncated();
    return this.bytes[this.pos++]!;
  }

  private take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) throw this.truncated();
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private view(n: number): DataView {
    const b = this.take(n);
    return new DataView(b.buffer, b.byteOffset, n);
  }

  private len32(): number {
    const n = this.view(4).getInt32(0, true);
    if (n < 0) throw this.corrupt('negative length');
    return n;
  }

  private len64(): number {
    const v = this.view(8);
    // Anything past 2^53 is beyond the input anyway; take() reports it as truncation.
    return v.getUint32(0, true) + v.getUint32(4, true) * 4294967296;
  }

  private line(): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) throw this.truncated();
    const s = this.bytes.subarray(this.pos, nl);
    this.pos = nl + 1;
    return utf8(s);
  }

  private truncated(): CheckpointError {
    return new CheckpointError('truncated', `pickle ends early (opcode at byte ${this.opStart} runs past the end, ${this.bytes.length} bytes)`);
  }

  private corrupt(what: string): CheckpointError {
    return new CheckpointError('corrupt', `corrupt pickle at byte ${this.opStart}: ${what}`);
  }

  private unsupported(what: string): CheckpointError {
    return new CheckpointError('unsupported', `pickle uses ${what}, which ShapeLens does not read`);
  }
}

/** Python's decode_long: little-endian two's complement of any width. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function utf8(b: Uint8Array): string {
  return new TextDecoder('utf-8').decode(b);
}

/** A protocol-0 STRING literal: Python's repr of a str, quotes included. */
function unquote(s: string, bad: () => Error): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q) throw bad();
  const body = s.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return simple[e] ?? `\\${e}`;
  });
}

/** Protocol-0 UNICODE: raw-unicode-escape (only \uXXXX and \UXXXXXXXX are escapes). */
function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u?: string, U?: string) => {
    const cp = parseInt((u ?? U)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}
