// The simulated API server's clock (frozen until a test advances it) and its identifiers: object
// UIDs from a seeded generator, so randomized tests replay exactly. Pure apart from the optional
// crypto fallback when no seed is given.
import { randomUUID } from 'node:crypto';

export class SimClock {
  private ms: number;
  private readonly isoCache = new Map<number, string>();

  constructor(startMs: number = Math.floor(Date.now() / 1000) * 1000) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`clock.advance: ${ms} is not a non-negative number`);
    this.ms += ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }

  /** RFC 3339 with second precision, as metav1.Time serializes. */
  iso(ms: number = this.ms): string {
    const sec = Math.floor(ms / 1000);
    // Pods rendered by the million share a handful of timestamps: remember the last few.
    const hit = this.isoCache.get(sec);
    if (hit !== undefined) return hit;
    const text = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
    if (this.isoCache.size > 256) this.isoCache.clear();
    this.isoCache.set(sec, text);
    return text;
  }
}

/** 32-bit integer mixer (murmur3 fmix32): a bijection, so distinct inputs give distinct outputs. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex8(n: number): string {
  return (HEX_BYTE[n >>> 24] ?? '') + (HEX_BYTE[(n >>> 16) & 255] ?? '') + (HEX_BYTE[(n >>> 8) & 255] ?? '') + (HEX_BYTE[n & 255] ?? '');
}

/** A v4-shaped UUID built from four 32-bit words; the first word keeps it unique per input. */
export function uuidFromWords(a: number, b: number, c: number, d: number): string {
  const w1 = hex8(a);
  const w2 = hex8(b);
  const w3 = hex8(((c & 0x3fffffff) | 0x80000000) >>> 0);
  const w4 = hex8(d);
  return `${w1}-${w2.slice(0, 4)}-4${w2.slice(5, 8)}-${w3.slice(0, 4)}-${w3.slice(4)}${w4}`;
}

export class IdGenerator {
  private readonly seed: number | undefined;
  private counter = 0;

  constructor(seed?: number) {
    this.seed = seed;
  }

  get seeded(): boolean {
    return this.seed !== undefined;
  }

  uuid(): string {
    if (this.seed === undefined) return randomUUID();
    const n = this.counter++;
    const s = this.seed >>> 0;
    return uuidFromWords(mix32(n ^ mix32(s)), mix32(n + 0x9e3779b9 + s), mix32(n * 31 + s + 7), mix32(n ^ 0x5bd1e995 ^ s));
  }

  /** A number in [0, 2^32) for seeded choices (pod name salts, nodePorts). */
  nextInt(): number {
    if (this.seed === undefined) return Math.floor(Math.random() * 0x100000000);
    return mix32(this.counter++ + (this.seed >>> 0) * 2654435761);
  }
}
