// Releasing a Service nodelb no longer claims: its nodelb.dev/Serving condition (nodelb's
// marker) goes, and the node IPs too unless another load balancer owns the field. Services
// without the marker are never written to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConditionView } from '../../functions/core/model.ts';
import { plan } from '../../functions/core/plan.ts';
import { ofKind, aConfig, aService, aSnapshot } from './builders.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();
const serving: ConditionView = { type: 'nodelb.dev/Serving', status: 'True', reason: 'Published', message: 'serving on 2 nodes', lastTransitionTime: '2024-01-01T00:00:00Z' };
const other: ConditionView = { type: 'example.com/Ready', status: 'True', reason: 'Fine', message: 'x', lastTransitionTime: '2024-01-01T00:00:00Z' };
const published = { ingress: [{ ip: '203.0.113.1' }, { ip: '203.0.113.2' }], conditions: [other, serving] };

test('release: LoadBalancer → ClusterIP withdraws the IPs and removes only nodelb’s condition', () => {
  const svc = aService({ type: 'ClusterIP', loadBalancerClass: undefined, ...published });
  const [write] = ofKind(actionsOf(plan(aSnapshot({ services: [svc] }), config)), 'writeStatus');
  assert.deepEqual(write?.ingress, []);
  assert.deepEqual(write?.conditions, [other]);
  assert.deepEqual(write?.from, ['203.0.113.1', '203.0.113.2']);
  assert.equal(write?.resourceVersion, svc.resourceVersion);
  assert.match(write?.reason ?? '', /withdraw 203\.0\.113\.1, 203\.0\.113\.2 and remove condition nodelb\.dev\/Serving: type is ClusterIP/);
});

test('release: a LoadBalancer now of another class keeps its ingress (the other controller’s), loses our condition', () => {
  const svc = aService({ loadBalancerClass: 'example.com/other', ...published });
  const [write] = ofKind(actionsOf(plan(aSnapshot({ services: [svc] }), config)), 'writeStatus');
  assert.deepEqual(write?.ingress, published.ingress);
  assert.deepEqual(write?.conditions, [other]);
});

test('release: nothing for a Service without nodelb’s condition, nor for one being deleted', () => {
  const foreign = aService({ name: 'gke', type: 'ClusterIP', loadBalancerClass: undefined, ingress: published.ingress, conditions: [other] });
  const deleting = aService({ name: 'going', type: 'ClusterIP', loadBalancerClass: undefined, deleting: true, ...published });
  assert.deepEqual(actionsOf(plan(aSnapshot({ services: [foreign, deleting] }), config)), []);
});

test('release: held back while a read failed (no IP withdrawn that run)', () => {
  const svc = aService({ type: 'NodePort', loadBalancerClass: undefined, ...published });
  const p = plan(aSnapshot({ services: [svc], failedReads: [{ read: 'endpointslices', message: 'boom' }] }), config);
  assert.deepEqual(ofKind(actionsOf(p), 'writeStatus'), []);
  assert.ok(p.notes.some((n) => /held back: withdrawing 203\.0\.113\.1, 203\.0\.113\.2 from default\/web/.test(n.message)));
});
