// compute.ts and container.ts against the simulated Compute and Container APIs over loopback
// HTTP: paging, filters, operation waits (early returns, failures), idempotent writes by
// requestId, error classification, and the endpoint choice of getCluster.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startComputeSim, type ComputeSim } from '../sim/compute.ts';
import { startContainerSim, type ContainerSim } from '../sim/container.ts';
import { FaultPlan } from '../sim/faults.ts';
import { createComputeApi } from '../../functions/adapters/compute.ts';
import { createContainerApi } from '../../functions/adapters/container.ts';
import { chooseEndpoint } from '../../functions/adapters/connect.ts';
import { CallCounter } from '../../functions/platform/calls.ts';
import { createTokenSource } from '../../functions/adapters/auth.ts';
import { fakeClock } from '../../functions/platform/clock.ts';
import { ApiError } from '../../functions/platform/errors.ts';
import { retrying } from '../../functions/runtime/retry.ts';

const TOKEN = 'sim-token';
const PROJECT = 'sim-project';
const faults = new FaultPlan();
let compute: ComputeSim;
let container: ContainerSim;

before(async () => {
  compute = await startComputeSim({ faults, project: PROJECT, token: TOKEN });
  container = await startContainerSim({
    faults,
    token: TOKEN,
    clusters: [
      { project: PROJECT, location: 'us-central1', name: 'c1', endpoint: '127.0.0.1:6443', caCertificate: 'Q0E=' },
      { project: PROJECT, location: 'us-central1', name: 'dns', endpoint: '127.0.0.1:6444', dnsAllowExternalTraffic: true, caCertificate: 'Q0E=' },
      { project: PROJECT, location: 'us-central1', name: 'private', endpoint: '127.0.0.1:6445', enablePublicEndpoint: false, privateEndpoint: '10.0.0.2' },
      { project: PROJECT, location: 'us-central1', name: 'shared', endpoint: '127.0.0.1:6446', network: 'vpc', networkProject: 'host-project' },
    ],
  });
});
after(async () => {
  await compute.close();
  await container.close();
});

function api(counter = new CallCounter(), clock = fakeClock()) {
  return createComputeApi({ baseUrl: compute.endpoint, tokens: createTokenSource({ accessToken: TOKEN }), counter, clock });
}

const uuid = () => crypto.randomUUID();
const rule = (name: string, port = '80') => ({
  name,
  network: `projects/${PROJECT}/global/networks/default`,
  allowed: [{ IPProtocol: 'tcp', ports: [port] }],
  sourceRanges: ['0.0.0.0/0'],
  targetTags: ['gke-c1-node'],
  description: '{"managedBy":"nodelb"}',
});

test('aggregated instance list: all pages, the cluster label filter, zones without instances skipped', async () => {
  for (let i = 0; i < 620; i++)
    compute.control.putInstance({ project: PROJECT, zone: i % 2 ? 'us-central1-a' : 'us-central1-b', name: `gke-c1-pool-${i}`, cluster: 'c1', natIP: `34.0.${i >> 8}.${i & 255}` });
  compute.control.putInstance({ project: PROJECT, zone: 'us-central1-a', name: 'other-vm', natIP: '35.0.0.1' });
  const counter = new CallCounter();
  const all = await api(counter).listInstances(PROJECT, 'labels.goog-k8s-cluster-name = "c1"');
  assert.equal(all.length, 620);
  assert.equal(new Set(all.map((i) => i.name)).size, 620);
  assert.ok(!all.some((i) => i.name === 'other-vm'));
  assert.equal(counter.snapshot().reads, 2); // 500 + 120
});

test('firewall list with the name regex filter', async () => {
  compute.control.putFirewall(rule('nodelb-aaaa1111-x1'));
  compute.control.putFirewall(rule('nodelb-bbbb2222-x2'));
  compute.control.putFirewall(rule('k8s-fw-foreign'));
  const rules = await api().listFirewalls(PROJECT, 'name eq nodelb-aaaa1111-.*');
  assert.deepEqual(rules.map((r) => r.name), ['nodelb-aaaa1111-x1']);
});

test('insert waits for the operation, even when wait returns early; patch and delete too', async () => {
  // Long enough that the operation is still RUNNING when the first wait arrives on a loaded
  // machine (at 30 ms it could be DONE already, and nothing would wait twice).
  const slow = await startComputeSim({ project: PROJECT, token: TOKEN, operationMs: 1000 });
  try {
    const counter = new CallCounter();
    const c = createComputeApi({ baseUrl: slow.endpoint, tokens: createTokenSource({ accessToken: TOKEN }), counter, clock: fakeClock() });
    slow.control.returnWaitEarly(2);
    await c.insertFirewall(PROJECT, rule('nodelb-op-1'), uuid());
    assert.ok(slow.control.getFirewall('nodelb-op-1'), 'applied once the operation is DONE');
    assert.ok(counter.snapshot().reads >= 2, 'waited more than once');
    await c.patchFirewall(PROJECT, 'nodelb-op-1', { ...rule('nodelb-op-1', '443') }, uuid());
    assert.deepEqual(slow.control.getFirewall('nodelb-op-1')?.allowed, [{ IPProtocol: 'tcp', ports: ['443'] }]);
    await c.deleteFirewall(PROJECT, 'nodelb-op-1', uuid());
    assert.equal(slow.control.getFirewall('nodelb-op-1'), undefined);
  } finally {
    await slow.close();
  }
});

test('insert of an existing rule and delete of a missing one count as done', async () => {
  const c = api();
  await c.insertFirewall(PROJECT, rule('nodelb-dup'), uuid());
  await c.insertFirewall(PROJECT, rule('nodelb-dup'), uuid());
  await c.deleteFirewall(PROJECT, 'nodelb-never-was', uuid());
  assert.ok(compute.control.getFirewall('nodelb-dup'));
});

test('an operation that ends with QUOTA_EXCEEDED is a permanent failure carrying the code', async () => {
  faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', operationError: 'QUOTA_EXCEEDED' });
  await assert.rejects(api().insertFirewall(PROJECT, rule('nodelb-quota'), uuid()), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.reason, 'QUOTA_EXCEEDED');
    assert.equal(e.retryable, false);
    assert.match(e.fix ?? '', /quota/);
    return true;
  });
  assert.equal(compute.control.getFirewall('nodelb-quota'), undefined);
});

test('a lost answer is retried with the same requestId and the rule is made once', async () => {
  faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', dropAfterApply: true });
  const c = retrying(api(), 'compute', { clock: fakeClock(), maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 });
  const id = uuid();
  await c.insertFirewall(PROJECT, rule('nodelb-lost'), id);
  const inserts = faults.calls.filter((x) => x.method === 'POST' && x.path.endsWith('/global/firewalls') && x.query.includes(id));
  assert.equal(inserts.length, 2);
  assert.equal(compute.control.listFirewalls(PROJECT).filter((r) => r.name === 'nodelb-lost').length, 1);
});

test('403 rate limits are retryable; 403 forbidden is not and names the permission', async () => {
  faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', status: 403, reason: 'rateLimitExceeded', retryAfterSeconds: 2 });
  await assert.rejects(api().insertFirewall(PROJECT, rule('nodelb-rate'), uuid()), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.retryable, true);
    assert.equal(e.retryAfterMs, 2000);
    return true;
  });
  faults.add({ api: 'compute', method: 'DELETE', status: 403, reason: 'forbidden' });
  await assert.rejects(api().deleteFirewall(PROJECT, 'nodelb-dup', uuid()), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.retryable, false);
    assert.match(e.fix ?? '', /compute\.firewalls\.delete and compute\.networks\.updatePolicy/);
    assert.match(e.fix ?? '', /gcloud compute firewall-rules delete nodelb-dup --project=sim-project/);
    return true;
  });
});

test('a wrong token is a 401 with a fix, not a retry loop', async () => {
  const c = createComputeApi({ baseUrl: compute.endpoint, tokens: createTokenSource({ accessToken: 'wrong' }), counter: new CallCounter() });
  await assert.rejects(c.listFirewalls(PROJECT, 'name eq x'), (e: unknown) => e instanceof ApiError && e.status === 401 && !e.retryable);
});

test('getCluster over REST, and the endpoint choice (auto: DNS if external, else public, else private)', async () => {
  const ctr = createContainerApi({ baseUrl: container.endpoint, tokens: createTokenSource({ accessToken: TOKEN }), counter: new CallCounter() });
  const c1 = await ctr.getCluster(`projects/${PROJECT}/locations/us-central1/clusters/c1`);
  assert.equal(c1.masterAuth?.clusterCaCertificate, 'Q0E=');
  assert.deepEqual(chooseEndpoint(c1, 'auto', 'c1'), { kind: 'public', host: '127.0.0.1:6443' });
  const dns = await ctr.getCluster(`projects/${PROJECT}/locations/us-central1/clusters/dns`);
  assert.equal(chooseEndpoint(dns, 'auto', 'dns').kind, 'dns');
  assert.equal(chooseEndpoint(dns, 'public', 'dns').host, '127.0.0.1:6444');
  const priv = await ctr.getCluster(`projects/${PROJECT}/locations/us-central1/clusters/private`);
  assert.deepEqual(chooseEndpoint(priv, 'auto', 'private'), { kind: 'private', host: '10.0.0.2' });
  assert.throws(() => chooseEndpoint(priv, 'public', 'private'), /no usable public control-plane endpoint/);
  const shared = await ctr.getCluster(`projects/${PROJECT}/locations/us-central1/clusters/shared`);
  assert.match(shared.networkConfig?.network ?? '', /^projects\/host-project\/global\/networks\/vpc$/);
  await assert.rejects(ctr.getCluster(`projects/${PROJECT}/locations/us-central1/clusters/nope`), (e: unknown) => e instanceof ApiError && e.status === 404 && !e.retryable);
});
