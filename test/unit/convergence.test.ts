// Convergence: plan → apply → plan reaches zero actions for varied worlds, and after each kind
// of change in the world; the converged world is what the design promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../functions/core/model.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService } from './builders.ts';
import { variedWorld } from './varied_world.ts';
import { converge, runDaemonSetController } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

function assertConverges(start: Snapshot, config: PlanConfig, label: string): Snapshot {
  const result = converge(start, config);
  const last = result.plans[result.plans.length - 1];
  assert.deepEqual(last && actionsOf(last), [], `${label}: the last plan is empty`);
  assert.ok(result.rounds <= 3, `${label}: converged in ${result.rounds} rounds`);
  return result.snapshot;
}

const configs: [string, PlanConfig][] = [
  ['defaults', aConfig()],
  ['cap 2, Proxy mode, sysctls', aConfig({ maxIPs: 2, ipMode: 'Proxy', forwarding: 'sysctls' })],
  ['no firewall, global selector', aConfig({ manageFirewall: false, nodeSelector: { 'nodelb.dev/pool': '!green' } })],
  ['allow-list of namespaces', aConfig({ allowedNamespaces: ['shop', 'dns'] })],
];
for (const [label, config] of configs) {
  test(`converges: varied world with ${label}`, () => {
    assertConverges(variedWorld(), config, label);
  });
}

test('the converged varied world is what the design promises', () => {
  const w = assertConverges(variedWorld(), aConfig(), 'defaults');
  const svc = (ns: string, name: string) => w.services.find((s) => s.namespace === ns && s.name === name);
  const ips = (ns: string, name: string) => svc(ns, name)?.ingress.map((i) => i.ip);
  const reason = (ns: string, name: string) => svc(ns, name)?.conditions.find((c) => c.type === 'nodelb.dev/Serving')?.reason;

  assert.deepEqual(ips('shop', 'front'), ['203.0.113.11', '203.0.113.12', '203.0.113.21', '203.0.113.34'], 'healthy nodes only');
  assert.deepEqual(ips('shop', 'checkout'), ['203.0.113.11', '203.0.113.34'], 'Local: healthy nodes with endpoints');
  // pool-b-1 is the oldest but spot; pool-a-2 has the static IP; pool-a-1 is the oldest standard node.
  assert.deepEqual(ips('dns', 'resolver'), ['203.0.113.11', '203.0.113.12', '2600:1900:4000::12'], 'max-ips 2: static IP, then standard before spot, then age');
  assert.deepEqual(ips('blue', 'api'), ['203.0.113.11', '203.0.113.12'], 'pool blue');
  assert.deepEqual(svc('green', 'api')?.ingress, [{ ip: '203.0.113.21', ipMode: 'Proxy' }], 'pool green shares port 9000, Proxy mode');
  assert.equal(reason('shop', 'front-copy'), 'PortConflict');
  assert.equal(reason('ops', 'ssh'), 'Refused');
  assert.equal(reason('ops', 'bad-annotation'), 'InvalidConfiguration');
  assert.equal(reason('ops', 'ranges'), 'Published');
  assert.deepEqual(svc('other', 'gke-lb')?.conditions, [], 'foreign class untouched');

  const dsNames = w.daemonSets.map((d) => d.metadata?.name ?? '');
  assert.ok(!dsNames.some((n) => n.includes('ghost')), 'orphan DaemonSet gone');
  assert.ok(dsNames.includes('someone-elses'), 'foreign DaemonSet kept');
  const rules = (w.firewalls ?? []).map((f) => f.rule.name ?? '');
  assert.ok(rules.includes('nodelb-vpn'), 'hand-made rule kept');
  assert.equal(rules.filter((r) => r.startsWith('nodelb-')).length, 2 + 7, 'two foreign ones plus ours: six served Services, the dual-stack one has two');
  const opened = (w.firewalls ?? []).flatMap((f) => (f.rule.allowed ?? []).flatMap((a) => a.ports ?? []));
  assert.ok(!opened.includes('22'), 'the denied port is never opened');
});

const changes: [string, (w: Snapshot) => Snapshot][] = [
  ['a node becomes NotReady', (w) => ({ ...w, nodes: w.nodes.map((n) => (n.name === 'pool-a-1' ? { ...n, ready: false } : n)) })],
  ['a node gets a new external IP', (w) => ({ ...w, instances: w.instances?.map((i) => (i.name === 'pool-c-4' ? { ...i, externalIPv4: ['203.0.113.99'] } : i)) })],
  ['a node is added', (w) => {
    const n = aGkeNode('pool-c-9', 39);
    return { ...w, nodes: [...w.nodes, n.node], instances: [...(w.instances ?? []), n.instance] };
  }],
  ['a Service is deleted', (w) => ({ ...w, services: w.services.filter((s) => s.name !== 'front') })],
  ['a Service gets a new port', (w) => ({ ...w, services: w.services.map((s) => (s.name === 'front' ? { ...s, ports: [...s.ports, { protocol: 'TCP' as const, port: 8080 }] } : s)) })],
  ['the conflict winner goes, the loser takes over', (w) => ({ ...w, services: w.services.filter((s) => s.name !== 'front') })],
  ['source ranges change', (w) => ({ ...w, services: w.services.map((s) => (s.name === 'ranges' ? { ...s, loadBalancerSourceRanges: ['172.16.0.0/12'] } : s)) })],
  ['a Service is created', (w) => ({ ...w, services: [...w.services, aService({ namespace: 'shop', name: 'new', ports: [{ protocol: 'TCP', port: 5000 }] })] })],
  ['a trigger reports an instance going away', (w) => ({ ...w, goingAway: ['pool-a-2'] })],
];
for (const [label, change] of changes) {
  test(`converges again after: ${label}`, () => {
    const config = aConfig();
    const steady = assertConverges(variedWorld(), config, 'start');
    const changed = change(steady);
    changed.pods = runDaemonSetController(changed); // the cluster reacts before the next sync
    assert.notDeepEqual(actionsOf(plan(changed, config)), [], 'the change needs work');
    assertConverges(changed, config, label);
  });
}

test('the conflict loser is served once the winner is gone', () => {
  const config = aConfig();
  const steady = assertConverges(variedWorld(), config, 'start');
  const after = assertConverges({ ...steady, services: steady.services.filter((s) => s.name !== 'front') }, config, 'winner gone');
  const copy = after.services.find((s) => s.name === 'front-copy');
  assert.equal(copy?.conditions.find((c) => c.type === 'nodelb.dev/Serving')?.reason, 'Published');
});
