// Fault-injection matrix, node churn: 27 node IP change (recreated node,
// GCE ahead of the Node object, stop/start), 28 nodes that must not be published (NotReady,
// cordoned, no external IP, proxy pod not Ready, being deleted, autoscaler) down to none left,
// 29 externalTrafficPolicy: Local. Each row ends with the invariants I1–I5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, problems, type FaultWorld } from './harness.ts';
import { tally, writeTally } from './tally.ts';
import { daemonSetName } from '../../functions/core/naming.ts';

/** A fresh world on this file's control plane (the harness resets it and closes it at the end). */
const world = (_t: unknown, nodes: number): Promise<FaultWorld> => startFaultWorld({ nodes });

async function syncOk(w: FaultWorld): Promise<void> {
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
}

test('row 27: node IP change — a recreated node, GCE ahead of the Node object, a stop/start: status follows, old IP gone, sorted', async (t) => {
  tally.scenario('row 27');
  const w = await world(t, 3);
  await w.addService({ name: 'web', ports: [80] });
  await w.converge();
  const foreign = await w.foreign();
  assert.deepEqual((await w.ingress('web')), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);

  // Recreated under the same name with a new (lower) address.
  await w.removeNode('node-2');
  await w.addNode({ name: 'node-2', externalIP: '198.51.100.250' });
  await syncOk(w);
  assert.deepEqual((await w.ingress('web')), ['198.51.100.250', '203.0.113.1', '203.0.113.2']);

  // GCE changed the address; the Node object still shows the old one.
  await w.setExternalIP('node-0', '203.0.113.200', { nodeLags: true });
  await syncOk(w);
  assert.deepEqual((await w.ingress('web')), ['198.51.100.250', '203.0.113.2', '203.0.113.200']);

  // Stopped (preempted): gone at once; started again with another ephemeral address.
  const ref = { project: w.gke.project, zone: `${w.gke.location}-a`, name: 'node-1' };
  w.gke.gce.stopInstance(ref);
  await syncOk(w);
  assert.deepEqual((await w.ingress('web')), ['198.51.100.250', '203.0.113.200']);
  w.gke.gce.startInstance(ref, { natIP: '203.0.113.77' });
  await syncOk(w);
  assert.deepEqual((await w.ingress('web')), ['198.51.100.250', '203.0.113.77', '203.0.113.200']);
  const normal = (await w.events('web', 'default', 'Normal')).map((e) => e.message);
  assert.ok(normal.some((m) => (m ?? '').includes('-> [198.51.100.250 203.0.113.77 203.0.113.200]')), JSON.stringify(normal));
  await w.assertInvariants(foreign);
});

test('row 28: NotReady, cordoned, no external IP, proxy pod not Ready, being deleted, autoscaler — each excluded; none left → empty status and a Warning', async (t) => {
  tally.scenario('row 28');
  const w = await world(t, 6);
  const svc = await w.addService({ name: 'web', ports: [80] });
  await w.converge();
  const foreign = await w.foreign();
  const ds = daemonSetName('web', svc.metadata.uid ?? '');
  const all = (await w.ingress('web'));
  assert.equal(all.length, 6);
  const ipOf = (i: number) => `203.0.113.${i + 1}`;
  const cases: [number, string, () => Promise<void>][] = [
    [0, 'NotReady', () => w.updateNode('node-0', { ready: false })],
    [1, 'cordoned', () => w.updateNode('node-1', { unschedulable: true })],
    [2, 'no external IP', () => w.setExternalIP('node-2', undefined)],
    [3, 'proxy pod not Ready', () => w.setPodReady(ds, 'node-3', false)],
    [4, 'being deleted', () => w.updateNode('node-4', { deleting: true })],
    [5, 'autoscaler', () => w.updateNode('node-5', { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1700000000', effect: 'NoSchedule' }] })],
  ];
  for (const [i, what, change] of cases) {
    await change();
    await syncOk(w);
    assert.ok(!(await w.ingress('web')).includes(ipOf(i)), `${what}: ${ipOf(i)} withdrawn`);
    assert.deepEqual((await w.ingress('web')), all.filter((_, j) => j > i), `${what}: the others stay`);
  }
  assert.deepEqual((await w.ingress('web')), []);
  assert.equal((await w.condition('web'))?.reason, 'NoEligibleNodes');
  const warnings = (await w.events('web')).filter((e) => e.reason === 'UnAvailableLoadBalancer');
  assert.equal(warnings.length, 1);
  await w.assertInvariants(foreign);

  // They come back: published again, with a Normal event.
  await w.updateNode('node-0', { ready: true });
  await w.updateNode('node-1', { unschedulable: false });
  await w.setExternalIP('node-2', ipOf(2));
  await w.setPodReady(ds, 'node-3', undefined);
  await syncOk(w);
  assert.deepEqual((await w.ingress('web')), [ipOf(0), ipOf(1), ipOf(2), ipOf(3)]);
  assert.equal((await w.condition('web'))?.reason, 'Published');
  await w.assertInvariants(await w.foreign());
});

test('row 29: externalTrafficPolicy: Local — only nodes with a ready endpoint are published, and the list follows the endpoints', async (t) => {
  tally.scenario('row 29');
  const w = await world(t, 4);
  await w.addService({ name: 'local', ports: [80], policy: 'Local' });
  await w.addService({ name: 'cluster', ports: [81] });
  await w.setEndpoints('default', 'local', [{ nodeName: 'node-2' }, { nodeName: 'node-0' }, { nodeName: 'node-1', ready: false }]);
  await w.converge();
  const foreign = await w.foreign();
  assert.deepEqual((await w.ingress('local')), ['203.0.113.1', '203.0.113.3']);
  assert.equal((await w.ingress('cluster')).length, 4, 'Cluster policy publishes every node');
  await w.setEndpoints('default', 'local', [{ nodeName: 'node-3' }, { nodeName: 'node-1' }]);
  await syncOk(w);
  assert.deepEqual((await w.ingress('local')), ['203.0.113.2', '203.0.113.4']);
  // No endpoint anywhere (scaled to zero): the Service is unavailable, said once.
  await w.setEndpoints('default', 'local', [{ nodeName: 'node-3', ready: false }]);
  await syncOk(w);
  assert.deepEqual((await w.ingress('local')), []);
  assert.equal((await w.events('local')).filter((e) => e.reason === 'UnAvailableLoadBalancer').length, 1);
  await w.assertInvariants(foreign);
});

test('tally: node rows', () => {
  assert.equal(tally.current.scenarios.length, 3);
  writeTally(import.meta.url);
});
