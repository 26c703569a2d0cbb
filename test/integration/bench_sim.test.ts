// The benchmark's server process (a local GKE on the real control plane) answers its commands
// and exits cleanly when its stdin closes: a broken server otherwise shows up only when someone
// runs `npm run bench`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from '../../bench/lib/sim.ts';

test('bench server: starts a world, churns, verifies, stops with exit 0', async () => {
  const sim = await startSim({ services: 2, nodes: 3 }, { kubeMs: 0, computeMs: 0, containerMs: 0, operationMs: 0 });
  assert.match(sim.endpoints.kubeUrl, /^https:\/\/127\.0\.0\.1:\d+/);
  const before = await sim.verify();
  assert.equal(before.services, 2);
  assert.equal(before.wrong, 2, 'nothing synced yet: both Services lack their IPs');
  assert.deepEqual(await sim.churn(0.34), { changed: 1 });
  await sim.stop();
});
