// Time and chance, injected: the wall clock, sleeping and jitter come from here so that retry,
// settle polling and budgets are deterministic under test. Does no I/O.

export interface Clock {
  now(): number; // epoch milliseconds
  sleep(ms: number): Promise<void>;
  random(): number; // [0, 1)
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  random: () => Math.random(),
};

/** A point in time after which no new work starts (the sync's time budget). */
export interface Deadline {
  readonly at: number; // epoch ms
  remaining(): number;
  expired(): boolean;
}

export function deadlineIn(clock: Clock, budgetMs: number): Deadline {
  const at = clock.now() + budgetMs;
  return {
    at,
    remaining: () => Math.max(0, at - clock.now()),
    expired: () => clock.now() >= at,
  };
}

/** A manual clock for tests: sleep advances time instantly, random follows a fixed sequence. */
export function fakeClock(start = Date.UTC(2025, 0, 1), randoms: number[] = [0.5]): Clock & { advance(ms: number): void; slept: number[] } {
  let t = start;
  let i = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: async (ms) => {
      slept.push(ms);
      t += Math.max(0, ms);
    },
    random: () => randoms[i++ % randoms.length] ?? 0.5,
  };
}
