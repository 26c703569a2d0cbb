// Refusals and warnings: what nodelb will not serve, and what it serves with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceView } from '../../functions/core/model.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { assessService } from '../../functions/core/validate.ts';
import { plan } from '../../functions/core/plan.ts';
import { SOURCE_RANGES_ANNOTATION } from '../../functions/core/naming.ts';
import { aConfig, aDualStackService, aGkeNode, aNamespace, aService, aSnapshot, ofKind } from './builders.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const manyPorts = (n: number, step = 2) => Array.from({ length: n }, (_, i) => ({ protocol: 'TCP' as const, port: 1000 + i * step, nodePort: 31000 + i }));

const refusals: { svc: ServiceView; config?: Partial<PlanConfig>; event: string; condition: string; message: RegExp; reason: string }[] = [
  { svc: aService({ namespace: 'team-b' }), config: { allowedNamespaces: ['team-a'] }, event: 'NamespaceNotAllowed', condition: 'Refused', message: /namespace team-b may not request/, reason: 'namespace not on the allow-list' },
  { svc: aService({ ports: [{ protocol: 'TCP', port: 22 }] }), event: 'PortDenied', condition: 'Refused', message: /port 22\/TCP is denied \(deny-list entry 22\)/, reason: 'SSH port' },
  { svc: aService({ ports: [{ protocol: 'TCP', port: 10250 }] }), event: 'PortDenied', condition: 'Refused', message: /10250\/TCP.*10248-10250/, reason: 'kubelet port, named with its deny-list range' },
  { svc: aService({ ports: [{ protocol: 'UDP', port: 31000 }] }), event: 'PortDenied', condition: 'Refused', message: /31000\/UDP.*30000-32767/, reason: 'NodePort range' },
  { svc: aService({ ports: [{ protocol: 'SCTP', port: 3868 }] }), event: 'UnsupportedProtocol', condition: 'Refused', message: /SCTP is not enabled/, reason: 'SCTP without allowSCTP' },
  { svc: aService({ ports: manyPorts(5) }), config: { maxPortsPerService: 4 }, event: 'TooManyPorts', condition: 'Refused', message: /5 ports; at most 4/, reason: 'more ports than maxPortsPerService' },
  { svc: aService({ ports: [] }), event: 'NoPorts', condition: 'InvalidConfiguration', message: /no ports/, reason: 'no ports' },
  { svc: aService({ loadBalancerSourceRanges: ['10.0.0/8'] }), event: 'InvalidSourceRanges', condition: 'InvalidConfiguration', message: /spec.loadBalancerSourceRanges: "10.0.0\/8" is not a CIDR/, reason: 'invalid CIDR in the spec' },
  { svc: aService({ annotations: { [SOURCE_RANGES_ANNOTATION]: '10.0.0.0/8, nonsense' } }), event: 'InvalidSourceRanges', condition: 'InvalidConfiguration', message: /annotation service.beta.kubernetes.io\/load-balancer-source-ranges: "nonsense"/, reason: 'invalid CIDR in the annotation' },
  { svc: aService({ externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 80, nodePort: 0 }] }), event: 'MissingNodePort', condition: 'InvalidConfiguration', message: /no nodePort, which externalTrafficPolicy: Local needs/, reason: 'Local without a nodePort' },
  { svc: aService({ annotations: { 'nodelb.dev/max-ips': 'many' } }), event: 'InvalidAnnotation', condition: 'InvalidConfiguration', message: /annotation nodelb.dev\/max-ips/, reason: 'invalid annotation names itself' },
];

for (const row of refusals) {
  test(`refused: ${row.reason}`, () => {
    const { node, instance } = aGkeNode('n1', 1);
    const snapshot = aSnapshot({ services: [row.svc], nodes: [node], instances: [instance], namespaces: [aNamespace(row.svc.namespace), aNamespace('kube-system')] });
    const p = plan(snapshot, aConfig(row.config));
    assert.equal(ofKind(actionsOf(p), 'createDaemonSet').length, 0, 'no DaemonSet');
    assert.equal(ofKind(actionsOf(p), 'createFirewall').length, 0, 'no firewall rule');
    const [write] = ofKind(actionsOf(p), 'writeStatus');
    assert.deepEqual(write?.ingress, [], 'ingress cleared');
    const cond = write?.conditions.find((c) => c.type === 'nodelb.dev/Serving');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, row.condition);
    assert.match(cond?.message ?? '', row.message);
    const events = ofKind(actionsOf(p), 'recordEvent');
    assert.deepEqual(events.map((e) => [e.type, e.eventReason]), [['Warning', row.event]], 'one Warning event');
    assert.match(p.services[0]?.refused ?? '', row.message);
  });
}

test('refused: SCTP is served when allowSCTP is on', () => {
  const a = assessService(aService({ ports: [{ protocol: 'SCTP', port: 3868 }] }), aConfig({ allowSCTP: true }), undefined);
  assert.deepEqual(a.problems, []);
});

test('refused: a Service that was serving gets its IPs withdrawn', () => {
  const svc = aService({ ports: [{ protocol: 'TCP', port: 22 }], ingress: [{ ip: '203.0.113.1' }] });
  const p = plan(aSnapshot({ services: [svc] }), aConfig());
  const [write] = ofKind(actionsOf(p), 'writeStatus');
  assert.deepEqual(write?.from, ['203.0.113.1']);
  assert.deepEqual(write?.to, []);
});

test('refused: terminating namespace clears the status but records no event', () => {
  const svc = aService({ namespace: 'going', ingress: [{ ip: '203.0.113.1' }] });
  const p = plan(aSnapshot({ services: [svc], namespaces: [aNamespace('going', { terminating: true }), aNamespace('kube-system')] }), aConfig());
  assert.deepEqual(actionsOf(p).map((a) => a.kind), ['writeStatus'], 'status only: Events cannot be created in a terminating namespace');
  assert.match(p.services[0]?.refused ?? '', /terminating/);
});

test('refused: every problem is listed, the condition reason comes from the first', () => {
  const svc = aService({ ports: [{ protocol: 'TCP', port: 22 }, { protocol: 'SCTP', port: 9 }], annotations: { 'nodelb.dev/ip-mode': 'x' } });
  const a = assessService(svc, aConfig(), undefined);
  assert.deepEqual(a.problems.map((p) => p.eventReason), ['PortDenied', 'UnsupportedProtocol', 'InvalidAnnotation']);
  const p = plan(aSnapshot({ services: [svc] }), aConfig());
  assert.equal(ofKind(actionsOf(p), 'recordEvent').length, 3, 'one Warning per problem');
});

test('refused Services do not stop the others', () => {
  const bad = aService({ name: 'bad', ports: [{ protocol: 'TCP', port: 22 }] });
  const good = aService({ name: 'good', ports: [{ protocol: 'TCP', port: 443 }] });
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ services: [bad, good], nodes: [node], instances: [instance] }), aConfig());
  assert.deepEqual(ofKind(actionsOf(p), 'createDaemonSet').map((a) => a.service?.name), ['good']);
  assert.deepEqual(ofKind(actionsOf(p), 'createFirewall').map((a) => a.service?.name), ['good']);
});

const warnings: { svc: ServiceView; event: string; message: RegExp; reason: string }[] = [
  { svc: aService({ loadBalancerIP: '198.51.100.7' }), event: 'LoadBalancerIPIgnored', message: /loadBalancerIP is not supported \(node IPs are published\)/, reason: 'loadBalancerIP set' },
  { svc: aService({ externalIPs: ['198.51.100.8'] }), event: 'ExternalIPsSet', message: /ExternalDNS publishes externalIPs instead/, reason: 'externalIPs set' },
  { svc: aService({ annotations: { 'nodelb.dev/maxips': '1' } }), event: 'UnknownAnnotation', message: /nodelb.dev\/maxips is not a nodelb setting/, reason: 'unknown nodelb annotation' },
  { svc: aDualStackService({ loadBalancerSourceRanges: ['10.0.0.0/8'] }), event: 'NoSourceRangesForFamily', message: /no IPv6 range/, reason: 'dual-stack Service with IPv4-only ranges' },
];
for (const row of warnings) {
  test(`served with a warning: ${row.reason}`, () => {
    const { node, instance } = aGkeNode('n1', 1);
    const p = plan(aSnapshot({ services: [row.svc], nodes: [node], instances: [instance] }), aConfig());
    assert.equal(ofKind(actionsOf(p), 'createDaemonSet').length, 1, 'still served');
    assert.equal(p.services[0]?.refused, undefined);
    const warning = ofKind(actionsOf(p), 'recordEvent').find((e) => e.eventReason === row.event);
    assert.equal(warning?.type, 'Warning');
    assert.match(warning?.message ?? '', row.message);
    assert.ok(p.services[0]?.warnings.some((w) => row.message.test(w)), 'listed in the explanation');
  });
}
