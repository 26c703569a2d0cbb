// Notices stay few and short whatever the input: 1000 denied ports or a 40 kB annotation must
// still give a condition the API server accepts (32 KiB) and a handful of Events, not 1000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessService, boundNotices, MAX_NOTICE_CHARS, MAX_NOTICES_PER_REASON } from '../../functions/core/validate.ts';
import { conditionMessage, MAX_CONDITION_MESSAGE } from '../../functions/core/status.ts';
import { aConfig, aNamespace, aService } from './builders.ts';

test('boundNotices: at most three per reason, then one that counts the rest; order kept', () => {
  const list = [
    ...Array.from({ length: 7 }, (_, i) => ({ eventReason: 'PortDenied', message: `port ${i} denied` })),
    { eventReason: 'InvalidAnnotation', message: 'bad' },
  ];
  const out = boundNotices(list);
  assert.deepEqual(out.map((n) => n.message), ['port 0 denied', 'port 1 denied', 'port 2 denied', 'and 4 more PortDenied problems like the above', 'bad']);
  assert.equal(MAX_NOTICES_PER_REASON, 3);
});

test('boundNotices: a long message is clipped, the same way every time', () => {
  const long = { eventReason: 'InvalidAnnotation', message: `annotation x: "${'v'.repeat(40_000)}"` };
  const [a] = boundNotices([long]);
  const [b] = boundNotices([long]);
  assert.ok((a?.message.length ?? 0) < MAX_NOTICE_CHARS + 40);
  assert.equal(a?.message, b?.message);
  assert.match(a?.message ?? '', /… \(40016 characters\)$/);
});

test('assessService: 1000 denied ports give four notices and a condition far below 32 KiB', () => {
  const ports = Array.from({ length: 1000 }, (_, i) => ({ protocol: 'TCP' as const, port: 30000 + i }));
  const a = assessService(aService({ ports }), aConfig({ maxPortsPerService: 2000 }), aNamespace('default'));
  assert.equal(a.problems.filter((p) => p.eventReason === 'PortDenied').length, MAX_NOTICES_PER_REASON + 1);
  assert.ok(conditionMessage('', a.problems).length < 1000);
});

test('conditionMessage: capped even when the notices are many', () => {
  const notices = Array.from({ length: 100 }, (_, i) => ({ eventReason: `R${i}`, message: 'x'.repeat(400) }));
  assert.equal(conditionMessage('head', notices).length, MAX_CONDITION_MESSAGE + 1);
});
