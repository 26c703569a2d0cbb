// Port conflicts: one port+protocol per node, the older Service wins, pools may share a port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceView } from '../../functions/core/model.ts';
import { assessService, resolvePortConflicts } from '../../functions/core/validate.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService, aSnapshot, ofKind } from './builders.ts';
import { actionsOf } from '../../functions/core/stages.ts';

function conflicts(services: ServiceView[]): Record<string, string[]> {
  const assessments = services.map((s) => assessService(s, aConfig(), undefined));
  resolvePortConflicts(assessments);
  return Object.fromEntries(assessments.map((a) => [a.svc.name, a.problems.map((p) => p.message)]));
}

const https = [{ protocol: 'TCP' as const, port: 443, nodePort: 30443 }];

test('conflict: the older Service keeps the port, the newer is refused naming the holder', () => {
  const old = aService({ namespace: 'ns', name: 'old', ports: https, creationTimestamp: '2024-01-01T00:00:00Z' });
  const young = aService({ namespace: 'ns', name: 'aaa-young', ports: https, creationTimestamp: '2024-06-01T00:00:00Z' });
  assert.deepEqual(conflicts([young, old]), { 'aaa-young': ['port 443/TCP is already served by ns/old'], old: [] });
});

test('conflict: same creation time, namespace/name decides', () => {
  const b = aService({ namespace: 'b', name: 'x', ports: https });
  const a = aService({ namespace: 'a', name: 'x', ports: https });
  const assessments = [b, a].map((s) => assessService(s, aConfig(), undefined));
  resolvePortConflicts(assessments);
  assert.deepEqual(assessments.map((x) => `${x.svc.namespace}:${x.problems.length}`), ['b:1', 'a:0'], 'a/x wins over b/x');
});

test('conflict: TCP and UDP on the same port do not collide', () => {
  const dnsTcp = aService({ name: 'dns-tcp', ports: [{ protocol: 'TCP', port: 53 }] });
  const dnsUdp = aService({ name: 'dns-udp', ports: [{ protocol: 'UDP', port: 53 }] });
  assert.deepEqual(conflicts([dnsTcp, dnsUdp]), { 'dns-tcp': [], 'dns-udp': [] });
});

test('conflict: different pools may share a port', () => {
  const blue = aService({ name: 'blue', ports: https, annotations: { 'nodelb.dev/pool': 'blue' } });
  const green = aService({ name: 'green', ports: https, annotations: { 'nodelb.dev/pool': 'green' }, creationTimestamp: '2024-02-01T00:00:00Z' });
  assert.deepEqual(conflicts([blue, green]), { blue: [], green: [] });
});

test('conflict: a pool and a pool-less Service can overlap, so they conflict', () => {
  const pooled = aService({ name: 'pooled', ports: https, annotations: { 'nodelb.dev/pool': 'blue' } });
  const everywhere = aService({ name: 'everywhere', ports: https, creationTimestamp: '2024-02-01T00:00:00Z' });
  assert.deepEqual(conflicts([pooled, everywhere]), { pooled: [], everywhere: ['port 443/TCP is already served by default/pooled'] });
});

test('conflict: the same pool conflicts', () => {
  const a = aService({ name: 'a', ports: https, annotations: { 'nodelb.dev/pool': 'blue' } });
  const b = aService({ name: 'b', ports: https, annotations: { 'nodelb.dev/pool': 'blue' }, creationTimestamp: '2024-02-01T00:00:00Z' });
  assert.equal(conflicts([a, b]).b?.length, 1);
});

test('conflict: an older Service refused for another reason does not hold the port', () => {
  const denied = aService({ name: 'denied', ports: [...https, { protocol: 'TCP', port: 22 }] });
  const fine = aService({ name: 'fine', ports: https, creationTimestamp: '2024-02-01T00:00:00Z' });
  assert.deepEqual(conflicts([denied, fine]).fine, []);
});

test('conflict: the loser gets a PortConflict condition and event, the winner its DaemonSet', () => {
  const old = aService({ name: 'old', ports: https });
  const young = aService({ name: 'young', ports: https, creationTimestamp: '2024-06-01T00:00:00Z' });
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ services: [old, young], nodes: [node], instances: [instance] }), aConfig());
  assert.deepEqual(ofKind(actionsOf(p), 'createDaemonSet').map((a) => a.service?.name), ['old']);
  const youngStatus = ofKind(actionsOf(p), 'writeStatus').find((w) => w.service.name === 'young');
  assert.equal(youngStatus?.conditions[0]?.reason, 'PortConflict');
  const events = ofKind(actionsOf(p), 'recordEvent').filter((e) => e.service.name === 'young');
  assert.deepEqual(events.map((e) => `${e.eventReason}: ${e.message}`), ['PortConflict: port 443/TCP is already served by default/old']);
});
