// Claiming: only LoadBalancer Services of our class are ours; nothing else is ever written to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceView } from '../../functions/core/model.ts';
import { claimService } from '../../functions/core/claim.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService, aSnapshot } from './builders.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();
const rows: { svc: ServiceView; claimed: boolean; why?: RegExp; reason: string }[] = [
  { svc: aService(), claimed: true, reason: 'LoadBalancer with our class' },
  { svc: aService({ loadBalancerClass: undefined }), claimed: false, why: /GKE's own/, reason: "classless: GKE's controller serves it" },
  { svc: aService({ loadBalancerClass: 'networking.gke.io/l4-regional-external' }), claimed: false, why: /another controller/, reason: 'foreign class' },
  { svc: aService({ type: 'NodePort', loadBalancerClass: undefined }), claimed: false, why: /NodePort/, reason: 'not a LoadBalancer' },
  { svc: aService({ type: 'ClusterIP' }), claimed: false, why: /ClusterIP/, reason: 'ClusterIP even with our class (stale)' },
  { svc: aService({ deleting: true }), claimed: false, why: /being deleted/, reason: 'being deleted counts as gone' },
];

for (const row of rows) {
  test(`claim: ${row.reason}`, () => {
    const claim = claimService(row.svc, config);
    assert.equal(claim.claimed, row.claimed);
    if (!claim.claimed && row.why) assert.match(claim.why, row.why);
  });
}

for (const row of rows.filter((r) => !r.claimed)) {
  test(`unclaimed Services get no action at all: ${row.reason}`, () => {
    const { node, instance } = aGkeNode('n1', 1);
    const p = plan(aSnapshot({ services: [row.svc], nodes: [node], instances: [instance] }), config);
    assert.deepEqual(actionsOf(p), []);
  });
}

test('unclaimed LoadBalancer Services are explained, other types are not listed', () => {
  const p = plan(
    aSnapshot({ services: [aService({ name: 'gke', loadBalancerClass: undefined }), aService({ name: 'internal', type: 'ClusterIP', loadBalancerClass: undefined })] }),
    config,
  );
  assert.equal(p.services.length, 1, 'only the LoadBalancer one is listed');
  assert.equal(p.services[0]?.claimed, false);
  assert.match(p.services[0]?.unclaimedBecause ?? '', /loadBalancerClass/);
  assert.deepEqual(p.services[0]?.ports, [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }], 'ports listed for the table');
});

test('headless Service with our class is claimed but refused with a Warning', () => {
  const svc = aService({ clusterIP: 'None', clusterIPs: ['None'] });
  const p = plan(aSnapshot({ services: [svc] }), config);
  assert.match(p.services[0]?.refused ?? '', /headless/);
  assert.deepEqual(actionsOf(p).map((a) => a.kind), ['writeStatus', 'recordEvent'], 'no DaemonSet, no rule: only the condition and one event');
  const event = actionsOf(p).find((a) => a.kind === 'recordEvent');
  assert.equal(event?.kind === 'recordEvent' && event.type, 'Warning');
});

test('a Service with our class but no cluster IPs at all is refused', () => {
  const p = plan(aSnapshot({ services: [aService({ clusterIP: undefined, clusterIPs: [] })] }), config);
  assert.match(p.services[0]?.refused ?? '', /no cluster IP/);
});
