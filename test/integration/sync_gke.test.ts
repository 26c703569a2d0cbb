// syncCluster in GKE mode (getCluster → TLS with the returned CA and a bearer token) and under
// faults: a real status conflict, transient errors, a suspicious empty list, a permanent 403,
// an unreachable API server, Autopilot, and the prerequisites it reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, problems, type World } from './sync_world.ts';
import { plan } from '../../functions/core/plan.ts';
import { daemonSetName } from '../../functions/core/naming.ts';
import type { TokenSource } from '../../functions/adapters/auth.ts';

async function converged(t: { after(fn: () => Promise<void>): void }, nodes = 3): Promise<World> {
  const w = await startWorld();
  t.after(() => w.close());
  for (let i = 0; i < nodes; i++) w.sim.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i + 1}` });
  w.addService('web', [80]);
  const r = await w.sync('gke');
  assert.equal(r.converged, true, problems(r));
  w.sim.faults.resetCalls();
  return w;
}

test('GKE mode: endpoint and CA from getCluster, a fresh bearer token on every request', async (t) => {
  const w = await startWorld();
  t.after(() => w.close());
  w.sim.addNode({ name: 'node-0', externalIP: '34.0.0.1' });
  w.addService('web', [80]);
  let tokenCalls = 0;
  const tokens: TokenSource = { kind: 'static', token: async () => (tokenCalls++, w.sim.token) };
  const r = await w.sync('gke', { tokens });
  assert.equal(r.ok, true, problems(r));
  assert.equal(r.cluster, w.sim.clusterName);
  assert.deepEqual(r.calls.byApi.container, { reads: 1, writes: 0 });
  assert.equal(w.sim.kubeSim.lastBearer, w.sim.token);
  assert.ok(tokenCalls >= r.calls.reads + r.calls.writes, `token asked per request (${tokenCalls} for ${r.calls.reads + r.calls.writes})`);
  assert.deepEqual(w.ingress('web'), ['34.0.0.1']);
  const rule = w.sim.gce.getFirewall(w.firewallRules()[0] ?? '', w.sim.project);
  assert.match(rule?.network ?? '', /\/global\/networks\/default$/);
  assert.match(rule?.description ?? '', /"managedBy":"nodelb"/);
});

test('a status write that conflicts with a concurrent change is re-read and written again', async (t) => {
  const w = await converged(t);
  w.sim.setExternalIP('node-0', '34.7.7.7', { nodeLags: true });
  // Someone edits the Service between our read and our write: a genuine 409 from the sim.
  const planner: typeof plan = (snapshot, config) => {
    const p = plan(snapshot, config);
    w.sim.kube.updateService('default', 'web', (svc) => {
      svc.metadata.labels = { ...svc.metadata.labels, touched: 'yes' };
    });
    return p;
  };
  const r = await w.sync('gke', { planner });
  assert.equal(r.ok, true, problems(r));
  const status = r.results.find((x) => x.kind === 'writeStatus');
  assert.equal(status?.outcome, 'applied');
  assert.equal(status?.detail, 'after 1 conflict(s)');
  assert.deepEqual(w.ingress('web'), ['34.0.0.2', '34.0.0.3', '34.7.7.7']);
  const svc = w.sim.kube.get<{ metadata: { labels?: Record<string, string> } }>('services', 'default', 'web');
  assert.equal(svc?.metadata.labels?.touched, 'yes', 'the concurrent change survives our write');
  assert.equal(w.sim.faults.calls.filter((c) => c.path.endsWith('/services/web/status') && c.status === 409).length, 1);
});

test('transient 503s and 429s are retried within the sync', async (t) => {
  const w = await converged(t);
  w.sim.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', status: 503, times: 2 });
  w.sim.faults.add({ api: 'compute', method: 'GET', path: '/aggregated/instances', status: 429, reason: 'rateLimitExceeded', retryAfterSeconds: 0, times: 1 });
  const r = await w.sync('gke');
  assert.equal(r.ok, true, problems(r));
  assert.equal(r.converged, true);
  assert.deepEqual(w.sim.faults.calls.filter((c) => c.path === '/api/v1/services').map((c) => c.status), [503, 503, 200]);
});

test('a suspicious empty Service list deletes nothing and asks for a retry', async (t) => {
  const w = await converged(t);
  w.sim.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', emptyList: true, times: 1 });
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, true);
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
  assert.equal(w.daemonSets().length, 1);
  assert.equal(w.firewallRules().length, 1);
});

test('a permanent 403 on one firewall rule fails that action only, with the IAM fix, not retryable', async (t) => {
  const w = await converged(t);
  w.sim.faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', status: 403, reason: 'forbidden', times: Infinity });
  w.addService('api', [8080]);
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, false, 'retrying cannot grant a permission');
  const failed = r.results.filter((x) => x.outcome === 'failed');
  assert.deepEqual(failed.map((x) => x.kind), ['createFirewall']);
  assert.match(failed[0]?.fix ?? '', /compute\.firewalls\.create and compute\.networks\.updatePolicy/);
  assert.ok(r.prerequisites.some((p) => p.name === 'permission' && /compute\.firewalls\.create/.test(p.fix)));
  assert.equal(w.daemonSets().length, 2, 'the DaemonSet was still made');
  assert.deepEqual(w.ingress('api').length, 3, 'and the status still written');
  assert.equal(w.sim.faults.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls')).length, 1, 'a 403 is not retried');
});

test('an unreachable Kubernetes API fails closed: no writes, retryable', async (t) => {
  const w = await converged(t);
  w.sim.faults.add({ api: 'kube', drop: true, times: Infinity });
  const r = await w.sync('gke', { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  assert.equal(r.ok, false);
  assert.equal(r.retryable, true);
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
  assert.deepEqual(r.plan.actions, []);
  assert.equal(w.firewallRules().length, 1);
});

test('Autopilot is refused before any read of the cluster, with the reason', async (t) => {
  const w = await startWorld();
  t.after(() => w.close());
  w.sim.container.updateCluster({ project: w.sim.project, location: w.sim.location, name: w.sim.cluster }, { autopilot: true });
  w.addService('web', [80]);
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, false);
  assert.equal(r.prerequisites[0]?.name, 'autopilot');
  assert.equal(w.sim.faults.counts('kube').reads + w.sim.faults.counts('kube').writes, 0);
});

test('prerequisites: a proxy namespace without the privileged Pod Security label, and nodes without external IPs', async (t) => {
  const w = await startWorld();
  t.after(() => w.close());
  w.sim.kube.addNamespace('proxies', { 'pod-security.kubernetes.io/enforce': 'baseline' });
  w.sim.addNode({ name: 'node-0', externalIP: '34.0.0.1' });
  w.sim.addNode({ name: 'node-1' });
  w.addService('web', [80]);
  const r = await w.sync('gke', {}, { namespace: 'proxies' });
  const names = r.prerequisites.map((p) => p.name).sort();
  assert.deepEqual(names, ['external-ips', 'pod-security']);
  assert.match(r.prerequisites.find((p) => p.name === 'pod-security')?.fix ?? '', /kubectl label namespace proxies pod-security\.kubernetes\.io\/enforce=privileged/);
  assert.match(r.prerequisites.find((p) => p.name === 'external-ips')?.message ?? '', /node-1/);
  assert.ok(w.log.some((e) => e.event === 'prerequisite.missing' && e.severity === 'WARNING'));

  const missing = await w.sync('gke', {}, { namespace: 'not-there' });
  const ns = missing.prerequisites.find((p) => p.name === 'proxy-namespace');
  assert.match(ns?.message ?? '', /not-there does not exist/);
  assert.match(ns?.fix ?? '', /kubectl apply -k manifests\//);
});

test('externalTrafficPolicy: Local publishes only nodes with a ready endpoint (EndpointSlices read)', async (t) => {
  const w = await startWorld();
  t.after(() => w.close());
  for (let i = 0; i < 3; i++) w.sim.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i + 1}` });
  w.addService('local', [80], { policy: 'Local' });
  w.sim.kube.setEndpoints('default', 'local', [{ nodeName: 'node-2' }, { nodeName: 'node-1', ready: false }]);
  const r = await w.sync('gke');
  assert.equal(r.ok, true, problems(r));
  assert.deepEqual(w.ingress('local'), ['34.0.0.3']);
  assert.ok(w.sim.faults.calls.some((c) => c.path === '/apis/discovery.k8s.io/v1/endpointslices'));
});

test('without a Local Service, EndpointSlices are not read at all', async (t) => {
  const w = await converged(t);
  await w.sync('gke');
  assert.equal(w.sim.faults.calls.filter((c) => c.path.includes('endpointslices')).length, 0);
});

test('a 403 from Kubernetes names the RBAC rule to grant and is not retried', async (t) => {
  const w = await converged(t);
  w.sim.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/nodes', status: 403, reason: 'Forbidden', times: Infinity });
  const r = await w.sync('gke');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, false);
  const perm = r.prerequisites.find((p) => p.name === 'permission');
  assert.match(perm?.fix ?? '', /"list" on "nodes" cluster-wide/);
  assert.match(perm?.fix ?? '', /kubectl apply -k manifests\//);
  assert.equal(w.sim.faults.calls.filter((c) => c.path === '/api/v1/nodes').length, 1);
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
});

test('when new proxy pods do not become Ready within settleMs, the sync says it has not converged', async (t) => {
  const w = await startWorld();
  t.after(() => w.close());
  w.sim.addNode({ name: 'node-0', externalIP: '34.0.0.1' });
  w.sim.addNode({ name: 'node-1', externalIP: '34.0.0.2' });
  w.addService('web', [80]);
  const uid = w.sim.kube.get('services', 'default', 'web')?.metadata.uid ?? '';
  w.sim.kube.setPodReady('nodelb-system', daemonSetName('web', uid), 'node-1', false);
  const r = await w.sync('gke', {}, { settleMs: 200 });
  assert.equal(r.ok, true, problems(r));
  assert.equal(r.converged, false);
  assert.equal(r.rounds, 2);
  assert.ok(w.log.some((e) => e.event === 'settle.timeout'));
  assert.deepEqual(w.ingress('web'), ['34.0.0.1'], 'the Ready node is published meanwhile');
});
