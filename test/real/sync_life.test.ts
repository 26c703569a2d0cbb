// The life of Services on the real control plane: the real DaemonSet controller makes the proxy
// pods, the real scheduler places them, the real EndpointSlice controller makes the slices, and
// nodelb (with only the rights manifests/ grants) follows node join, NotReady, cordon, delete,
// an external-IP change, port and type changes, deletion and DaemonSet drift.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isReady, PROXY_NS, startRealWorld, type RealWorld } from '../cluster/world.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';

let w: RealWorld;

before(async () => {
  w = await startRealWorld();
  for (let i = 1; i <= 3; i++) await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i}`, externalIPv6: `2600:1900:4000:${i}::` });
});
after(() => w?.close());

function problems(r: ClusterReport): string {
  return JSON.stringify({ errors: r.errors, failed: r.results.filter((x) => x.outcome !== 'applied'), notes: r.plan.notes, prerequisites: r.prerequisites }, null, 1);
}

/** Syncs until the Service publishes `want` (a new DaemonSet may need a second sync once its pods are Ready). */
async function syncUntil(name: string, want: string[], ns = 'default'): Promise<ClusterReport> {
  let last: ClusterReport | undefined;
  for (let i = 0; i < 4; i++) {
    last = await w.sync('gke');
    assert.deepEqual(last.errors, [], problems(last));
    if (JSON.stringify(await w.ingress(name, ns)) === JSON.stringify(want)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.deepEqual(await w.ingress(name, ns), want, last && problems(last));
  return last as ClusterReport;
}

test('a Cluster-policy IPv4 Service gets a DaemonSet, a firewall rule and the nodes\' GCE IPs', async () => {
  await w.addService('web', { ports: [{ port: 80 }, { port: 443 }] });
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  const ds = (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === 'web');
  assert.ok(ds, 'a proxy DaemonSet for web');
  // The real controller's counts, not ours.
  assert.equal(ds.status?.desiredNumberScheduled, 3);
  assert.equal(ds.status?.numberReady, 3);
  const pods = (await w.proxyPods()).filter((p) => p.metadata.name.startsWith(ds.metadata.name));
  assert.equal(pods.length, 3);
  assert.ok(pods.every(isReady));
  assert.equal(w.firewallRules().length, 1);
  const rule = w.gke.gce.getFirewall(w.firewallRules()[0] ?? '', w.gke.project);
  assert.deepEqual(rule?.allowed, [{ IPProtocol: 'tcp', ports: ['80', '443'] }]);
  assert.deepEqual(rule?.targetTags, [w.gke.nodeTag]);
});

test('a second sync of an unchanged world makes zero writes on the real API server', async () => {
  w.resetCalls();
  const r = await w.sync('gke');
  assert.deepEqual(r.plan.actions, [], problems(r));
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
});

test('IPv6 and dual-stack Services publish the families they ask for', async () => {
  await w.addService('v6', { ports: [{ port: 8080 }], ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] });
  await w.addService('dual', { ports: [{ port: 8081 }], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
  await syncUntil('v6', ['2600:1900:4000:1::', '2600:1900:4000:2::', '2600:1900:4000:3::']);
  const dual = await w.ingress('dual');
  assert.deepEqual(dual, ['2600:1900:4000:1::', '2600:1900:4000:2::', '2600:1900:4000:3::', '34.0.0.1', '34.0.0.2', '34.0.0.3'].sort());
  const svc = await w.service('dual');
  assert.equal(svc?.spec.clusterIPs.length, 2, 'the real API server allocated both families');
  // Services that ask for IPv6 get one rule per family.
  assert.ok(w.firewallRules().length >= 4, `rules: ${w.firewallRules().join(', ')}`);
});

test('Local policy publishes only nodes with a ready endpoint, from the real EndpointSlice controller', async () => {
  await w.addService('local', { ports: [{ port: 9000 }], policy: 'Local' });
  await w.addBackends('local', ['node-2']);
  await w.waitFor('an EndpointSlice with a ready endpoint on node-2', async () => {
    const slices = (await w.gke.admin.list('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dlocal')).items;
    return slices.some((s) => ((s.endpoints ?? []) as { nodeName?: string; conditions?: { ready?: boolean } }[]).some((e) => e.nodeName === 'node-2' && e.conditions?.ready));
  });
  await syncUntil('local', ['34.0.0.2']);
});

test('a node that joins is published; NotReady, cordoned and deleted nodes are withdrawn', async () => {
  await w.gke.addNode({ name: 'node-4', externalIP: '34.0.0.4' });
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.0.0.3', '34.0.0.4']);

  await w.gke.kubelets.setReady('node-4', false);
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  await w.gke.kubelets.setReady('node-4', true);
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.0.0.3', '34.0.0.4']);

  w.kubectl(['cordon', 'node-4']);
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  w.kubectl(['uncordon', 'node-4']);

  await w.gke.removeNode('node-4');
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
});

test('an external-IP change in GCE is followed though the Node object lags', async () => {
  await w.gke.setExternalIP('node-3', '34.9.9.9', { nodeLags: true });
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.9.9.9']);
});

test('changed ports roll the DaemonSet and patch the firewall rule', async () => {
  const svc = await w.service('web');
  assert.ok(svc);
  svc.spec.ports = [{ name: 'p8443', port: 8443, protocol: 'TCP', targetPort: 8443 }];
  await w.gke.admin.put('/api/v1/namespaces/default/services/web', svc);
  await syncUntil('web', ['34.0.0.1', '34.0.0.2', '34.9.9.9']);
  const ds = (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === 'web');
  const ports = (ds?.spec.template.spec.containers as { ports: { hostPort: number }[] }[]).flatMap((c) => c.ports.map((p) => p.hostPort));
  assert.deepEqual(ports, [8443]);
  const rule = w.gke.gce.listFirewalls(w.gke.project).find((r) => (r.description ?? '').includes('"service":"default/web"'));
  assert.deepEqual(rule?.allowed, [{ IPProtocol: 'tcp', ports: ['8443'] }]);
  // The rollout by the real controller ends with every pod on the new template.
  let last = '';
  await w.waitFor('the rollout to finish', async () => {
    const d = await w.gke.admin.get(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${ds?.metadata.name}`);
    const pods = (await w.proxyPods()).map((p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}${p.metadata.deletionTimestamp ? ':terminating' : ''}`);
    last = `generation ${d.metadata.generation} ${JSON.stringify(d.status)} pods ${pods.join(' ')}`;
    return d.status.updatedNumberScheduled === d.status.desiredNumberScheduled && d.status.numberReady === d.status.desiredNumberScheduled && d.status.observedGeneration === d.metadata.generation;
  }, 120_000).catch((err: Error) => assert.fail(`${err.message}: ${last}`));
});

test('DaemonSet drift is repaired', async () => {
  const ds = (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === 'web');
  assert.ok(ds);
  ds.spec.template.spec.containers[0].image = 'example.invalid/tampered:1';
  await w.gke.admin.put(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${ds.metadata.name}`, ds);
  const r = await w.sync('gke');
  assert.ok(r.results.some((x) => x.kind === 'updateDaemonSet' && x.outcome === 'applied'), problems(r));
  const back = await w.gke.admin.get(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${ds.metadata.name}`);
  assert.notEqual(back.spec.template.spec.containers[0].image, 'example.invalid/tampered:1');
});

test('a type change away from LoadBalancer, then deletion, remove everything nodelb made', async () => {
  const svc = await w.service('v6');
  assert.ok(svc);
  svc.spec.type = 'ClusterIP';
  delete svc.spec.loadBalancerClass; // the API server requires it cleared with the type
  delete svc.spec.externalTrafficPolicy;
  await w.gke.admin.put('/api/v1/namespaces/default/services/v6', svc);
  for (const name of ['web', 'dual', 'local']) await w.gke.admin.delete(`/api/v1/namespaces/default/services/${name}`);
  const r = await w.sync('gke');
  assert.deepEqual(r.errors, [], problems(r));
  assert.deepEqual(await w.daemonSets(), []);
  assert.deepEqual(w.firewallRules(), []);
  const left = await w.service('v6');
  assert.deepEqual(left?.status?.loadBalancer ?? {}, {}, 'a Service no longer claimed keeps no nodelb status');
});
