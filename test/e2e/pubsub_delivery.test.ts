// Real Pub/Sub delivery: the Pub/Sub emulator pushes to the Functions Framework serving
// nodelbEvent (in its own process), against a fleet of three real control planes (fake GKE nodes,
// simulated Compute and Container APIs). What Cloud
// Scheduler publishes fans out through the emulator (one message per cluster, each synced by its
// own invocation); a GCE preemption and a GKE Service write sync only their cluster, the
// preempted node excluded; a redelivery (ack lost on purpose) writes nothing; an unparseable
// message is acknowledged once, with a log line. The emulator starts once; if it cannot, the test
// fails with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEnvelope, loadLogEntry, retargetGce, retargetGke } from '../fixtures/events.ts';
import { startLocalFleet, type LocalFleet, type LocalFleetCluster } from '../cluster/fleet.ts';
import { startEmulator, type Emulator } from './pubsub/emulator.ts';
import { startFunctionProcess, type FunctionProcess, type LogLine } from './pubsub/function_process.ts';
import { startPushRelay, type PushRelay } from './pubsub/push_relay.ts';

const TOPIC = 'nodelb';
const WAIT_MS = 45_000;

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const label = (l: LogLine, k: string) => l['logging.googleapis.com/labels']?.[k];

test('Pub/Sub emulator → push → Functions Framework → nodelbEvent', async (t) => {
  // Started once for the file: it is the slow part (a JVM).
  const emulator: Emulator = await startEmulator('demo-project');
  t.after(() => emulator.stop());
  t.diagnostic(`Pub/Sub emulator answered ${emulator.startMs} ms after spawn`);

  const fleet: LocalFleet = await startLocalFleet({ clusters: 3, nodesPerCluster: 3, servicesPerCluster: 1 });
  t.after(() => fleet.close());
  const { clusters } = fleet;
  let functionUrl = '';
  const relay: PushRelay = await startPushRelay(() => [functionUrl]);
  t.after(() => relay.close());
  const fn: FunctionProcess = await startFunctionProcess({
    NODELB_CLUSTERS: clusters.map((c) => c.full).join(','),
    NODELB_CONTAINER_ENDPOINT: fleet.containerEndpoint,
    NODELB_COMPUTE_ENDPOINT: fleet.computeEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: fleet.token,
    // Long enough for the real controllers to start the proxies; the wait ends once they are Ready.
    NODELB_SETTLE_SECONDS: '30',
    NODELB_LOG_LEVEL: 'INFO',
    // Three clusters, threshold two: the schedule fans out, through the emulator.
    NODELB_FANOUT_THRESHOLD: '2',
    NODELB_FANOUT_TOPIC: `projects/${fleet.project}/topics/${TOPIC}`,
    PUBSUB_EMULATOR_HOST: emulator.host,
  });
  t.after(() => fn.stop());
  functionUrl = fn.url;
  await emulator.createTopic(TOPIC);
  await emulator.createPushSubscription('nodelb-push', TOPIC, relay.endpoint(fleet.project, TOPIC), { ackDeadlineSeconds: 30, minimumBackoff: '1s' });

  const syncs = (c: LocalFleetCluster, from = 0) => fn.lines.slice(from).filter((l) => l.event === 'sync.finished' && label(l, 'cluster') === c.full);
  const deliveriesOf = (id: string) => relay.deliveries.filter((d) => d.messageId === id);
  const publishJson = async (payload: unknown) => (await emulator.publish(TOPIC, [{ data: JSON.stringify(payload) }]))[0]!;
  const nodeIPs = (c: LocalFleetCluster) => fleet.nodeIPs(c);
  const fleetIngress = (c: LocalFleetCluster, service?: string, namespace?: string) => fleet.ingress(c, service, namespace);

  await t.test('the Cloud Scheduler message fans out: one message per cluster, each syncs only its cluster', async () => {
    const from = fn.lines.length;
    // Exactly what the scheduler job publishes (deploy.sh --message-body, Terraform pubsub_target.data).
    const scheduleId = await publishJson({ reason: 'schedule' });
    const fanned = await waitFor('the fan-out line', () => fn.lines.slice(from).find((l) => l.event === 'fanout.published'));
    assert.equal(fanned.published, clusters.length);
    for (const c of clusters) {
      const [s, ...more] = await waitFor(`a sync of ${c.name}`, () => (syncs(c, from).length > 0 ? syncs(c, from) : undefined));
      assert.equal(more.length, 0, `${c.name} synced once`);
      assert.equal(label(s!, 'trigger'), 'cluster');
      assert.equal(s!.ok, true, JSON.stringify(s));
      assert.deepEqual(await fleetIngress(c), (await nodeIPs(c)).sort(), `${c.name}: its own nodes' IPs`);
    }
    assert.deepEqual(deliveriesOf(scheduleId).map((d) => d.answered), [204]);
    const perCluster = relay.deliveries.filter((d) => d.attributes['nodelb.dev/cluster'] !== undefined);
    assert.deepEqual(perCluster.map((d) => d.attributes['nodelb.dev/cluster']).sort(), clusters.map((c) => c.full).sort());
    assert.ok(perCluster.every((d) => d.answered === 204));
  });

  await t.test('a GCE preemption (system_event LogEntry): only that cluster syncs, without the preempted node', async () => {
    const c = clusters[1]!;
    const node = c.nodes[1]!;
    const entry = retargetGce(loadLogEntry('gce-preempted'), { project: fleet.project, zone: c.zoneOf.get(node)!, instance: node });
    const from = fn.lines.length;
    const id = await publishJson(entry);
    const [s] = await waitFor('the preemption sync', () => (syncs(c, from).length > 0 ? syncs(c, from) : undefined));
    assert.equal(label(s!, 'trigger'), 'gce compute.instances.preempted');
    const accepted = fn.lines.slice(from).find((l) => l.event === 'event.accepted' && l.messageId === id);
    assert.deepEqual(accepted?.goingAway, [node]);
    // Kubernetes and GCE still say the node is fine: only the event knows.
    assert.deepEqual(await fleetIngress(c), (await nodeIPs(c)).filter((_, i) => i !== 1).sort());
    await waitFor('the acknowledgement', () => deliveriesOf(id).find((d) => d.answered === 204));
    for (const other of [clusters[0]!, clusters[2]!]) assert.equal(syncs(other, from).length, 0, `${other.name} was not synced`);
  });

  await t.test('an access-config change (activity LogEntry) syncs its cluster back to every node', async () => {
    const c = clusters[1]!;
    const node = c.nodes[1]!;
    const entry = retargetGce(loadLogEntry('gce-add-access-config'), { project: fleet.project, zone: c.zoneOf.get(node)!, instance: node });
    const from = fn.lines.length;
    await publishJson(entry);
    await waitFor('the access-config sync', () => (syncs(c, from).length > 0 ? true : undefined));
    assert.deepEqual(await fleetIngress(c), (await nodeIPs(c)).sort());
  });

  await t.test('a GKE Service write: that cluster syncs; a redelivery after a lost ack writes nothing', async () => {
    const c = clusters[2]!;
    await c.world.addService('api', { namespace: 'shop', ports: [{ name: 'https', port: 8443 }] });
    const entry = retargetGke(loadLogEntry('gke-service-create'), { project: fleet.project, location: fleet.location, cluster: c.name, resourceName: 'core/v1/namespaces/shop/services/api' });
    relay.loseAckOnce((data) => data.includes('namespaces/shop/services/api'));
    const from = fn.lines.length;
    const id = await publishJson(entry);
    const both = await waitFor('the delivery and its redelivery', () => {
      const d = deliveriesOf(id);
      return d.length >= 2 && d.at(-1)!.answered === 204 ? d : undefined;
    });
    assert.deepEqual(both.map((d) => d.answered), [503, 204], 'the emulator redelivered after the lost ack, then stopped');
    const runs = syncs(c, from);
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => label(r, 'trigger')), ['gke io.k8s.core.v1.services.create', 'gke io.k8s.core.v1.services.create']);
    assert.ok(Number(runs[0]!.writes) > 0, 'the first delivery made the Service');
    assert.equal(runs[1]!.writes, 0, 'the redelivery wrote nothing');
    assert.deepEqual(await fleetIngress(c, 'api', 'shop'), (await nodeIPs(c)).sort());
    for (const other of [clusters[0]!, clusters[1]!]) assert.equal(syncs(other, from).length, 0);
  });

  await t.test('an unparseable message is acknowledged once, with a log line, and never retried', async () => {
    const garbage = Buffer.from(loadEnvelope('garbage').message.data, 'base64');
    const from = fn.lines.length;
    const [id] = await emulator.publish(TOPIC, [{ data: garbage }]);
    const line = await waitFor('the event.invalid line', () => fn.lines.slice(from).find((l) => l.event === 'event.invalid' && l.messageId === id));
    assert.equal(line.severity, 'WARNING');
    assert.match(String(line.message), /unparseable message acknowledged/);
    await waitFor('the acknowledgement', () => deliveriesOf(id!).find((d) => d.answered === 204));
    // The emulator redelivers an unacknowledged push within seconds (1 s, 2 s … here).
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(deliveriesOf(id!).length, 1, 'delivered exactly once');
    assert.equal(fn.lines.slice(from).filter((l) => l.event === 'sync.finished').length, 0);
  });

  await t.test('the function process printed nothing but JSON log lines, none at ERROR', () => {
    assert.deepEqual(fn.lines.filter((l) => l.severity === 'ERROR' || l.severity === 'CRITICAL'), []);
    assert.deepEqual(fn.other.filter((l) => !/^(Serving function|Function: |Signature type: |URL: )/.test(l)), []);
  });
});
