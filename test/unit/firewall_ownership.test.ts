// Firewall ownership: our marker and our cluster id decide; orphans are deleted, look-alikes
// (no marker, bad marker, another cluster, another Service's UID) are reported and never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Firewall, FirewallView, ServiceView, Snapshot } from '../../functions/core/model.ts';
import { plan } from '../../functions/core/plan.ts';
import { encodeFirewallMarker, firewallName } from '../../functions/core/naming.ts';
import { CLUSTER_ID, aConfig, aDualStackService, aGkeNode, aService, aSnapshot, ofKind, theKubernetesService, uidFor } from './builders.ts';
import { converge } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();

function servedWorld(services: ServiceView[]): Snapshot {
  const { node, instance } = aGkeNode('n1', 1);
  return converge(aSnapshot({ services, nodes: [node], instances: [instance] }), config).snapshot;
}

function ownRule(svc: { namespace: string; name: string; uid: string }, family: 'IPv4' | 'IPv6' = 'IPv4', cluster = CLUSTER_ID): FirewallView {
  const marker = { managedBy: 'nodelb' as const, cluster, service: `${svc.namespace}/${svc.name}`, uid: svc.uid, family };
  const rule: Firewall = { name: firewallName(cluster, svc.uid, family), description: encodeFirewallMarker(marker), allowed: [{ IPProtocol: 'tcp', ports: ['80'] }], sourceRanges: ['0.0.0.0/0'], targetTags: ['x'] };
  return { rule, marker };
}

const orphanRows: { services: (svc: ServiceView) => ServiceView[]; why: RegExp; reason: string }[] = [
  { services: () => [theKubernetesService()], why: /no longer exists/, reason: 'Service deleted' },
  { services: (s) => [{ ...s, deleting: true }], why: /being deleted/, reason: 'Service being deleted' },
  { services: (s) => [{ ...s, type: 'NodePort' }], why: /not nodelb's any more: type is NodePort/, reason: 'Service no longer a LoadBalancer' },
  { services: (s) => [{ ...s, ports: [{ protocol: 'TCP', port: 22 }] }], why: /refused/, reason: 'Service refused' },
];
for (const row of orphanRows) {
  test(`orphan rule deleted: ${row.reason}`, () => {
    const svc = aService();
    const w = servedWorld([svc]);
    assert.equal(w.firewalls?.length, 1, 'the world has our rule');
    const p = plan({ ...w, services: row.services(svc) }, config);
    const [del] = ofKind(actionsOf(p), 'deleteFirewall');
    assert.equal(del?.name, w.firewalls?.[0]?.rule.name);
    assert.equal(del?.project, 'proj');
    assert.deepEqual(del?.owner, { namespace: 'default', name: 'web', uid: svc.uid });
    assert.match(del?.reason ?? '', row.why);
  });
}

test('orphan rule deleted: the IPv6 rule of a Service that went IPv4-only', () => {
  const svc = aDualStackService();
  const w = servedWorld([svc]);
  assert.equal(w.firewalls?.length, 2);
  const p = plan({ ...w, services: [{ ...svc, ipFamilies: ['IPv4'], clusterIPs: ['10.96.0.20'] }] }, config);
  const dels = ofKind(actionsOf(p), 'deleteFirewall');
  assert.deepEqual(dels.map((d) => d.name), [firewallName(CLUSTER_ID, svc.uid, 'IPv6')]);
  assert.match(dels[0]?.reason ?? '', /no longer uses IPv6/);
});

test('orphan rule deleted: an own rule for a Service long gone, with nothing else in the cluster', () => {
  const ghost = { namespace: 'old', name: 'gone', uid: uidFor('ghost') };
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ nodes: [node], instances: [instance], firewalls: [ownRule(ghost)] }), config);
  assert.deepEqual(ofKind(actionsOf(p), 'deleteFirewall').map((d) => d.owner), [ghost]);
});

const lookAlikes: { view: FirewallView; note: RegExp; reason: string }[] = [
  { view: { rule: { name: 'nodelb-hand-made', description: 'VPN access' } }, note: /no nodelb marker/, reason: 'our prefix, free-text description' },
  { view: { rule: { name: 'nodelb-broken', description: '{"managedBy":"nodelb",' } }, note: /no nodelb marker/, reason: 'unparsable marker' },
  { view: ownRule({ namespace: 'a', name: 'b', uid: uidFor('other-cluster-svc') }, 'IPv4', 'other-cluster-id'), note: /belongs to another cluster \(other-cluster-id\)/, reason: "another cluster's marker" },
];
for (const row of lookAlikes) {
  test(`look-alike rule never touched: ${row.reason}`, () => {
    const { node, instance } = aGkeNode('n1', 1);
    const p = plan(aSnapshot({ nodes: [node], instances: [instance], firewalls: [row.view] }), config);
    assert.deepEqual(actionsOf(p), []);
    assert.ok(p.notes.some((n) => row.note.test(n.message)), 'a note says so');
  });
}

test("look-alike rule never touched: named like ours but its marker names another Service's UID", () => {
  const svc = aService();
  const view = ownRule(svc);
  const impostor: FirewallView = { rule: { ...view.rule, description: encodeFirewallMarker({ ...view.marker!, uid: uidFor('someone') }) }, marker: { ...view.marker!, uid: uidFor('someone') } };
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ services: [svc], nodes: [node], instances: [instance], firewalls: [impostor] }), config);
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.endsWith('Firewall')), [], 'neither patched, deleted nor re-created');
  assert.ok(p.notes.some((n) => /marker names uid/.test(n.message)));
});

test('rules without our prefix are ignored entirely', () => {
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ nodes: [node], instances: [instance], firewalls: [{ rule: { name: 'gke-demo-all', description: 'x' } }] }), config);
  assert.deepEqual(actionsOf(p), []);
  assert.deepEqual(p.notes, []);
});

test("the explanation gives each rule's observed state: missing, in sync, drifted, not touched", () => {
  const svc = aService();
  const name = firewallName(CLUSTER_ID, svc.uid, 'IPv4');
  const stateOf = (s: Snapshot) => plan(s, config).services[0]?.firewallStates;
  const { node, instance } = aGkeNode('n1', 1);
  assert.deepEqual(stateOf(aSnapshot({ services: [svc], nodes: [node], instances: [instance] })), [{ name, state: 'missing' }]);
  const w = servedWorld([svc]);
  assert.deepEqual(stateOf(w), [{ name, state: 'in sync' }]);
  const drifted = w.firewalls?.map((f) => ({ ...f, rule: { ...f.rule, sourceRanges: ['10.0.0.0/8'] } }));
  assert.match(stateOf({ ...w, firewalls: drifted })?.[0]?.state ?? '', /^drifted: .*sourceRanges/);
  const impostor = ownRule(svc);
  impostor.marker = { ...impostor.marker!, uid: uidFor('someone') };
  assert.deepEqual(stateOf({ ...w, firewalls: [impostor] }), [{ name, state: `not touched: its marker names uid ${uidFor('someone')}` }]);
});
