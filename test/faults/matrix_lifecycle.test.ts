// Fault-injection matrix, lifecycle and ownership rows: 1 happy path,
// 2 idempotence, 3 class filtering (and the namespace allow-list), 11 Service deleted (and a
// terminating namespace), 12 type change, 26 foreign look-alike rules. Every row ends with the
// invariants I1–I5. Rows 33–36 are not here (README.md beside this file says where they are, and
// maps rows to files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, problems, allowedOf, type FaultWorld } from './harness.ts';
import { tally, writeTally } from './tally.ts';
import { daemonSetName, firewallName } from '../../functions/core/naming.ts';

/** A fresh world on this file's control plane (the harness resets it and closes it at the end). */
const world = (_t: unknown, opts: Parameters<typeof startFaultWorld>[0] = {}): Promise<FaultWorld> => startFaultWorld(opts);

test('row 1: happy path — one TCP Service, 3 Ready nodes: DaemonSet, one exact rule, 3 sorted IPs, Normal event', async (t) => {
  tally.scenario('row 1');
  const w = await world(t, { nodes: 0 });
  // Lexical order of these differs from numeric order: the status must be numeric.
  for (const ip of ['203.0.113.10', '203.0.113.9', '203.0.113.100']) await w.addNode({ externalIP: ip });
  const svc = await w.addService({ name: 'web', ports: [443] });
  const foreign = await w.foreign();
  const run = await w.sync();
  assert.equal(run.report.converged, true, problems(run.report));
  assert.deepEqual((await w.ourDaemonSets()), [daemonSetName('web', svc.metadata.uid ?? '')]);
  const rules = w.ourRules();
  assert.equal(rules.length, 1);
  const rule = rules[0];
  assert.equal(rule?.name, firewallName(w.gke.clusterUid, svc.metadata.uid ?? '', 'IPv4'));
  assert.equal(allowedOf(rule), 'tcp:443');
  assert.deepEqual(rule?.sourceRanges, ['0.0.0.0/0']);
  assert.deepEqual(rule?.targetTags, [w.gke.nodeTag]);
  assert.equal(rule?.direction, 'INGRESS');
  assert.match(rule?.network ?? '', /\/global\/networks\/default$/);
  assert.deepEqual((await w.ingress('web')), ['203.0.113.9', '203.0.113.10', '203.0.113.100']);
  assert.equal((await w.condition('web'))?.reason, 'Published');
  const normal = (await w.events('web', 'default', 'Normal'));
  assert.equal(normal.length, 1);
  assert.equal(normal[0]?.reason, 'UpdatedLoadBalancer');
  assert.equal((await w.events('web')).length, 0, 'no Warning on the happy path');
  await w.assertInvariants(foreign);
});

test('row 2: idempotence — the second and third runs make zero writes and the same reads', async (t) => {
  tally.scenario('row 2');
  const w = await world(t);
  await w.addService({ name: 'web', ports: [80, 443] });
  await w.addService({ name: 'dns', ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] });
  const first = await w.sync();
  assert.equal(first.report.converged, true, problems(first.report));
  assert.ok(first.writes > 0);
  const second = await w.sync();
  const third = await w.sync();
  assert.equal(second.writes, 0, JSON.stringify(second.calls.filter((c) => c.write)));
  assert.equal(third.writes, 0);
  assert.deepEqual(second.report.plan.actions, []);
  assert.equal(second.calls.length, third.calls.length, 'a steady sync costs the same every time');
  assert.equal(second.report.rounds, 1);
  await w.assertInvariants();
});

test('row 3: class filtering — classless, foreign-class, ClusterIP and NodePort Services are never touched; the namespace allow-list refuses the rest', async (t) => {
  tally.scenario('row 3');
  const w = await world(t, { env: { NODELB_ALLOWED_NAMESPACES: 'default,team-a' } });
  await w.addService({ name: 'gke-lb', className: null, ports: [8080] });
  await w.addService({ name: 'metallb', className: 'metallb.io/metallb', ports: [8081] });
  await w.addService({ name: 'plain', type: 'ClusterIP', ports: [8082] });
  await w.addService({ name: 'np', type: 'NodePort', ports: [8083] });
  await w.addService({ name: 'ours', ports: [8084] });
  await w.addService({ name: 'theirs', namespace: 'team-b', ports: [8085] });
  await w.addService({ name: 'allowed', namespace: 'team-a', ports: [8086] });
  tally.badInput('namespace not in the allow-list');
  const foreign = await w.foreign();
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal((await w.ourDaemonSets()).length, 2, 'ours and allowed only');
  assert.deepEqual(w.ourRules().map(allowedOf).sort(), ['tcp:8084', 'tcp:8086']);
  for (const name of ['gke-lb', 'metallb', 'plain', 'np']) {
    assert.deepEqual((await w.ingress(name)), [], name);
    assert.equal((await w.condition(name)), undefined, name);
    assert.equal((await w.events(name)).length + (await w.events(name, 'default', 'Normal')).length, 0, name);
  }
  assert.deepEqual((await w.ingress('theirs', 'team-b')), []);
  assert.equal((await w.condition('theirs', 'team-b'))?.status, 'False');
  const refused = (await w.events('theirs', 'team-b'));
  assert.deepEqual(refused.map((e) => e.reason), ['NamespaceNotAllowed']);
  assert.match(refused[0]?.message ?? '', /namespace team-b may not request nodelb load balancers/);
  assert.ok(run.log.some((e) => e.message.includes('namespace team-b may not request')), 'and a log line says so');
  await w.assertInvariants(foreign);
});

test('row 11: Service deleted — its DaemonSet and rule go, nothing else; a terminating namespace is cleaned quietly', async (t) => {
  tally.scenario('row 11');
  const w = await world(t);
  const gone = await w.addService({ name: 'gone', ports: [8080] });
  await w.addService({ name: 'stays', ports: [8081] });
  await w.addService({ name: 'tenant', namespace: 'doomed', ports: [8082] });
  // A look-alike with the very name the deleted Service's rule has, in another project's
  // clothes: no marker. And another cluster's rule for the same UID.
  const otherCluster = JSON.stringify({ managedBy: 'nodelb', cluster: 'another-cluster', service: 'default/gone', uid: gone.metadata.uid, family: 'IPv4' });
  w.gke.gce.putFirewall({ name: 'nodelb-lookalike-gone', network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }], targetTags: [w.gke.nodeTag] });
  w.gke.gce.putFirewall({ name: 'nodelb-other-cluster', description: otherCluster, network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }] });
  assert.equal((await w.converge()).syncs, 1);
  assert.equal(w.ourRules().length, 3);

  const foreign = await w.foreign();
  await w.deleteService('default', 'gone');
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal((await w.ourDaemonSets()).length, 2);
  assert.deepEqual(w.ourRules().map(allowedOf).sort(), ['tcp:8081', 'tcp:8082']);
  assert.ok(w.gke.gce.getFirewall('nodelb-lookalike-gone'));
  assert.ok(w.gke.gce.getFirewall('nodelb-other-cluster'));
  await w.assertInvariants(foreign);

  // The namespace is deleted. The real namespace controller deletes its Services at once (the
  // old simulator kept them live in a Terminating namespace); a finalizer, as another load
  // balancer controller's, holds this one, so it stays with a deletionTimestamp: unclaimed.
  await w.updateService('doomed', 'tenant', (svc) => {
    (svc.metadata as { finalizers?: string[] }).finalizers = ['example.com/hold'];
  });
  await w.gke.admin.delete('/api/v1/namespaces/doomed');
  await w.real.waitFor('namespace doomed to be Terminating with its Service being deleted', async () => (await w.service('tenant', 'doomed'))?.metadata.deletionTimestamp !== undefined);
  tally.badInput('Service in a terminating namespace');
  const quiet = await w.sync();
  assert.equal(quiet.report.ok, true, problems(quiet.report));
  assert.deepEqual(w.ourRules().map(allowedOf), ['tcp:8081']);
  assert.equal((await w.ourDaemonSets()).length, 1);
  assert.deepEqual(quiet.calls.filter((c) => c.write && c.path.includes('/namespaces/doomed/')), [], 'nothing written to a Service on its way out, no Event in a terminating namespace');
  assert.equal((await w.events('tenant', 'doomed')).length, 0);
  await w.updateService('doomed', 'tenant', (svc) => {
    (svc.metadata as { finalizers?: string[] }).finalizers = [];
  });
  await w.assertInvariants(await w.foreign());
});

test('row 12: type change LB→ClusterIP and LB→NodePort — DaemonSet and rule removed, status cleared', async (t) => {
  tally.scenario('row 12');
  const w = await world(t);
  await w.addService({ name: 'to-clusterip', ports: [8080] });
  await w.addService({ name: 'to-nodeport', ports: [8081] });
  await w.addService({ name: 'stays', ports: [8082] });
  await w.converge();
  assert.equal((await w.ingress('to-clusterip')).length, 3);
  for (const [name, type] of [['to-clusterip', 'ClusterIP'], ['to-nodeport', 'NodePort']] as const) {
    await w.updateService('default', name, (svc) => {
      svc.spec.type = type;
      // The real API server refuses a ClusterIP Service with these; it drops them itself only
      // when they are left as they were, so clear them as an owner would.
      delete svc.spec.loadBalancerClass;
      delete svc.spec.externalTrafficPolicy;
    });
  }
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal((await w.ourDaemonSets()).length, 1);
  assert.deepEqual(w.ourRules().map(allowedOf), ['tcp:8082']);
  for (const name of ['to-clusterip', 'to-nodeport']) {
    assert.deepEqual((await w.ingress(name)), [], `${name}: the node IPs nodelb published are withdrawn`);
    assert.equal((await w.condition(name)), undefined, `${name}: nodelb's condition is removed`);
  }
  assert.equal((await w.ingress('stays')).length, 3);
  await w.assertInvariants(await w.foreign());
  // Back to LoadBalancer with the class: served again.
  await w.updateService('default', 'to-nodeport', (svc) => {
    Object.assign(svc.spec as object, { type: 'LoadBalancer', loadBalancerClass: 'nodelb.dev/node-ip', externalTrafficPolicy: 'Cluster' });
  });
  await w.converge();
  assert.equal((await w.ingress('to-nodeport')).length, 3);
  await w.assertInvariants(await w.foreign());
});

test('row 26: foreign rules — look-alike names without our marker, another cluster’s marker, a broken marker: never modified or deleted', async (t) => {
  tally.scenario('row 26');
  const w = await world(t);
  const a = await w.addService({ name: 'a', ports: [8080] });
  const b = await w.addService({ name: 'b', ports: [8081] });
  const uidA = a.metadata.uid ?? '';
  const uidB = b.metadata.uid ?? '';
  const net = 'global/networks/default';
  const lookalikes = [
    // Squats the very name nodelb wants for Service a, made by hand (no description).
    { name: firewallName(w.gke.clusterUid, uidA, 'IPv4'), network: net, allowed: [{ IPProtocol: 'tcp', ports: ['1-65535'] }] },
    { name: 'nodelb-deadbeef-0000', description: 'made by hand', network: net, allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }] },
    { name: 'nodelb-other-c', description: JSON.stringify({ managedBy: 'nodelb', cluster: 'other', service: 'default/b', uid: uidB, family: 'IPv4' }), network: net, allowed: [{ IPProtocol: 'tcp', ports: ['8081'] }] },
    { name: 'nodelb-broken-marker', description: `{"managedBy":"nodelb","cluster":"${w.gke.clusterUid}"`, network: net, allowed: [{ IPProtocol: 'udp', ports: ['53'] }] },
    { name: 'nodelb-old-format', description: JSON.stringify({ managedBy: 'nodelb', cluster: w.gke.clusterUid }), network: net, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
    { name: 'default-allow-ssh', network: net, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
  ];
  for (const r of lookalikes) w.gke.gce.putFirewall(r);
  tally.badInput('foreign look-alike firewall rule', lookalikes.length);
  const foreign = await w.foreign();
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.deepEqual(w.ourRules().map(allowedOf), ['tcp:8081'], 'b gets its rule; a’s name is squatted, so nodelb makes none for it');
  assert.ok(run.report.plan.notes.some((n) => n.message.includes(lookalikes[0]?.name ?? '?') && /no nodelb marker/.test(n.message)), problems(run.report));
  // Everything nodelb serves goes away: the look-alikes must not go with it.
  await w.deleteService('default', 'a');
  await w.deleteService('default', 'b');
  const cleanup = await w.sync();
  assert.equal(cleanup.report.ok, true, problems(cleanup.report));
  assert.deepEqual(w.ourRules(), []);
  for (const r of lookalikes) assert.ok(w.gke.gce.getFirewall(r.name), `${r.name} is still there`);
  await w.assertInvariants(foreign);
});

test('tally: lifecycle rows', () => {
  assert.equal(tally.current.scenarios.length, 6);
  const totals = writeTally(import.meta.url);
  assert.ok(totals.scenarios >= 6);
});
