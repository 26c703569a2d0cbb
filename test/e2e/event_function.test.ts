// nodelbEvent through the real Functions Framework (binary-mode Pub/Sub CloudEvents, as Eventarc
// delivers them) against a local GKE on the real control plane: the schedule, GCE audit entries (preemption, IP
// change, MIG repair) and a GKE Service creation each lead to the right status; each delivered
// twice writes nothing the second time; unrelated, garbage, stale and misconfigured deliveries are
// acknowledged without a sync; only a failure a retry can fix makes the delivery fail (500).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../functions/index.ts';
import { loadEnvelope, loadLogEntry, retargetGce, retargetGke, type PubSubEnvelope } from '../fixtures/events.ts';
import { captureOutput, cloudEventRequest, envelopeOf, functionEnv, serve, setFunctionEnv, startFunctionWorld } from './function_world.ts';

const IPS = ['198.51.100.21', '198.51.100.22', '198.51.100.23'];

test('nodelbEvent', async (t) => {
  const w = await startFunctionWorld(IPS);
  const server = await serve('nodelbEvent');
  t.after(async () => {
    await server.close();
    await w.close();
  });
  const { gke, nodes } = w;
  const node = nodes[1]!;
  const zone = w.zoneOf.get(node)!;
  const gceEntry = (fixture: Parameters<typeof loadLogEntry>[0]) =>
    envelopeOf(retargetGce(loadLogEntry(fixture), { project: gke.project, zone, instance: node }));

  /** Delivers once, expects success; delivers the very same event again and expects no write. */
  async function deliverTwice(envelope: PubSubEnvelope): Promise<void> {
    const id = `twice-${envelope.message.messageId}`;
    const first = await cloudEventRequest(server.agent, envelope, { id });
    assert.equal(first.status, 204, first.text);
    gke.faults.resetCalls();
    const again = await cloudEventRequest(server.agent, envelope, { id });
    assert.equal(again.status, 204, again.text);
    assert.ok(w.calls() > 0, 'the redelivery did sync (read)');
    assert.equal(w.writes(), 0, 'the redelivery wrote nothing');
  }

  await t.test('Cloud Scheduler message: full sync, the new Service gets every node IP', async () => {
    await w.addService('web', [80]);
    await deliverTwice(loadEnvelope('scheduler'));
    assert.deepEqual(await w.ingress('web'), IPS);
  });

  await t.test('GCE preemption of a node: it leaves the status before Kubernetes notices', async () => {
    // Kubernetes still says Ready and GCE still lists the IP: only the event knows.
    await deliverTwice(gceEntry('gce-preempted'));
    assert.deepEqual(await w.ingress('web'), [IPS[0], IPS[2]]);
  });

  await t.test('the preempted node returns with a new IP (MIG recreate): the status follows GCE', async () => {
    await gke.setExternalIP(node, '198.51.100.99', { nodeLags: true });
    await deliverTwice(gceEntry('gce-repair-recreate'));
    assert.deepEqual(await w.ingress('web'), [IPS[0], IPS[2], '198.51.100.99'].sort());
  });

  await t.test('access config removed, then added with another IP', async () => {
    await gke.setExternalIP(node, undefined, { nodeLags: true });
    await deliverTwice(gceEntry('gce-delete-access-config'));
    assert.deepEqual(await w.ingress('web'), [IPS[0], IPS[2]]);
    await gke.setExternalIP(node, '198.51.100.77', { nodeLags: true });
    await deliverTwice(gceEntry('gce-add-access-config'));
    assert.deepEqual(await w.ingress('web'), [IPS[0], IPS[2], '198.51.100.77'].sort());
  });

  await t.test('GKE audit entry for a new Service: it gets its IPs', async () => {
    await w.addService('api', [8443], 'shop');
    const entry = retargetGke(loadLogEntry('gke-service-create'), {
      project: gke.project,
      location: gke.location,
      cluster: gke.cluster,
      resourceName: 'core/v1/namespaces/shop/services/api',
    });
    await deliverTwice(envelopeOf(entry));
    assert.deepEqual(await w.ingress('api', 'shop'), [IPS[0], IPS[2], '198.51.100.77'].sort());
  });

  await t.test('an unrelated project’s instance, a GKE status write and garbage: acknowledged, no sync', async () => {
    for (const envelope of [
      envelopeOf(loadLogEntry('gce-unrelated-project')),
      envelopeOf(retargetGke(loadLogEntry('gke-service-status-update'), { project: gke.project, location: gke.location, cluster: gke.cluster })),
      loadEnvelope('garbage'),
      envelopeOf('not json at all'),
    ]) {
      gke.faults.resetCalls();
      const res = await cloudEventRequest(server.agent, envelope);
      assert.equal(res.status, 204, res.text);
      assert.equal(w.calls(), 0);
    }
  });

  await t.test('a delivery older than ten minutes is acknowledged without a sync', async () => {
    gke.faults.resetCalls();
    const res = await cloudEventRequest(server.agent, loadEnvelope('scheduler'), { time: new Date(Date.now() - 3_600_000).toISOString() });
    assert.equal(res.status, 204);
    assert.equal(w.calls(), 0);
  });

  await t.test('a failure a retry can fix fails the delivery (500), so Pub/Sub redelivers', async (st) => {
    gke.faults.add({ api: 'container', status: 503, times: Infinity });
    st.after(() => gke.faults.clear());
    const output = captureOutput(st);
    const res = await cloudEventRequest(server.agent, loadEnvelope('scheduler'));
    assert.equal(res.status, 500);
    assert.ok(output.logs().some((l) => l.severity === 'ERROR' && l.event === 'event.retry'));
    assert.match(res.text, /sync failed, a retry may help/);
  });

  await t.test('a permanent failure is acknowledged: retrying cannot help', async (st) => {
    gke.faults.add({ api: 'container', status: 403, reason: 'forbidden', times: Infinity });
    st.after(() => gke.faults.clear());
    const output = captureOutput(st);
    const res = await cloudEventRequest(server.agent, loadEnvelope('scheduler'));
    assert.equal(res.status, 204);
    assert.ok(output.logs().some((l) => l.event === 'sync.connect_failed'));
    assert.ok(!output.logs().some((l) => l.event === 'event.retry'), 'no redelivery asked for');
  });

  await t.test('a configuration error is acknowledged (a retry cannot fix it) and nothing is called', async (st) => {
    const good = functionEnv(gke);
    setFunctionEnv({ ...good, NODELB_CLUSTERS: 'not-a-cluster-name' });
    st.after(() => setFunctionEnv(good));
    gke.faults.resetCalls();
    const output = captureOutput(st);
    const res = await cloudEventRequest(server.agent, loadEnvelope('scheduler'));
    assert.equal(res.status, 204);
    assert.ok(output.logs().some((l) => l.severity === 'CRITICAL'));
    assert.equal(w.calls(), 0);
  });
});
