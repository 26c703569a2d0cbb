// Retries of transient API errors: exponential backoff with full jitter, Retry-After honoured,
// and never a retry that would end after the sync's deadline. Clock and jitter are injected.
//
// Hand-written rather than p-retry: p-retry 9 draws jitter from Math.random, sleeps with its own
// setTimeout, jitters as "x1..x2" rather than full jitter, and ignores Retry-After; none of that
// can be injected, so tests would sleep for real and be non-deterministic.
import { isApiError } from '../platform/errors.ts';
import type { Clock, Deadline } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';

export interface RetryPolicy {
  clock: Clock;
  deadline?: Deadline;
  maxAttempts: number; // including the first
  baseDelayMs: number;
  maxDelayMs: number;
  logger?: Logger;
}

export const DEFAULT_RETRY = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 } as const;

/** Backoff before retry number `retry` (1-based): uniform in [0, min(max, base·2^(retry-1))). */
export function backoffMs(policy: RetryPolicy, retry: number, retryAfterMs?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.floor(policy.clock.random() * cap);
  return retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
}

/** Runs fn; on a retryable ApiError waits and tries again. The last error is rethrown as is. */
export async function withRetry<T>(op: string, fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const started = policy.clock.now();
    try {
      return await fn();
    } catch (e) {
      if (!isApiError(e) || !e.retryable || attempt >= policy.maxAttempts) throw e;
      const delay = backoffMs(policy, attempt, e.retryAfterMs);
      const lastDuration = policy.clock.now() - started;
      // The next attempt would likely take as long as this one: do not start what cannot end in time.
      if (policy.deadline && policy.clock.now() + delay + lastDuration > policy.deadline.at) {
        policy.logger?.warn('retry.abandoned', `${op}: no time left to retry`, { op, attempt, error: e });
        throw e;
      }
      policy.logger?.debug('retry.scheduled', `${op}: retry ${attempt} in ${delay} ms`, {
        op,
        attempt,
        delayMs: delay,
        status: e.status,
        reason: e.reason,
      });
      await policy.clock.sleep(delay);
    }
  }
}

/** Wraps every method of an API object so each call goes through withRetry. */
export function retrying<T extends object>(api: T, name: string, policy: RetryPolicy): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        withRetry(`${name}.${String(prop)}`, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), policy);
    },
  });
}
