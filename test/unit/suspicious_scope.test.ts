// Every "suspicious" rule, and what it holds back: the reads observe distrusts (a table of raw
// answers → the read marked), and per read or odd object the scope in the plan (a table over one
// world: which Services still get their status, what is still created, whether deletions wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import type { ReadName, Snapshot } from '../../functions/core/model.ts';
import { plan, planExplained } from '../../functions/core/plan.ts';
import { daemonSetName } from '../../functions/core/naming.ts';
import { markSuspiciousEmpties } from '../../functions/runtime/observe.ts';
import { CLASS, aConfig, aGkeNode, aNode, aService, aSnapshot, actionsOf, endpointsOf } from './builders.ts';
import { converge, runDaemonSetController } from './world.ts';

const config = aConfig();

// ---- observe: which answer is distrusted, as which read ----------------------------------------

const svc = (name: string, cls?: string): V1Service => ({ metadata: { name, namespace: 'default' }, spec: { type: cls ? 'LoadBalancer' : 'ClusterIP', ...(cls ? { loadBalancerClass: cls } : {}) } });
const kubeSystem = [{ metadata: { name: 'kube-system' } }];
const healthy = {
  namespacesRaw: kubeSystem,
  servicesRaw: [svc('kubernetes')],
  nodesRaw: [{}],
  daemonSetsRaw: [{ metadata: { name: 'ds' } }],
  podsRaw: [{ daemonSet: 'ds', nodeName: 'n1', ready: true, phase: 'Running' }],
  instances: [],
  nodes: [aNode({ name: 'n1', providerID: 'custom://n1' })],
  loadBalancerClass: CLASS,
};

const observeRules: [string, Partial<typeof healthy>, string[], ReadName[]][] = [
  ['a healthy answer', {}, [], []],
  ['namespaces without kube-system', { namespacesRaw: [{ metadata: { name: 'default' } }] }, [], ['namespaces']],
  ['no Services at all', { servicesRaw: [] }, [], ['services']],
  ['no nodes while proxy pods are scheduled', { nodesRaw: [] }, [], ['nodes']],
  ['no DaemonSets while proxy pods exist', { daemonSetsRaw: [] }, [], ['daemonsets']],
  ['no instances while GCE nodes exist', { nodes: [aNode({ name: 'n1', providerID: 'gce://p/z/n1' })], instances: [] }, [], ['instances']],
  ['no claimed Service while DaemonSets exist and the namespace list failed', { servicesRaw: [svc('kubernetes')] }, ['namespaces'], ['services']],
  ['a DaemonSet whose pods are not found: not a read, judged per DaemonSet by the planner', { podsRaw: [] }, [], []],
];

for (const [name, over, alreadyFailed, want] of observeRules) {
  test(`observe rule: ${name} → distrusts ${want.join(', ') || 'nothing'}`, () => {
    const marked: ReadName[] = [];
    const failed = alreadyFailed.map((read) => ({ read: read as ReadName, message: 'HTTP 503' }));
    markSuspiciousEmpties((read) => marked.push(read), failed, { ...healthy, ...over } as Parameters<typeof markSuspiciousEmpties>[2]);
    assert.deepEqual(marked, want);
  });
}

// ---- plan: the scope of each distrusted read or odd object -------------------------------------

const cl = aService({ name: 'cl', ports: [{ protocol: 'TCP', port: 80 }] });
const lo = aService({ name: 'lo', externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 443, nodePort: 30443 }] });
const gone = aService({ name: 'gone', ports: [{ protocol: 'TCP', port: 81 }] });
const fresh = aService({ name: 'fresh', ports: [{ protocol: 'TCP', port: 8080 }] });

/** cl and lo served on n1, n2; gone's DaemonSet and rule are left over; fresh is new; n3 has just
 *  joined with Ready proxies, so cl and lo each want a status write. */
function world(): Snapshot {
  const nodes = [aGkeNode('n1', 1), aGkeNode('n2', 2)];
  const base = converge(aSnapshot({ services: [cl, lo, gone], nodes: nodes.map((x) => x.node), instances: nodes.map((x) => x.instance), endpoints: [endpointsOf(lo, ['n1', 'n2', 'n3'])] }), config).snapshot;
  const n3 = aGkeNode('n3', 3);
  const grown: Snapshot = { ...base, services: [...base.services.filter((s) => s.name !== 'gone'), fresh], nodes: [...base.nodes, n3.node], instances: [...(base.instances ?? []), n3.instance] };
  grown.pods = runDaemonSetController(grown);
  return grown;
}

const suspicious = (read: ReadName): Snapshot['failedReads'] => [{ read, message: `suspicious: ${read} answered nothing` }];

/** cl's DaemonSet reports 3 pods, but no listed pod carries its label. */
function oddCl(w: Snapshot): Snapshot {
  const name = daemonSetName(cl.name, cl.uid);
  return {
    ...w,
    daemonSets: w.daemonSets.map((ds) => (ds.metadata?.name === name ? { ...ds, status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3 } } : ds)),
    pods: w.pods.filter((p) => p.daemonSet !== name),
  };
}

interface Scope {
  planned: boolean; // anything planned at all
  statuses?: string[]; // of cl and lo, the Services whose status is written
  created?: string[]; // Services whose DaemonSet is created
  deletes?: boolean; // the leftovers of gone are deleted
  firewalls?: boolean; // any firewall action
}

const scopes: [string, (w: Snapshot) => Snapshot, Scope][] = [
  ['no read distrusted', (w) => w, { planned: true, statuses: ['cl', 'lo'], created: ['fresh'], deletes: true, firewalls: true }],
  ...(['namespaces', 'services', 'nodes', 'daemonsets'] as const).map((read): [string, (w: Snapshot) => Snapshot, Scope] => [
    `${read} distrusted: nodelb cannot tell what exists, so the whole cluster waits`,
    (w) => ({ ...w, failedReads: suspicious(read) }),
    { planned: false },
  ]),
  ['instances distrusted: the status of Services on GCE nodes and the firewall wait; DaemonSets are still created', (w) => ({ ...w, instances: [], failedReads: suspicious('instances') }), { planned: true, statuses: [], created: ['fresh'], deletes: false, firewalls: false }],
  ['EndpointSlices distrusted: only the Local Service’s status waits', (w) => ({ ...w, endpoints: [], failedReads: suspicious('endpointslices') }), { planned: true, statuses: ['cl'], created: ['fresh'], deletes: false, firewalls: true }],
  ['firewall list distrusted: firewall actions wait, the rest goes on', (w) => ({ ...w, failedReads: suspicious('firewalls') }), { planned: true, statuses: ['cl', 'lo'], created: ['fresh'], deletes: false, firewalls: false }],
  ['no Nodes where proxy pods exist (reads.ts): the whole cluster waits', (w) => ({ ...w, nodes: [] }), { planned: false }],
  ['no instances where GCE nodes exist (reads.ts): as a distrusted instance read', (w) => ({ ...w, instances: [] }), { planned: true, statuses: [], created: ['fresh'], deletes: false, firewalls: false }],
  ['an odd DaemonSet (pods not found by label): only its Service waits; every other Service and leftover is synced', oddCl, { planned: true, statuses: ['lo'], created: ['fresh'], deletes: true, firewalls: true }],
];

for (const [name, mutate, want] of scopes) {
  test(`scope: ${name}`, () => {
    const p = plan(mutate(world()), config);
    assert.equal(p.actions.length > 0, want.planned, JSON.stringify(p.notes));
    if (!want.planned) return;
    if (want.statuses) assert.deepEqual(actionsOf(p.actions, 'writeStatus').map((a) => a.service.name).filter((n) => n !== 'fresh').sort(), want.statuses);
    if (want.created) assert.deepEqual(actionsOf(p.actions, 'createDaemonSet').map((a) => a.service?.name), want.created);
    if (want.deletes !== undefined) assert.equal(p.actions.some((a) => a.kind === 'deleteDaemonSet' && a.owner.name === 'gone'), want.deletes);
    if (want.firewalls !== undefined) assert.equal(p.actions.some((a) => a.kind.endsWith('Firewall')), want.firewalls);
  });
}

test('an odd DaemonSet is named in a warning, its Service keeps what it publishes, and it is never deleted', () => {
  const w = oddCl(world());
  const name = daemonSetName(cl.name, cl.uid);
  // Even with its Service gone, the odd DaemonSet is not deleted this run.
  const p = plan({ ...w, services: w.services.filter((s) => s.name !== 'cl') }, config);
  assert.ok(!p.actions.some((a) => a.kind === 'deleteDaemonSet' && a.name === name));
  assert.ok(p.notes.some((n) => n.severity === 'WARNING' && n.message.includes(`DaemonSet nodelb-system/${name} reports 3 pods scheduled`)));
  assert.equal(p.heldBack, false, 'an odd object is no failed read: the sync is not failed for it');
  const q = planExplained(w, config);
  const e = q.services.find((s) => s.service.name === 'cl');
  assert.deepEqual(e?.ingress, ['203.0.113.1', '203.0.113.2'], 'what cl publishes now');
  assert.match(e?.ingressKept ?? '', /proxy pods of .* not found/);
  assert.ok(e?.warnings.some((m) => m.includes(name)));
  assert.ok(e?.nodes !== undefined && e.nodes.every((n) => n.unknown === true));
});
