// Node eligibility and external IPs: every exclusion reason, the instance as the IP source,
// Node addresses for non-GCE nodes, and the InternalIP opt-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView, NodeView, Snapshot } from '../../functions/core/model.ts';
import { assessNode } from '../../functions/core/nodes.ts';
import { planExplained } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aNode, aService, aSnapshot, anInstance, endpointsOf } from './builders.ts';
import { converge } from './world.ts';

const config = aConfig();

const exclusions: { node?: Partial<NodeView>; instance?: Partial<InstanceView> | null; goingAway?: boolean; why: RegExp; reason: string }[] = [
  { node: { ready: false }, why: /not Ready/, reason: 'node NotReady' },
  { node: { deleting: true }, why: /being deleted/, reason: 'node being deleted' },
  { node: { unschedulable: true }, why: /cordoned/, reason: 'node cordoned' },
  { node: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1717000000', effect: 'NoSchedule' }] }, why: /cluster autoscaler \(ToBeDeletedByClusterAutoscaler\)/, reason: 'autoscaler is removing it' },
  { node: { taints: [{ key: 'DeletionCandidateOfClusterAutoscaler', value: '1717000000', effect: 'PreferNoSchedule' }] }, why: /DeletionCandidateOfClusterAutoscaler/, reason: 'autoscaler candidate' },
  { instance: { status: 'STOPPING' }, why: /GCE instance is STOPPING/, reason: 'instance stopping' },
  { instance: { status: 'TERMINATED' }, why: /GCE instance is TERMINATED/, reason: 'instance terminated (spot preemption)' },
  { instance: { status: 'SUSPENDED' }, why: /GCE instance is SUSPENDED/, reason: 'instance suspended' },
  { instance: null, why: /GCE instance not found/, reason: 'instance missing from the Compute list' },
  { goingAway: true, why: /going away/, reason: 'a trigger reported the instance going away' },
  { instance: { externalIPv4: [] }, why: /no external IPv4 address/, reason: 'no external IP' },
];

for (const row of exclusions) {
  test(`excluded from status: ${row.reason}`, () => {
    const svc = aService();
    const good = aGkeNode('good', 1);
    const bad = aGkeNode('bad', 2, { ...(row.node ? { node: row.node } : {}), ...(row.instance ? { instance: row.instance } : {}) });
    // Converge on a healthy world first, so the proxy pods exist; then break one node.
    const world = converge(aSnapshot({ services: [svc], nodes: [good.node, aGkeNode('bad', 2).node], instances: [good.instance, aGkeNode('bad', 2).instance] }), config).snapshot;
    const broken: Snapshot = {
      ...world,
      nodes: [good.node, bad.node],
      instances: row.instance === null ? [good.instance] : [good.instance, bad.instance],
      goingAway: row.goingAway ? ['bad'] : [],
    };
    const p = planExplained(broken, config);
    const decision = p.services[0]?.nodes?.find((n) => n.node === 'bad');
    assert.equal(decision?.published, false);
    assert.match(decision?.why ?? '', row.why);
    assert.deepEqual(p.services[0]?.ingress, ['203.0.113.1'], 'only the good node is published');
  });
}

test('excluded from status: no proxy pod, Pending pod, pod not Ready', () => {
  const svc = aService();
  const nodes = [aGkeNode('a', 1), aGkeNode('b', 2), aGkeNode('c', 3), aGkeNode('d', 4)];
  const world = converge(aSnapshot({ services: [svc], nodes: nodes.map((n) => n.node), instances: nodes.map((n) => n.instance) }), config).snapshot;
  const pods = world.pods
    .filter((p) => p.nodeName !== 'b')
    .map((p) => (p.nodeName === 'c' ? { ...p, ready: false, phase: 'Pending' } : p.nodeName === 'd' ? { ...p, ready: false } : p));
  const p = planExplained({ ...world, pods }, config);
  const why = Object.fromEntries(p.services[0]?.nodes?.map((n) => [n.node, n.why]) ?? []);
  assert.deepEqual(why, { a: 'published', b: 'no proxy pod', c: 'proxy pod Pending', d: 'proxy pod not Ready' });
  assert.deepEqual(p.services[0]?.proxyPods, { ready: 1, total: 3 });
});

test('Local policy: only nodes with a ready endpoint are published', () => {
  const svc = aService({ externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 443, nodePort: 30443 }] });
  const nodes = [aGkeNode('a', 1), aGkeNode('b', 2)];
  const base = aSnapshot({ services: [svc], nodes: nodes.map((n) => n.node), instances: nodes.map((n) => n.instance), endpoints: [endpointsOf(svc, ['b'])] });
  const p = planExplained(converge(base, config).snapshot, config);
  assert.deepEqual(p.services[0]?.ingress, ['203.0.113.2']);
  assert.match(p.services[0]?.nodes?.find((n) => n.node === 'a')?.why ?? '', /no ready endpoint/);
});

test('IPs: the GCE instance is the source, not the lagging Node addresses', () => {
  const node = aNode({ name: 'n1', addresses: [{ type: 'ExternalIP', address: '198.51.100.99' }] });
  const facts = assessNode(node, aSnapshot({ instances: [anInstance({ name: 'n1', externalIPv4: ['203.0.113.5'], externalIPv6: ['2600:1900:4000:1:0:0:0:0'] })] }), config);
  assert.deepEqual(facts.ips, { IPv4: ['203.0.113.5'], IPv6: ['2600:1900:4000:1::'] }, 'instance IPs, IPv6 canonical');
});

test('IPs: instance matched by providerID, even when the node name differs', () => {
  const node = aNode({ name: 'node-alias', providerID: 'gce://proj/us-central1-b/vm-7' });
  const snapshot = aSnapshot({
    instances: [anInstance({ name: 'vm-7', zone: 'us-central1-a', externalIPv4: ['203.0.113.1'] }), anInstance({ name: 'vm-7', zone: 'us-central1-b', externalIPv4: ['203.0.113.2'] })],
  });
  assert.deepEqual(assessNode(node, snapshot, config).ips.IPv4, ['203.0.113.2'], 'the instance in the providerID zone');
});

const addressRows: { addresses: NodeView['addresses']; allowInternal: boolean; want: string[]; reason: string }[] = [
  { addresses: [{ type: 'ExternalIP', address: '198.51.100.1' }, { type: 'InternalIP', address: '10.0.0.1' }], allowInternal: false, want: ['198.51.100.1'], reason: 'non-GCE node: ExternalIP from the Node' },
  { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], allowInternal: false, want: [], reason: 'InternalIP not published by default' },
  { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], allowInternal: true, want: ['10.0.0.1'], reason: 'InternalIP published when opted in' },
  { addresses: [{ type: 'ExternalIP', address: '198.51.100.1' }, { type: 'InternalIP', address: '10.0.0.1' }], allowInternal: true, want: ['198.51.100.1'], reason: 'opt-in still prefers ExternalIP' },
  { addresses: [{ type: 'Hostname', address: 'n1' }], allowInternal: true, want: [], reason: 'hostnames are not IPs' },
];
for (const row of addressRows) {
  test(`IPs from Node addresses: ${row.reason}`, () => {
    const node = aNode({ name: 'n1', providerID: 'aws:///us-east-1a/i-0abc', addresses: row.addresses });
    const facts = assessNode(node, aSnapshot({ instances: undefined }), aConfig({ allowInternalIPs: row.allowInternal }));
    assert.deepEqual(facts.ips.IPv4, row.want);
  });
}

test('IPs: a GCE node uses its addresses when the snapshot has no instances (kubeconfig mode)', () => {
  const node = aNode({ name: 'n1', addresses: [{ type: 'ExternalIP', address: '198.51.100.1' }] });
  assert.deepEqual(assessNode(node, aSnapshot({ instances: undefined }), config).ips.IPv4, ['198.51.100.1']);
  assert.deepEqual(assessNode(node, aSnapshot({ instances: undefined }), config).problems, [], 'and is not "missing"');
});

test('preferences: spot from the instance or GKE labels, static IP from the configured label', () => {
  const snapshot = aSnapshot({ instances: [anInstance({ name: 'a', spot: true }), anInstance({ name: 'b' }), anInstance({ name: 'c' })] });
  assert.equal(assessNode(aNode({ name: 'a' }), snapshot, config).spot, true, 'instance scheduling');
  assert.equal(assessNode(aNode({ name: 'b', labels: { 'cloud.google.com/gke-preemptible': 'true' } }), snapshot, config).spot, true, 'preemptible label');
  assert.equal(assessNode(aNode({ name: 'c', labels: { kubip_assigned: '203-0-113-9' } }), snapshot, config).staticIP, true, 'kubeip label');
  assert.equal(assessNode(aNode({ name: 'c', labels: { kubip_assigned: 'x' } }), snapshot, aConfig({ staticIPLabel: '' })).staticIP, false, 'off when empty');
});
