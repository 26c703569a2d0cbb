// When a proxy DaemonSet's status may stand in for its pods: placement as the DaemonSet
// controller decides it, every gap in the status that forces a pod list, and the property that
// matters: a plan from proven statuses equals the plan from the listed pods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1DaemonSet, V1DaemonSetStatus } from '@kubernetes/client-node';
import type { NodeView, Snapshot } from '../../functions/core/model.ts';
import { planExplained } from '../../functions/core/plan.ts';
import { NODE_SETTLE_MS, daemonSetWantsNode, proxyEvidence, proxyStates, rolledOut, statusGap } from '../../functions/core/proxy_readiness.ts';
import { MAX_NAMED_DAEMONSETS, podsToList } from '../../functions/runtime/observe.ts';
import { aConfig, aGkeNode, aNode, aPod, aService, aSnapshot } from './builders.ts';
import { converge } from './world.ts';
import { variedWorld } from './varied_world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const NOW = '2025-06-01T12:00:00Z';
const OLD = '2024-01-01T00:00:00Z';

function aDaemonSet(name: string, spec: Partial<NonNullable<NonNullable<V1DaemonSet['spec']>['template']['spec']>> = {}, status?: Partial<V1DaemonSetStatus>, generation = 1): V1DaemonSet {
  return {
    metadata: { name, namespace: 'nodelb-system', generation },
    spec: { selector: { matchLabels: { 'nodelb.dev/daemonset': name } }, template: { spec: { containers: [{ name: 'lb' }], ...spec } } },
    ...(status ? { status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, ...status } } : {}),
  };
}

/** A status as the controller writes it once every one of `n` pods is Ready. */
const allReady = (n: number, generation = 1): V1DaemonSetStatus => ({
  currentNumberScheduled: n,
  desiredNumberScheduled: n,
  numberReady: n,
  updatedNumberScheduled: n,
  numberAvailable: n,
  numberMisscheduled: 0,
  observedGeneration: generation,
});

/** What kube-controller-manager 1.36 writes for a DaemonSet no node matches: the omitempty
 *  counts (updated, available, unavailable) are absent, not 0 (test/real/daemonset_status.test.ts). */
const NOTHING_WANTED: V1DaemonSetStatus = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, observedGeneration: 1 };

const node = (name: string, over: Partial<NodeView> = {}) => aNode({ name, creationTimestamp: OLD, ...over });

test('placement: node selector, required affinity, taints against own and daemon tolerations', () => {
  const rows: [string, Parameters<typeof aDaemonSet>[1], Partial<NodeView>, boolean][] = [
    ['no constraints', {}, {}, true],
    ['nodeSelector matches', { nodeSelector: { pool: 'blue' } }, { labels: { pool: 'blue' } }, true],
    ['nodeSelector differs', { nodeSelector: { pool: 'blue' } }, { labels: { pool: 'green' } }, false],
    ['affinity NotIn holds', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['x'] }] }] } } } }, {}, true],
    ['affinity Exists fails', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'Exists' }] }] } } } }, {}, false],
    ['affinity matchFields by name', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }] } } } }, {}, true],
    ['empty term matches nothing', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }, {}, false],
    ['NoSchedule taint not tolerated', {}, { taints: [{ key: 'dedicated', value: 'lb', effect: 'NoSchedule' }] }, false],
    ['NoSchedule taint tolerated by value', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' }] }, { taints: [{ key: 'dedicated', value: 'lb', effect: 'NoSchedule' }] }, true],
    ['toleration with another value', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db' }] }, { taints: [{ key: 'dedicated', value: 'lb', effect: 'NoSchedule' }] }, false],
    ['PreferNoSchedule never blocks', {}, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }, true],
    ['cordoned: the controller tolerates unschedulable', {}, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }, true],
    ['NotReady NoExecute is tolerated', {}, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }, true],
    ['NotReady NoSchedule is not', {}, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }, false],
    ['an operator Exists toleration without key tolerates all', { tolerations: [{ operator: 'Exists' }] }, { taints: [{ key: 'anything', effect: 'NoExecute' }] }, true],
  ];
  for (const [why, spec, over, want] of rows) {
    assert.equal(daemonSetWantsNode(aDaemonSet('ds', spec), node('n', over)), want, why);
  }
});

test('status gaps: each one makes the pods be listed', () => {
  const rows: [string, V1DaemonSet, number, number, RegExp | undefined][] = [
    ['all Ready', aDaemonSet('ds', {}, allReady(3)), 3, 0, undefined],
    ['no status', aDaemonSet('ds'), 3, 0, /no status/],
    ['old generation', aDaemonSet('ds', {}, allReady(3, 1), 2), 3, 0, /generation 1, the spec is 2/],
    ['controller wants fewer than the node list', aDaemonSet('ds', {}, allReady(2)), 3, 0, /wants 2 pods, the node list 3/],
    ['one not Ready', aDaemonSet('ds', {}, { ...allReady(3), numberReady: 2 }), 3, 0, /2 of 3 pods Ready/],
    ['rolling update', aDaemonSet('ds', {}, { ...allReady(3), updatedNumberScheduled: 1 }), 3, 0, /1 of 3 pods updated/],
    ['availability omitted (the API omits a 0)', aDaemonSet('ds', {}, { ...allReady(3), numberAvailable: undefined }), 3, 0, /0 of 3 pods available/],
    ['misscheduled', aDaemonSet('ds', {}, { ...allReady(3), numberMisscheduled: 1 }), 3, 0, /on nodes it should not run on/],
    ['unavailable', aDaemonSet('ds', {}, { ...allReady(3), numberUnavailable: 1 }), 3, 0, /1 pods unavailable/],
    ['a young node', aDaemonSet('ds', {}, allReady(3)), 3, 1, /1 wanted node joined less than 120 s ago/],
    ['nothing wanted, nothing there', aDaemonSet('ds', {}, allReady(0)), 0, 0, undefined],
    ['nothing wanted, as the real controller writes it', aDaemonSet('ds', {}, NOTHING_WANTED), 0, 0, undefined],
  ];
  for (const [why, ds, wanted, young, want] of rows) {
    const gap = statusGap(ds, wanted, young);
    if (want === undefined) assert.equal(gap, undefined, why);
    else assert.match(gap ?? '', want, why);
  }
});

test('evidence: young or undated nodes are not taken on trust; DaemonSets sharing a placement share its flags', () => {
  const nodes = [node('a'), node('b', { labels: { pool: 'blue' } }), node('c', { creationTimestamp: '2025-06-01T11:59:00Z' })];
  const ds = [aDaemonSet('all', {}, allReady(3)), aDaemonSet('all-2', {}, allReady(3)), aDaemonSet('blue', { nodeSelector: { pool: 'blue' } }, allReady(1))];
  const e = proxyEvidence(ds, nodes, NOW);
  assert.deepEqual([...e.unproven.keys()].sort(), ['all', 'all-2']);
  assert.match(e.unproven.get('all') ?? '', /1 wanted node joined less than/);
  assert.deepEqual([...(e.proven.get('blue') ?? [])], [0, 1, 0]);
  const later = proxyEvidence(ds, nodes, new Date(Date.parse(NOW) + NODE_SETTLE_MS).toISOString());
  assert.deepEqual([...later.proven.keys()].sort(), ['all', 'all-2', 'blue']);
  assert.equal(later.proven.get('all'), later.proven.get('all-2'), 'one array for one placement');
  const undated = proxyEvidence([aDaemonSet('all', {}, allReady(1))], [node('a', { creationTimestamp: 'garbage' })], NOW);
  assert.equal(undated.proven.size, 0);
});

test('rolled out: what the settle round waits for', () => {
  assert.equal(rolledOut(aDaemonSet('ds', {}, allReady(4))), true);
  assert.equal(rolledOut(aDaemonSet('ds', {}, allReady(0))), true, 'a DaemonSet that wants no node has nothing to wait for');
  assert.equal(rolledOut(aDaemonSet('ds', {}, NOTHING_WANTED)), true, 'nor when the zero counts are omitted, as the API does');
  assert.equal(rolledOut(aDaemonSet('ds')), false);
  assert.equal(rolledOut(aDaemonSet('ds', {}, { ...allReady(4), numberReady: 3, numberUnavailable: 1 })), false);
  assert.equal(rolledOut(aDaemonSet('ds', {}, allReady(4, 1), 2)), false);
});

test('which pods to list: none, the unproven by name, or all of them', () => {
  const nodes = [node('a'), node('b')];
  const proven = (i: number) => aDaemonSet(`ds-${i}`, {}, allReady(2));
  const unproven = (i: number) => aDaemonSet(`ds-${i}`, {}, { ...allReady(2), numberReady: 1 });
  assert.deepEqual(podsToList([proven(1), proven(2)], nodes, NOW), { listed: [] });
  assert.deepEqual(podsToList([unproven(2), proven(1), unproven(0)], nodes, NOW), { selector: 'nodelb.dev/daemonset in (ds-0,ds-2)', listed: ['ds-0', 'ds-2'] });
  const many = Array.from({ length: MAX_NAMED_DAEMONSETS + 1 }, (_, i) => unproven(i));
  assert.deepEqual(podsToList(many, nodes, NOW), { selector: 'nodelb.dev/daemonset' });
  assert.deepEqual(podsToList([], nodes, NOW), { selector: 'nodelb.dev/daemonset' }, 'an empty DaemonSet list is cross-checked against the pods');
});

test('states: listed pods win over the status; a DaemonSet neither listed nor proven has no Ready pod', () => {
  const nodes = [node('a'), node('b')];
  const snapshot = {
    now: NOW,
    daemonSets: [aDaemonSet('proven', {}, allReady(2)), aDaemonSet('listed', {}, allReady(2)), aDaemonSet('unknown', {}, { ...allReady(2), numberReady: 1 })],
    pods: [aPod('listed', 'a'), aPod('listed', 'b', { ready: false })],
    podsListed: ['listed'],
  };
  const states = proxyStates(snapshot, nodes);
  const proven = states('proven');
  assert.equal(proven.source, 'status');
  assert.deepEqual(proven.source === 'status' ? [[...proven.readyOn], proven.ready, proven.total] : [], [[1, 1], 2, 2]);
  const listed = states('listed');
  assert.equal(listed.source === 'pods' ? listed.pods.length : -1, 2);
  assert.deepEqual(states('unknown'), { source: 'pods', pods: [] });
  assert.deepEqual(proxyStates({ ...snapshot, podsListed: undefined }, nodes)('proven'), { source: 'pods', pods: [] }, 'all listed: the pods are the truth');
});

/** The snapshot observe would build from `full` (which lists every pod): the DaemonSets carry
 *  the status the controller writes for those pods, and only unproven DaemonSets' pods are listed. */
function asObserved(full: Snapshot): Snapshot {
  const daemonSets = full.daemonSets.map((ds): V1DaemonSet => {
    const name = ds.metadata?.name ?? '';
    const pods = full.pods.filter((p) => p.daemonSet === name);
    const ready = pods.filter((p) => p.ready).length;
    const generation = ds.metadata?.generation ?? 1;
    return { ...ds, status: { ...allReady(pods.length, generation), numberReady: ready, numberAvailable: ready, ...(ready < pods.length ? { numberUnavailable: pods.length - ready } : {}) } };
  });
  const nodes = full.nodes.map((n) => ({ ...n, creationTimestamp: n.creationTimestamp || OLD }));
  const which = podsToList(daemonSets, nodes, full.now);
  const listed = which.listed === undefined ? undefined : new Set(which.listed);
  return { ...full, daemonSets, nodes, pods: listed ? full.pods.filter((p) => listed.has(p.daemonSet)) : full.pods, ...(which.listed ? { podsListed: which.listed } : {}) };
}

test('property: the plan from proven statuses is the plan from the listed pods', () => {
  const healthy = aSnapshot({
    now: NOW,
    services: [aService({ name: 'web', ports: [{ protocol: 'TCP', port: 80 }] }), aService({ name: 'api', ports: [{ protocol: 'TCP', port: 81 }], annotations: { 'nodelb.dev/max-ips': '2' } })],
    ...(() => {
      const n = [1, 2, 3, 4].map((i) => aGkeNode(`n${i}`, i));
      return { nodes: n.map((x) => x.node), instances: n.map((x) => x.instance) };
    })(),
  });
  const config = aConfig();
  let provenSomewhere = 0;
  let listedSomewhere = 0;
  for (const [name, world] of [['healthy', healthy], ['varied', variedWorld()]] as const) {
    const full = converge(world, config).snapshot;
    // Move IPs and age the clock: a status-only change, like the benchmark's churn.
    const churned: Snapshot = { ...full, instances: (full.instances ?? []).map((i, k) => (k % 2 === 0 ? { ...i, externalIPv4: [`198.51.100.${k + 1}`] } : i)) };
    const observed = asObserved(churned);
    provenSomewhere += observed.daemonSets.length - (observed.podsListed ?? observed.daemonSets.map((d) => d.metadata?.name)).length;
    listedSomewhere += observed.podsListed?.length ?? observed.daemonSets.length;
    const fromPods = planExplained(churned, config);
    const fromStatus = planExplained(observed, config);
    assert.deepEqual(actionsOf(fromStatus), actionsOf(fromPods), `${name}: same actions`);
    assert.deepEqual(
      fromStatus.services.map((s) => [s.ingress, s.proxyPods, s.nodes]),
      fromPods.services.map((s) => [s.ingress, s.proxyPods, s.nodes]),
      `${name}: same explanations`,
    );
    assert.ok(actionsOf(fromPods).some((a) => a.kind === 'writeStatus'), `${name}: the churn changes statuses`);
  }
  assert.ok(provenSomewhere > 0 && listedSomewhere > 0, `both paths taken (proven ${provenSomewhere}, listed ${listedSomewhere})`);
});
