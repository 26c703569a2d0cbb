// The benchmark's server processes (a local GKE on the real control plane; a realistic shape on
// the simulator) answer their commands and exit cleanly when stdin closes, and the GKE node
// fixture keeps its size: a broken server otherwise shows up only when someone runs the bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from '../../bench/lib/sim.ts';
import { gkeNode } from '../../bench/lib/gke_node.ts';

test('bench server: starts a world, churns, verifies, stops with exit 0', async () => {
  const sim = await startSim({ services: 2, nodes: 3 }, { kubeMs: 0, computeMs: 0, containerMs: 0, operationMs: 0 });
  assert.match(sim.endpoints.kubeUrl, /^https:\/\/127\.0\.0\.1:\d+/);
  const before = await sim.verify();
  assert.equal(before.services, 2);
  assert.equal(before.wrong, 2, 'nothing synced yet: both Services lack their IPs');
  assert.deepEqual(await sim.churn(0.34), { changed: 1 });
  await sim.stop();
});

test('bench shape server (simulator): a small shape B world with pools, GKE-sized nodes, churn, stop', async () => {
  const sim = await startSim({ shape: 'b', server: 'sim' }, { kubeMs: 0, computeMs: 0, containerMs: 0, operationMs: 0 });
  const before = await sim.verify();
  assert.equal(before.services, 40);
  assert.equal(before.wrong, 40, 'nothing synced yet');
  assert.deepEqual(await sim.churn(0.1), { changed: 4 });
  await sim.stop();
});

test('bench GKE node fixture: 10–20 KB of JSON, the labels placement reads', () => {
  const { node, status } = gkeNode({ name: 'gke-demo-default-pool-1a2b-0001', index: 1, project: 'p', zone: 'us-central1-a', pool: 'default-pool', internalIP: '10.128.0.2', externalIP: '203.0.113.1', instanceId: '1', created: '2025-01-01T00:00:00Z', extraLabels: { 'nodelb.dev/pool': 'pool-000' } });
  const bytes = JSON.stringify({ ...node, status }).length;
  assert.ok(bytes > 10_000 && bytes < 20_000, `${bytes} bytes`);
  assert.equal((status.conditions as unknown[]).length, 12);
  assert.equal((node.metadata as { labels: Record<string, string> }).labels['nodelb.dev/pool'], 'pool-000');
});
