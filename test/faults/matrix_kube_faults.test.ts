// Fault-injection matrix, Kubernetes API faults: 16 conflicts (409) on
// status and DaemonSet writes, 17 429 with Retry-After and 5xx, 18 unreachable or hung API
// server, 19 transient empty lists. Fail closed: a failed or suspicious read means no deletion
// and no IP withdrawn that run, and the run says so. Each row ends with the invariants I1–I5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, problems, type FaultWorld } from './harness.ts';
import { tally, writeTally } from './tally.ts';
import { fakeClock } from '../../functions/platform/clock.ts';
import { plan } from '../../functions/core/plan.ts';
import { createServer, type AddressInfo } from 'node:net';
import { actionsOf } from '../../functions/core/stages.ts';

async function converged(_t: unknown, opts: Parameters<typeof startFaultWorld>[0] = {}): Promise<FaultWorld> {
  const w = await startFaultWorld(opts);
  await w.addService({ name: 'web', ports: [80] });
  await w.addService({ name: 'api', ports: [8443] });
  await w.converge();
  return w;
}

/** A loopback port nobody listens on (fetch refuses "bad ports" like 1 before connecting). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const statusPath = (name: string, namespace = 'default') => `/api/v1/namespaces/${namespace}/services/${name}/status`;
const writesTo = (calls: { method: string; path: string; write: boolean }[], path: string | RegExp) =>
  calls.filter((c) => c.write && (typeof path === 'string' ? c.path === path : path.test(c.path)));

test('row 16: Kubernetes 409 — a stale resourceVersion on status and DaemonSet writes is re-read and retried, a bounded number of times', async (t) => {
  tally.scenario('row 16');
  const w = await converged(t);
  const foreign = await w.foreign();

  // Status: two injected conflicts, then success on the third write.
  await w.setExternalIP('node-1', '198.51.100.77');
  w.gke.faults.add({ api: 'kube', method: 'PUT', path: statusPath('web'), status: 409, reason: 'Conflict', times: 2 });
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal(run.report.results.find((r) => r.kind === 'writeStatus' && r.target === 'service default/web')?.detail, 'after 2 conflict(s)');
  assert.equal(writesTo(run.calls, statusPath('web')).length, 3);
  assert.ok((await w.ingress('web')).includes('198.51.100.77'));

  // A conflict that does not go away: given up after 3 tries, the next run completes.
  await w.setExternalIP('node-1', '198.51.100.78');
  w.gke.faults.add({ api: 'kube', method: 'PUT', path: statusPath('api'), status: 409, reason: 'Conflict', times: Infinity });
  const stuck = await w.sync();
  assert.equal(stuck.report.ok, false);
  assert.equal(stuck.report.retryable, true, 'a race with another writer: another run can win it');
  assert.equal((await w.events('api')).filter((e) => e.reason === 'SyncLoadBalancerFailed').length, 0, 'not reported to the owner as a lasting failure');
  assert.equal(writesTo(stuck.calls, statusPath('api')).length, 3, 'bounded: three tries, no more');
  assert.ok((await w.ingress('web')).includes('198.51.100.78'), 'the other Service is unaffected');
  w.gke.faults.clear();
  assert.equal((await w.converge()).syncs, 1);
  assert.ok((await w.ingress('api')).includes('198.51.100.78'));

  // DaemonSet: drifted by hand, then — between our read and our write — edited again by
  // someone else through the real API server: a genuine 409 (stale resourceVersion), re-read,
  // written again. nodelb's PUT is held back a moment by the proxy so the other write lands first.
  const ds = (await w.ourDaemonSets())[0] ?? '';
  await w.editDaemonSet(ds, (d) => {
    d.spec.template.spec.containers[0].image = 'example.com/tampered:1';
  });
  let otherWrite: Promise<void> | undefined;
  const planner: typeof plan = (snapshot, config) => {
    const p = plan(snapshot, config);
    if (!otherWrite && actionsOf(p).some((a) => a.kind === 'updateDaemonSet')) {
      otherWrite = w.editDaemonSet(ds, (d) => (d.metadata.labels = { ...d.metadata.labels, touched: 'yes' }));
    }
    return p;
  };
  w.gke.faults.add({ api: 'kube', method: 'PUT', path: `/apis/apps/v1/namespaces/nodelb-system/daemonsets/${ds}`, delayMs: 1_500, times: 1 });
  const fixed = await w.sync({ options: { planner } });
  await otherWrite;
  w.gke.faults.clear();
  assert.equal(fixed.report.ok, true, problems(fixed.report));
  const update = fixed.report.results.find((r) => r.kind === 'updateDaemonSet');
  assert.equal(update?.outcome, 'applied');
  assert.equal(update?.detail, 'after 1 conflict(s)');
  assert.equal(fixed.calls.filter((c) => c.path.endsWith(`/daemonsets/${ds}`) && c.status === 409).length, 1);
  await w.assertInvariants(foreign);
});

test('row 17: Kubernetes 429 with Retry-After and 503 — honoured within the run budget; nothing deleted while reads fail', async (t) => {
  tally.scenario('row 17');
  const w = await converged(t);
  const foreign = await w.foreign();

  // Retry-After: 3 s honoured (on an injected clock: no real wait), then the sync completes.
  await w.setExternalIP('node-2', '198.51.100.90');
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', status: 429, reason: 'TooManyRequests', retryAfterSeconds: 3, times: 1 });
  w.gke.faults.add({ api: 'kube', method: 'PUT', path: statusPath('web'), status: 503, times: 2 });
  const clock = fakeClock(Date.now(), [0.3, 0.9, 0.1]);
  const run = await w.sync({ options: { clock } });
  assert.equal(run.report.ok, true, problems(run.report));
  assert.ok(clock.slept.some((ms) => ms >= 3000), `Retry-After honoured (slept ${JSON.stringify(clock.slept)})`);
  assert.ok(run.log.some((e) => e.event === 'retry.scheduled' && (e.delayMs as number) >= 3000));
  assert.equal(writesTo(run.calls, statusPath('web')).length, 3, 'two 503s, then the write');
  assert.ok((await w.ingress('web')).includes('198.51.100.90'));

  // A Retry-After longer than what is left of the budget: given up at once, retryable.
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/nodes', status: 429, retryAfterSeconds: 600, times: 1 });
  const late = await w.sync({ options: { clock: fakeClock(Date.now()) } });
  assert.equal(late.report.ok, false);
  assert.equal(late.report.retryable, true);
  assert.ok(late.log.some((e) => e.event === 'retry.abandoned'), 'no sleep past the deadline');
  assert.equal(late.writes, 0);

  // The Service list keeps failing: fail closed, zero writes to GCE or Kubernetes, retryable.
  await w.deleteService('default', 'api');
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', status: 503, times: Infinity });
  const down = await w.sync();
  assert.equal(down.report.ok, false);
  assert.equal(down.report.retryable, true);
  assert.equal(down.writes, 0, JSON.stringify(down.calls.filter((c) => c.write)));
  assert.equal(w.ourRules().length, 2, 'the deleted Service’s rule is kept until a sync can see');
  assert.ok(down.log.some((e) => e.event === 'read.failed' && /services/.test(e.message)));
  w.gke.faults.clear();
  await w.converge();
  assert.equal(w.ourRules().length, 1);
  await w.assertInvariants(foreign);
});

test('row 18: Kubernetes unreachable, reset or hung — fail closed: no GCE write, no deletion, retryable', async (t) => {
  tally.scenario('row 18');
  const w = await converged(t);
  const foreign = await w.foreign();
  await w.deleteService('default', 'api');

  // Every request reset.
  w.gke.faults.add({ api: 'kube', drop: true, times: Infinity });
  const reset = await w.sync({ options: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } } });
  assert.equal(reset.report.ok, false);
  assert.equal(reset.report.retryable, true);
  assert.equal(reset.writes, 0);
  assert.deepEqual(reset.report.plan.actions, []);
  w.gke.faults.clear();

  // Connection refused: the cluster endpoint points at a closed port.
  const endpoint = w.gke.proxy.endpoint;
  w.gke.container.updateCluster({ project: w.gke.project, location: w.gke.location, name: w.gke.cluster }, { endpoint: `127.0.0.1:${await closedPort()}` });
  const refused = await w.sync({ options: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } } });
  assert.equal(refused.report.ok, false);
  assert.equal(refused.report.retryable, true);
  assert.equal(refused.writes, 0);
  assert.ok(refused.report.errors.some((e) => /ECONNREFUSED/.test(e.message)), problems(refused.report));
  w.gke.container.updateCluster({ project: w.gke.project, location: w.gke.location, name: w.gke.cluster }, { endpoint });

  // Only the node list fails (reset): no deletion, and no IP withdrawn from any status.
  await w.setExternalIP('node-0', '198.51.100.5');
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/nodes', drop: true, times: Infinity });
  const partial = await w.sync({ options: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } } });
  assert.equal(partial.report.ok, false);
  assert.equal(partial.report.retryable, true);
  assert.equal(writesTo(partial.calls, /./).filter((c) => c.method === 'DELETE').length, 0);
  assert.equal(w.ourRules().length, 2);
  assert.equal((await w.ingress('web')).length, 3, 'no IP withdrawn while nodes cannot be read');
  w.gke.faults.clear();

  // A hung request (no answer for longer than the client waits) is a timeout: retried, then
  // the sync gives up cleanly instead of hanging.
  w.gke.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/nodes', delayMs: 3_000, times: 2 });
  const hung = await w.sync({ options: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 }, kubeRequestTimeoutMs: 300 } });
  assert.equal(hung.report.ok, false, problems(hung.report));
  assert.equal(hung.report.retryable, true);
  assert.ok(hung.report.errors.some((e) => /timed out/.test(e.message)), problems(hung.report));
  assert.equal(hung.writes, 0);

  w.gke.faults.clear();
  await w.converge();
  assert.equal(w.ourRules().length, 1);
  assert.ok((await w.ingress('web')).includes('198.51.100.5'));
  await w.assertInvariants(foreign);
});

test('row 19: transient empty lists — nodes, Services, DaemonSets, pods, instances, firewalls, EndpointSlices: no mass deletion, no IP withdrawn, and the run says so', async (t) => {
  tally.scenario('row 19');
  const w = await converged(t);
  await w.addService({ name: 'local', ports: [9090], policy: 'Local' });
  await w.setEndpoints('default', 'local', w.nodes.map((nodeName) => ({ nodeName })));
  // One proxy pod of web is not Ready: its DaemonSet's status no longer vouches for its pods,
  // so every run lists them (an all-Ready world lists no pod at all).
  const webDaemonSet = (await w.ourDaemonSets()).find((d) => d.startsWith('nodelb-web-')) as string;
  await w.setPodReady(webDaemonSet, w.nodes[2] as string, false);
  await w.converge();
  const foreign = await w.foreign();
  const before = { rules: w.ourRules().length, ds: (await w.ourDaemonSets()).length, web: (await w.ingress('web')), local: (await w.ingress('local')) };
  assert.equal(before.local.length, 3);
  assert.equal(before.web.length, 2);
  const lists: [string, 'kube' | 'compute', string][] = [
    ['nodes', 'kube', '/api/v1/nodes'],
    ['services', 'kube', '/api/v1/services'],
    ['daemonsets', 'kube', '/apis/apps/v1/namespaces/nodelb-system/daemonsets'],
    ['pods', 'kube', '/api/v1/namespaces/nodelb-system/pods'],
    ['endpointslices', 'kube', '/apis/discovery.k8s.io/v1/endpointslices'],
    ['instances', 'compute', '/aggregated/instances'],
    ['firewalls', 'compute', '/global/firewalls'],
  ];
  for (const [name, api, path] of lists) {
    tally.badInput(`empty ${name} list`);
    w.gke.faults.add({ api, method: 'GET', path, emptyList: true, times: 1 });
    const run = await w.sync();
    w.gke.faults.clear();
    const deletes = run.calls.filter((c) => c.write && c.method === 'DELETE');
    assert.deepEqual(deletes, [], `${name}: nothing deleted`);
    assert.equal(w.ourRules().length, before.rules, `${name}: rules kept`);
    assert.equal((await w.ourDaemonSets()).length, before.ds, `${name}: DaemonSets kept`);
    assert.deepEqual((await w.ingress('web')), before.web, `${name}: no IP withdrawn from web`);
    assert.deepEqual((await w.ingress('local')), before.local, `${name}: no IP withdrawn from local`);
    if (name !== 'firewalls') {
      // (An empty firewall list only makes the rules look missing: their creation answers 409.)
      assert.ok(
        run.log.some((e) => (e.event === 'read.distrusted' || e.event === 'read.failed') && e.message.includes(name)) ||
          run.report.plan.notes.some((n) => n.message.includes(name)),
        `${name}: the run says it distrusted the list: ${problems(run.report)}`,
      );
    }
    await w.converge();
    assert.deepEqual((await w.ingress('web')), before.web, `${name}: and the next run changes nothing`);
  }
  await w.assertInvariants(foreign);
});

test('tally: Kubernetes fault rows', () => {
  assert.equal(tally.current.scenarios.length, 4);
  assert.ok(tally.current.faults > 0);
  writeTally(import.meta.url);
});
