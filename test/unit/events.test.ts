// Pub/Sub message parsing and cluster selection (functions/handlers/events.ts), on fixtures that
// follow the documented Pub/Sub push envelope and Cloud Audit Logs LogEntry shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GCE_METHODS,
  GKE_METHODS,
  instanceMayBelongTo,
  parsePubSubMessage,
  regionOfZone,
  selectClusters,
  triggerLabels,
  type Trigger,
} from '../../functions/handlers/events.ts';
import { loadEnvelope, loadLogEntry, pubsubEnvelope, retargetGce, type LogEntryFixture } from '../fixtures/events.ts';

const REGIONAL = 'projects/nodelb-demo/locations/us-central1/clusters/prod-cluster';
const ZONAL = 'projects/nodelb-demo/locations/us-central1-a/clusters/staging';
const OTHER_REGION = 'projects/nodelb-demo/locations/europe-west1/clusters/prod-cluster';
const CONFIGURED = [REGIONAL, ZONAL, OTHER_REGION];

const fromEntry = (name: LogEntryFixture): Trigger => parsePubSubMessage(pubsubEnvelope(loadLogEntry(name)));

test('Cloud Scheduler message: a full sync of every configured cluster', () => {
  const t = parsePubSubMessage(loadEnvelope('scheduler'));
  assert.deepEqual(t, { kind: 'schedule', reason: 'schedule', messageId: '13516478201559745' });
  const s = selectClusters(t, CONFIGURED);
  assert.deepEqual(s.clusters, CONFIGURED);
  assert.deepEqual(s.goingAway, []);
  assert.match(s.why, /schedule/);
});

test('empty data and non-LogEntry JSON are schedules too', () => {
  const empty = pubsubEnvelope('');
  assert.equal(parsePubSubMessage(empty).kind, 'schedule');
  assert.equal(parsePubSubMessage({ message: { messageId: '1' } }).kind, 'schedule');
  assert.deepEqual(parsePubSubMessage(pubsubEnvelope({ hello: 'world' }, '9')), { kind: 'schedule', reason: 'message', messageId: '9' });
  assert.equal(parsePubSubMessage(pubsubEnvelope([1, 2])).kind, 'schedule');
  assert.deepEqual(parsePubSubMessage(pubsubEnvelope({ reason: 'manual' }, '10')), { kind: 'schedule', reason: 'manual', messageId: '10' });
});

test('garbage is invalid, never a throw', () => {
  const t = parsePubSubMessage(loadEnvelope('garbage'));
  assert.equal(t.kind, 'invalid');
  assert.deepEqual(selectClusters(t, CONFIGURED).clusters, []);
  for (const bad of [undefined, null, 42, 'x', {}, { message: 'x' }, { message: { data: 7 } }, { message: { data: '%%%not-base64%%%' } }]) {
    assert.equal(parsePubSubMessage(bad).kind, 'invalid', JSON.stringify(bad));
  }
  assert.equal(parsePubSubMessage(pubsubEnvelope('{"truncated": ')).kind, 'invalid');
});

test('GCE preempted (system_event) of a node of a regional cluster: that cluster, node going away', () => {
  const t = fromEntry('gce-preempted');
  assert.equal(t.kind, 'gce');
  assert.equal(t.kind === 'gce' && t.methodName, 'compute.instances.preempted');
  assert.equal(t.kind === 'gce' && t.principal, 'system@google.com');
  const s = selectClusters(t, CONFIGURED);
  assert.deepEqual(s.clusters, [REGIONAL]); // the zone is in us-central1; staging's prefix does not match
  assert.deepEqual(s.goingAway, ['gke-prod-cluster-spot-pool-5f0c2a1e-x7k2']);
  assert.deepEqual(triggerLabels(t), {
    trigger: 'gce',
    methodName: 'compute.instances.preempted',
    instance: 'gke-prod-cluster-spot-pool-5f0c2a1e-x7k2',
    zone: 'us-central1-a',
    operation: 'first',
    messageId: triggerLabels(t).messageId!,
  });
});

test('v1. and beta. prefixes are removed; stop is going away, access-config changes are not', () => {
  const del = fromEntry('gce-delete-access-config');
  assert.equal(del.kind === 'gce' && del.methodName, 'compute.instances.deleteAccessConfig');
  assert.deepEqual(selectClusters(del, CONFIGURED), {
    clusters: [REGIONAL],
    goingAway: [],
    why: 'compute.instances.deleteAccessConfig of gke-prod-cluster-default-pool-1a2b3c4d-q9zx in nodelb-demo/us-central1-a: node name matches',
  });
  const add = fromEntry('gce-add-access-config');
  assert.equal(add.kind === 'gce' && add.operation?.last, true);
  assert.deepEqual(selectClusters(add, CONFIGURED).clusters, [REGIONAL]);
  const stop = fromEntry('gce-stop-beta');
  assert.equal(stop.kind === 'gce' && stop.methodName, 'compute.instances.stop');
  assert.deepEqual(selectClusters(stop, CONFIGURED).goingAway, ['gke-prod-cluster-default-pool-1a2b3c4d-r8tx']);
});

test('insert by the container-engine robot and MIG repair select the cluster, nothing going away', () => {
  const ins = fromEntry('gce-insert-by-gke');
  assert.equal(ins.kind === 'gce' && ins.principal, 'service-123456789012@container-engine-robot.iam.gserviceaccount.com');
  assert.deepEqual(selectClusters(ins, CONFIGURED), {
    clusters: [REGIONAL],
    goingAway: [],
    why: 'compute.instances.insert of gke-prod-cluster-default-pool-9e8d7c6b-m3nt in nodelb-demo/us-central1-b: node name matches',
  });
  const rep = fromEntry('gce-repair-recreate');
  assert.equal(rep.kind === 'gce' && rep.methodName, 'compute.instances.repair.recreateInstance');
  assert.deepEqual(selectClusters(rep, CONFIGURED).clusters, [REGIONAL]);
  assert.deepEqual(selectClusters(rep, CONFIGURED).goingAway, []);
});

test('a zonal cluster is chosen only for instances in its zone', () => {
  const entry = retargetGce(loadLogEntry('gce-preempted'), { project: 'nodelb-demo', zone: 'us-central1-a', instance: 'gke-staging-pool-1-0a0b0c0d-zz11' });
  const s = selectClusters(parsePubSubMessage(pubsubEnvelope(entry)), CONFIGURED);
  assert.deepEqual(s.clusters, [ZONAL]);
  // Another zone of the same region: staging cannot be there, prod-cluster (regional) could.
  const sameRegion = retargetGce(entry, { project: 'nodelb-demo', zone: 'us-central1-f', instance: 'gke-staging-pool-1-0a0b0c0d-zz11' });
  assert.deepEqual(selectClusters(parsePubSubMessage(pubsubEnvelope(sameRegion)), CONFIGURED).clusters, [REGIONAL]);
  const elsewhere = retargetGce(entry, { project: 'nodelb-demo', zone: 'us-east1-b', instance: 'gke-staging-pool-1-0a0b0c0d-zz11' });
  assert.deepEqual(selectClusters(parsePubSubMessage(pubsubEnvelope(elsewhere)), CONFIGURED).clusters, []);
});

test('an unrelated project is ignored; a non-GKE instance in the project is ignored', () => {
  const t = fromEntry('gce-unrelated-project');
  const s = selectClusters(t, CONFIGURED);
  assert.deepEqual(s.clusters, []);
  assert.match(s.why, /no configured cluster there/);
  const bastion = retargetGce(loadLogEntry('gce-stop-beta'), { project: 'nodelb-demo', zone: 'us-central1-a', instance: 'bastion-1' });
  const b = selectClusters(parsePubSubMessage(pubsubEnvelope(bastion)), CONFIGURED);
  assert.deepEqual(b, { clusters: [], goingAway: [], why: 'compute.instances.stop of bastion-1 in nodelb-demo/us-central1-a: not a GKE node (name does not start with gke-)' });
});

test('unsure which cluster (unknown truncation, or no name): every configured cluster in that place', () => {
  const odd = retargetGce(loadLogEntry('gce-preempted'), { project: 'nodelb-demo', zone: 'us-central1-a', instance: 'gke-xyz-pool-0a0b0c0d-zz11' });
  const s = selectClusters(parsePubSubMessage(pubsubEnvelope(odd)), CONFIGURED);
  assert.deepEqual(s.clusters, [REGIONAL, ZONAL]);
  assert.match(s.why, /matches no configured cluster/);
  const noName = loadLogEntry('gce-preempted');
  (noName.protoPayload as Record<string, unknown>).resourceName = 'projects/nodelb-demo/zones/us-central1-a/instances/4411223344556677889';
  const t = parsePubSubMessage(pubsubEnvelope(noName));
  assert.equal(t.kind === 'gce' && t.instance, undefined);
  const n = selectClusters(t, CONFIGURED);
  assert.deepEqual(n.clusters, [REGIONAL, ZONAL]);
  assert.deepEqual(n.goingAway, []); // no name to exclude
});

test('a failed stop is not going away', () => {
  const entry = loadLogEntry('gce-stop-beta');
  (entry.protoPayload as Record<string, unknown>).status = { code: 7, message: 'PERMISSION_DENIED' };
  const s = selectClusters(parsePubSubMessage(pubsubEnvelope(entry)), CONFIGURED);
  assert.deepEqual(s.clusters, [REGIONAL]);
  assert.deepEqual(s.goingAway, []);
});

test('compute methods that do not concern node IPs are ignored', () => {
  const entry = loadLogEntry('gce-stop-beta');
  (entry.protoPayload as Record<string, unknown>).methodName = 'v1.compute.instances.setMetadata';
  const t = parsePubSubMessage(pubsubEnvelope(entry));
  assert.equal(t.kind, 'ignored');
  assert.deepEqual(selectClusters(t, CONFIGURED).clusters, []);
});

test('GKE service create and node delete: exactly that cluster when configured', () => {
  const svc = fromEntry('gke-service-create');
  assert.equal(svc.kind, 'gke');
  assert.deepEqual(selectClusters(svc, CONFIGURED), {
    clusters: [REGIONAL],
    goingAway: [],
    why: `io.k8s.core.v1.services.create in ${REGIONAL}`,
  });
  assert.equal(triggerLabels(svc).resource, 'core/v1/namespaces/shop/services/web');
  const node = fromEntry('gke-node-delete');
  assert.deepEqual(selectClusters(node, CONFIGURED).clusters, [REGIONAL]);
  const notConfigured = selectClusters(node, [ZONAL]);
  assert.deepEqual(notConfigured.clusters, []);
  assert.match(notConfigured.why, /not configured/);
});

test('status writes (nodelb’s own) and other services are ignored', () => {
  const status = fromEntry('gke-service-status-update');
  assert.equal(status.kind, 'ignored');
  const other = loadLogEntry('gke-service-create');
  (other.protoPayload as Record<string, unknown>).serviceName = 'storage.googleapis.com';
  assert.equal(parsePubSubMessage(pubsubEnvelope(other)).kind, 'ignored');
  const missing = loadLogEntry('gke-service-create');
  delete ((missing.resource as Record<string, unknown>).labels as Record<string, unknown>).cluster_name;
  assert.equal(parsePubSubMessage(pubsubEnvelope(missing)).kind, 'invalid');
});

test('duplicate deliveries parse to the same trigger (the sync does the de-duplication by being idempotent)', () => {
  const env = pubsubEnvelope(loadLogEntry('gce-preempted'), '77');
  assert.deepEqual(parsePubSubMessage(env), parsePubSubMessage(structuredClone(env)));
});

test('every handled compute method, with and without version prefix, is recognised', () => {
  for (const m of GCE_METHODS) {
    for (const name of [m, `v1.${m}`, `beta.${m}`]) {
      const entry = loadLogEntry('gce-stop-beta');
      (entry.protoPayload as Record<string, unknown>).methodName = name;
      const t = parsePubSubMessage(pubsubEnvelope(entry));
      assert.equal(t.kind === 'gce' && t.methodName, m, name);
    }
  }
  assert.equal(GKE_METHODS.length, 10);
  for (const m of GKE_METHODS) {
    const entry = loadLogEntry('gke-service-create');
    (entry.protoPayload as Record<string, unknown>).methodName = m;
    assert.equal(parsePubSubMessage(pubsubEnvelope(entry)).kind, 'gke', m);
  }
});

test('names and regions', () => {
  assert.equal(regionOfZone('us-central1-a'), 'us-central1');
  assert.equal(regionOfZone('europe-west4-b'), 'europe-west4');
  assert.ok(instanceMayBelongTo('gke-prod-cluster-default-pool-1a2b3c4d-q9zx', 'prod-cluster'));
  // GKE truncates long cluster names in instance names.
  assert.ok(instanceMayBelongTo('gke-a-very-long-cluster-n-default-pool-1a2b3c4d-q9zx', 'a-very-long-cluster-name-for-tests'));
  assert.ok(!instanceMayBelongTo('gke-prod-default-pool-1a2b3c4d-q9zx', 'staging'));
  assert.ok(!instanceMayBelongTo('prod-cluster-default-pool', 'prod-cluster'));
});
