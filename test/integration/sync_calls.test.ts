// What one sync costs in API calls on the real API server, counted both by the adapters (the
// report) and by the fault proxy's and sims' call log: cold then steady in both modes, the fixed
// number of list calls whatever the world's size, and proxy pods listed only when the real
// DaemonSet controller's status does not prove them. One growing world for the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, PROXY_NS, settledNodesClock, startRealWorld, type RealWorld } from '../cluster/world.ts';
import { seed } from '../cluster/seed.ts';
import type { CallRecord } from '../sim/faults.ts';
import { POD_PAGE_SIZE } from '../../functions/adapters/kube_rest.ts';
import { MAX_NAMED_DAEMONSETS } from '../../functions/runtime/observe.ts';

let w: RealWorld;
let services = 0;
let nodes: string[] = [];

before(async () => {
  w = await startRealWorld();
});
/** Every sync here sees the nodes as settled (see settledNodesClock): the counts are of a
 *  cluster whose nodes joined minutes ago, as the simulator's back-dated nodes had. */
const sync = (mode: 'gke' | 'kubeconfig') => w.sync(mode, { clock: settledNodesClock });
after(() => w?.close());

async function grow(addServices: number, addNodes: number): Promise<void> {
  const s = await seed(w, { services: addServices, firstService: services, nodes: addNodes, firstNode: nodes.length });
  services += addServices;
  nodes = [...nodes, ...s.nodes];
}

const calls = () => w.gke.faults.calls;

function byApi(list: readonly CallRecord[]): Record<string, { reads: number; writes: number }> {
  const out: Record<string, { reads: number; writes: number }> = {};
  for (const c of list) {
    const b = (out[c.api] ??= { reads: 0, writes: 0 });
    if (c.write) b.writes++;
    else b.reads++;
  }
  return out;
}

/** "GET /api/v1/services" style keys with counts, for the diagnostic line. */
function shape(list: readonly CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of list) {
    const path = c.path.replace(/\/(nodelb|svc)-[^/]+/g, '/{name}').replace(/operations\/[^/]+/, 'operations/{op}');
    const key = `${c.api} ${c.method} ${path}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

test('the number of list calls does not grow with Services and nodes (pagination aside)', async () => {
  const lists: Record<string, number>[] = [];
  for (const [addServices, addNodes] of [[2, 3], [6, 3]] as const) {
    await grow(addServices, addNodes);
    const r = await sync('gke');
    assert.equal(r.converged, true, problems(r));
    w.resetCalls();
    await sync('gke');
    // A list's follow-up pages carry a continue/pageToken: count first pages only.
    lists.push(shape(calls().filter((c) => !/(^|&)(continue|pageToken)=/.test(c.query))));
  }
  assert.deepEqual(lists[0], lists[1]);
});

test('nodes that joined seconds ago (creationTimestamp stamped by the real server) are not taken on the status\'s word', async () => {
  w.resetCalls();
  const r = await w.sync('gke'); // the real clock: every node here is younger than NODE_SETTLE_MS
  assert.equal(r.converged, true, problems(r));
  assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
  const podLists = calls().filter((c) => c.path.endsWith('/pods'));
  assert.equal(podLists.length, 1, 'the proxy pods are listed');
  const selector = new URLSearchParams(podLists[0]?.query).get('labelSelector') ?? '';
  const names = (await w.daemonSets()).map((d) => d.metadata.name);
  assert.ok(names.length > 0 && names.every((n) => selector.includes(n)), `every DaemonSet's pods, none proven: ${selector}`);
});

for (const mode of ['gke', 'kubeconfig'] as const) {
  test(`calls of one sync, 10 new Services × 6 nodes, ${mode} mode: cold, then steady`, async (t) => {
    await grow(10, 0);
    w.resetCalls();
    const cold = await sync(mode);
    assert.equal(cold.converged, true, problems(cold));
    const coldLog = byApi(calls());
    t.diagnostic(`cold ${mode}: report ${JSON.stringify(cold.calls.byApi)}; servers ${JSON.stringify(coldLog)}; ${JSON.stringify(shape(calls()))}`);
    // The adapters' count and the servers' log agree.
    for (const api of ['kube', 'compute', 'container'] as const) {
      assert.deepEqual(cold.calls.byApi[api] ?? { reads: 0, writes: 0 }, coldLog[api] ?? { reads: 0, writes: 0 }, api);
    }
    // One DaemonSet and one rule per new Service; one status per new Service (after the pods are Ready).
    const writes = (kind: string) => cold.results.filter((r) => r.kind === kind && r.outcome === 'applied').length;
    assert.equal(writes('createDaemonSet'), 10);
    assert.equal(writes('createFirewall'), 10);
    assert.equal(new Set(cold.results.filter((r) => r.kind === 'writeStatus').map((r) => r.target)).size, 10);

    w.resetCalls();
    const steady = await sync(mode);
    assert.equal(steady.converged, true, problems(steady));
    const steadyLog = byApi(calls());
    t.diagnostic(`steady ${mode}: ${JSON.stringify(steadyLog)}; ${JSON.stringify(shape(calls()))}`);
    assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 });
    // namespaces, services, nodes, daemonsets | instances, firewalls | getCluster. No pod list:
    // every DaemonSet's status (the real controller's) proves its pods Ready.
    assert.deepEqual(steadyLog.kube, { reads: 4, writes: 0 });
    assert.equal(calls().filter((c) => c.path.endsWith('/pods')).length, 0);
    assert.deepEqual(steadyLog.compute, { reads: 2, writes: 0 });
    assert.deepEqual(steadyLog.container, mode === 'gke' ? { reads: 1, writes: 0 } : undefined);
  });
}

test('proxy pods are listed only for DaemonSets whose status does not prove them: by name when few, all when many', async () => {
  await grow(45 - services, 0);
  assert.equal((await sync('gke')).converged, true);
  const daemonSets = (await w.daemonSets()).map((d) => d.metadata.name).sort();
  assert.equal(daemonSets.length, 45);
  const podLists = () => calls().filter((c) => c.path.endsWith('/pods'));
  const selectorOf = (c: CallRecord) => new URLSearchParams(c.query).get('labelSelector') ?? '';
  /** Waits until the real controller's status of each named DaemonSet counts `ready` pods. */
  const readyCount = (names: string[], ready: number) =>
    w.waitFor(`${names.length} DaemonSet(s) with ${ready} Ready pods`, async () => {
      const sets = (await w.daemonSets()).filter((d) => names.includes(d.metadata.name));
      return sets.length === names.length && sets.every((d) => d.status?.numberReady === ready && d.status?.observedGeneration === d.metadata.generation);
    });

  // Two DaemonSets each have a pod that is not Ready: one list call names just those two.
  const [ds3, ds7] = [daemonSets[3] as string, daemonSets[7] as string];
  await w.gke.kubelets.holdPods(nodes[0] as string, ds3, 'not-ready');
  await w.gke.kubelets.holdPods(nodes[1] as string, ds7, 'not-ready');
  await readyCount([ds3, ds7], 5);
  w.resetCalls();
  const few = await sync('gke');
  assert.equal(podLists().length, 1);
  assert.equal(selectorOf(podLists()[0] as CallRecord), `nodelb.dev/daemonset in (${ds3},${ds7})`);
  const ipsOf = (i: number) => few.plan.services.find((s) => s.daemonSet === daemonSets[i])?.ingress.length;
  assert.equal(ipsOf(3), 5, 'the node whose pod is not Ready is left out');
  assert.equal(ipsOf(4), 6, 'a proven DaemonSet publishes every node');

  // More than MAX_NAMED_DAEMONSETS unproven (every proxy pod on a third node held): one selector
  // for all proxy pods, paged.
  assert.ok(daemonSets.length > MAX_NAMED_DAEMONSETS);
  await w.gke.kubelets.holdPods(nodes[2] as string, 'nodelb-', 'not-ready');
  await readyCount(daemonSets.filter((d) => d !== ds3 && d !== ds7), 5);
  w.resetCalls();
  await sync('gke');
  const all = podLists().filter((c) => !/(^|&)continue=/.test(c.query));
  assert.equal(all.length, 1);
  assert.equal(selectorOf(all[0] as CallRecord), 'nodelb.dev/daemonset');
  const pods = (await w.gke.admin.list(`/api/v1/namespaces/${PROXY_NS}/pods`)).items.length;
  assert.equal(pods, 45 * 6);
  assert.equal(podLists().length, Math.ceil(pods / POD_PAGE_SIZE));
});
