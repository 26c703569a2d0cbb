// Every "suspicious" rule, and what it holds back: the rules of core/reads.ts (a table of
// snapshots → the read distrusted; the one place they are tested), and per read or odd object the
// scope in the plan (a table over one world: which Services still get their status, what is
// still created, whether deletions wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadName, Snapshot } from '../../functions/core/model.ts';
import { plan, planExplained } from '../../functions/core/plan.ts';
import { daemonSetName } from '../../functions/core/naming.ts';
import { assessReads, namespacesLookWrong, suspiciousReads } from '../../functions/core/reads.ts';
import { aConfig, aGkeNode, aNamespace, aNode, aPod, aService, aSnapshot, ofKind, endpointsOf, theKubernetesService } from './builders.ts';
import { converge, runDaemonSetController } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();

// ---- the rules: which answer cannot be right, as which read (core/reads.ts) -------------------

const kubernetes = theKubernetesService();
const claimedLocal = aService({ name: 'lo', externalTrafficPolicy: 'Local', ingress: [{ ip: '203.0.113.1' }] });
/** A world every rule believes: the proxy DaemonSet ds runs one pod on node n1 (not a GCE node). */
const healthy = (): Snapshot =>
  aSnapshot({
    services: [kubernetes, aService({ name: 'web' })],
    nodes: [aNode({ name: 'n1', providerID: 'custom://n1' })],
    daemonSets: [{ metadata: { name: 'ds', namespace: 'nodelb-system' }, status: { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1 } }],
    pods: [aPod('ds', 'n1')],
    instances: undefined,
  });
const failedRead = (read: ReadName) => [{ read, message: 'HTTP 503' }];

const rules: [string, (s: Snapshot) => Snapshot, ReadName[]][] = [
  ['a healthy answer', (s) => s, []],
  ['namespaces without kube-system', (s) => ({ ...s, namespaces: s.namespaces.filter((n) => n.name !== 'kube-system') }), ['namespaces']],
  ['no Services at all (not even default/kubernetes)', (s) => ({ ...s, services: [] }), ['services']],
  ['no Nodes while proxy pods were listed', (s) => ({ ...s, nodes: [] }), ['nodes']],
  ['no Nodes while a DaemonSet’s status reports pods (its pods not listed)', (s) => ({ ...s, nodes: [], pods: [], podsListed: [] }), ['nodes']],
  ['no Nodes and no proxy pod anywhere: an empty cluster', (s) => ({ ...s, nodes: [], pods: [], daemonSets: [] }), []],
  ['no DaemonSets while proxy pods exist', (s) => ({ ...s, daemonSets: [] }), ['daemonsets']],
  ['no instances while GCE nodes exist', (s) => ({ ...s, nodes: [aNode({ name: 'n1', providerID: 'gce://p/z/n1' })], instances: [] }), ['instances']],
  ['no instances, no GCE node', (s) => ({ ...s, instances: [] }), []],
  ['no claimed Service while DaemonSets exist and the namespace list failed', (s) => ({ ...s, services: [kubernetes], failedReads: failedRead('namespaces') }), ['services']],
  ['a claimed Service, the namespace list failed: the Service list is believed', (s) => ({ ...s, failedReads: failedRead('namespaces') }), []],
  ['a Service being deleted is not claimed (claim.ts): as if none were', (s) => ({ ...s, services: [kubernetes, aService({ name: 'web', deleting: true })], failedReads: failedRead('namespaces') }), ['services']],
  ['no EndpointSlices at all while a Local Service publishes IPs', (s) => ({ ...s, services: [kubernetes, claimedLocal], endpointSliceCount: 0 }), ['endpointslices']],
  ['EndpointSlices listed, none of a Local Service: its endpoints are gone, not the list', (s) => ({ ...s, services: [kubernetes, claimedLocal], endpointSliceCount: 3 }), []],
  ['no EndpointSlices, the Local Service publishes nothing yet', (s) => ({ ...s, services: [kubernetes, { ...claimedLocal, ingress: [] }], endpointSliceCount: 0 }), []],
  ['no EndpointSlices, the publishing Local Service is being deleted', (s) => ({ ...s, services: [kubernetes, { ...claimedLocal, deleting: true }], endpointSliceCount: 0 }), []],
  ['a failed read is failed, not also suspicious', (s) => ({ ...s, services: [], failedReads: failedRead('services') }), []],
  ['a DaemonSet whose pods are not found: not a read, judged per DaemonSet (oddDaemonSets)', (s) => ({ ...s, pods: [] }), []],
];

for (const [name, mutate, want] of rules) {
  test(`rule: ${name} → distrusts ${want.join(', ') || 'nothing'}`, () => {
    const s = mutate(healthy());
    const health = assessReads(s, config);
    assert.deepEqual([...health.suspicious], want);
    for (const read of want) {
      assert.ok(health.untrusted.has(read));
      assert.ok(health.notes.some((n) => n.severity === 'WARNING' && n.message.startsWith(`the ${read} read looks wrong (`)), JSON.stringify(health.notes));
    }
    assert.deepEqual([...suspiciousReads(s, config).keys()], want, 'suspiciousReads says the same');
  });
}

test('rule: a namespace list without kube-system is not believed about the proxy namespace either', () => {
  const s = healthy();
  assert.equal(namespacesLookWrong(s), undefined);
  assert.equal(namespacesLookWrong({ ...s, namespaces: [aNamespace('default')] }), 'the namespace list has no kube-system');
  assert.equal(namespacesLookWrong({ ...s, namespaces: [], failedReads: failedRead('namespaces') }), undefined, 'failed, not suspicious');
});

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
    assert.equal(actionsOf(p).length > 0, want.planned, JSON.stringify(p.notes));
    if (!want.planned) return;
    if (want.statuses) assert.deepEqual(ofKind(actionsOf(p), 'writeStatus').map((a) => a.service.name).filter((n) => n !== 'fresh').sort(), want.statuses);
    if (want.created) assert.deepEqual(ofKind(actionsOf(p), 'createDaemonSet').map((a) => a.service?.name), want.created);
    if (want.deletes !== undefined) assert.equal(actionsOf(p).some((a) => a.kind === 'deleteDaemonSet' && a.owner.name === 'gone'), want.deletes);
    if (want.firewalls !== undefined) assert.equal(actionsOf(p).some((a) => a.kind.endsWith('Firewall')), want.firewalls);
  });
}

test('an odd DaemonSet is named in a warning, its Service keeps what it publishes, and it is never deleted', () => {
  const w = oddCl(world());
  const name = daemonSetName(cl.name, cl.uid);
  // Even with its Service gone, the odd DaemonSet is not deleted this run.
  const p = plan({ ...w, services: w.services.filter((s) => s.name !== 'cl') }, config);
  assert.ok(!actionsOf(p).some((a) => a.kind === 'deleteDaemonSet' && a.name === name));
  assert.ok(p.notes.some((n) => n.severity === 'WARNING' && n.message.includes(`DaemonSet nodelb-system/${name} reports 3 pods scheduled`)));
  assert.equal(p.heldBack, false, 'an odd object is no failed read: the sync is not failed for it');
  const q = planExplained(w, config);
  const e = q.services.find((s) => s.service.name === 'cl');
  assert.deepEqual(e?.ingress, ['203.0.113.1', '203.0.113.2'], 'what cl publishes now');
  assert.match(e?.ingressKept ?? '', /proxy pods of .* not found/);
  assert.ok(e?.warnings.some((m) => m.includes(name)));
  assert.ok(e?.nodes !== undefined && e.nodes.every((n) => n.unknown === true));
});
