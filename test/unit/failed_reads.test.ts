// Failing closed: a failed or suspiciously empty read holds back every deletion and every status
// write that withdraws an IP; the read-specific rules say what else waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadName, ServiceView, Snapshot } from '../../functions/core/model.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService, aSnapshot, ofKind, endpointsOf, theKubernetesService } from './builders.ts';
import { converge, runDaemonSetController } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();
const failed = (...reads: ReadName[]) => reads.map((read) => ({ read, message: 'HTTP 503' }));

function servedWorld(services: ServiceView[], n = 2, endpointsFor?: ServiceView): Snapshot {
  const nodes = Array.from({ length: n }, (_, i) => aGkeNode(`n${i + 1}`, i + 1));
  const endpoints = endpointsFor ? [endpointsOf(endpointsFor, nodes.map((x) => x.node.name))] : [];
  return converge(aSnapshot({ services, nodes: nodes.map((x) => x.node), instances: nodes.map((x) => x.instance), endpoints }), config).snapshot;
}

for (const read of ['services', 'daemonsets', 'nodes', 'pods', 'namespaces'] as const) {
  test(`failed ${read} read: nothing planned, only notes`, () => {
    const w = servedWorld([aService()]);
    const p = plan({ ...w, services: [], failedReads: failed(read) }, config);
    assert.deepEqual(actionsOf(p), []);
    assert.equal(p.heldBack, true);
    assert.ok(p.notes.some((n) => n.message.includes(`reading ${read} failed (HTTP 503)`)));
    assert.ok(p.notes.some((n) => /nothing planned/.test(n.message)));
  });
}

// Suspicious answers (a read that answered with something that cannot be right) are tested in
// suspicious_scope.test.ts, rules and scopes both.

test('failed instance read: DaemonSets still created and updated, no status, no firewall', () => {
  const old = servedWorld([aService({ name: 'old' })]);
  const fresh = aService({ name: 'fresh', ports: [{ protocol: 'TCP', port: 8443 }] });
  const p = plan({ ...old, services: [...old.services, fresh], failedReads: failed('instances') }, config);
  assert.deepEqual(ofKind(actionsOf(p), 'createDaemonSet').map((a) => a.service?.name), ['fresh']);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus'), []);
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.endsWith('Firewall')), []);
  assert.ok(p.notes.some((n) => /node IPs are unknown/.test(n.message)));
});

test('failed firewall read: no firewall action, the rest goes on', () => {
  const w = servedWorld([aService({ name: 'a' })]);
  const added = aService({ name: 'b', ports: [{ protocol: 'TCP', port: 8080 }] });
  const p = plan({ ...w, services: [...w.services, added], firewalls: [], failedReads: failed('firewalls') }, config);
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.endsWith('Firewall')), [], 'not even a create: the list may be wrong');
  assert.deepEqual(ofKind(actionsOf(p), 'createDaemonSet').map((a) => a.service?.name), ['b']);
});

test('failed EndpointSlice read: no status write for Local Services, Cluster ones still written', () => {
  const local = aService({ name: 'local', externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 443, nodePort: 30443 }] });
  const cluster = aService({ name: 'cluster', ports: [{ protocol: 'TCP', port: 80 }] });
  const w = servedWorld([local, cluster], 2, local);
  const third = aGkeNode('n3', 3);
  const grown: Snapshot = { ...w, nodes: [...w.nodes, third.node], instances: [...(w.instances ?? []), third.instance] };
  grown.pods = runDaemonSetController(grown); // proxies come up on n3; the status has not followed yet
  const p = plan({ ...grown, endpoints: [], failedReads: failed('endpointslices') }, config);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus').map((a) => a.service.name), ['cluster'], 'adding n3 to the Cluster Service is safe');
  assert.ok(p.notes.some((n) => /default\/local.*EndpointSlice/.test(n.message)));
});

test('held back: a status write that withdraws an IP waits; one that only adds goes', () => {
  const w = servedWorld([aService({ name: 'shrinks' }), aService({ name: 'grows', ports: [{ protocol: 'TCP', port: 8080 }] })], 2);
  const services = w.services.map((s) => (s.name === 'grows' ? { ...s, ingress: [{ ip: '203.0.113.1' }] } : s));
  const nodes = w.nodes.map((n) => (n.name === 'n2' ? { ...n, ready: false } : n));
  const p = plan({ ...w, services, failedReads: failed('firewalls') }, config);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus').map((a) => a.service.name), ['grows']);
  const p2 = plan({ ...w, nodes, failedReads: failed('firewalls') }, config);
  assert.deepEqual(ofKind(actionsOf(p2), 'writeStatus'), [], 'n2 not withdrawn while a read failed');
  assert.ok(p2.notes.some((n) => /held back: withdrawing 203.0.113.2 from default\/grows/.test(n.message)));
});

test('held back: orphan DaemonSets and rules are kept, with a note each', () => {
  const w = servedWorld([aService()]);
  const p = plan({ ...w, services: [theKubernetesService()], failedReads: failed('endpointslices') }, config);
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.startsWith('delete')), []);
  assert.equal(p.heldBack, true);
  assert.ok(p.notes.some((n) => /held back: deleting DaemonSet nodelb-system\/nodelb-web-/.test(n.message)));
  assert.ok(p.notes.some((n) => /held back: deleting firewall rule nodelb-/.test(n.message)));
});

test('no failed read: heldBack is false', () => {
  assert.equal(plan(servedWorld([aService()]), config).heldBack, false);
});
