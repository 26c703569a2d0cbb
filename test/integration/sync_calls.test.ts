// What one sync costs in API calls (20 Services × 50 nodes, cold then steady), counted both by
// the adapters (the report) and by the sims' call log, and the fixed number of list calls
// whatever the world's size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, problems, type World } from './sync_world.ts';
import { seedWorld } from '../sim/scenario.ts';
import type { CallRecord } from '../sim/faults.ts';
import { POD_PAGE_SIZE } from '../../functions/adapters/pod_pages.ts';

function byApi(calls: readonly CallRecord[]): Record<string, { reads: number; writes: number }> {
  const out: Record<string, { reads: number; writes: number }> = {};
  for (const c of calls) {
    const b = (out[c.api] ??= { reads: 0, writes: 0 });
    if (c.write) b.writes++;
    else b.reads++;
  }
  return out;
}

/** "GET /api/v1/services" style keys with counts, for the diagnostic line. */
function shape(calls: readonly CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) {
    const path = c.path.replace(/\/(nodelb|svc)-[^/]+/g, '/{name}').replace(/operations\/[^/]+/, 'operations/{op}');
    const key = `${c.api} ${c.method} ${path}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

async function world(t: { after(fn: () => Promise<void>): void }, services: number, nodes: number): Promise<World> {
  const w = await startWorld();
  t.after(() => w.close());
  seedWorld(w.sim, { nodes, services });
  return w;
}

for (const mode of ['gke', 'kubeconfig'] as const) {
  test(`calls of one sync, 20 Services × 50 nodes, ${mode} mode: cold, then steady`, async (t) => {
    const w = await world(t, 20, 50);
    w.sim.faults.resetCalls();
    const cold = await w.sync(mode);
    assert.equal(cold.converged, true, problems(cold));
    const coldLog = byApi(w.sim.faults.calls);
    t.diagnostic(`cold ${mode}: report ${JSON.stringify(cold.calls.byApi)}; sims ${JSON.stringify(coldLog)}; ${JSON.stringify(shape(w.sim.faults.calls))}`);
    // The adapters' count and the servers' log agree.
    for (const api of ['kube', 'compute', 'container'] as const) {
      assert.deepEqual(cold.calls.byApi[api] ?? { reads: 0, writes: 0 }, coldLog[api] ?? { reads: 0, writes: 0 }, api);
    }
    // One DaemonSet and one rule per Service; one status per Service (after the pods are Ready).
    const writes = (kind: string) => cold.results.filter((r) => r.kind === kind && r.outcome === 'applied').length;
    assert.equal(writes('createDaemonSet'), 20);
    assert.equal(writes('createFirewall'), mode === 'gke' || mode === 'kubeconfig' ? 20 : 0);
    assert.equal(new Set(cold.results.filter((r) => r.kind === 'writeStatus').map((r) => r.target)).size, 20);

    w.sim.faults.resetCalls();
    const steady = await w.sync(mode);
    assert.equal(steady.converged, true, problems(steady));
    const steadyLog = byApi(w.sim.faults.calls);
    t.diagnostic(`steady ${mode}: ${JSON.stringify(steadyLog)}; ${JSON.stringify(shape(w.sim.faults.calls))}`);
    assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
    // namespaces, services, nodes, daemonsets, pods (1000 proxy pods: one page of POD_PAGE_SIZE) |
    // instances, firewalls | getCluster
    assert.deepEqual(steadyLog.kube, { reads: 4 + Math.ceil(1000 / POD_PAGE_SIZE), writes: 0 });
    assert.deepEqual(steadyLog.compute, { reads: 2, writes: 0 });
    assert.deepEqual(steadyLog.container, mode === 'gke' ? { reads: 1, writes: 0 } : undefined);
  });
}

test('the number of list calls does not grow with Services and nodes (pagination aside)', async (t) => {
  const small = await world(t, 2, 3);
  const large = await world(t, 40, 120);
  const lists: Record<string, number>[] = [];
  for (const w of [small, large]) {
    const r = await w.sync('gke');
    assert.equal(r.converged, true, problems(r));
    w.sim.faults.resetCalls();
    await w.sync('gke');
    // A list's follow-up pages carry a continue/pageToken: count first pages only.
    lists.push(shape(w.sim.faults.calls.filter((c) => !/(^|&)(continue|pageToken)=/.test(c.query))));
    const pods = w.sim.faults.calls.filter((c) => c.path.endsWith('/pods')).length;
    assert.equal(pods, Math.ceil(w.sim.kube.list('pods', 'nodelb-system').length / POD_PAGE_SIZE));
  }
  assert.deepEqual(lists[0], lists[1]);
});
