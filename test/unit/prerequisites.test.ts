// What the cluster lacks that nodelb cannot fix itself, seen in what was read (core/prerequisites.ts),
// and the Warning Event a Service gets for an action that failed for good (core/failure_events.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action, Snapshot } from '../../functions/core/model.ts';
import { autopilotPrerequisite, snapshotPrerequisites } from '../../functions/core/prerequisites.ts';
import { FAILURE_EVENT_REASON, failureEvents, type ActionFailure } from '../../functions/core/failure_events.ts';
import { POD_SECURITY_LABEL } from '../../functions/core/pod_security.ts';
import { aGkeNode, aNamespace, aService, aSnapshot } from './builders.ts';

const NS = 'nodelb-system';
const privileged = aNamespace(NS, { labels: { [POD_SECURITY_LABEL]: 'privileged' } });
const base = (over: Partial<Snapshot> = {}) => aSnapshot({ namespaces: [aNamespace('default'), aNamespace('kube-system'), privileged], ...over });

const rows: [string, Partial<Snapshot>, string[]][] = [
  ['a prepared cluster', {}, []],
  ['no proxy namespace', { namespaces: [aNamespace('kube-system')] }, ['proxy-namespace']],
  ['the namespace list failed: nothing said of the proxy namespace', { namespaces: [], failedReads: [{ read: 'namespaces', message: 'HTTP 503' }] }, []],
  ['a namespace list without kube-system (it cannot be right): nothing said of the proxy namespace', { namespaces: [aNamespace('default')] }, []],
  ['the proxy namespace without the privileged label', { namespaces: [aNamespace('kube-system'), aNamespace(NS)] }, ['pod-security']],
  ['a node whose instance has no external IP', (() => { const n = aGkeNode('n1', 1, { instance: { externalIPv4: [] } }); return { nodes: [n.node], instances: [n.instance] }; })(), ['external-ips']],
];
for (const [name, over, want] of rows) {
  test(`prerequisites: ${name}`, () => {
    assert.deepEqual(snapshotPrerequisites(base(over), NS).map((p) => p.name), want);
  });
}

test('prerequisites: Autopilot blocks every write, a Standard cluster nothing', () => {
  assert.equal(autopilotPrerequisite({ name: 'c', autopilot: true })?.blocking, true);
  assert.equal(autopilotPrerequisite({ name: 'c', autopilot: false }), undefined);
});

test('failure events: one Warning per action failed for good on a Service that still exists', () => {
  const svc = aService();
  const ref = { namespace: svc.namespace, name: svc.name, uid: svc.uid };
  const del: Action = { kind: 'deleteFirewall', project: 'p', name: 'r', owner: ref, service: ref, reason: 'x' };
  const ds: Action = { kind: 'deleteDaemonSet', namespace: NS, name: 'd', owner: ref, service: ref, reason: 'x' };
  const gone: Action = { ...del, service: { ...ref, uid: 'gone' } };
  const failed = (retryable: boolean): ActionFailure => ({ outcome: 'failed', retryable, error: 'operation operation-123-abc failed: quota', fix: 'raise the quota' });
  const events = failureEvents([del, ds, gone], [failed(false), failed(true), failed(false)], (uid) => uid === svc.uid);
  assert.deepEqual(
    events.map((e) => [e.eventReason, e.type, e.message]),
    [[FAILURE_EVENT_REASON, 'Warning', 'deleting the firewall rule failed: operation failed: quota. Fix: raise the quota']],
    'the transient failure and the gone Service get none; the operation name is left out',
  );
});
