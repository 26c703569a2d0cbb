// A node-pool upgrade on a local GKE on the real control plane, synced by `nodelb sync --cluster
// … --output json` (runCli in this process) after every step: each old node in turn is cordoned, drained (the Local
// Service's backend pod moves, the real EndpointSlice controller follows), then deleted with its
// instance and replaced by a new node with a new name and external IP.
// After every sync no published IP belongs to a cordoned or deleted node, and the capped
// Service changes its IPs at most once per published node replaced. Counts are printed with
// the prefix "nodepool-upgrade:".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../functions/runtime/report.ts';
import { sortIPs } from '../../functions/core/ip.ts';
import { nodelbCli, startRealWorld, type CliRun, type RealWorld } from '../cluster/world.ts';

// Made in this order, so the API server's creationTimestamps (then the names) rank them by age.
const OLD = [1, 2, 3, 4, 5, 6].map((i) => ({ name: `gke-demo-pool-old-${i}`, ip: `203.0.113.${i}` }));
const NEW = OLD.map((_, i) => ({ name: `gke-demo-pool-new-${i + 1}`, ip: `198.51.100.${i + 1}` }));
const SERVICES = ['capped', 'everywhere', 'local'] as const;
type ServiceName = (typeof SERVICES)[number];

let w: RealWorld;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodelb-upgrade-'));
  w = await startRealWorld();
  for (const n of OLD) await w.gke.addNode({ name: n.name, zone: 'us-central1-a', externalIP: n.ip });
  await w.addService('capped', { ports: [{ port: 80 }], annotations: { 'nodelb.dev/max-ips': '2' } });
  await w.addService('everywhere', { ports: [{ port: 443 }] });
  await w.addService('local', { ports: [{ port: 8443 }], policy: 'Local' });
});

after(async () => {
  await w?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI's GKE path, with only these variables as its environment. */
function nodelbSync(): Promise<CliRun> {
  const { NODELB_CLUSTERS: _, ...env } = w.env; // the cluster is given by --cluster
  return nodelbCli(['sync', '--cluster', w.gke.clusterName, '--output', 'json'], { HOME: dir, NODELB_SETTLE_SECONDS: '30', ...env });
}

/** In the order nodelb wrote them (not sorted), so the sortedness check below means something. */
const published = async (name: ServiceName): Promise<string[]> =>
  (((await w.service(name))?.status?.loadBalancer?.ingress ?? []) as { ip?: string }[]).map((i) => i.ip ?? '');

/** External IPs of the nodes that exist and are not cordoned, from the sim's GCE instances. */
async function servingIPs(): Promise<Set<string>> {
  const up = new Set((await w.gke.admin.list('/api/v1/nodes')).items.filter((n) => n.spec?.unschedulable !== true).map((n) => n.metadata.name));
  const ips = w.gke.gce
    .listInstances(w.gke.project)
    .filter((i) => up.has(i.name ?? ''))
    .flatMap((i) => (i.networkInterfaces ?? []).flatMap((nic) => (nic.accessConfigs ?? []).map((a) => a.natIP ?? '')));
  return new Set(ips.filter((ip) => ip !== ''));
}

const ipOf = (node: string) => [...OLD, ...NEW].find((n) => n.name === node)?.ip ?? '';

/** The Local Service's endpoints: two backend pods, on these nodes (placed by the scheduler,
 *  run by the kubelets, sliced by the real EndpointSlice controller). */
let endpointNodes: string[] = [];
async function placeEndpoints(nodes: string[]): Promise<void> {
  for (const gone of endpointNodes.filter((n) => !nodes.includes(n))) await w.gke.admin.delete(`/api/v1/namespaces/default/pods/local-${gone}`, { gracePeriodSeconds: 0 });
  await w.addBackends('local', nodes.filter((n) => !endpointNodes.includes(n)));
  endpointNodes = nodes;
  const want = JSON.stringify([...nodes].sort());
  await w.waitFor(`local's ready endpoints on ${want}`, async () => JSON.stringify(await w.readyEndpointNodes('local')) === want);
}

interface Tally {
  syncs: number;
  ipChanges: Record<ServiceName, number>;
  statusWrites: Record<ServiceName, number>;
  replacedPublished: Record<ServiceName, number>;
}
const tally: Tally = {
  syncs: 0,
  ipChanges: { capped: 0, everywhere: 0, local: 0 },
  statusWrites: { capped: 0, everywhere: 0, local: 0 },
  replacedPublished: { capped: 0, everywhere: 0, local: 0 },
};
let counting = false;
const last: Record<ServiceName, string[]> = { capped: [], everywhere: [], local: [] };

/** One CLI sync, then the invariants: converged; every published IP belongs to a node that
 *  exists and is not cordoned; sorted; the cap; Local only where an endpoint is. */
async function syncAndCheck(step: string): Promise<void> {
  // The real DaemonSet controller and kubelets have caught up: a proxy pod Ready on every node.
  await w.settled();
  w.resetCalls();
  const r = await nodelbSync();
  assert.equal(r.code, 0, `${step}: the sync converged\n${r.stdout.slice(0, 4000)}\n${r.stderr.slice(0, 4000)}`);
  const report = JSON.parse(r.stdout) as RunReport;
  tally.syncs++;
  const serving = await servingIPs();
  for (const name of SERVICES) {
    const ips = await published(name);
    const stale = ips.filter((ip) => !serving.has(ip));
    assert.deepEqual(stale, [], `${step}: ${name} publishes only nodes that exist and are not cordoned`);
    assert.deepEqual(ips, sortIPs(ips), `${step}: ${name} is sorted`);
    assert.ok(ips.length > 0, `${step}: ${name} is never left without an IP`);
    if (name === 'capped') assert.equal(ips.length, Math.min(2, serving.size), `${step}: the cap holds and is filled`);
    if (name === 'local') assert.deepEqual(ips, sortIPs(endpointNodes.map(ipOf).filter((ip) => serving.has(ip))), `${step}: Local follows its endpoints`);

    const writes = w.gke.faults.calls.filter((c) => c.api === 'kube' && c.method === 'PUT' && c.path.endsWith(`/services/${name}/status`)).length;
    const changed = ips.join(',') !== last[name].join(',');
    const reported = (report.clusters[0]?.results ?? []).filter((x) => x.kind === 'writeStatus' && x.service === `default/${name}` && x.outcome === 'applied');
    assert.equal(reported.length, writes, `${step}: the report lists every status write of ${name}`);
    if (changed) assert.equal(reported.at(-1)?.change, `[${last[name].join(', ')}] → [${ips.join(', ')}]`, `${step}: the report says how ${name} changed`);
    if (counting) {
      tally.statusWrites[name] += writes;
      if (changed) tally.ipChanges[name]++;
    }
    last[name] = ips;
  }
}

test('node-pool upgrade through the CLI: no stale IP after any sync, one change per replaced published node', async (t) => {
  await placeEndpoints([OLD[0]!.name, OLD[3]!.name]);
  await syncAndCheck('initial');
  assert.deepEqual(await published('capped'), ['203.0.113.1', '203.0.113.2'], 'the two oldest nodes');
  assert.deepEqual(await published('everywhere'), OLD.map((n) => n.ip));
  assert.deepEqual(await published('local'), ['203.0.113.1', '203.0.113.4']);
  await syncAndCheck('steady');
  counting = true;

  for (const [i, old] of OLD.entries()) {
    for (const name of SERVICES) if (last[name].includes(old.ip)) tally.replacedPublished[name]++;

    w.kubectl(['cordon', old.name]);
    await syncAndCheck(`cordon ${old.name}`);

    // Drain: the Local Service's pods on this node start again on the healthy node that has the
    // fewest of them (the newest replacement first, as a scheduler spreading them would).
    const healthy = [...NEW.slice(0, i).reverse(), ...OLD.slice(i + 1)].map((n) => n.name).filter((n) => !endpointNodes.includes(n));
    await placeEndpoints(endpointNodes.map((n) => (n === old.name ? (healthy.shift() ?? n) : n)));
    await syncAndCheck(`drain ${old.name}`);

    await w.gke.removeNode(old.name);
    const fresh = NEW[i]!;
    await w.gke.addNode({ name: fresh.name, zone: 'us-central1-a', externalIP: fresh.ip });
    await syncAndCheck(`replace ${old.name} by ${fresh.name}`);
  }

  assert.deepEqual(await published('everywhere'), NEW.map((n) => n.ip), 'every new node published in the end');
  assert.equal((await published('capped')).length, 2);
  assert.ok((await published('capped')).every((ip) => ip.startsWith('198.51.100.')));

  for (const name of SERVICES) {
    t.diagnostic(
      `nodepool-upgrade: ${name}: ${tally.ipChanges[name]} IP change(s), ${tally.statusWrites[name]} status write(s), ` +
        `${tally.replacedPublished[name]} published node(s) replaced, over ${OLD.length} nodes replaced and ${tally.syncs} syncs`,
    );
  }
  assert.ok(tally.ipChanges.capped <= tally.replacedPublished.capped, 'capped: at most one IP change per replaced published node');
  assert.equal(tally.statusWrites.capped, tally.ipChanges.capped, 'capped: no status write without an IP change');
  // Uncapped: a node leaves at its cordon and its replacement joins: two changes per node.
  assert.ok(tally.ipChanges.everywhere <= 2 * OLD.length);
});
