// Desired firewall rules and their semantic diff: ports collapsed per protocol, one rule per
// family, source ranges from spec/annotation/default, order-insensitive comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Firewall, ServiceView } from '../../functions/core/model.ts';
import { desiredFirewalls, firewallChanges } from '../../functions/core/firewall.ts';
import { assessService } from '../../functions/core/validate.ts';
import { plan } from '../../functions/core/plan.ts';
import { SOURCE_RANGES_ANNOTATION, encodeFirewallMarker, firewallName } from '../../functions/core/naming.ts';
import { CLUSTER_ID, NETWORK, NODE_TAG, aConfig, aDualStackService, aGkeNode, aService, aSnapshot, ofKind } from './builders.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();
const target = { network: NETWORK, project: 'proj', tag: NODE_TAG };
const cluster = { id: CLUSTER_ID, name: 'demo', project: 'proj' };
const rulesFor = (svc: ServiceView) => desiredFirewalls(assessService(svc, config, undefined), target, cluster, config);

test('desired rule: every field', () => {
  const svc = aService({ namespace: 'shop', name: 'front' });
  assert.deepEqual(rulesFor(svc), [
    {
      name: firewallName(CLUSTER_ID, svc.uid, 'IPv4'),
      description: encodeFirewallMarker({ managedBy: 'nodelb', cluster: CLUSTER_ID, service: 'shop/front', uid: svc.uid, family: 'IPv4' }),
      network: NETWORK,
      direction: 'INGRESS',
      priority: 1000,
      sourceRanges: ['0.0.0.0/0'],
      targetTags: [NODE_TAG],
      allowed: [{ IPProtocol: 'tcp', ports: ['80'] }],
      disabled: false,
    },
  ]);
});

const allowedRows: { ports: ServiceView['ports']; want: Firewall['allowed']; reason: string }[] = [
  { ports: [{ protocol: 'TCP', port: 53 }, { protocol: 'UDP', port: 53 }], want: [{ IPProtocol: 'tcp', ports: ['53'] }, { IPProtocol: 'udp', ports: ['53'] }], reason: 'TCP+UDP on one port: one entry per protocol' },
  { ports: [8002, 80, 8000, 8001, 443].map((port) => ({ protocol: 'TCP' as const, port })), want: [{ IPProtocol: 'tcp', ports: ['80', '443', '8000-8002'] }], reason: 'consecutive ports collapse into a range' },
];
for (const row of allowedRows) {
  test(`allowed: ${row.reason}`, () => assert.deepEqual(rulesFor(aService({ ports: row.ports }))[0]?.allowed, row.want));
}

test('allowed: 150 separate ports need 150 entries: refused TooManyPorts', () => {
  const ports = Array.from({ length: 150 }, (_, i) => ({ protocol: 'TCP' as const, port: 1000 + 2 * i }));
  const a = assessService(aService({ ports }), aConfig({ maxPortsPerService: 200 }), undefined);
  assert.deepEqual(a.problems.map((p) => p.eventReason), ['TooManyPorts']);
  assert.match(a.problems[0]?.message ?? '', /150 port entries.*GCE allows 100/);
});

test('allowed: 150 consecutive ports collapse into one entry and are accepted', () => {
  const ports = Array.from({ length: 150 }, (_, i) => ({ protocol: 'TCP' as const, port: 1000 + i }));
  const svc = aService({ ports });
  const a = assessService(svc, aConfig({ maxPortsPerService: 200 }), undefined);
  assert.deepEqual(a.problems, []);
  assert.deepEqual(desiredFirewalls(a, target, cluster, config)[0]?.allowed, [{ IPProtocol: 'tcp', ports: ['1000-1149'] }]);
});

const familyRows: { svc: ServiceView; want: Record<string, string[]>; reason: string }[] = [
  { svc: aService(), want: { IPv4: ['0.0.0.0/0'] }, reason: 'IPv4 Service, default range' },
  { svc: aDualStackService(), want: { IPv4: ['0.0.0.0/0'], IPv6: ['::/0'] }, reason: 'dual-stack: one rule per family with its default' },
  { svc: aService({ clusterIP: 'fd00::1', clusterIPs: ['fd00::1'], ipFamilies: ['IPv6'] }), want: { IPv6: ['::/0'] }, reason: 'IPv6-only Service: only the -v6 rule' },
  { svc: aDualStackService({ loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7/16'] }), want: { IPv4: ['10.0.0.0/8', '192.168.0.0/16'], IPv6: ['2001:db8::/32'] }, reason: 'spec ranges split by family, normalised' },
  { svc: aDualStackService({ loadBalancerSourceRanges: ['10.0.0.0/8'] }), want: { IPv4: ['10.0.0.0/8'] }, reason: 'no IPv6 range: no IPv6 rule (nothing opened for IPv6)' },
  { svc: aService({ annotations: { [SOURCE_RANGES_ANNOTATION]: '203.0.113.0/24,198.51.100.0/24' } }), want: { IPv4: ['198.51.100.0/24', '203.0.113.0/24'] }, reason: 'annotation ranges, sorted numerically' },
  { svc: aService({ loadBalancerSourceRanges: ['2001:db8::/32'] }), want: {}, reason: 'IPv4 Service with only IPv6 ranges: no rule at all' },
];
for (const row of familyRows) {
  test(`families and source ranges: ${row.reason}`, () => {
    const rules = rulesFor(row.svc);
    const got = Object.fromEntries(rules.map((r) => [JSON.parse(r.description ?? '{}').family, r.sourceRanges]));
    assert.deepEqual(got, row.want);
    for (const r of rules) assert.equal(r.name?.endsWith('-v6'), JSON.parse(r.description ?? '{}').family === 'IPv6', 'name suffix matches family');
  });
}

const base = () => (rulesFor(aService({ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }, { protocol: 'UDP', port: 443 }] }))[0] as Firewall);

const sameRows: { observed: (r: Firewall) => Firewall; reason: string }[] = [
  { observed: (r) => structuredClone(r), reason: 'identical' },
  { observed: (r) => ({ ...r, allowed: [...(r.allowed ?? [])].reverse() }), reason: 'protocols in another order' },
  { observed: (r) => ({ ...r, allowed: [{ IPProtocol: 'TCP', ports: ['443', '80'] }, { IPProtocol: 'udp', ports: ['443-443'] }] }), reason: 'ports in another order, upper-case protocol, 443-443 range' },
  { observed: (r) => ({ ...r, allowed: [{ IPProtocol: '6', ports: ['80', '443'] }, { IPProtocol: '17', ports: ['443'] }] }), reason: 'protocol numbers' },
  { observed: (r) => ({ ...r, description: JSON.stringify({ uid: JSON.parse(r.description ?? '').uid, family: 'IPv4', service: 'default/web', cluster: CLUSTER_ID, managedBy: 'nodelb' }) }), reason: 'marker keys in another order' },
  { observed: (r) => ({ ...r, direction: undefined, disabled: undefined, id: '123', selfLink: 'x', creationTimestamp: 'y' }), reason: 'defaults and read-only fields' },
];
for (const row of sameRows) {
  test(`diff finds nothing: ${row.reason}`, () => {
    const want = base();
    assert.deepEqual(firewallChanges(want, row.observed(want)), []);
  });
}

const diffRows: { observed: (r: Firewall) => Firewall; change: string; reason: string }[] = [
  { observed: (r) => ({ ...r, sourceRanges: ['10.0.0.0/8'] }), change: 'sourceRanges: 10.0.0.0/8 → 0.0.0.0/0', reason: 'source ranges edited' },
  { observed: (r) => ({ ...r, allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] }), change: 'allowed: tcp:80 → tcp:80,443; udp:443', reason: 'ports removed' },
  { observed: (r) => ({ ...r, allowed: [{ IPProtocol: 'tcp' }] }), change: 'allowed: tcp:all ports → tcp:80,443; udp:443', reason: 'opened to every port' },
  { observed: (r) => ({ ...r, targetTags: ['gke-other-node'] }), change: 'targetTags: gke-other-node → gke-demo-1a2b3c4d-node', reason: 'target tag changed' },
  { observed: (r) => ({ ...r, targetTags: [] }), change: 'targetTags: (all instances) → gke-demo-1a2b3c4d-node', reason: 'no target tags: every instance of the network' },
  { observed: (r) => ({ ...r, priority: 10 }), change: 'priority: 10 → 1000', reason: 'priority changed' },
  { observed: (r) => ({ ...r, disabled: true }), change: 'disabled: true → false', reason: 'rule disabled by hand' },
];
for (const row of diffRows) {
  test(`diff reports: ${row.reason}`, () => {
    const want = base();
    assert.deepEqual(firewallChanges(want, row.observed(want)), [row.change]);
  });
}

test('plan: a drifted rule is patched with the list of changes', () => {
  const svc = aService();
  const { node, instance } = aGkeNode('n1', 1);
  const rule = rulesFor(svc)[0] as Firewall;
  const observed = { ...rule, sourceRanges: ['0.0.0.0/0', '10.0.0.0/8'] };
  const p = plan(aSnapshot({ services: [svc], nodes: [node], instances: [instance], firewalls: [{ rule: observed, marker: JSON.parse(rule.description ?? '') }] }), config);
  const [patch] = ofKind(actionsOf(p), 'patchFirewall');
  assert.deepEqual(patch?.changes, ['sourceRanges: 0.0.0.0/0,10.0.0.0/8 → 0.0.0.0/0']);
  assert.equal(patch?.project, 'proj');
  assert.deepEqual(patch?.rule, rule);
});

test('plan: an invalid CIDR opens nothing and removes the existing rule', () => {
  const svc = aService();
  const rule = rulesFor(svc)[0] as Firewall;
  const { node, instance } = aGkeNode('n1', 1);
  const broken = { ...svc, loadBalancerSourceRanges: ['10.0.0.0/80'] };
  const p = plan(aSnapshot({ services: [broken], nodes: [node], instances: [instance], firewalls: [{ rule, marker: JSON.parse(rule.description ?? '') }] }), config);
  assert.deepEqual(ofKind(actionsOf(p), 'createFirewall'), []);
  assert.deepEqual(ofKind(actionsOf(p), 'deleteFirewall').map((d) => d.name), [rule.name]);
});

test('plan: firewall management off means no firewall action', () => {
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ services: [aService()], nodes: [node], instances: [instance] }), aConfig({ manageFirewall: false }));
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.endsWith('Firewall')), []);
  const p2 = plan(aSnapshot({ services: [aService()], nodes: [node], instances: [instance], firewalls: undefined }), config);
  assert.deepEqual(actionsOf(p2).filter((a) => a.kind.endsWith('Firewall')), [], 'nor when the runtime did not list rules');
});

test('plan: no rule ever opens a denied port', () => {
  const { node, instance } = aGkeNode('n1', 1);
  const services = [22, 443, 10250, 2379, 31000].map((port) => aService({ name: `p${port}`, ports: [{ protocol: 'TCP', port }] }));
  const p = plan(aSnapshot({ services, nodes: [node], instances: [instance] }), config);
  const opened = ofKind(actionsOf(p), 'createFirewall').flatMap((c) => (c.rule.allowed ?? []).flatMap((x) => x.ports ?? []));
  assert.deepEqual(opened, ['443']);
});
