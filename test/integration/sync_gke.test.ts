// syncCluster in GKE mode (getCluster → TLS with the returned CA and a bearer token) against the
// real API server, and under faults from the proxy: a real status conflict, transient errors, a
// suspicious empty list, a permanent 403, an unreachable API server, Autopilot, and the
// prerequisites it reports. One cluster for the file: each test leaves it converged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, startRealWorld, type RealWorld } from '../cluster/world.ts';
import { plan } from '../../functions/core/plan.ts';
import { daemonSetName } from '../../functions/core/naming.ts';
import type { TokenSource } from '../../functions/adapters/auth.ts';

let w: RealWorld;

before(async () => {
  w = await startRealWorld();
  for (let i = 0; i < 3; i++) await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i + 1}` });
});
after(() => w?.close());

/** Nothing injected, nothing left to do, calls counted from here. */
async function converged(): Promise<void> {
  w.gke.faults.clear();
  const r = await w.sync('gke');
  assert.equal(r.converged, true, problems(r));
  w.resetCalls();
}

const kubeCalls = (pred: (path: string) => boolean) => w.gke.faults.calls.filter((c) => c.api === 'kube' && pred(c.path));

test('GKE mode: endpoint and CA from getCluster, a fresh bearer token on every request', async () => {
  await w.addService('web');
  let tokenCalls = 0;
  const tokens: TokenSource = { kind: 'static', token: async () => (tokenCalls++, w.gke.token) };
  const r = await w.sync('gke', { tokens });
  assert.equal(r.converged, true, problems(r));
  assert.equal(r.cluster, w.gke.clusterName);
  assert.deepEqual(r.calls.byApi.container, { reads: 1, writes: 0 });
  assert.deepEqual(w.gke.proxy.bearers, [w.gke.token], 'the Kubernetes API saw only the Google token');
  assert.ok(tokenCalls >= r.calls.reads + r.calls.writes, `token asked per request (${tokenCalls} for ${r.calls.reads + r.calls.writes})`);
  assert.deepEqual(await w.ingress('web'), ['34.0.0.1', '34.0.0.2', '34.0.0.3']);
  const rule = w.gke.gce.getFirewall(w.firewallRules()[0] ?? '', w.gke.project);
  assert.match(rule?.network ?? '', /\/global\/networks\/default$/);
  assert.match(rule?.description ?? '', /"managedBy":"nodelb"/);
});

test('a status write that conflicts with a concurrent change is re-read and written again', async () => {
  await converged();
  await w.gke.setExternalIP('node-0', '34.7.7.7', { nodeLags: true });
  // Someone edits the Service between our read and our write: kubectl runs synchronously inside
  // the planner, so the real API server has the newer resourceVersion before nodelb writes.
  const planner: typeof plan = (snapshot, config) => {
    const p = plan(snapshot, config);
    w.kubectl(['label', 'service', 'web', 'touched=yes', '--overwrite']);
    return p;
  };
  const r = await w.sync('gke', { planner });
  assert.equal(r.ok, true, problems(r));
  const status = r.results.find((x) => x.kind === 'writeStatus');
  assert.equal(status?.outcome, 'applied');
  assert.equal(status?.detail, 'after 1 conflict(s)');
  assert.deepEqual(await w.ingress('web'), ['34.0.0.2', '34.0.0.3', '34.7.7.7']);
  assert.equal((await w.service('web'))?.metadata.labels?.touched, 'yes', 'the concurrent change survives our write');
  assert.equal(kubeCalls((p) => p.endsWith('/services/web/status')).filter((c) => c.status === 409).length, 1, 'the real server answered 409');
});

test('transient 503s and 429s are retried within the sync', async () => {
  await converged();
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', status: 503, times: 2 });
  w.gke.faults.add({ api: 'compute', method: 'GET', path: '/aggregated/instances', status: 429, reason: 'rateLimitExceeded', retryAfterSeconds: 0, times: 1 });
  const r = await w.sync('gke');
  assert.equal(r.ok, true, problems(r));
  assert.equal(r.converged, true);
  assert.deepEqual(kubeCalls((p) => p === '/api/v1/services').map((c) => c.status), [503, 503, 200]);
});

test('a suspicious empty Service list deletes nothing and asks for a retry', async () => {
  await converged();
  const sets = (await w.daemonSets()).length;
  const rules = w.firewallRules().length;
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', emptyList: true, times: 1 });
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, true);
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
  assert.equal((await w.daemonSets()).length, sets);
  assert.equal(w.firewallRules().length, rules);
});

test('a permanent 403 on one firewall rule fails that action only, with the IAM fix, not retryable', async () => {
  await converged();
  const sets = (await w.daemonSets()).length;
  w.gke.faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', status: 403, reason: 'forbidden', times: Infinity });
  await w.addService('api', { ports: [{ port: 8080 }] });
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, false, 'retrying cannot grant a permission');
  const failed = r.results.filter((x) => x.outcome === 'failed');
  assert.deepEqual(failed.map((x) => x.kind), ['createFirewall']);
  assert.match(failed[0]?.fix ?? '', /compute\.firewalls\.create and compute\.networks\.updatePolicy/);
  assert.ok(r.prerequisites.some((p) => p.name === 'permission' && /compute\.firewalls\.create/.test(p.fix)));
  assert.equal((await w.daemonSets()).length, sets + 1, 'the DaemonSet was still made');
  assert.equal((await w.ingress('api')).length, 3, 'and the status still written');
  assert.equal(w.gke.faults.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls')).length, 1, 'a 403 is not retried');
});

test('an unreachable Kubernetes API fails closed: no writes, retryable', async () => {
  await converged();
  const rules = w.firewallRules().length;
  w.gke.faults.add({ api: 'kube', drop: true, times: Infinity });
  const r = await w.sync('gke', { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  assert.equal(r.ok, false);
  assert.equal(r.retryable, true);
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
  assert.deepEqual(r.plan.actions, []);
  assert.equal(w.firewallRules().length, rules);
});

test('Autopilot is refused before any read of the cluster, with the reason', async () => {
  await converged();
  const ref = { project: w.gke.project, location: w.gke.location, name: w.gke.cluster };
  w.gke.container.updateCluster(ref, { autopilot: true });
  try {
    const r = await w.sync('gke');
    assert.equal(r.ok, false);
    assert.equal(r.retryable, false);
    assert.equal(r.prerequisites[0]?.name, 'autopilot');
    assert.equal(w.gke.faults.counts('kube').reads + w.gke.faults.counts('kube').writes, 0);
  } finally {
    w.gke.container.updateCluster(ref, { autopilot: false });
  }
});

test('without a Local Service, EndpointSlices are not read at all', async () => {
  await converged();
  await w.sync('gke');
  assert.equal(kubeCalls((p) => p.includes('endpointslices')).length, 0);
});

test('externalTrafficPolicy: Local publishes only nodes with a ready endpoint (EndpointSlices read)', async () => {
  await converged();
  await w.addService('local', { ports: [{ port: 9000 }], policy: 'Local' });
  // Two backends: the one on node-1 is held not Ready, so its endpoint is in the slice, not ready.
  await w.gke.kubelets.holdPods('node-1', 'local-node-1', 'not-ready');
  await w.addBackends('local', ['node-1', 'node-2']);
  await w.waitFor('the EndpointSlice: node-2 ready, node-1 not', async () => {
    const slices = (await w.gke.admin.list('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dlocal')).items;
    return slices.flatMap((s) => (s.endpoints ?? []) as unknown[]).length === 2 && JSON.stringify(await w.readyEndpointNodes('local')) === '["node-2"]';
  });
  const r = await w.sync('gke');
  assert.equal(r.ok, true, problems(r));
  assert.deepEqual(await w.ingress('local'), ['34.0.0.3']);
  assert.ok(kubeCalls((p) => p === '/apis/discovery.k8s.io/v1/endpointslices').length > 0);
  await w.deleteService('local');
});

test('a 403 from Kubernetes names the RBAC rule to grant and is not retried', async () => {
  await converged();
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/nodes', status: 403, reason: 'Forbidden', times: Infinity });
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, false);
  const perm = r.prerequisites.find((p) => p.name === 'permission');
  assert.match(perm?.fix ?? '', /"list" on "nodes" cluster-wide/);
  assert.match(perm?.fix ?? '', /kubectl apply -k manifests\//);
  assert.equal(kubeCalls((p) => p === '/api/v1/nodes').length, 1);
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
});

test('when new proxy pods do not become Ready within settleMs, the sync says it has not converged', async () => {
  await converged();
  const svc = await w.addService('slow', { ports: [{ port: 8081 }] });
  const ds = daemonSetName('slow', svc.metadata.uid ?? '');
  await w.gke.kubelets.holdPods('node-1', ds, 'not-ready');
  const r = await w.sync('gke', {}, { settleMs: 200 });
  assert.equal(r.ok, true, problems(r));
  assert.equal(r.converged, false);
  assert.equal(r.rounds, 2);
  assert.ok(w.log.some((e) => e.event === 'settle.timeout'));
  // The real controller and kubelets need a moment for the other pods; once they are Ready, the
  // Ready nodes are published while node-1's pod is still held.
  await w.waitFor('two Ready proxy pods of slow', async () => (await w.gke.admin.get(`/apis/apps/v1/namespaces/nodelb-system/daemonsets/${ds}`)).status?.numberReady === 2);
  const again = await w.sync('gke', {}, { settleMs: 200 });
  assert.equal(again.ok, true, problems(again));
  assert.deepEqual(await w.ingress('slow'), ['34.0.0.3', '34.7.7.7'], 'the Ready nodes are published meanwhile');
  await w.gke.kubelets.holdPods('node-1', ds, undefined);
});

test('prerequisites: a proxy namespace without the privileged Pod Security label, and nodes without external IPs', async () => {
  await w.gke.admin.post('/api/v1/namespaces', { metadata: { name: 'proxies', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });
  // The real authorizer: manifests/ grants the proxy-namespace rights in nodelb-system only, so an
  // operator who picks another namespace binds the same Role there.
  const roles = w.manifestsYaml().split(/^---$/m).filter((d) => /^kind: (Role|RoleBinding)$/m.test(d));
  w.kubectl(['apply', '-f', '-'], roles.map((d) => d.replaceAll('namespace: nodelb-system', 'namespace: proxies')).join('\n---\n'));
  await w.gke.addNode({ name: 'node-x' });
  const r = await w.sync('gke', {}, { namespace: 'proxies', settleMs: 500 });
  const names = r.prerequisites.map((p) => p.name).sort();
  assert.deepEqual(names, ['external-ips', 'pod-security'], problems(r));
  assert.match(r.prerequisites.find((p) => p.name === 'pod-security')?.fix ?? '', /kubectl label namespace proxies pod-security\.kubernetes\.io\/enforce=privileged/);
  assert.match(r.prerequisites.find((p) => p.name === 'external-ips')?.message ?? '', /node-x/);
  assert.ok(w.log.some((e) => e.event === 'prerequisite.missing' && e.severity === 'WARNING'));

  const missing = await w.sync('gke', {}, { namespace: 'not-there' });
  const ns = missing.prerequisites.find((p) => p.name === 'proxy-namespace');
  assert.match(ns?.message ?? '', /not-there does not exist/);
  assert.match(ns?.fix ?? '', /kubectl apply -k manifests\//);
});
