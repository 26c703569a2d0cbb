// Per-Service nodelb.dev/* annotations: accepted forms, merged defaults, and clear refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServiceAnnotations, parseTolerations } from '../../functions/core/annotations.ts';
import { aConfig } from './builders.ts';

const config = aConfig({ nodeSelector: { 'cloud.google.com/gke-nodepool': 'edge' }, maxIPs: 3, ipMode: 'VIP' });

test('no annotations: the global defaults apply', () => {
  const r = parseServiceAnnotations({}, config);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.settings, { maxIPs: 3, nodeSelector: { 'cloud.google.com/gke-nodepool': 'edge' }, tolerations: [], ipMode: 'VIP' });
});

const valid: { annotations: Record<string, string>; check: (s: ReturnType<typeof parseServiceAnnotations>['settings']) => void; reason: string }[] = [
  { annotations: { 'nodelb.dev/max-ips': '0' }, check: (s) => assert.equal(s.maxIPs, 0), reason: 'max-ips 0 means all' },
  { annotations: { 'nodelb.dev/max-ips': '2' }, check: (s) => assert.equal(s.maxIPs, 2), reason: 'max-ips overrides the global cap' },
  {
    annotations: { 'nodelb.dev/node-selector': 'disktype=ssd,zone!=a,gpu' },
    check: (s) => assert.deepEqual(s.nodeSelector, { 'cloud.google.com/gke-nodepool': 'edge', disktype: 'ssd', zone: '!a', gpu: '' }),
    reason: 'node-selector adds to the global selector',
  },
  {
    annotations: { 'nodelb.dev/pool': 'blue' },
    check: (s) => {
      assert.equal(s.pool, 'blue');
      assert.equal(s.nodeSelector['nodelb.dev/pool'], 'blue');
    },
    reason: 'pool adds the nodelb.dev/pool node selector',
  },
  { annotations: { 'nodelb.dev/priority-class': 'lb-critical' }, check: (s) => assert.equal(s.priorityClass, 'lb-critical'), reason: 'priority class' },
  { annotations: { 'nodelb.dev/ip-mode': 'proxy' }, check: (s) => assert.equal(s.ipMode, 'Proxy'), reason: 'ip-mode, any case' },
  {
    annotations: { 'nodelb.dev/tolerations': '[{"key":"dedicated","operator":"Equal","value":"lb","effect":"NoSchedule"}]' },
    check: (s) => assert.deepEqual(s.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' }]),
    reason: 'tolerations JSON',
  },
];
for (const row of valid) {
  test(`annotation accepted: ${row.reason}`, () => {
    const r = parseServiceAnnotations(row.annotations, config);
    assert.deepEqual(r.problems, []);
    row.check(r.settings);
  });
}

const invalid: { annotations: Record<string, string>; problem: RegExp; reason: string }[] = [
  { annotations: { 'nodelb.dev/max-ips': '-1' }, problem: /max-ips: "-1" is not a whole number ≥ 0/, reason: 'negative max-ips' },
  { annotations: { 'nodelb.dev/max-ips': 'three' }, problem: /max-ips/, reason: 'max-ips in words' },
  { annotations: { 'nodelb.dev/node-selector': 'zone in (a,b)' }, problem: /node-selector.*label selector like/, reason: 'set-based selector' },
  { annotations: { 'nodelb.dev/node-selector': 'cloud.google.com/gke-nodepool=other' }, problem: /contradicts/, reason: 'selector contradicting the global one' },
  { annotations: { 'nodelb.dev/pool': 'has space' }, problem: /pool: "has space" is not a label value/, reason: 'pool not a label value' },
  { annotations: { 'nodelb.dev/pool': '' }, problem: /pool/, reason: 'empty pool' },
  { annotations: { 'nodelb.dev/priority-class': 'System_Critical' }, problem: /priority-class/, reason: 'priority class not a DNS subdomain' },
  { annotations: { 'nodelb.dev/ip-mode': 'direct' }, problem: /ip-mode: "direct" is not VIP or Proxy/, reason: 'unknown ip-mode' },
  { annotations: { 'nodelb.dev/tolerations': 'key=dedicated' }, problem: /tolerations: not valid JSON/, reason: 'tolerations not JSON' },
];
for (const row of invalid) {
  test(`annotation refused: ${row.reason}`, () => {
    const r = parseServiceAnnotations(row.annotations, config);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0] ?? '', row.problem);
  });
}

test('unknown nodelb.dev/ annotations are reported as likely typos', () => {
  const r = parseServiceAnnotations({ 'nodelb.dev/maxips': '2', 'example.com/other': 'x' }, config);
  assert.deepEqual(r.unknown, ['nodelb.dev/maxips']);
  assert.deepEqual(r.problems, []);
});

const tolerationRows: { text: string; error?: RegExp; reason: string }[] = [
  { text: '[{"operator":"Exists"}]', reason: 'empty key with Exists tolerates everything (allowed)' },
  { text: '[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}]', reason: 'tolerationSeconds with NoExecute' },
  { text: '[{"key":"a","value":"b"}]', reason: 'operator defaults to Equal' },
  { text: '[{"value":"b"}]', error: /empty key needs operator Exists/, reason: 'empty key without Exists' },
  { text: '[{"key":"a","operator":"Exists","value":"b"}]', error: /Exists must not have a value/, reason: 'Exists with a value' },
  { text: '[{"key":"a","effect":"NoWay"}]', error: /effect must be/, reason: 'unknown effect' },
  { text: '[{"key":"a","effect":"NoSchedule","tolerationSeconds":5}]', error: /only valid with effect NoExecute/, reason: 'tolerationSeconds without NoExecute' },
  { text: '[{"key":"a","operator":"Gt","value":"1"}]', error: /operator must be Equal or Exists/, reason: 'unsupported operator' },
  { text: '[{"key":"a","tolerationSecs":5}]', error: /unknown field "tolerationSecs"/, reason: 'misspelt field' },
  { text: '{"key":"a"}', error: /JSON array/, reason: 'an object, not an array' },
  { text: '[{"key":"bad key!"}]', error: /not a valid taint key/, reason: 'invalid key' },
];
for (const row of tolerationRows) {
  test(`tolerations: ${row.reason}`, () => {
    const r = parseTolerations(row.text);
    if (row.error) {
      assert.equal(typeof r, 'string');
      assert.match(r as string, row.error);
    } else {
      assert.ok(Array.isArray(r), `accepted: ${String(r)}`);
    }
  });
}
