// log.ts: one JSON object per entry with severity, message, event, labels, stack_trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureSink, createLogger, LABELS_FIELD } from '../../functions/platform/log.ts';
import { ApiError } from '../../functions/platform/errors.ts';

test('entries carry severity, message, event and time', () => {
  const cap = captureSink();
  createLogger({ sink: cap.sink, now: () => Date.UTC(2025, 0, 1) }).info('sync.started', 'hello', { count: 3 });
  assert.deepEqual(cap.entries, [{ severity: 'INFO', message: 'hello', event: 'sync.started', time: '2025-01-01T00:00:00.000Z', count: 3 }]);
});

test('child() puts component/cluster/trigger/runId in the labels as strings, other fields in the payload', () => {
  const cap = captureSink();
  const log = createLogger({ sink: cap.sink }).child({ component: 'sync', cluster: 'c1', runId: 42, round: 2 });
  log.child({ trigger: 'schedule' }).warn('plan.computed', 'x');
  const e = cap.entries[0];
  assert.ok(e);
  assert.deepEqual(e[LABELS_FIELD], { component: 'sync', cluster: 'c1', runId: '42', trigger: 'schedule' });
  assert.equal(e.round, 2);
  assert.equal(e.severity, 'WARNING');
});

test('level filtering drops entries below the level', () => {
  const cap = captureSink();
  const log = createLogger({ sink: cap.sink, level: 'WARNING' });
  log.debug('a', 'a');
  log.info('b', 'b');
  log.warn('c', 'c');
  log.error('d', 'd');
  assert.deepEqual(cap.events(), ['c', 'd']);
});

test('an error field becomes error, stack_trace and the ApiError details', () => {
  const cap = captureSink();
  const err = new ApiError({ api: 'kube', op: 'list nodes', message: 'forbidden', status: 403, retryable: false, fix: 'kubectl apply -k manifests/' });
  createLogger({ sink: cap.sink }).error('action.failed', 'failed', { error: err });
  const e = cap.entries[0];
  assert.ok(e);
  assert.equal(e.error, 'forbidden');
  assert.match(String(e.stack_trace), /ApiError: forbidden/);
  assert.equal(e.error_status, 403);
  assert.equal(e.error_fix, 'kubectl apply -k manifests/');
});

test('the default sink writes one JSON line', () => {
  const lines: string[] = [];
  const log = createLogger({ sink: (e) => lines.push(JSON.stringify(e)) });
  log.info('x', 'multi\nline');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.includes('\n'), false);
  assert.equal(JSON.parse(lines[0] ?? '{}').message, 'multi\nline');
});
