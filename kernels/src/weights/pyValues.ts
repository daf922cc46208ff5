// The Python values the restricted unpickler builds: plain containers and inert host objects.

/**
 * Python → JS: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string, bytes → Uint8Array, list → array, tuple → PyTuple, dict/OrderedDict → PyDict,
 * set/frozenset → PySet, anything else → a `PyHost` subclass (tensors, storages, allowed globals).
 */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyHost;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  readonly items: PyValue[] = [];
}

/** An object the unpickler did not make from plain data; `pyType` is its Python type for messages. */
export abstract class PyHost {
  abstract readonly pyType: string;
}

/** A host object that BUILD may update (a tensor's Python attributes). */
export abstract class PyBuildable extends PyHost {
  abstract build(state: PyValue): void;
}

/** A dict in insertion order. Keys are hashed by value, as Python does for str/int/tuple keys. */
export class PyDict {
  private readonly entries = new Map<string, [PyValue, PyValue]>();
  /** Attributes set by BUILD on an OrderedDict (a state_dict's `_metadata`). */
  attrs: PyDict | null = null;

  constructor(readonly ordered = false) {}

  get size(): number {
    return this.entries.size;
  }

  /** Returns false for an unhashable key (list, dict, set). */
  set(key: PyValue, value: PyValue): boolean {
    const h = hashKey(key);
    if (h === undefined) return false;
    this.entries.set(h, [key, value]);
    return true;
  }

  get(key: PyValue): PyValue | undefined {
    const h = hashKey(key);
    return h === undefined ? undefined : this.entries.get(h)?.[1];
  }

  *items(): IterableIterator<[PyValue, PyValue]> {
    yield* this.entries.values();
  }
}

function hashKey(k: PyValue): string | undefined {
  if (k === null) return 'N';
  // Python: True == 1 and hash(1.0) == hash(1), so they are one key.
  if (typeof k === 'boolean') return `n${k ? 1 : 0}`;
  if (typeof k === 'number' || typeof k === 'bigint') return `n${k}`;
  if (typeof k === 'string') return `s${k}`;
  if (k instanceof Uint8Array) return `b${Array.from(k).join(',')}`;
  if (k instanceof PyTuple) {
    const parts: string[] = [];
    for (const item of k.items) {
      const h = hashKey(item);
      if (h === undefined) return undefined;
      parts.push(h);
    }
    return `t${parts.length}(${parts.join('|')})`;
  }
  // Host objects (tensors, classes) hash by identity in Python; no state dict uses them as keys.
  return undefined;
}

/** A short Python-like type name for messages. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PySet) return 'set';
  return v.pyType;
}
