// Object storage of the simulated API server: one table per resource, keyed like etcd
// ("namespace/name" or "name") so lists come out in the real key order, each object kept with
// its cached JSON. Holds the global resourceVersion counter. Pure in-memory state.
import type { WireObject } from './types.ts';

export interface StoredObject {
  obj: WireObject;
  json: string | undefined; // item JSON (no kind/apiVersion), built on first read
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

export class Table {
  private readonly items = new Map<string, StoredObject>();
  private sorted: string[] | undefined;

  get size(): number {
    return this.items.size;
  }

  get(key: string): StoredObject | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  put(key: string, obj: WireObject): void {
    if (!this.items.has(key)) this.sorted = undefined;
    this.items.set(key, { obj, json: undefined });
  }

  delete(key: string): boolean {
    const had = this.items.delete(key);
    if (had) this.sorted = undefined;
    return had;
  }

  json(entry: StoredObject): string {
    entry.json ??= JSON.stringify(entry.obj);
    return entry.json;
  }

  /** Keys in etcd order. */
  keys(): string[] {
    this.sorted ??= [...this.items.keys()].sort();
    return this.sorted;
  }

  /** Index of the first key strictly greater than `after` (or ≥ `from`). */
  lowerBound(bound: string, strict: boolean): number {
    const keys = this.keys();
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid] ?? '';
      if (k < bound || (strict && k === bound)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  values(): IterableIterator<StoredObject> {
    return this.items.values();
  }
}

/** The global revision: every write gets the next one, like etcd's store revision. */
export class Revision {
  private value: number;

  constructor(start = 1000) {
    this.value = start;
  }

  get current(): number {
    return this.value;
  }

  next(): number {
    return ++this.value;
  }
}
