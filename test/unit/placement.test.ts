// Node pools and placement through the whole plan: the proxy DaemonSet follows changes of the
// pool, node-selector, tolerations and priority-class annotations and of the global selector;
// Services on disjoint pools share a port; ipMode per Service and globally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView, ServiceView, Snapshot } from '../../functions/core/model.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService, aSnapshot, ofKind } from './builders.ts';
import { applyToSnapshot, converge } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const https = [{ protocol: 'TCP' as const, port: 443, nodePort: 30443 }];

/** blue-1, blue-2 in pool blue; green-1 in pool green and tainted dedicated=lb; plain-1 in no pool. */
function nodes(): { node: NodeView; instance: ReturnType<typeof aGkeNode>['instance'] }[] {
  return [
    aGkeNode('blue-1', 1, { node: { labels: { 'nodelb.dev/pool': 'blue', disk: 'ssd' } } }),
    aGkeNode('blue-2', 2, { node: { labels: { 'nodelb.dev/pool': 'blue' } } }),
    aGkeNode('green-1', 3, { node: { labels: { 'nodelb.dev/pool': 'green' }, taints: [{ key: 'dedicated', value: 'lb', effect: 'NoSchedule' }] } }),
    aGkeNode('plain-1', 4, { node: { labels: { disk: 'ssd' } } }),
  ];
}

function world(services: ServiceView[]): Snapshot {
  const n = nodes();
  return aSnapshot({ services, nodes: n.map((x) => x.node), instances: n.map((x) => x.instance) });
}

function withAnnotations(s: Snapshot, name: string, annotations: Record<string, string | undefined>): Snapshot {
  return {
    ...s,
    services: s.services.map((svc) => {
      if (svc.name !== name) return svc;
      const next = { ...svc.annotations };
      for (const [k, v] of Object.entries(annotations)) {
        if (v === undefined) delete next[k];
        else next[k] = v;
      }
      return { ...svc, annotations: next };
    }),
  };
}

const ipsOf = (s: Snapshot, name: string) => s.services.find((x) => x.name === name)?.ingress.map((i) => i.ip) ?? [];

const changes: { annotations: Record<string, string>; config?: Partial<PlanConfig>; field: RegExp; ips: string[]; reason: string }[] = [
  { annotations: { 'nodelb.dev/pool': 'blue' }, field: /nodeSelector/, ips: ['203.0.113.1', '203.0.113.2'], reason: 'pool set: only that pool' },
  { annotations: { 'nodelb.dev/node-selector': 'disk=ssd' }, field: /nodeSelector/, ips: ['203.0.113.1', '203.0.113.4'], reason: 'node-selector set' },
  { annotations: { 'nodelb.dev/node-selector': 'disk!=ssd' }, field: /affinity/, ips: ['203.0.113.2'], reason: 'a != selector becomes node affinity' },
  {
    annotations: { 'nodelb.dev/tolerations': '[{"key":"dedicated","operator":"Equal","value":"lb","effect":"NoSchedule"}]' },
    field: /tolerations/,
    ips: ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'],
    reason: 'a toleration lets the proxy onto the tainted node',
  },
  { annotations: { 'nodelb.dev/priority-class': 'lb-critical' }, field: /priorityClassName/, ips: ['203.0.113.1', '203.0.113.2', '203.0.113.4'], reason: 'priority class set' },
];

for (const row of changes) {
  test(`the DaemonSet follows the annotation: ${row.reason}`, () => {
    const config = aConfig(row.config);
    const before = converge(world([aService({ ports: https })]), config);
    assert.deepEqual(ipsOf(before.snapshot, 'web'), ['203.0.113.1', '203.0.113.2', '203.0.113.4'], 'everywhere but the tainted node at first');

    const changed = withAnnotations(before.snapshot, 'web', row.annotations);
    const [update] = ofKind(actionsOf(plan(changed, config)), 'updateDaemonSet');
    assert.match(update?.reason ?? '', row.field, 'one update naming what changed');
    assert.equal(update?.resourceVersion, before.snapshot.daemonSets[0]?.metadata?.resourceVersion);

    const after = converge(changed, config);
    assert.deepEqual(ipsOf(after.snapshot, 'web'), row.ips, 'the published IPs follow the new placement');
    assert.equal(actionsOf(plan(after.snapshot, config)).length, 0, 'then steady');

    const removed = withAnnotations(after.snapshot, 'web', Object.fromEntries(Object.keys(row.annotations).map((k) => [k, undefined])));
    assert.equal(ofKind(actionsOf(plan(removed, config)), 'updateDaemonSet').length, 1, 'removing the annotation updates it back');
    assert.deepEqual(ipsOf(converge(removed, config).snapshot, 'web'), ['203.0.113.1', '203.0.113.2', '203.0.113.4']);
  });
}

test('the DaemonSets follow a change of the global node selector', () => {
  const services = [aService({ name: 'a', ports: https }), aService({ name: 'b', ports: [{ protocol: 'TCP', port: 80, nodePort: 30080 }] })];
  const before = converge(world(services), aConfig());
  const narrowed = aConfig({ nodeSelector: { disk: 'ssd' } });
  const updates = ofKind(actionsOf(plan(before.snapshot, narrowed)), 'updateDaemonSet');
  assert.deepEqual(updates.map((u) => u.service?.name), ['a', 'b'], 'every Service\'s DaemonSet');
  assert.ok(updates.every((u) => /nodeSelector/.test(u.reason)));
  const after = converge(before.snapshot, narrowed).snapshot;
  assert.deepEqual(ipsOf(after, 'a'), ['203.0.113.1', '203.0.113.4']);
  assert.deepEqual(ipsOf(after, 'b'), ['203.0.113.1', '203.0.113.4']);
});

test('an invalid placement annotation refuses the Service with a Warning, and the DaemonSet goes', () => {
  const before = converge(world([aService({ ports: https })]), aConfig());
  const bad = withAnnotations(before.snapshot, 'web', { 'nodelb.dev/tolerations': '[{"key":"dedicated","operator":"Sometimes"}]' });
  const p = plan(bad, aConfig());
  assert.equal(ofKind(actionsOf(p), 'deleteDaemonSet').length, 1, 'refused: the proxies go (documented: an invalid annotation refuses the Service)');
  const events = ofKind(actionsOf(p), 'recordEvent');
  assert.deepEqual(events.map((e) => [e.type, e.eventReason]), [['Warning', 'InvalidAnnotation']]);
  assert.match(events[0]?.message ?? '', /nodelb\.dev\/tolerations: toleration 1: operator must be Equal or Exists/);
  assert.equal(ofKind(actionsOf(p), 'writeStatus')[0]?.conditions[0]?.reason, 'InvalidConfiguration');
});

test('pools: two Services share port 443 on disjoint pools, each published on its own pool', () => {
  const blue = aService({ name: 'blue', ports: https, annotations: { 'nodelb.dev/pool': 'blue' } });
  const green = aService({
    name: 'green',
    ports: https,
    creationTimestamp: '2024-02-01T00:00:00Z',
    annotations: { 'nodelb.dev/pool': 'green', 'nodelb.dev/tolerations': '[{"key":"dedicated","operator":"Exists"}]' },
  });
  const result = converge(world([blue, green]), aConfig());
  assert.deepEqual(ipsOf(result.snapshot, 'blue'), ['203.0.113.1', '203.0.113.2']);
  assert.deepEqual(ipsOf(result.snapshot, 'green'), ['203.0.113.3']);
  assert.equal(result.snapshot.daemonSets.length, 2);
  assert.ok(result.snapshot.pods.every((p) => p.ready), 'no host port clash: every proxy pod runs');
  assert.deepEqual(result.events.filter((e) => e.type === 'Warning'), [], 'no conflict');

  // A third Service on 443 without a pool could land on either pool's nodes: it is refused.
  const everywhere = aService({ name: 'everywhere', ports: https, creationTimestamp: '2024-03-01T00:00:00Z' });
  const p = plan({ ...result.snapshot, services: [...result.snapshot.services, everywhere] }, aConfig());
  const warning = ofKind(actionsOf(p), 'recordEvent').find((e) => e.service.name === 'everywhere');
  assert.equal(warning?.eventReason, 'PortConflict');
  assert.match(warning?.message ?? '', /443\/TCP is already served by default\/blue/);
});

const ipModes: { config: 'VIP' | 'Proxy'; annotation?: string; want: 'VIP' | 'Proxy'; reason: string }[] = [
  { config: 'VIP', want: 'VIP', reason: 'default: VIP (left out of the status, read back as VIP)' },
  { config: 'Proxy', want: 'Proxy', reason: 'global Proxy' },
  { config: 'Proxy', annotation: 'VIP', want: 'VIP', reason: 'the annotation overrides a global Proxy' },
  { config: 'VIP', annotation: 'Proxy', want: 'Proxy', reason: 'the annotation overrides a global VIP' },
];
for (const row of ipModes) {
  test(`ipMode: ${row.reason}`, () => {
    const svc = aService({ ports: https, ...(row.annotation ? { annotations: { 'nodelb.dev/ip-mode': row.annotation } } : {}) });
    const config = aConfig({ ipMode: row.config });
    const first = plan(converge(world([svc]), config, 1).snapshot, config);
    const [write] = ofKind(actionsOf(first), 'writeStatus');
    assert.ok(write && write.ingress.length > 0);
    assert.ok(write.ingress.every((i) => (row.want === 'Proxy' ? i.ipMode === 'Proxy' : i.ipMode === undefined)), JSON.stringify(write.ingress));
    const done = converge(world([svc]), config).snapshot;
    assert.ok(done.services[0]?.ingress.every((i) => i.ipMode === row.want));
    const switched = aConfig({ ipMode: row.config === 'VIP' ? 'Proxy' : 'VIP' });
    const rewrite = ofKind(actionsOf(plan(done, switched)), 'writeStatus');
    assert.equal(rewrite.length, row.annotation ? 0 : 1, row.annotation ? 'the annotation pins it' : 'a global change rewrites the status');
  });
}

test('ipMode Proxy on an API server that drops the field (< 1.30): one Warning, then no rewrite every run', () => {
  const config = aConfig({ ipMode: 'Proxy' });
  const dropIPMode = (s: Snapshot): Snapshot => ({ ...s, services: s.services.map((svc) => ({ ...svc, ingress: svc.ingress.map(({ ip }) => ({ ip })) })) });
  const old = dropIPMode(converge(world([aService({ ports: https })]), config).snapshot);
  const p = plan(old, config);
  const events = ofKind(actionsOf(p), 'recordEvent');
  assert.deepEqual(events.map((e) => [e.type, e.eventReason]), [['Warning', 'IPModeNotSupported']]);
  assert.match(p.services[0]?.warnings.join() ?? '', /needs Kubernetes 1\.30/);
  const after = dropIPMode(applyToSnapshot(old, actionsOf(p)));
  assert.deepEqual(actionsOf(plan(after, config)), [], 'steady although the stored ingress lacks ipMode');
  assert.deepEqual(actionsOf(plan(converge(world([aService({ ports: https })]), config).snapshot, config)), [], 'a server that keeps ipMode: no warning, nothing to do');
});
