// What one sync costs in API calls (20 Services × 50 nodes, cold then steady), counted both by
// the adapters (the report) and by the sims' call log, and the fixed number of list calls
// whatever the world's size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, problems, type World } from './sync_world.ts';
import { seedWorld } from '../sim/scenario.ts';
import type { CallRecord } from '../sim/faults.ts';
import { POD_PAGE_SIZE } from '../../functions/adapters/pod_pages.ts';
import { MAX_NAMED_DAEMONSETS } from '../../functions/runtime/observe.ts';

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
    // namespaces, services, nodes, daemonsets | instances, firewalls | getCluster. No pod list:
    // every DaemonSet's status proves its 50 pods Ready.
    assert.deepEqual(steadyLog.kube, { reads: 4, writes: 0 });
    assert.equal(w.sim.faults.calls.filter((c) => c.path.endsWith('/pods')).length, 0);
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
  }
  assert.deepEqual(lists[0], lists[1]);
});

test('proxy pods are listed only for DaemonSets whose status does not prove them: by name when few, all when many', async (t) => {
  const w = await world(t, 45, 6);
  assert.equal((await w.sync('gke')).converged, true);
  const daemonSets = w.sim.kube.list('daemonsets', 'nodelb-system').map((d) => d.metadata.name ?? '').sort();
  const nodes = w.sim.kube.list('nodes').map((n) => n.metadata.name ?? '').sort();
  const podLists = () => w.sim.faults.calls.filter((c) => c.path.endsWith('/pods'));
  const selectorOf = (c: CallRecord) => new URLSearchParams(c.query).get('labelSelector') ?? '';

  // Two DaemonSets each have a pod that is not Ready: one list call names just those two.
  w.sim.kube.setPodReady('nodelb-system', daemonSets[3] as string, nodes[0] as string, false);
  w.sim.kube.setPodReady('nodelb-system', daemonSets[7] as string, nodes[1] as string, false);
  w.sim.faults.resetCalls();
  const few = await w.sync('gke');
  assert.equal(podLists().length, 1);
  assert.equal(selectorOf(podLists()[0] as CallRecord), `nodelb.dev/daemonset in (${daemonSets[3]},${daemonSets[7]})`);
  const ipsOf = (i: number) => few.plan.services.find((s) => s.daemonSet === daemonSets[i])?.ingress.length;
  assert.equal(ipsOf(3), 5, 'the node whose pod is not Ready is left out');
  assert.equal(ipsOf(4), 6, 'a proven DaemonSet publishes every node');

  // More than MAX_NAMED_DAEMONSETS unproven: one selector for all proxy pods, paged.
  for (const ds of daemonSets.slice(0, MAX_NAMED_DAEMONSETS + 1)) w.sim.kube.setPodReady('nodelb-system', ds, nodes[2] as string, false);
  w.sim.faults.resetCalls();
  await w.sync('gke');
  const all = podLists().filter((c) => !/(^|&)continue=/.test(c.query));
  assert.equal(all.length, 1);
  assert.equal(selectorOf(all[0] as CallRecord), 'nodelb.dev/daemonset');
  assert.equal(podLists().length, Math.ceil((45 * 6) / POD_PAGE_SIZE));
});
