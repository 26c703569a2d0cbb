// The outcome contract on the real control plane: what the world keeps from serving is a warning
// (exit 0), pods still starting are published by a later sync, a dry run with changes is done,
// a failed read fails the sync without anything destructive, and one odd DaemonSet holds back
// only itself. The scheduler, DaemonSet controller and admission are Kubernetes' own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exitStatus } from '../../functions/core/outcome.ts';
import { problems, startRealWorld, type RealWorld } from '../cluster/world.ts';

let w: RealWorld;
const ALL = ['34.0.0.1', '34.0.0.2', '34.0.0.3'];

before(async () => {
  w = await startRealWorld();
  for (let i = 0; i < 3; i++) await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i + 1}` });
});
after(() => w?.close());

const dsOf = async (service: string) => (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === service);
const eventsOf = async (service: string) =>
  (await w.gke.admin.list(`/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${service}`)}`)).items;

test('host port taken on one node: done (exit 0), a warning naming the node, no settle timeout', async () => {
  // Another workload holds hostPort 8000 on node-1: the real scheduler keeps the proxy Pending there.
  await w.gke.admin.post('/api/v1/namespaces/default/pods', {
    metadata: { name: 'squatter', namespace: 'default' },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8000, hostPort: 8000 }] }] },
  });
  await w.addService('web', { ports: [{ port: 8000 }] });
  // The full default settle window: the sync must not spend it on a pod that can never start.
  const r = await w.sync('kubeconfig', {}, { settleMs: 15_000 });
  assert.equal(r.outcome, 'done', problems(r));
  assert.equal(exitStatus(r.outcome), 0);
  assert.ok(!w.log.some((e) => e.event === 'settle.timeout'), 'no 15 s wait for the pod that cannot be scheduled');
  assert.deepEqual(await w.ingress('web'), ['34.0.0.1', '34.0.0.3'], 'the healthy nodes are published');
  const svc = r.plan.services.find((s) => s.service.name === 'web');
  assert.match(svc?.warnings.find((m) => m.includes('node-1')) ?? '', /no proxy on node node-1: the scheduler cannot place the proxy pod there \(Unschedulable/);
  assert.deepEqual(svc?.proxyPods, { ready: 2, total: 3, stuck: 1 });
  assert.ok((await eventsOf('web')).some((e) => e.reason === 'ProxyUnschedulable' && /node-1/.test(String(e.message))), 'a Warning Event on the Service names the node');
});

test('a pod held not Ready: done (exit 0) without that node; the next sync publishes it', async () => {
  await w.gke.kubelets.holdPods('node-2', 'nodelb-held-', 'not-ready');
  await w.addService('held', { ports: [{ port: 8001 }] });
  const held = await w.sync('kubeconfig', {}, { settleMs: 3_000 });
  assert.equal(held.outcome, 'done', problems(held));
  assert.equal(exitStatus(held.outcome), 0);
  assert.deepEqual(await w.ingress('held'), ['34.0.0.1', '34.0.0.2']);
  assert.equal(held.plan.services.find((s) => s.service.name === 'held')?.nodes?.find((n) => n.node === 'node-2')?.why, 'proxy pod not Ready');
  await w.gke.kubelets.holdPods('node-2', 'nodelb-held-', undefined);
  await w.waitFor('the held proxy to become Ready', async () => (await dsOf('held'))?.status?.numberReady === 3);
  const later = await w.sync('kubeconfig');
  assert.equal(later.outcome, 'done', problems(later));
  assert.deepEqual(await w.ingress('held'), ALL, 'published by the later sync');
});

test('a dry run with changes is done: exit 0, or 3 with --detailed-exitcode', async () => {
  await w.addService('dry', { ports: [{ port: 8002 }] });
  const r = await w.sync('kubeconfig', { dryRun: true });
  assert.ok(r.plan.actions.length > 0, 'it would change things');
  assert.equal(r.outcome, 'done', problems(r));
  assert.equal(exitStatus(r.outcome, { detailed: false, changesPending: true }), 0);
  assert.equal(exitStatus(r.outcome, { detailed: true, changesPending: true }), 3);
  assert.equal(await dsOf('dry'), undefined, 'nothing written');
  await w.deleteService('dry');
});

test('a failed instance read: failed (exit 1), nothing destructive, the published IPs kept and marked unknown', async () => {
  await w.addService('keep', { ports: [{ port: 8003 }] });
  await w.addService('gone', { ports: [{ port: 8004 }] });
  await w.sync('kubeconfig');
  await w.waitFor('both proxies Ready', async () => (await dsOf('keep'))?.status?.numberReady === 3 && (await dsOf('gone'))?.status?.numberReady === 3);
  assert.equal((await w.sync('kubeconfig')).outcome, 'done');
  assert.deepEqual(await w.ingress('keep'), ALL);
  await w.deleteService('gone');
  const before = (await w.daemonSets()).length;
  w.gke.faults.add({ api: 'compute', method: 'GET', status: 503, times: Infinity });
  const r = await w.sync('kubeconfig');
  w.gke.faults.clear();
  assert.equal(r.outcome, 'failed', problems(r));
  assert.equal(exitStatus(r.outcome), 1);
  assert.deepEqual(r.results.filter((x) => x.kind.startsWith('delete')), [], 'nothing deleted');
  assert.equal((await w.daemonSets()).length, before, 'the DaemonSet of the deleted Service waits for trusted reads');
  assert.deepEqual(await w.ingress('keep'), ALL, 'status untouched');
  const keep = r.plan.services.find((s) => s.service.name === 'keep');
  assert.deepEqual(keep?.ingress, ALL, 'the report shows what the Service publishes now');
  assert.match(keep?.ingressKept ?? '', /instance read failed: node IPs unknown/);
  assert.ok(keep?.nodes?.every((n) => n.unknown === true && !/deleted/.test(n.why)), JSON.stringify(keep?.nodes));
});

test('an odd nodelb DaemonSet beside two healthy Services: both synced in the same run, the odd one reported', async () => {
  // Made by hand (or by another nodelb): our managed-by label, but its pods lack nodelb.dev/daemonset.
  await w.gke.kubelets.holdPods('node-0', 'nodelb-handmade-', 'not-ready'); // its status then proves nothing
  await w.gke.admin.post('/apis/apps/v1/namespaces/nodelb-system/daemonsets', {
    metadata: { name: 'nodelb-handmade-0000beef', labels: { 'app.kubernetes.io/managed-by': 'nodelb', 'nodelb.dev/service-uid': 'no-such-uid' } },
    spec: {
      selector: { matchLabels: { app: 'handmade' } },
      template: { metadata: { labels: { app: 'handmade' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 9999, hostPort: 9999 }] }] } },
    },
  });
  await w.waitFor('the hand-made DaemonSet to run its pods', async () => (await w.gke.admin.get('/apis/apps/v1/namespaces/nodelb-system/daemonsets/nodelb-handmade-0000beef')).status?.currentNumberScheduled === 3);
  await w.addService('odd-web', { ports: [{ port: 8005 }] });
  await w.addService('odd-api', { ports: [{ port: 8006 }] });
  await w.sync('kubeconfig');
  await w.waitFor('both proxies Ready', async () => (await dsOf('odd-web'))?.status?.numberReady === 3 && (await dsOf('odd-api'))?.status?.numberReady === 3);
  const r = await w.sync('kubeconfig');
  assert.equal(r.outcome, 'done', problems(r));
  assert.deepEqual(await w.ingress('odd-web'), ALL);
  assert.deepEqual(await w.ingress('odd-api'), ALL);
  assert.ok((await w.daemonSets()).some((d) => d.metadata.name === 'nodelb-handmade-0000beef'), 'the odd DaemonSet is not deleted this run');
  assert.ok(r.plan.notes.some((n) => n.severity === 'WARNING' && n.message.includes('DaemonSet nodelb-system/nodelb-handmade-0000beef reports 3 pods scheduled')), JSON.stringify(r.plan.notes));
});
