// Status writes and Events: written only when something differs, Events only on transitions,
// the Serving condition's transitions, and other controllers' conditions left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConditionView, ServiceView, Snapshot } from '../../functions/core/model.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService, aSnapshot, ofKind } from './builders.ts';
import { converge } from './world.ts';
import { describeIPChange, goList } from '../../functions/core/status.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();

function world(services: ServiceView[], n = 2): Snapshot {
  const nodes = Array.from({ length: n }, (_, i) => aGkeNode(`n${i + 1}`, i + 1));
  return converge(aSnapshot({ services, nodes: nodes.map((x) => x.node), instances: nodes.map((x) => x.instance) }), config).snapshot;
}
const serving = (s: ServiceView | undefined) => s?.conditions.find((c) => c.type === 'nodelb.dev/Serving');

test('first publication: status with sorted IPs, condition True, one UpdatedLoadBalancer event', () => {
  const w = converge(aSnapshot({ services: [aService()], nodes: [aGkeNode('n1', 10).node, aGkeNode('n2', 9).node], instances: [aGkeNode('n1', 10).instance, aGkeNode('n2', 9).instance] }), config);
  assert.deepEqual(w.snapshot.services[0]?.ingress.map((i) => i.ip), ['203.0.113.9', '203.0.113.10']);
  const cond = serving(w.snapshot.services[0]);
  assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['True', 'Published', 'serving on 2 nodes']);
  assert.deepEqual(
    w.events.filter((e) => e.reason === 'UpdatedLoadBalancer').map((e) => e.message),
    ['Updated LoadBalancer with new IPs: [] -> [203.0.113.9 203.0.113.10]'],
  );
});

test('steady state: no write and no event, run after run', () => {
  const w = world([aService()]);
  assert.deepEqual(actionsOf(plan(w, config)), []);
  assert.deepEqual(actionsOf(plan(w, config)), [], 'still nothing on the next run');
});

test('a node leaves: status rewritten, Normal event with old and new IPs', () => {
  const w = world([aService()], 3);
  const p = plan({ ...w, nodes: w.nodes.map((n) => (n.name === 'n2' ? { ...n, ready: false } : n)) }, config);
  const [write] = ofKind(actionsOf(p), 'writeStatus');
  assert.deepEqual(write?.from, ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  assert.deepEqual(write?.to, ['203.0.113.1', '203.0.113.3']);
  assert.equal(write?.resourceVersion, w.services[0]?.resourceVersion, 'written against the observed resourceVersion');
  assert.deepEqual(ofKind(actionsOf(p), 'recordEvent').map((e) => `${e.type} ${e.eventReason}: ${e.message}`), [
    'Normal UpdatedLoadBalancer: Updated LoadBalancer with new IPs: [203.0.113.1 203.0.113.2 203.0.113.3] -> [203.0.113.1 203.0.113.3]',
  ]);
});

test('a thousand IPs: the Event, the reason and the change say what was added and removed, bounded', () => {
  const w = world([aService()], 30);
  // Every third node moves to a new IP: 10 of 30 change.
  const moved = { ...w, instances: (w.instances ?? []).map((i, k) => (k % 3 === 0 ? { ...i, externalIPv4: [`198.51.100.${k + 1}`] } : i)) };
  const p = plan(moved, config);
  const [write] = ofKind(actionsOf(p), 'writeStatus');
  const [event] = ofKind(actionsOf(p), 'recordEvent');
  assert.equal(write?.to.length, 30);
  assert.match(write?.reason ?? '', /^publish 30 node IPs \(30 -> 30 IPs, added \[198\.51\.100\.1 198\.51\.100\.4 .*198\.51\.100\.28\], removed \[203\.0\.113\.1 .*\]\)/);
  assert.match(event?.message ?? '', /^Updated LoadBalancer with new IPs: 30 -> 30 IPs, added \[(\S+ ){9}\S+\], removed \[(\S+ ){9}\S+\]$/);
  const big = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const change = describeIPChange(big, [...big.slice(0, 990), '192.0.2.1'], '→', ', ');
  assert.equal(change, '1000 → 991 IPs, added [192.0.2.1], removed [10.0.3.222, 10.0.3.223, 10.0.3.224, 10.0.3.225, 10.0.3.226, 10.0.3.227, 10.0.3.228, 10.0.3.229, 10.0.3.230, 10.0.3.231]');
  assert.equal(goList(big).length < 200, true);
  assert.match(goList(big), / …990 more\]$/);
  assert.equal(describeIPChange(['a'], ['b']), '[a] -> [b]', 'short lists: servicelb\'s words');
});

test('the last node leaves: ingress empty, condition NoEligibleNodes, one Warning, then silence', () => {
  const w = world([aService()], 1);
  const broken = { ...w, nodes: w.nodes.map((n) => ({ ...n, unschedulable: true })) };
  const after = converge(broken, config);
  const svc = after.snapshot.services[0];
  assert.deepEqual(svc?.ingress, []);
  assert.equal(serving(svc)?.reason, 'NoEligibleNodes');
  assert.match(serving(svc)?.message ?? '', /no eligible node \(1 node\): 1 cordoned/);
  assert.deepEqual(after.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), ['Warning UnAvailableLoadBalancer: There are no available nodes for LoadBalancer']);
  assert.equal(after.rounds, 1, 'one write; the next plan is empty');
});

test('a new Service whose proxies are being created: condition ProxyStarting, no alarm', () => {
  const p = plan(aSnapshot({ services: [aService()], nodes: [aGkeNode('n1', 1).node], instances: [aGkeNode('n1', 1).instance] }), config);
  const [write] = ofKind(actionsOf(p), 'writeStatus');
  assert.deepEqual([write?.conditions[0]?.status, write?.conditions[0]?.reason], ['False', 'ProxyStarting']);
  assert.deepEqual(ofKind(actionsOf(p), 'recordEvent'), [], 'no UnAvailableLoadBalancer for proxies that are only starting');
});

test('proxies exist but none is Ready: NoEligibleNodes with the reasons, and a Warning', () => {
  const w = world([aService()], 1);
  const p = plan({ ...w, pods: w.pods.map((x) => ({ ...x, ready: false })) }, config);
  const [write] = ofKind(actionsOf(p), 'writeStatus');
  assert.equal(write?.conditions[0]?.reason, 'NoEligibleNodes');
  assert.match(write?.conditions[0]?.message ?? '', /1 proxy pod not Ready/);
  assert.deepEqual(ofKind(actionsOf(p), 'recordEvent').map((e) => e.eventReason), ['UnAvailableLoadBalancer']);
});

test('lastTransitionTime: now when the status flips, kept when only the message changes', () => {
  const old: ConditionView = { type: 'nodelb.dev/Serving', status: 'True', reason: 'Published', message: 'serving on 3 nodes', lastTransitionTime: '2025-01-01T00:00:00Z' };
  const w = world([aService()], 2);
  const svc = { ...(w.services[0] as ServiceView), conditions: [old], ingress: [{ ip: '203.0.113.1' }] };
  const [write] = ofKind(actionsOf(plan({ ...w, services: [svc] }, config)), 'writeStatus');
  assert.equal(write?.conditions[0]?.message, 'serving on 2 nodes');
  assert.equal(write?.conditions[0]?.lastTransitionTime, '2025-01-01T00:00:00Z', 'still True: time kept');
  const flipped = { ...w, nodes: w.nodes.map((n) => ({ ...n, ready: false })), services: [svc] };
  const [write2] = ofKind(actionsOf(plan(flipped, config)), 'writeStatus');
  assert.equal(write2?.conditions[0]?.lastTransitionTime, w.now, 'True → False: snapshot.now');
});

test("other controllers' conditions are preserved untouched and in place", () => {
  const foreign: ConditionView = { type: 'example.com/Audited', status: 'True', reason: 'Ok', message: 'x', lastTransitionTime: '2020-01-01T00:00:00Z' };
  const w = world([aService({ conditions: [foreign] })]);
  assert.deepEqual(w.services[0]?.conditions[0], foreign);
  assert.equal(w.services[0]?.conditions.length, 2);
});

test('status written when only the condition differs (someone edited its message)', () => {
  const w = world([aService()]);
  const svc = w.services[0] as ServiceView;
  const edited = { ...svc, conditions: svc.conditions.map((c) => ({ ...c, message: 'hello' })) };
  const p = plan({ ...w, services: [edited] }, config);
  assert.deepEqual(actionsOf(p).map((a) => a.kind), ['writeStatus'], 'no IP change, so no event');
});

test('ingress in another order is rewritten; VIP read back from the API is not a difference', () => {
  const w = world([aService()]);
  const svc = w.services[0] as ServiceView;
  assert.ok(svc.ingress.every((i) => i.ipMode === 'VIP'), 'the API server stored ipMode VIP');
  assert.deepEqual(actionsOf(plan(w, config)), [], 'VIP vs absent: same');
  const reversed = { ...svc, ingress: [...svc.ingress].reverse() };
  const p = plan({ ...w, services: [reversed] }, config);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus')[0]?.to, ['203.0.113.1', '203.0.113.2']);
});

test('a warning is announced once, not on every run', () => {
  const w = converge(aSnapshot({ services: [aService({ loadBalancerIP: '1.2.3.4' })], nodes: [aGkeNode('n1', 1).node], instances: [aGkeNode('n1', 1).instance] }), config);
  assert.deepEqual(w.events.filter((e) => e.reason === 'LoadBalancerIPIgnored').length, 1);
  assert.match(serving(w.snapshot.services[0])?.message ?? '', /loadBalancerIP is not supported/, 'the condition remembers it');
  assert.deepEqual(actionsOf(plan(w.snapshot, config)), []);
});

test('a refusal is announced once; fixing it publishes again', () => {
  const denied = aService({ ports: [{ protocol: 'TCP', port: 22 }] });
  const w = converge(aSnapshot({ services: [denied], nodes: [aGkeNode('n1', 1).node], instances: [aGkeNode('n1', 1).instance] }), config);
  assert.deepEqual(w.events.map((e) => e.reason), ['PortDenied']);
  assert.deepEqual(actionsOf(plan(w.snapshot, config)), [], 'no repeat');
  const fixed = { ...w.snapshot, services: w.snapshot.services.map((s) => ({ ...s, ports: [{ protocol: 'TCP' as const, port: 2222 }] })) };
  const after = converge(fixed, config);
  assert.equal(serving(after.snapshot.services[0])?.status, 'True');
  assert.deepEqual(after.snapshot.services[0]?.ingress.map((i) => i.ip), ['203.0.113.1']);
});

test('a second, different refusal is announced', () => {
  const w = converge(aSnapshot({ services: [aService({ ports: [{ protocol: 'TCP', port: 22 }] })] }), config).snapshot;
  const worse = { ...w, services: w.services.map((s) => ({ ...s, ports: [...s.ports, { protocol: 'SCTP' as const, port: 9 }] })) };
  const events = ofKind(actionsOf(plan(worse, config)), 'recordEvent');
  assert.deepEqual(events.map((e) => e.eventReason), ['UnsupportedProtocol'], 'only the new problem');
});

test('deleting Service: no status write, no event', () => {
  const w = world([aService()]);
  const p = plan({ ...w, services: w.services.map((s) => ({ ...s, deleting: true })) }, config);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus'), []);
  assert.deepEqual(ofKind(actionsOf(p), 'recordEvent'), []);
  assert.deepEqual(actionsOf(p).map((a) => a.kind).sort(), ['deleteDaemonSet', 'deleteFirewall']);
});

test('proxies deleted by hand: they are re-created and the emptied status is a Warning', () => {
  const w = world([aService()], 1);
  const p = plan({ ...w, daemonSets: [], pods: [] }, config);
  assert.equal(ofKind(actionsOf(p), 'createDaemonSet').length, 1);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus')[0]?.to, []);
  assert.deepEqual(ofKind(actionsOf(p), 'recordEvent').map((e) => e.eventReason), ['UnAvailableLoadBalancer']);
});
