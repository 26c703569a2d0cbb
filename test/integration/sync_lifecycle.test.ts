// The life of a Service through syncCluster in kubeconfig mode (client-node over HTTPS to the
// real API server, through the fault proxy): DaemonSet and rule made, the real controller's proxy
// pods Ready, status from the Compute API; a steady second sync writes nothing; node IP change;
// dry run; deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReady, problems, startRealWorld } from '../cluster/world.ts';

test('a claimed Service from creation to deletion (kubeconfig mode)', async (t) => {
  const w = await startRealWorld();
  t.after(() => w.close());
  const { gke } = w;
  // Node.status.addresses say 198.51.100.x; the Compute API is the truth (34.x): status must use it.
  for (let i = 0; i < 3; i++) {
    await gke.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i + 1}` });
    await gke.kubelets.setAddresses(`node-${i}`, { externalIP: `198.51.100.${i + 1}` });
  }
  // A VM of the same project that is not a node must not count as one of the cluster's instances.
  gke.gce.putInstance({ project: gke.project, zone: 'us-central1-b', name: 'bastion', natIP: '35.1.1.1', tags: ['ssh'] });
  await w.addService('web', { ports: [{ port: 80 }, { port: 443 }] });

  await t.test('first sync: DaemonSet, firewall rule, Ready pods, status = GCE external IPs', async () => {
    const r = await w.sync('kubeconfig');
    assert.equal(r.ok, true, problems(r));
    assert.equal(r.converged, true, problems(r));
    assert.equal(r.rounds, 2, 'waited for the new proxy pods, then planned again');
    assert.equal((await w.daemonSets()).length, 1);
    assert.equal(w.firewallRules().length, 1);
    const rule = gke.gce.getFirewall(w.firewallRules()[0] ?? '', gke.project);
    assert.deepEqual(rule?.targetTags, [gke.nodeTag]);
    assert.deepEqual(rule?.allowed, [{ IPProtocol: 'tcp', ports: ['80', '443'] }]);
    const pods = await w.proxyPods();
    assert.equal(pods.length, 3);
    assert.ok(pods.every(isReady));
    assert.deepEqual(await w.ingress('web'), ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
    assert.ok(r.calls.reads > 0 && r.calls.writes > 0);
    assert.ok(w.log.some((e) => e.event === 'sync.finished'));
  });

  await t.test('second sync of an unchanged world performs zero writes', async () => {
    w.resetCalls();
    const r = await w.sync('kubeconfig');
    assert.equal(r.converged, true, problems(r));
    assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
    assert.equal(r.calls.writes, 0);
    assert.deepEqual(r.plan.actions, []);
    assert.equal(r.rounds, 1);
  });

  await t.test('a node IP change in GCE is followed within one sync, though the Node object lags', async () => {
    await gke.setExternalIP('node-1', '34.9.9.9', { nodeLags: true });
    const r = await w.sync('kubeconfig');
    assert.equal(r.ok, true, problems(r));
    assert.deepEqual(await w.ingress('web'), ['34.0.0.1', '34.0.0.3', '34.9.9.9']);
  });

  await t.test('dry run plans but writes nothing', async () => {
    await w.addService('api', { ports: [{ port: 8080 }] });
    w.resetCalls();
    const r = await w.sync('kubeconfig', { dryRun: true });
    assert.equal(r.dryRun, true);
    assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
    assert.ok(r.results.length > 0);
    assert.ok(r.results.every((x) => x.outcome === 'dry-run'));
    assert.ok(r.plan.actions.some((a) => a.kind === 'createDaemonSet' && a.service === 'default/api'));
    assert.equal(r.converged, false, 'a dry run with work to do has not converged');
    assert.equal((await w.daemonSets()).length, 1);
  });

  await t.test('deleting the Service removes its DaemonSet and rule at the next sync', async () => {
    await w.deleteService('api');
    await w.deleteService('web');
    const r = await w.sync('kubeconfig');
    assert.equal(r.ok, true, problems(r));
    assert.deepEqual(await w.daemonSets(), []);
    assert.deepEqual(w.firewallRules(), []);
    assert.ok(r.results.some((x) => x.kind === 'deleteDaemonSet' && x.outcome === 'applied'));
    assert.ok(r.results.some((x) => x.kind === 'deleteFirewall' && x.outcome === 'applied'));
  });
});
