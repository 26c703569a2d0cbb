// retry.ts: full-jitter backoff, Retry-After, the deadline rule, and the retrying() wrapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, retrying, withRetry, type RetryPolicy } from '../../functions/runtime/retry.ts';
import { deadlineIn, fakeClock } from '../../functions/platform/clock.ts';
import { ApiError } from '../../functions/platform/errors.ts';

const transient = (extra: Partial<ConstructorParameters<typeof ApiError>[0]> = {}) =>
  new ApiError({ api: 'kube', op: 'list services', message: 'boom', status: 503, retryable: true, ...extra });

function policy(clock = fakeClock(), more: Partial<RetryPolicy> = {}): RetryPolicy {
  return { clock, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, ...more };
}

test('retries a transient error with full-jitter exponential backoff, then succeeds', async () => {
  const clock = fakeClock(0, [0.5]);
  let calls = 0;
  const out = await withRetry('op', async () => {
    if (++calls < 4) throw transient();
    return 'done';
  }, policy(clock));
  assert.equal(out, 'done');
  assert.equal(calls, 4);
  // 0.5 × min(1000, 100·2^(n-1)): 50, 100, 200
  assert.deepEqual(clock.slept, [50, 100, 200]);
});

test('backoff is capped by maxDelayMs and can be zero (full jitter)', () => {
  assert.equal(backoffMs(policy(fakeClock(0, [0.999])), 10), 999);
  assert.equal(backoffMs(policy(fakeClock(0, [0])), 3), 0);
});

test('Retry-After is a floor for the wait', async () => {
  const clock = fakeClock(0, [0.1]);
  let calls = 0;
  await withRetry('op', async () => {
    if (++calls === 1) throw transient({ status: 429, retryAfterMs: 3000 });
    return 1;
  }, policy(clock, { maxDelayMs: 60_000 }));
  assert.deepEqual(clock.slept, [3000]);
});

test('a permanent error (or a non-ApiError) is not retried', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry('op', async () => {
      calls++;
      throw new ApiError({ api: 'kube', op: 'x', message: 'forbidden', status: 403, retryable: false });
    }, policy()),
    /forbidden/,
  );
  assert.equal(calls, 1);
  await assert.rejects(withRetry('op', async () => {
    calls++;
    throw new TypeError('bug');
  }, policy()), TypeError);
  assert.equal(calls, 2);
});

test('gives up after maxAttempts and rethrows the last error', async () => {
  let calls = 0;
  await assert.rejects(withRetry('op', async () => {
    calls++;
    throw transient({ message: `fail ${calls}` });
  }, policy(fakeClock(), { maxAttempts: 3 })), /fail 3/);
  assert.equal(calls, 3);
});

test('never starts a retry that would end after the deadline', async () => {
  const clock = fakeClock(0, [0.5]);
  const deadline = deadlineIn(clock, 1000);
  let calls = 0;
  await assert.rejects(
    withRetry('op', async () => {
      calls++;
      clock.advance(700); // each attempt takes 700 ms
      throw transient();
    }, policy(clock, { deadline, baseDelayMs: 100 })),
    /boom/,
  );
  // attempt 1 ends at 700; 700 + 50 wait + 700 expected > 1000: no second attempt
  assert.equal(calls, 1);
  assert.deepEqual(clock.slept, []);
});

test('retrying() routes every method through withRetry and keeps arguments', async () => {
  let calls = 0;
  const api = {
    async get(name: string): Promise<string> {
      if (++calls === 1) throw transient();
      return `got ${name}`;
    },
    label: 'plain',
  };
  const wrapped = retrying(api, 'test', policy());
  assert.equal(await wrapped.get('x'), 'got x');
  assert.equal(calls, 2);
  assert.equal(wrapped.label, 'plain');
});
