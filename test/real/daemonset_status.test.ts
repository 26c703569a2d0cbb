// The DaemonSet-status proof (functions/core/proxy_readiness.ts) against the real DaemonSet
// controller and scheduler: in every state the plan made from a DaemonSet's status equals the
// plan made from listing every proxy pod, and the status fields statusGap relies on are asserted.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { V1DaemonSet } from '@kubernetes/client-node';
import { connectCluster, type ClusterTarget } from '../../functions/adapters/connect.ts';
import { reviveNode } from '../../functions/adapters/kube_revive.ts';
import { toNodeView } from '../../functions/adapters/kube_views.ts';
import type { Plan } from '../../functions/core/model.ts';
import { DAEMONSET_LABEL } from '../../functions/core/naming.ts';
import { planExplained } from '../../functions/core/plan.ts';
import { DAEMON_TOLERATIONS, NODE_SETTLE_MS, daemonSetWantsNode, rolledOut, statusGap } from '../../functions/core/proxy_readiness.ts';
import { systemClock, type Clock } from '../../functions/platform/clock.ts';
import { captureSink, createLogger } from '../../functions/platform/log.ts';
import { observe } from '../../functions/runtime/observe.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import type { KubeObject } from '../cluster/kube_http.ts';
import { isReady, PROXY_NS, startRealWorld, type RealWorld } from '../cluster/world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

let w: RealWorld;
const ALL = ['34.0.0.1', '34.0.0.2', '34.0.0.3'];

before(async () => {
  w = await startRealWorld();
  for (let i = 1; i <= 3; i++) await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.0.${i}` });
});
after(async () => {
  kcm().kill('SIGCONT'); // never leave the controller-manager stopped behind a failed test
  await w?.close();
});

const kcm = () => {
  const c = w.gke.controlPlane.components.find((x) => x.name === 'kube-controller-manager');
  assert.ok(c, 'the control plane runs a kube-controller-manager');
  return c.child;
};

/** What the controller wrote, in the words of proxy_readiness.ts. */
function counts(ds: KubeObject) {
  const s = ds.status ?? {};
  return {
    generation: ds.metadata.generation,
    observedGeneration: s.observedGeneration,
    desired: s.desiredNumberScheduled,
    current: s.currentNumberScheduled,
    ready: s.numberReady,
    updated: s.updatedNumberScheduled,
    available: s.numberAvailable,
    unavailable: s.numberUnavailable ?? 0, // omitted when 0 (omitempty)
    misscheduled: s.numberMisscheduled,
  };
}

const dsPath = (name: string) => `/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${name}`;

async function daemonSetOf(service: string): Promise<KubeObject> {
  const ds = (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === service);
  assert.ok(ds, `a proxy DaemonSet for ${service}`);
  return ds;
}

/** Waits until the DaemonSet's status has settled into a state `ok` accepts, and returns it. */
async function waitForStatus(name: string, what: string, ok: (c: ReturnType<typeof counts>) => boolean, timeoutMs = 60_000): Promise<KubeObject> {
  let last: KubeObject | undefined;
  try {
    return await w.waitFor(what, async () => {
      const ds = await w.gke.admin.get(dsPath(name));
      last = ds;
      return ok(counts(ds)) && ds;
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status ${JSON.stringify(last && counts(last))}`, { cause: err });
  }
}

function problems(r: ClusterReport): string {
  return JSON.stringify({ errors: r.errors, failed: r.results.filter((x) => x.outcome !== 'applied'), notes: r.plan.notes }, null, 1);
}

/** What a plan decides, without what only says where the facts came from (proxy counts). */
function essence(p: Plan): unknown {
  return {
    heldBack: p.heldBack,
    actions: actionsOf(p).map((a) =>
      a.kind === 'writeStatus'
        ? { kind: a.kind, reason: a.reason, ingress: a.ingress, conditions: a.conditions.map((c) => ({ ...c, lastTransitionTime: undefined })) }
        : { ...a, daemonSet: undefined },
    ),
    services: p.services.map((s) => ({ service: s.service, ingress: s.ingress, nodes: s.nodes })),
  };
}

/**
 * One observation by nodelb's own observe (its own identity), planned twice: as a sync plans it
 * (statuses standing in for pods where they prove them) and with every proxy pod listed. Done
 * in both modes (the one client with a Google token, and with the kubeconfig's credentials),
 * which must agree too. The clock runs NODE_SETTLE_MS ahead, so these seconds-old
 * nodes count as settled and the status proof is really used (the settle window has its own test).
 */
async function twoPlans() {
  const logger = createLogger({ sink: captureSink().sink, level: 'DEBUG' });
  const clock: Clock = { ...systemClock, now: () => Date.now() + NODE_SETTLE_MS + 5_000 };
  const targets: ClusterTarget[] = [{ kind: 'gke', name: w.gke.clusterName }, { kind: 'kubeconfig', path: w.kubeconfigPath }];
  const runs = [];
  for (const target of targets) {
    const conn = await connectCluster(target, w.config, logger);
    const { snapshot } = await observe({ kube: conn.kube, compute: conn.compute }, conn.info, w.config, { clock, logger });
    assert.deepEqual(snapshot.failedReads, [], target.kind);
    const allPods = await conn.kube.listProxyPods(w.config.namespace, DAEMONSET_LABEL);
    const fromStatus = planExplained(snapshot, w.config);
    const fromPods = planExplained({ ...snapshot, pods: allPods, podsListed: undefined }, w.config);
    assert.deepEqual(essence(fromStatus), essence(fromPods), `${target.kind}: the plan from DaemonSet statuses equals the plan from the listed pods`);
    runs.push({ snapshot, fromStatus });
  }
  const [gke, kubeconfig] = runs as [(typeof runs)[0], (typeof runs)[0]];
  assert.deepEqual(essence(kubeconfig.fromStatus), essence(gke.fromStatus), 'both modes lead to the same plan');
  assert.deepEqual(kubeconfig.snapshot.podsListed, gke.snapshot.podsListed);
  const ingress = (svc: string) => gke.fromStatus.services.find((s) => s.service.name === svc)?.ingress.slice().sort();
  return { snapshot: gke.snapshot, fromStatus: gke.fromStatus, ingress, listed: gke.snapshot.podsListed };
}

/** Which DaemonSets' pods a sync would list now, with the real clock. */
async function listedNow(): Promise<string[] | undefined> {
  const logger = createLogger({ sink: captureSink().sink, level: 'DEBUG' });
  const conn = await connectCluster({ kind: 'gke', name: w.gke.clusterName }, w.config, logger);
  const { snapshot } = await observe({ kube: conn.kube, compute: conn.compute }, conn.info, w.config, { clock: systemClock, logger });
  return snapshot.podsListed;
}

function record(t: TestContext, state: string, ds: KubeObject): void {
  t.diagnostic(`${state}: ${JSON.stringify(counts(ds))}`);
}

test('steady state: the status proves every pod, and nodelb lists none', async (t) => {
  await w.addService('web', { ports: [{ port: 7000 }] });
  const r = await w.sync('gke');
  assert.deepEqual(r.errors, [], problems(r));
  const ds = await waitForStatus((await daemonSetOf('web')).metadata.name, 'the first rollout', (c) => c.desired === 3 && c.ready === 3 && c.available === 3);
  record(t, 'steady', ds);
  assert.deepEqual(counts(ds), { generation: 1, observedGeneration: 1, desired: 3, current: 3, ready: 3, updated: 3, available: 3, unavailable: 0, misscheduled: 0 });
  assert.ok(rolledOut(ds as V1DaemonSet));
  // The tolerations the controller adds to its pods are the ones proxy_readiness.ts assumes.
  const norm = (x: { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }) =>
    JSON.stringify([x.key ?? '', x.operator ?? 'Equal', x.value ?? '', x.effect ?? '', x.tolerationSeconds ?? null]);
  const own = new Set((ds.spec.template.spec.tolerations ?? []).map(norm));
  const pod = (await w.proxyPods()).find((x) => x.metadata.labels?.[DAEMONSET_LABEL] === ds.metadata.name);
  assert.ok(pod);
  const added = (pod.spec.tolerations as Parameters<typeof norm>[0][]).map(norm).filter((x) => !own.has(x));
  assert.deepEqual(added.sort(), DAEMON_TOLERATIONS.map(norm).sort());
  await w.sync('gke'); // publishes, now that the pods are Ready
  const p = await twoPlans();
  assert.deepEqual(p.listed, [], 'no pod list: the status proved them all');
  assert.deepEqual(p.ingress('web'), ALL);
  assert.deepEqual(actionsOf(p.fromStatus), []);
});

test('a pod held NotReady: the status stops proving, and both plans withdraw that node', async (t) => {
  const name = (await daemonSetOf('web')).metadata.name;
  await w.gke.kubelets.holdPods('node-2', name, 'not-ready');
  try {
    const ds = await waitForStatus(name, 'numberReady to drop', (c) => c.ready === 2);
    record(t, 'pod NotReady', ds);
    assert.deepEqual(counts(ds), { generation: 1, observedGeneration: 1, desired: 3, current: 3, ready: 2, updated: 3, available: 2, unavailable: 1, misscheduled: 0 });
    assert.match(statusGap(ds as V1DaemonSet, 3, 0) ?? '', /2 of 3 pods Ready/);
    const p = await twoPlans();
    assert.deepEqual(p.listed, [name]);
    assert.deepEqual(p.ingress('web'), ['34.0.0.1', '34.0.0.3']);
  } finally {
    await w.gke.kubelets.holdPods('node-2', name, undefined);
  }
  await waitForStatus(name, 'the pod Ready again', (c) => c.ready === 3 && c.available === 3);
  // A container in CrashLoopBackOff: Running, not Ready, counted the same way.
  await w.gke.kubelets.holdPods('node-3', name, 'crashing');
  try {
    const ds = await waitForStatus(name, 'the crashing pod counted', (c) => c.ready === 2);
    record(t, 'pod crashing', ds);
    assert.deepEqual(counts(ds), { generation: 1, observedGeneration: 1, desired: 3, current: 3, ready: 2, updated: 3, available: 2, unavailable: 1, misscheduled: 0 });
    const p = await twoPlans();
    assert.deepEqual(p.listed, [name]);
    assert.deepEqual(p.ingress('web'), ['34.0.0.1', '34.0.0.2']);
  } finally {
    await w.gke.kubelets.holdPods('node-3', name, undefined);
  }
  await waitForStatus(name, 'the pod Ready again', (c) => c.ready === 3 && c.available === 3);
});

test('a rollout after a port change: stalled on a NotReady new pod, then finished', async (t) => {
  const name = (await daemonSetOf('web')).metadata.name;
  // node-1's pods stay NotReady, old and new: the rollout stalls at maxUnavailable 1, a state
  // that holds still long enough to observe (a free rollout passes through such states in ms).
  await w.gke.kubelets.holdPods('node-1', name, 'not-ready');
  await waitForStatus(name, 'the old pod on node-1 NotReady', (c) => c.ready === 2);
  const svc = await w.service('web');
  assert.ok(svc);
  svc.spec.ports = [...svc.spec.ports, { name: 'p7001', port: 7001, protocol: 'TCP', targetPort: 7001 }];
  await w.gke.admin.put('/api/v1/namespaces/default/services/web', svc);
  const r = await w.sync('gke', {}, { settleMs: 1_000 });
  assert.ok(r.results.some((x) => x.kind === 'updateDaemonSet' && x.outcome === 'applied'), problems(r));
  try {
    // The unavailable old pod on node-1 is replaced first and uses up maxUnavailable 1: its
    // NotReady successor stops the rollout there, with node-2 and node-3 on the old template.
    const during = await waitForStatus(name, 'the rollout to stall', (c) => c.generation === 2 && c.observedGeneration === 2 && c.updated === 1 && c.ready === 2 && c.current === 3);
    record(t, 'rollout stalled', during);
    assert.deepEqual(counts(during), { generation: 2, observedGeneration: 2, desired: 3, current: 3, ready: 2, updated: 1, available: 2, unavailable: 1, misscheduled: 0 });
    const p = await twoPlans();
    assert.deepEqual(p.listed, [name]);
    assert.deepEqual(p.ingress('web'), ['34.0.0.2', '34.0.0.3']);
  } finally {
    await w.gke.kubelets.holdPods('node-1', name, undefined);
  }
  const done = await waitForStatus(name, 'the rollout to finish', (c) => c.updated === 3 && c.ready === 3 && c.available === 3 && c.observedGeneration === 2);
  record(t, 'rollout finished', done);
  assert.deepEqual(counts(done), { generation: 2, observedGeneration: 2, desired: 3, current: 3, ready: 3, updated: 3, available: 3, unavailable: 0, misscheduled: 0 });
  const pods = (await w.proxyPods()).filter((x) => x.metadata.labels?.[DAEMONSET_LABEL] === name);
  assert.ok(pods.every((x) => x.spec.containers.length === 2 && isReady(x)), 'every pod is of the new template and Ready');
  await w.sync('gke');
  const after = await twoPlans();
  assert.deepEqual(after.listed, []);
  assert.deepEqual(after.ingress('web'), ALL);
});

test('a hostPort already taken on node-3: the real scheduler keeps that proxy Pending', async (t) => {
  await w.gke.admin.post('/api/v1/namespaces', { metadata: { name: 'squat' } });
  await w.gke.admin.post('/api/v1/namespaces/squat/pods', {
    metadata: { name: 'squatter', namespace: 'squat' },
    spec: { nodeName: 'node-3', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 7100, hostPort: 7100, protocol: 'TCP' }] }] },
  });
  await w.waitFor('the squatter to run', async () => isReady(await w.gke.admin.get('/api/v1/namespaces/squat/pods/squatter')));
  await w.addService('hp', { ports: [{ port: 7100 }] });
  try {
    const r = await w.sync('gke', {}, { settleMs: 1_000 });
    assert.deepEqual(r.errors, [], problems(r));
    const name = (await daemonSetOf('hp')).metadata.name;
    const pending = await w.waitFor('the proxy for node-3 to be marked Unschedulable', async () => {
      const pod = (await w.proxyPods()).find((x) => x.metadata.labels?.[DAEMONSET_LABEL] === name && targetNode(x) === 'node-3');
      const cond = (pod?.status?.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled');
      return cond?.status === 'False' && pod;
    });
    const scheduled = pending.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled');
    assert.equal(scheduled.reason, 'Unschedulable');
    assert.match(scheduled.message, /free ports/);
    assert.equal(pending.spec.nodeName, undefined);
    assert.equal(pending.status.phase, 'Pending');
    const ds = await waitForStatus(name, 'two of three Ready', (c) => c.desired === 3 && c.ready === 2);
    record(t, 'hostPort taken', ds);
    // The Pending pod counts as scheduled: the controller maps it to its node by its affinity.
    assert.deepEqual(counts(ds), { generation: 1, observedGeneration: 1, desired: 3, current: 3, ready: 2, updated: 3, available: 2, unavailable: 1, misscheduled: 0 });
    // A proxy kept off a node is a warning, not a failure (exit 0): the other nodes serve.
    const again = await w.sync('gke', {}, { settleMs: 1_000 });
    assert.equal(again.ok, true, problems(again));
    const why = again.plan.services.find((x) => x.service.name === 'hp')?.nodes?.find((n) => n.node === 'node-3')?.why;
    t.diagnostic(`nodelb's explanation for node-3: ${why}`);
    const p = await twoPlans();
    assert.deepEqual(p.listed, [name]);
    assert.deepEqual(p.ingress('hp'), ['34.0.0.1', '34.0.0.2']);
    assert.deepEqual(p.ingress('web'), ALL);
  } finally {
    // The next tests count on one DaemonSet (web) and on port 7100 free.
    await w.gke.admin.delete('/api/v1/namespaces/default/services/hp');
    await w.gke.admin.delete('/api/v1/namespaces/squat/pods/squatter');
  }
  assert.deepEqual((await w.sync('gke')).errors, []);
  assert.equal((await w.daemonSets()).length, 1);
});

/** The node a DaemonSet pod is meant for (its required node affinity), bound or not. */
function targetNode(pod: KubeObject): string | undefined {
  return pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
}

test('an observedGeneration lag: counts from the old generation look complete, the generation check holds', async (t) => {
  const name = (await daemonSetOf('web')).metadata.name;
  kcm().kill('SIGSTOP');
  let lagging: KubeObject;
  try {
    const svc = await w.service('web');
    assert.ok(svc);
    svc.spec.ports = svc.spec.ports.filter((x: { port: number }) => x.port !== 7001);
    await w.gke.admin.put('/api/v1/namespaces/default/services/web', svc);
    const r = await w.sync('gke', {}, { settleMs: 1_000 }); // nodelb's own write bumps the generation
    assert.ok(r.results.some((x) => x.kind === 'updateDaemonSet' && x.outcome === 'applied'), problems(r));
    lagging = await w.gke.admin.get(dsPath(name));
    record(t, 'observedGeneration lag', lagging);
    // Every count equals desired: without the generation check, this status would "prove" pods
    // of a template that no longer exists.
    assert.deepEqual(counts(lagging), { generation: 3, observedGeneration: 2, desired: 3, current: 3, ready: 3, updated: 3, available: 3, unavailable: 0, misscheduled: 0 });
    assert.match(statusGap(lagging as V1DaemonSet, 3, 0) ?? '', /generation 2, the spec is 3/);
    const p = await twoPlans();
    assert.deepEqual(p.listed, [name]);
    assert.deepEqual(p.ingress('web'), ALL);
  } finally {
    kcm().kill('SIGCONT');
  }
  const caught = await waitForStatus(name, 'the controller to catch up and roll out', (c) => c.observedGeneration === 3 && c.updated === 3 && c.ready === 3 && c.available === 3);
  record(t, 'after the lag', caught);
  const p = await twoPlans();
  assert.deepEqual(p.listed, []);
  assert.deepEqual(p.ingress('web'), ALL);
});

test('NotReady and cordoned nodes: desired follows the node-lifecycle taints as daemonSetWantsNode says', async (t) => {
  const name = (await daemonSetOf('web')).metadata.name;
  const wanted = async () => {
    const nodes = (await w.gke.admin.list('/api/v1/nodes')).items.map((n) => toNodeView(reviveNode(n as never)));
    const ds = await w.gke.admin.get(dsPath(name));
    return { ds, nodes, wants: nodes.filter((n) => daemonSetWantsNode(ds as V1DaemonSet, n)).map((n) => n.name) };
  };
  await w.gke.kubelets.setReady('node-3', false);
  const tainted = await w.waitFor('node-3 tainted not-ready:NoSchedule by the node-lifecycle controller', async () => {
    const node = await w.gke.admin.get('/api/v1/nodes/node-3');
    return ((node.spec.taints ?? []) as { key: string; effect: string }[]).some((x) => x.key === 'node.kubernetes.io/not-ready' && x.effect === 'NoSchedule') && node;
  });
  t.diagnostic(`NotReady node taints: ${JSON.stringify(tainted.spec.taints)}`);
  // The NoSchedule not-ready taint is not among the daemon tolerations: the node leaves desired,
  // and the pod left running there (NoExecute is tolerated) counts as misscheduled.
  const ds = await waitForStatus(name, 'desired to drop the NotReady node', (c) => c.desired === 2);
  record(t, 'node NotReady', ds);
  assert.deepEqual(counts(ds), { generation: 3, observedGeneration: 3, desired: 2, current: 2, ready: 2, updated: 2, available: 2, unavailable: 0, misscheduled: 1 });
  assert.deepEqual((await wanted()).wants, ['node-1', 'node-2']);
  let p = await twoPlans();
  assert.deepEqual(p.listed, [name], 'a misscheduled pod keeps the status from proving');
  assert.deepEqual(p.ingress('web'), ['34.0.0.1', '34.0.0.2']);
  await w.gke.kubelets.setReady('node-3', true);
  await waitForStatus(name, 'node-3 wanted again', (c) => c.desired === 3 && c.ready === 3 && c.misscheduled === 0);

  w.kubectl(['cordon', 'node-2']);
  await w.waitFor('node-2 tainted unschedulable', async () =>
    ((await w.gke.admin.get('/api/v1/nodes/node-2')).spec.taints ?? []).some((x: { key: string }) => x.key === 'node.kubernetes.io/unschedulable'),
  );
  const cordoned = await waitForStatus(name, 'the status after the cordon', (c) => c.desired === 3 && c.ready === 3);
  record(t, 'node cordoned', cordoned);
  assert.deepEqual((await wanted()).wants, ['node-1', 'node-2', 'node-3'], 'the unschedulable taint is tolerated: a cordoned node stays wanted');
  p = await twoPlans();
  assert.deepEqual(p.listed, []);
  assert.deepEqual(p.ingress('web'), ['34.0.0.1', '34.0.0.3'], 'proven Ready, but cordoned nodes are not published');
  w.kubectl(['uncordon', 'node-2']);
});

test('a DaemonSet no node matches: its zero counts are omitted, and that still proves "no pod"', async (t) => {
  await w.addService('nowhere', { ports: [{ port: 7200 }], annotations: { 'nodelb.dev/node-selector': 'no-such-label=x' } });
  try {
    const r = await w.sync('gke');
    assert.deepEqual(r.errors, [], problems(r));
    assert.ok(w.log.some((e) => e.event === 'settle.ready'), 'the sync saw the new DaemonSet rolled out (no wait for the settle timeout)');
    const ds = await daemonSetOf('nowhere');
    record(t, 'no node wanted', ds);
    // updatedNumberScheduled, numberAvailable and numberUnavailable are omitempty: absent, not 0.
    assert.deepEqual(ds.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, observedGeneration: 1 });
    const p = await twoPlans();
    assert.deepEqual(p.listed, []);
    assert.deepEqual(p.ingress('nowhere'), []);
  } finally {
    await w.gke.admin.delete('/api/v1/namespaces/default/services/nowhere');
  }
  assert.deepEqual((await w.sync('gke')).errors, []);
});

test('a node that joins, then is deleted: until the status has caught up (late after a deletion) the pods are listed', async (t) => {
  const name = (await daemonSetOf('web')).metadata.name;
  const joined = Date.now();
  await w.gke.addNode({ name: 'node-4', externalIP: '34.0.0.4' });
  // Right after joining, with the real clock: a young node means the pods are read. (The world
  // moves here, pods starting: two reads would not see the same one, so no plans are compared.)
  assert.deepEqual(await listedNow(), [name]);
  const ds = await waitForStatus(name, 'desired to count node-4', (c) => c.desired === 4 && c.ready === 4 && c.available === 4);
  t.diagnostic(`the controller counted and ran node-4's pod within ${Date.now() - joined} ms of the join (NODE_SETTLE_MS is ${NODE_SETTLE_MS})`);
  record(t, 'node joined', ds);
  await w.sync('gke');
  const p = await twoPlans();
  assert.deepEqual(p.listed, []);
  assert.deepEqual(p.ingress('web'), [...ALL, '34.0.0.4']);

  // Deleted: the controller has no handler for Node deletions, so its status goes on counting
  // node-4 until a pod event wakes it. Pod GC deletes the orphaned pod ~40-60 s later (49 s when
  // measured here); the test deletes it at once, as pod GC would, to see the status catch up.
  await w.gke.removeNode('node-4');
  const stale = await w.gke.admin.get(dsPath(name));
  record(t, 'node just deleted', stale);
  assert.equal(counts(stale).desired, 4, 'the status still counts the deleted node');
  const lagging = await twoPlans();
  assert.deepEqual(lagging.listed, [name], 'status wants 4 pods, the node list 3: the pods are read');
  assert.deepEqual(lagging.ingress('web'), ALL);
  for (const orphan of (await w.proxyPods()).filter((x) => x.spec.nodeName === 'node-4'))
    await w.gke.admin.delete(`/api/v1/namespaces/${PROXY_NS}/pods/${orphan.metadata.name}`, { gracePeriodSeconds: 0 });
  const gone = await waitForStatus(name, 'desired to drop node-4', (c) => c.desired === 3);
  record(t, 'node deleted', gone);
  assert.deepEqual(counts(gone), { generation: 3, observedGeneration: 3, desired: 3, current: 3, ready: 3, updated: 3, available: 3, unavailable: 0, misscheduled: 0 });
  const left = await twoPlans();
  assert.deepEqual(left.listed, []);
  assert.deepEqual(left.ingress('web'), ALL);
});
