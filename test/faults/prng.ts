// A tiny seeded PRNG (mulberry32) and the draws the randomized fault test makes with it, so a
// failing run replays exactly from its printed seed. Pure.

export interface Rng {
  readonly seed: number;
  next(): number; // [0, 1)
  int(min: number, max: number): number; // inclusive both ends
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Up to n distinct items, in random order. */
  sample<T>(items: readonly T[], n: number): T[];
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    sample: (items, n) => {
      const pool = [...items];
      const out: (typeof pool)[number][] = [];
      while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(next() * pool.length), 1)[0] as (typeof pool)[number]);
      return out;
    },
  };
  return rng;
}

/** The default seed keeps CI reproducible; NODELB_FUZZ_SEED=<n> replays a run and
 *  NODELB_FUZZ_SEED=random explores a new one (the test name prints the seed either way). */
export const DEFAULT_FUZZ_SEED = 20250101;

export function seedFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const text = (env.NODELB_FUZZ_SEED ?? '').trim();
  if (text === '') return DEFAULT_FUZZ_SEED;
  if (text === 'random') return (Date.now() ^ (process.pid << 16)) >>> 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`NODELB_FUZZ_SEED: expected a whole number 0..4294967295 or "random", got "${text}"`);
  return n;
}
