// The outcome contract, once: which verdict each situation gets, and how every entry point maps
// it (CLI exit, HTTP status, Pub/Sub redelivery), so that they cannot disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, clusterOutcome, combineOutcomes, exitStatus, httpStatus, shouldRedeliver, verdict, type Outcome, type OutcomeInput, type VerdictInput } from '../../functions/core/outcome.ts';

const base: OutcomeInput = { errors: [], failedActions: [], heldBack: false, planned: true };

const cases: [string, Partial<OutcomeInput>, Outcome][] = [
  ['trusted reads, every write applied (warnings do not count)', {}, 'done'],
  ['a read failed (retryable): destructive actions held back', { errors: [{ retryable: true }], heldBack: true }, 'failed'],
  ['a read distrusted, no error recorded', { heldBack: true }, 'failed'],
  ['a write failed with a 503', { failedActions: [{ retryable: true }] }, 'failed'],
  ['a write refused for good (403)', { failedActions: [{ retryable: false }] }, 'refused'],
  ['Autopilot or a missing permission on a read', { errors: [{ retryable: false }] }, 'refused'],
  ['both: a retry may still help', { errors: [{ retryable: false }], failedActions: [{ retryable: true }] }, 'failed'],
  ['never planned, nothing said why', { planned: false }, 'failed'],
];

for (const [name, over, want] of cases) {
  test(`outcome: ${name} → ${want}`, () => assert.equal(clusterOutcome({ ...base, ...over }), want));
}

const quiet: VerdictInput = { ...base, results: [{ kind: 'writeStatus', outcome: 'applied' }], settleTimedOut: false, dryRun: false, plannedActions: 1 };
const convergence: [string, Partial<VerdictInput>, boolean][] = [
  ['every write applied', {}, true],
  ['proxies still starting when the settle window ended', { settleTimedOut: true }, false],
  ['a status write skipped (the Service changed meanwhile)', { results: [{ kind: 'writeStatus', outcome: 'skipped' }] }, false],
  ['an Event skipped (terminating namespace) is not pending work', { results: [{ kind: 'recordEvent', outcome: 'skipped' }] }, true],
  ['a dry run with actions planned', { dryRun: true, results: [{ kind: 'writeStatus', outcome: 'dry-run' }] }, false],
  ['a dry run with nothing to do', { dryRun: true, results: [], plannedActions: 0 }, true],
  ['not done', { failedActions: [{ retryable: true }], results: [{ kind: 'writeStatus', outcome: 'failed' }] }, false],
];
for (const [name, over, want] of convergence) {
  test(`converged: ${name} → ${want}`, () => {
    const v = verdict({ ...quiet, ...over });
    assert.equal(v.converged, want);
    assert.equal(v.ok, v.outcome === 'done');
    assert.equal(v.retryable, v.outcome === 'failed');
  });
}

test('every entry point maps the outcome the same way: exit 1 ⇔ HTTP 500 ⇔ redelivery', () => {
  for (const o of ['done', 'failed', 'refused'] as const) {
    assert.equal(exitStatus(o) === EXIT.failed, httpStatus(o) === 500, o);
    assert.equal(httpStatus(o) === 500, shouldRedeliver(o), o);
  }
  assert.deepEqual([exitStatus('done'), exitStatus('failed'), exitStatus('refused')], [0, 1, 2]);
});

test('exit 3 only when asked for, only when done with changes pending', () => {
  assert.equal(exitStatus('done', { detailed: true, changesPending: true }), 3);
  assert.equal(exitStatus('done', { changesPending: true }), 0);
  assert.equal(exitStatus('failed', { detailed: true, changesPending: true }), 1);
  assert.equal(exitStatus('done', { detailed: true, changesPending: false }), 0);
});

test('several clusters: failed wins over refused, refused over done', () => {
  assert.equal(combineOutcomes(['done', 'refused', 'failed']), 'failed');
  assert.equal(combineOutcomes(['done', 'refused']), 'refused');
  assert.equal(combineOutcomes([]), 'done');
});
