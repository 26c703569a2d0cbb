// Pod Security admission for real: the proxy namespace from manifests/ (enforce: privileged)
// admits the proxy pods; relabelled `baseline`, the real admission rejects new proxy pods, and
// nodelb says so on the Service and in its report instead of waiting for pods that never come.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isReady, PROXY_NS, startRealWorld, type RealWorld } from '../cluster/world.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';

let w: RealWorld;

before(async () => {
  w = await startRealWorld();
  for (let i = 1; i <= 2; i++) await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.2.${i}` });
});
after(() => w?.close());

function text(r: ClusterReport): string {
  return JSON.stringify({ errors: r.errors, results: r.results, notes: r.plan.notes, prerequisites: r.prerequisites, services: r.plan.services });
}

test('the namespace from manifests/ admits the proxy pods (privileged init container, NET_ADMIN, hostPort)', async () => {
  await w.addService('admitted', { ports: [{ port: 80 }] });
  await w.sync('gke');
  await w.waitFor('two Ready proxy pods', async () => (await w.proxyPods()).filter(isReady).length === 2);
  await w.sync('gke');
  assert.deepEqual(await w.ingress('admitted'), ['34.0.2.1', '34.0.2.2']);
});

test('under baseline the pods are rejected, and nodelb reports it on the Service and in the report', async () => {
  w.kubectl(['label', '--overwrite', 'namespace', PROXY_NS, 'pod-security.kubernetes.io/enforce=baseline']);
  await w.addService('rejected', { ports: [{ port: 81 }] });
  const first = await w.sync('gke');
  // The real DaemonSet controller could not create a single pod.
  const ds = (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === 'rejected');
  assert.ok(ds, text(first));
  const events = (await w.gke.admin.list(`/api/v1/namespaces/${PROXY_NS}/events`)).items;
  assert.ok(events.some((e) => e.reason === 'FailedCreate' && /PodSecurity/.test(String(e.message))), 'the controller was refused by Pod Security');
  const r = await w.sync('gke');
  assert.match(text(r), /Pod Security|pod-security/i, text(r));
  assert.match(text(r), /baseline/);
  const svcEvents = (await w.gke.admin.list('/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Drejected')).items;
  assert.ok(svcEvents.some((e) => e.type === 'Warning' && /Pod Security|privileged/i.test(String(e.message))), JSON.stringify(svcEvents.map((e) => e.message)));
  // The Service that was already served keeps its IPs.
  assert.deepEqual(await w.ingress('admitted'), ['34.0.2.1', '34.0.2.2']);
});
