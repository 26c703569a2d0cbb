// Compact state of one DaemonSet's pods: one slot per node index in typed arrays (pod sequence
// number, flags, resourceVersion, times) instead of pod objects, so 1000 DaemonSets x 1000 nodes
// costs megabytes. Pod names and UIDs derive from the sequence number. Pure in-memory state.
import { mix32, uuidFromWords } from './clock.ts';

export const HAS_POD = 1;
export const SCHEDULED = 2; // bound to the node (not blocked by a host port)
export const READY = 4;
export const STARTED = 8; // containers started once (the node was Ready when it was bound)
export const WANTED = 16; // the node should run this pod (not merely keep it, like a NotReady node)

// Real pod name suffixes use this 27-letter alphabet; sorted so numeric order = name order.
const ALPHABET = '2456789bcdfghjklmnpqrstvwxz';
const SUFFIX_SPACE = 27 ** 5;
const SUFFIX_MULTIPLIER = 7_654_321; // not a multiple of 3, so seq -> code is a bijection mod 27^5

export function suffixCode(seq: number, salt: number): number {
  return (seq * SUFFIX_MULTIPLIER + salt) % SUFFIX_SPACE;
}

export function encodeSuffix(code: number): string {
  let s = '';
  let n = code;
  for (let i = 0; i < 5; i++) {
    s = ALPHABET[n % 27] + s;
    n = Math.floor(n / 27);
  }
  return s;
}

export function decodeSuffix(text: string): number | undefined {
  if (text.length !== 5) return undefined;
  let n = 0;
  for (const ch of text) {
    const d = ALPHABET.indexOf(ch);
    if (d < 0) return undefined;
    n = n * 27 + d;
  }
  return n;
}

export function podUid(seq: number, salt: number): string {
  return uuidFromWords(mix32(seq ^ salt), mix32(seq + 0x7f4a7c15 + salt), mix32(seq * 3 + 1 + salt), mix32(seq ^ 0x2545f491));
}

export class PodSlots {
  seq = new Int32Array(0); // 0: no pod
  flags = new Uint8Array(0);
  rv = new Float64Array(0);
  created = new Float64Array(0);
  changed = new Float64Array(0);
  pods = 0;
  wanted = 0; // pods on nodes that should run them
  readyWanted = 0;
  private order: Float64Array | undefined; // code * 2^20 + node index, sorted

  ensure(capacity: number): void {
    if (this.seq.length >= capacity) return;
    const n = Math.max(capacity, this.seq.length * 2, 16);
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.seq = grow(this.seq, (k) => new Int32Array(k));
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
    this.rv = grow(this.rv, (k) => new Float64Array(k));
    this.created = grow(this.created, (k) => new Float64Array(k));
    this.changed = grow(this.changed, (k) => new Float64Array(k));
  }

  has(idx: number): boolean {
    return idx < this.flags.length && ((this.flags[idx] ?? 0) & HAS_POD) !== 0;
  }

  /** Sets a slot's flags, keeping the counters; returns whether anything changed. */
  setFlags(idx: number, flags: number): boolean {
    const old = this.flags[idx] ?? 0;
    if (old === flags) return false;
    const count = (f: number, mask: number): number => ((f & mask) === mask ? 1 : 0);
    this.pods += count(flags, HAS_POD) - count(old, HAS_POD);
    this.wanted += count(flags, HAS_POD | WANTED) - count(old, HAS_POD | WANTED);
    this.readyWanted += count(flags, HAS_POD | WANTED | READY) - count(old, HAS_POD | WANTED | READY);
    this.flags[idx] = flags;
    if (((old ^ flags) & HAS_POD) !== 0) this.order = undefined;
    return true;
  }

  setSeq(idx: number, seq: number): void {
    this.seq[idx] = seq;
    this.order = undefined;
  }

  /** Node indexes of existing pods, in pod-name order (built lazily, dropped on change). */
  sortedByName(salt: number): Float64Array {
    if (this.order) return this.order;
    const out = new Float64Array(this.pods);
    let j = 0;
    for (let i = 0; i < this.flags.length; i++) {
      if (((this.flags[i] ?? 0) & HAS_POD) !== 0) out[j++] = suffixCode(this.seq[i] ?? 0, salt) * 1048576 + i;
    }
    out.sort();
    this.order = out;
    return out;
  }
}

export function orderCode(entry: number): number {
  return Math.floor(entry / 1048576);
}

export function orderIndex(entry: number): number {
  return entry % 1048576;
}
