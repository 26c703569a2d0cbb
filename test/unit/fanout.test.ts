// The scheduled fan-out, pure parts: only a schedule of more clusters than the threshold fans
// out; one message per cluster that events.ts parses back to exactly that cluster; publish
// requests within Pub/Sub's limit; and the configuration that requires the topic, at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, ConfigError } from '../../functions/config.ts';
import { parsePubSubMessage, selectClusters, type Trigger } from '../../functions/handlers/events.ts';
import { CLUSTER_ATTRIBUTE, fanoutMessages, publishBatches, shouldFanOut } from '../../functions/handlers/fanout.ts';
import { pubsubEnvelope } from '../fixtures/events.ts';

const clusters = Array.from({ length: 5 }, (_, i) => `projects/demo-project/locations/us-central1/clusters/c${i}`);
const schedule: Trigger = { kind: 'schedule', reason: 'schedule' };

test('only a schedule with more clusters than the threshold fans out', () => {
  assert.equal(shouldFanOut(schedule, clusters, 4), true);
  assert.equal(shouldFanOut(schedule, clusters, 5), false);
  const gce: Trigger = { kind: 'gce', methodName: 'compute.instances.stop', project: 'demo-project', failed: false };
  assert.equal(shouldFanOut(gce, clusters, 1), false, 'audit-log events stay direct');
  assert.equal(shouldFanOut({ kind: 'cluster', cluster: clusters[0]!, reason: 'fanout' }, clusters, 0), false, 'nothing fans out twice');
});

test('each fan-out message parses back to its one cluster, and syncs only that one', () => {
  const messages = fanoutMessages(clusters);
  assert.equal(messages.length, clusters.length);
  messages.forEach((m, i) => {
    assert.equal(m.attributes[CLUSTER_ATTRIBUTE], clusters[i]);
    const trigger = parsePubSubMessage({ message: { data: m.data, messageId: String(i) } });
    assert.deepEqual(trigger, { kind: 'cluster', cluster: clusters[i], reason: 'fanout', messageId: String(i) });
    assert.deepEqual(selectClusters(trigger, clusters).clusters, [clusters[i]]);
  });
});

test('a cluster message for an unconfigured cluster syncs nothing; a malformed one is invalid, not a full sync', () => {
  const other = parsePubSubMessage(pubsubEnvelope({ reason: 'fanout', cluster: 'projects/demo-project/locations/us-central1/clusters/gone' }));
  assert.deepEqual(selectClusters(other, clusters).clusters, []);
  for (const cluster of ['prod', 42, null]) {
    const t = parsePubSubMessage(pubsubEnvelope({ reason: 'fanout', cluster }));
    assert.equal(t.kind, 'invalid', JSON.stringify(cluster));
  }
});

test('publish requests carry at most 1000 messages', () => {
  const sizes = publishBatches(Array.from({ length: 2500 }, (_, i) => i)).map((b) => b.length);
  assert.deepEqual(sizes, [1000, 1000, 500]);
  assert.deepEqual(publishBatches([]), []);
});

test('configuration: the function needs a topic when the clusters exceed the threshold; the emulator host is honoured', () => {
  const env = { NODELB_CLUSTERS: clusters.join(','), NODELB_FANOUT_THRESHOLD: '4' };
  assert.throws(() => parseConfig(env, { fanout: true }), (e: unknown) => e instanceof ConfigError && /NODELB_FANOUT_TOPIC: required when NODELB_CLUSTERS names more clusters \(5\) than NODELB_FANOUT_THRESHOLD \(4\)/.test(e.message));
  assert.equal(parseConfig(env).fanoutTopic, undefined, 'the CLI never fans out, so it needs no topic');
  const ok = parseConfig({ ...env, NODELB_FANOUT_TOPIC: 'projects/demo-project/topics/nodelb', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }, { fanout: true });
  assert.equal(ok.fanoutTopic, 'projects/demo-project/topics/nodelb');
  assert.equal(ok.pubsubEndpoint, 'http://127.0.0.1:8085/v1');
  assert.equal(parseConfig({ NODELB_PUBSUB_ENDPOINT: 'https://psc.example/v1', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }).pubsubEndpoint, 'https://psc.example/v1');
  assert.equal(parseConfig({}).pubsubEndpoint, 'https://pubsub.googleapis.com/v1');
  assert.equal(parseConfig({}).fanoutThreshold, 8);
  assert.throws(() => parseConfig({ NODELB_FANOUT_TOPIC: 'nodelb', NODELB_FANOUT_THRESHOLD: '0' }), (e: unknown) => e instanceof ConfigError && e.problems.length === 2);
});
