// syncAll: several clusters with a bound; one that cannot be synced (unknown cluster, a bad
// kubeconfig context) does not stop the others, and the run report says what to retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, startRealWorld } from '../cluster/world.ts';
import { syncAll } from '../../functions/runtime/sync.ts';
import { captureSink, createLogger } from '../../functions/platform/log.ts';

test('one failing cluster does not stop the others', async (t) => {
  const w = await startRealWorld();
  t.after(() => w.close());
  const { gke } = w;
  await gke.addNode({ name: 'node-0', externalIP: '34.0.0.1' });
  await w.addService('web');
  const cap = captureSink();
  const missing = `projects/${gke.project}/locations/${gke.location}/clusters/gone`;
  const run = await syncAll(
    [
      { kind: 'gke', name: missing },
      { kind: 'gke', name: gke.clusterName },
      { kind: 'kubeconfig', path: w.kubeconfigPath, context: 'no-such-context' },
    ],
    { ...w.config, clusterConcurrency: 2 },
    { logger: createLogger({ sink: cap.sink }), trigger: 'schedule', settlePollMs: 250 },
  );
  assert.equal(run.clusters.length, 3);
  const [gone, good, badContext] = run.clusters;
  assert.equal(good?.converged, true, good ? problems(good) : 'missing report');
  assert.deepEqual(await w.ingress('web'), ['34.0.0.1']);
  assert.equal(gone?.ok, false);
  assert.equal(gone?.errors[0]?.stage, 'connect');
  assert.match(gone?.errors[0]?.fix ?? '', /check the cluster name/);
  assert.equal(badContext?.ok, false);
  assert.match(badContext?.errors[0]?.message ?? '', /no-such-context/);
  assert.equal(run.ok, false);
  assert.equal(run.converged, false);
  assert.equal(run.retryable, false, 'neither failure goes away by retrying');
  assert.equal(run.trigger, 'schedule');
  const clusters = new Set(cap.entries.map((e) => e['logging.googleapis.com/labels']?.cluster));
  assert.ok(clusters.has(gke.clusterName) && clusters.has(missing), 'each cluster logs under its own label');
});
