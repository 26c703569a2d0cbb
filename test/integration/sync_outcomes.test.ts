// The outcome contract against the simulated GKE, through the world helpers: what the world keeps
// from serving is a warning (exit 0), pods still starting are published by a later sync, a dry run
// with changes is done, and a failed read fails the sync without anything destructive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startWorld, problems, type World } from './sync_world.ts';
import { exitStatus } from '../../functions/core/outcome.ts';

async function threeNodes(): Promise<World> {
  const w = await startWorld();
  for (let i = 0; i < 3; i++) w.sim.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i + 1}` });
  return w;
}

/** How often the settle loop polled (each poll lists the DaemonSets once). */
const polls = (w: World) => w.log.filter((e) => e.event === 'settle.ready' || e.event === 'settle.timeout').length;

test('host port taken on one node: done (exit 0), a warning naming the node, no settle timeout', async (t) => {
  const w = await threeNodes();
  t.after(() => w.close());
  w.sim.kube.setForeignHostPorts('node-1', [{ port: 80 }]);
  w.addService('web', [80]);
  // The full default settle window: the sync must not spend it on a pod that can never start.
  const r = await w.sync('kubeconfig', {}, { settleMs: 15_000 });
  assert.equal(r.outcome, 'done', problems(r));
  assert.equal(exitStatus(r.outcome), 0);
  assert.equal(r.rounds, 2);
  assert.ok(w.log.some((e) => e.event === 'settle.ready'), 'the wait ended because only a stuck pod was left');
  assert.ok(!w.log.some((e) => e.event === 'settle.timeout'), 'no 15 s wait for the pod that cannot be scheduled');
  assert.equal(polls(w), 1);
  assert.deepEqual(w.ingress('web'), ['34.0.0.1', '34.0.0.3'], 'the healthy nodes are published');
  const svc = r.plan.services.find((s) => s.service.name === 'web');
  const warning = svc?.warnings.find((m) => m.includes('node-1'));
  assert.match(warning ?? '', /no proxy on node node-1: the scheduler cannot place the proxy pod there \(Unschedulable/);
  assert.match(svc?.nodes.find((n) => n.node === 'node-1')?.why ?? '', /cannot run here/);
  assert.deepEqual(svc?.proxyPods, { ready: 2, total: 3, stuck: 1 });
  const events = w.sim.kube.list<{ metadata: object; reason?: string; message?: string }>('events', 'default');
  assert.ok(events.some((e) => e.reason === 'ProxyUnschedulable' && /node-1/.test(e.message ?? '')), 'a Warning Event on the Service names the node');
});

test('a pod held not Ready: done (exit 0) without that node; the next sync publishes it', async (t) => {
  const w = await threeNodes();
  t.after(() => w.close());
  w.addService('web', [80]);
  // First sync creates the DaemonSet; hold the pod on node-2 not Ready before the pods are read.
  const first = await w.sync('kubeconfig', {}, { settleMs: 0 });
  assert.equal(first.outcome, 'done', problems(first));
  const ds = w.daemonSets()[0] ?? '';
  w.sim.kube.setPodReady('nodelb-system', ds, 'node-2', false);
  const held = await w.sync('kubeconfig');
  assert.equal(held.outcome, 'done', problems(held));
  assert.equal(exitStatus(held.outcome), 0);
  assert.deepEqual(w.ingress('web'), ['34.0.0.1', '34.0.0.2']);
  assert.equal(held.plan.services[0]?.nodes.find((n) => n.node === 'node-2')?.why, 'proxy pod not Ready');
  w.sim.kube.setPodReady('nodelb-system', ds, 'node-2', undefined);
  const later = await w.sync('kubeconfig');
  assert.equal(later.outcome, 'done', problems(later));
  assert.deepEqual(w.ingress('web'), ['34.0.0.1', '34.0.0.2', '34.0.0.3'], 'published by the later sync');
});

test('a dry run with changes is done: exit 0, or 3 with --detailed-exitcode', async (t) => {
  const w = await threeNodes();
  t.after(() => w.close());
  w.addService('web', [80]);
  const r = await w.sync('kubeconfig', { dryRun: true });
  assert.ok(r.plan.actions.length > 0, 'it would change things');
  assert.equal(r.outcome, 'done', problems(r));
  assert.equal(exitStatus(r.outcome, { detailed: false, changesPending: true }), 0);
  assert.equal(exitStatus(r.outcome, { detailed: true, changesPending: true }), 3);
  assert.deepEqual(w.daemonSets(), [], 'nothing written');
});

test('a failed instance read: failed (exit 1), nothing destructive, the published IPs kept and marked unknown', async (t) => {
  const w = await threeNodes();
  t.after(() => w.close());
  w.addService('web', [80]);
  w.addService('gone', [81]);
  assert.equal((await w.sync('kubeconfig')).outcome, 'done');
  assert.deepEqual(w.ingress('web'), ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  w.sim.kube.deleteService('default', 'gone');
  w.sim.faults.add({ api: 'compute', method: 'GET', status: 503, times: Infinity });
  const r = await w.sync('kubeconfig');
  w.sim.faults.clear();
  assert.equal(r.outcome, 'failed', problems(r));
  assert.equal(exitStatus(r.outcome), 1);
  assert.deepEqual(r.results.filter((x) => x.kind.startsWith('delete')), [], 'nothing deleted');
  assert.equal(w.daemonSets().length, 2, 'the DaemonSet of the deleted Service waits for trusted reads');
  assert.deepEqual(w.ingress('web'), ['34.0.0.1', '34.0.0.2', '34.0.0.3'], 'status untouched');
  const web = r.plan.services.find((s) => s.service.name === 'web');
  assert.deepEqual(web?.ingress, ['34.0.0.1', '34.0.0.2', '34.0.0.3'], 'the report shows what the Service publishes now');
  assert.match(web?.ingressKept ?? '', /instance read failed: node IPs unknown/);
  assert.ok(web?.nodes.every((n) => n.unknown === true && !/deleted/.test(n.why)), JSON.stringify(web?.nodes));
});

test('an odd nodelb DaemonSet beside two healthy Services: both synced in the same run, the odd one reported', async (t) => {
  const w = await threeNodes();
  t.after(() => w.close());
  // Made by hand (or another nodelb): our managed-by label, but its pods lack nodelb.dev/daemonset.
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(w.kubeconfigPath);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  await apps.createNamespacedDaemonSet({
    namespace: 'nodelb-system',
    body: {
      metadata: { name: 'nodelb-handmade-0000beef', labels: { 'app.kubernetes.io/managed-by': 'nodelb', 'nodelb.dev/service-uid': 'no-such-uid' } },
      spec: {
        selector: { matchLabels: { app: 'handmade' } },
        template: { metadata: { labels: { app: 'handmade' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 9999, hostPort: 9999 }] }] } },
      },
    },
  });
  // One pod not Ready: its status proves nothing, so its pods are listed, and none is found by label.
  w.sim.kube.setPodReady('nodelb-system', 'nodelb-handmade-0000beef', 'node-0', false);
  w.addService('web', [80]);
  w.addService('api', [8080]);
  const r = await w.sync('kubeconfig');
  assert.equal(r.outcome, 'done', problems(r));
  assert.deepEqual(w.ingress('web'), ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  assert.deepEqual(w.ingress('api'), ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  assert.ok(w.daemonSets().includes('nodelb-handmade-0000beef'), 'the odd DaemonSet is not deleted this run');
  assert.ok(r.plan.notes.some((n) => n.severity === 'WARNING' && n.message.includes('DaemonSet nodelb-system/nodelb-handmade-0000beef reports 3 pods scheduled')), JSON.stringify(r.plan.notes));
});
