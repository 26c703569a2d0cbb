// Everything nodelb writes passes the real API server's validation and reads back as written
// (DaemonSets, Service status with the Serving condition and ipMode, Events), in both modes (the
// one REST client with a Google token, or with the kubeconfig's credentials); then a sync of the
// unchanged world makes zero writes in GKE and kubeconfig modes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc3339 } from '../../functions/adapters/kube_views.ts';
import type { Config } from '../../functions/config.ts';
import { daemonSetDrift } from '../../functions/core/daemonset_drift.ts';
import type { Action, Plan, Snapshot } from '../../functions/core/model.ts';
import { plan } from '../../functions/core/plan.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { eventFor } from '../../functions/runtime/apply_action.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import { PROXY_NS, startRealWorld, type RealWorld } from '../cluster/world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

let w: RealWorld;

before(async () => {
  w = await startRealWorld();
  for (let i = 1; i <= 3; i++) {
    const labels = i < 3 ? { 'nodelb.dev/pool': 'edge' } : undefined; // for the pool annotation
    await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i}`, externalIPv6: `2600:1900:4000:${i}::`, labels });
  }
  // The priority-class annotation names a class that must exist for the proxy pods to be admitted.
  await w.gke.admin.post('/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'lb-proxy' }, value: 1000 });
});
after(() => w?.close());

type Mode = 'gke' | 'kubeconfig';
type Written = Extract<Action, { kind: 'createDaemonSet' | 'updateDaemonSet' | 'writeStatus' | 'recordEvent' }>;

/** Paths where `sent` holds a value `got` does not: a field the server dropped, or defaulted to another value. */
function lost(sent: unknown, got: unknown, path = ''): string[] {
  const want = sent instanceof Date ? rfc3339(sent) : sent;
  if (want === undefined) return [];
  const diff = () => [`${path || '.'}: sent ${JSON.stringify(want)}, read back ${JSON.stringify(got)}`];
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return diff();
    return want.flatMap((x, i) => lost(x, got[i], `${path}[${i}]`));
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object') return diff();
    return Object.entries(want).flatMap(([k, v]) => lost(v, (got as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return want === got ? [] : diff();
}

function problems(r: ClusterReport): string {
  return JSON.stringify({ errors: r.errors, failed: r.results.filter((x) => x.outcome !== 'applied' && x.outcome !== 'skipped'), notes: r.plan.notes }, null, 1);
}

function targetOf(a: Written): string {
  if (a.kind === 'createDaemonSet' || a.kind === 'updateDaemonSet') return `daemonset ${a.daemonSet.metadata?.name}`;
  if (a.kind === 'writeStatus') return `status ${a.service.namespace}/${a.service.name}`;
  return `event ${eventFor(a, 0).metadata?.name}`;
}

/** Syncs until a plan has nothing to do; returns the last write planned for each object. */
async function syncUntilQuiet(mode: Mode, config: Partial<Config> = {}): Promise<Map<string, Written>> {
  const written = new Map<string, Written>();
  const planner = (s: Snapshot, c: PlanConfig): Plan => {
    const p = plan(s, c);
    for (const a of actionsOf(p)) if (a.kind === 'createDaemonSet' || a.kind === 'updateDaemonSet' || a.kind === 'writeStatus' || a.kind === 'recordEvent') written.set(targetOf(a), a);
    return p;
  };
  for (let i = 0; i < 6; i++) {
    const r = await w.sync(mode, { planner }, config);
    assert.deepEqual(r.errors, [], problems(r));
    assert.ok(r.results.every((x) => x.outcome === 'applied' || (x.kind === 'recordEvent' && x.outcome === 'skipped')), problems(r));
    if (r.plan.actions.length === 0 && r.rounds === 1) return written;
    // Proxies that are not Ready yet publish on a later sync.
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.fail(`no quiet sync after 6 in ${mode} mode: ${JSON.stringify([...written.keys()])}`);
}

/** Reads every written object back from the server (admin) and compares it with what was sent. */
async function assertReadBack(written: Map<string, Written>): Promise<string[]> {
  const seen: string[] = [];
  for (const [target, a] of written) {
    if (a.kind === 'createDaemonSet' || a.kind === 'updateDaemonSet') {
      const got = await w.gke.admin.get(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${a.daemonSet.metadata?.name}`);
      assert.deepEqual(lost(a.daemonSet, got), [], target);
      assert.deepEqual(daemonSetDrift(a.daemonSet, got as never), [], `${target}: nodelb's drift check on the object as stored`);
    } else if (a.kind === 'writeStatus') {
      const svc = await w.gke.admin.get(`/api/v1/namespaces/${a.service.namespace}/services/${a.service.name}`);
      const sent = { loadBalancer: a.ingress.length > 0 ? { ingress: a.ingress } : {}, conditions: a.conditions };
      assert.deepEqual(lost(sent, svc.status), [], target);
      assert.deepEqual(Object.keys(svc.status.loadBalancer), Object.keys(sent.loadBalancer), `${target}: nothing added to loadBalancer`);
    } else {
      const event = eventFor(a, 0);
      const got = await w.gke.admin.get(`/api/v1/namespaces/${a.service.namespace}/events/${event.metadata?.name}`);
      assert.deepEqual(lost({ ...event, firstTimestamp: undefined, lastTimestamp: undefined }, got), [], target);
      assert.ok(got.firstTimestamp && got.lastTimestamp, `${target}: timestamps kept`);
    }
    seen.push(target);
  }
  return seen.sort();
}

/** The unchanged world: nodelb plans nothing and writes nothing, in either mode. */
async function assertZeroWrites(config: Partial<Config> = {}): Promise<void> {
  for (const mode of ['gke', 'kubeconfig'] as const) {
    w.resetCalls();
    const r = await w.sync(mode, {}, config);
    assert.deepEqual(r.plan.actions, [], `${mode}: ${problems(r)}`);
    assert.deepEqual(w.writes(), { kube: 0, compute: 0, container: 0 }, `${mode} mode wrote`);
  }
}

const TOLERATIONS = JSON.stringify([
  { key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' },
  { key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
  { operator: 'Exists', effect: 'PreferNoSchedule' },
]);

test('GKE mode: DaemonSets of both policies and every family, status, Events', async () => {
  await w.addService('c4', {
    ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }],
    annotations: { 'nodelb.dev/tolerations': TOLERATIONS, 'nodelb.dev/node-selector': 'cloud.google.com/gke-nodepool=default-pool', 'nodelb.dev/ip-mode': 'Proxy' },
  });
  await w.addService('l6', {
    ports: [{ port: 8443 }],
    policy: 'Local',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv6'],
    annotations: { 'nodelb.dev/node-selector': 'topology.kubernetes.io/zone!=us-central1-z,cloud.google.com/machine-family', 'nodelb.dev/priority-class': 'lb-proxy' },
  });
  await w.addService('cd', { ports: [{ port: 9000 }], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'], annotations: { 'nodelb.dev/ip-mode': 'proxy' } });
  await w.addService('ld', { ports: [{ port: 9001 }], policy: 'Local', ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] });
  // An empty status (no eligible node) and a refusal (a deny-listed port) are writes too.
  await w.addService('none', { ports: [{ port: 9003 }], annotations: { 'nodelb.dev/node-selector': 'no-such-label=x' } });
  await w.addService('ssh', { ports: [{ port: 22 }] });
  await w.addBackends('l6', ['node-1', 'node-2']);
  await w.addBackends('ld', ['node-2']);
  const written = await syncUntilQuiet('gke');
  const seen = await assertReadBack(written);
  for (const kind of ['daemonset nodelb-c4-', 'daemonset nodelb-l6-', 'daemonset nodelb-cd-', 'daemonset nodelb-ld-', 'daemonset nodelb-none-'])
    assert.ok(seen.some((s) => s.startsWith(kind)), `${kind}… written and read back (${seen.join(', ')})`);
  for (const svc of ['c4', 'l6', 'cd', 'ld', 'none', 'ssh']) assert.ok(seen.includes(`status default/${svc}`), `status of ${svc}`);
  assert.ok(seen.filter((s) => s.startsWith('event ')).length >= 6, seen.join(', '));
  // What the server keeps of the ipMode and dual-stack order, as nodelb reads it back.
  const cd = await w.service('cd');
  assert.deepEqual(cd?.status.loadBalancer.ingress.map((i: { ipMode: string }) => i.ipMode), Array(6).fill('Proxy'));
  assert.ok(cd?.status.loadBalancer.ingress[0].ip.includes(':'), 'IPv6 first, as spec.ipFamilies asks');
  assert.deepEqual((await w.service('none'))?.status.loadBalancer, {});
  assert.equal((await w.ingress('l6')).length, 2);
  await assertZeroWrites();
});

test('kubeconfig mode: creates, status and Events read back as written', async () => {
  await w.addService('k4', { ports: [{ port: 81 }], annotations: { 'nodelb.dev/tolerations': TOLERATIONS, 'nodelb.dev/pool': 'edge', 'nodelb.dev/ip-mode': 'Proxy' } });
  await w.addService('kd', { ports: [{ port: 9002, protocol: 'UDP' }], policy: 'Local', ipFamilyPolicy: 'RequireDualStack' });
  await w.addBackends('kd', ['node-3']);
  const written = await syncUntilQuiet('kubeconfig');
  const seen = await assertReadBack(written);
  for (const kind of ['daemonset nodelb-k4-', 'daemonset nodelb-kd-', 'status default/k4', 'status default/kd', 'event k4.'])
    assert.ok(seen.some((s) => s.startsWith(kind)), `${kind}… (${seen.join(', ')})`);
  assert.deepEqual(await w.ingress('kd'), ['2600:1900:4000:3::', '34.0.0.3']);
  assert.deepEqual(await w.ingress('k4'), ['34.0.0.1', '34.0.0.2'], 'the pool annotation keeps k4 on the edge nodes');
  await assertZeroWrites();
});

test('updates in both modes: to sysctls forwarding in kubeconfig mode, back to the init container in GKE mode', async () => {
  const sysctls: Partial<Config> = { forwarding: 'sysctls' };
  const toSysctls = await syncUntilQuiet('kubeconfig', sysctls);
  const updated = [...toSysctls.values()].filter((a) => a.kind === 'updateDaemonSet');
  assert.equal(updated.length, 7, [...toSysctls.keys()].join(', '));
  await assertReadBack(toSysctls);
  const dual = await w.gke.admin.get(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${updated.find((a) => a.service?.name === 'cd')?.daemonSet.metadata?.name}`);
  assert.deepEqual(dual.spec.template.spec.securityContext.sysctls, [
    { name: 'net.ipv4.ip_forward', value: '1' },
    { name: 'net.ipv6.conf.all.forwarding', value: '1' },
  ]);
  await assertZeroWrites(sysctls);

  const back = await syncUntilQuiet('gke');
  assert.equal([...back.values()].filter((a) => a.kind === 'updateDaemonSet').length, 7);
  await assertReadBack(back);
  await assertZeroWrites();
});
