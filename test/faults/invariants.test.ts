// The invariant checker itself: a converged world passes, and each of I1–I5 fails when the
// world is broken in the way it guards against (so a green suite means something).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, type FaultWorld } from './harness.ts';
import { checkInvariants, describeViolations, type InvariantName, type Violation } from './invariants.ts';
import { tally, writeTally } from './tally.ts';
import { RESOURCES } from '../sim/kube/resources.ts';
import type { WireObject, WireService } from '../sim/kube/types.ts';
import { firewallName } from '../../functions/core/naming.ts';

async function converged(t: { after(fn: () => Promise<void>): void }): Promise<FaultWorld> {
  const w = await startFaultWorld({ nodes: 3 });
  t.after(() => w.close());
  w.addService({ name: 'web', ports: [80] });
  w.addService({ name: 'v4', ports: [81], ipFamilies: ['IPv4'] });
  w.addService({ name: 'gke-lb', className: null, ports: [82] });
  w.sim.gce.putFirewall({ name: 'default-allow-ssh', network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
  await w.converge();
  return w;
}

const only = (vs: Violation[], name: InvariantName) => vs.filter((v) => v.invariant === name);

function writeStatus(w: FaultWorld, name: string, ips: string[]): void {
  const svc = w.service(name)!;
  const body = { ...svc, metadata: { ...svc.metadata, resourceVersion: undefined }, status: { ...(svc.status as object), loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) } } };
  w.sim.kubeSim.api.update(RESOURCES.services, 'default', name, body as WireObject, 'status');
}

test('a converged world satisfies I1–I5', async (t) => {
  const w = await converged(t);
  const vs = await w.violations(w.foreign());
  assert.deepEqual(vs, [], describeViolations(vs));
});

test('I1 fails when the next sync has something to write', async (t) => {
  const w = await converged(t);
  w.sim.kubeSim.api.delete(RESOURCES.daemonsets, 'nodelb-system', w.ourDaemonSets()[0]!, undefined);
  const vs = await w.violations();
  assert.equal(only(vs, 'I1').length, 1, describeViolations(vs));
  assert.match(only(vs, 'I1')[0]?.message ?? '', /POST \/apis\/apps\/v1\/namespaces\/nodelb-system\/daemonsets/);
});

test('I2 fails for an owned rule or DaemonSet without a live claimed Service, and for duplicates', async (t) => {
  const w = await converged(t);
  const marker = (uid: string, family = 'IPv4') => JSON.stringify({ managedBy: 'nodelb', cluster: w.sim.clusterUid, service: 'default/x', uid, family });
  w.sim.gce.putFirewall({ name: 'nodelb-orphan', description: marker('no-such-uid'), network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] });
  const web = w.service('web')!;
  w.sim.gce.putFirewall({ name: 'nodelb-second-for-web', description: marker(web.metadata.uid ?? ''), network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] });
  const ds = w.sim.kube.get<WireObject>('daemonsets', 'nodelb-system', w.ourDaemonSets()[0]!)!;
  const gke = w.service('gke-lb')!;
  ds.metadata = { name: 'nodelb-for-gke-lb', namespace: 'nodelb-system', labels: { ...ds.metadata.labels, 'nodelb.dev/service-uid': gke.metadata.uid ?? '', 'nodelb.dev/daemonset': 'nodelb-for-gke-lb' } };
  (ds.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } }).selector.matchLabels = { 'nodelb.dev/daemonset': 'nodelb-for-gke-lb' };
  (ds.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels = { ...(ds.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels, 'nodelb.dev/daemonset': 'nodelb-for-gke-lb' };
  delete ds.status;
  w.sim.kubeSim.api.create(RESOURCES.daemonsets, 'nodelb-system', ds);
  const vs = await checkInvariants(w.sim, w.config);
  const i2 = only(vs, 'I2').map((v) => v.message);
  assert.ok(i2.some((m) => /nodelb-orphan belongs to Service uid no-such-uid, which does not exist/.test(m)), i2.join('\n'));
  assert.ok(i2.some((m) => /has 2 firewall rules/.test(m)), i2.join('\n'));
  assert.ok(i2.some((m) => /nodelb-for-gke-lb belongs to default\/gke-lb, which nodelb does not claim/.test(m)), i2.join('\n'));
});

test('I2 fails when a Service marked refused still owns objects, or one marked published has no proxies', async (t) => {
  const w = await converged(t);
  const web = w.service('web')!;
  const cond = (reason: string) => ({ type: 'nodelb.dev/Serving', status: reason === 'Published' ? 'True' : 'False', reason, message: 'm', lastTransitionTime: '2025-01-01T00:00:00Z' });
  const setCondition = (name: string, reason: string) => {
    const svc = w.service(name)!;
    const status = svc.status as { conditions?: object[] };
    w.sim.kubeSim.api.update(RESOURCES.services, 'default', name, { ...svc, metadata: { ...svc.metadata, resourceVersion: undefined }, status: { ...status, conditions: [cond(reason)] } } as WireObject, 'status');
  };
  setCondition('web', 'PortConflict');
  const i2 = only(await checkInvariants(w.sim, w.config), 'I2').map((v) => v.message);
  assert.ok(i2.some((m) => /default\/web is refused \(PortConflict\) yet owns nodelb-web-/.test(m)), i2.join('\n'));
  setCondition('web', 'Published');
  w.sim.kubeSim.api.delete(RESOURCES.daemonsets, 'nodelb-system', w.ourDaemonSets().find((d) => d.endsWith((web.metadata.uid ?? '').slice(0, 8)))!, undefined);
  const again = only(await checkInvariants(w.sim, w.config), 'I2').map((v) => v.message);
  assert.ok(again.some((m) => /default\/web says Published but has no proxy DaemonSet/.test(m)), again.join('\n'));
});

test('I3 fails when something without our marker is modified, deleted, written to or given an Event', async (t) => {
  const w = await converged(t);
  const foreign = w.foreign();
  const ssh = w.sim.gce.getFirewall('default-allow-ssh')!;
  w.sim.gce.putFirewall({ ...ssh, sourceRanges: ['10.0.0.0/8'] });
  // A write request that reached the Compute API for a foreign rule (it fails: still counted).
  const res = await fetch(`${w.sim.computeEndpoint}/projects/${w.sim.project}/global/firewalls/no-such-foreign?requestId=${crypto.randomUUID()}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${w.sim.token}` },
  });
  await res.text();
  w.sim.gce.putFirewall({ name: 'no-such-foreign', network: 'global/networks/default', allowed: [{ IPProtocol: 'udp', ports: ['53'] }] });
  const withNew = { ...foreign, rules: new Map([...foreign.rules, [`${w.sim.project}/no-such-foreign`, JSON.stringify(w.sim.gce.getFirewall('no-such-foreign'))]]) };
  writeStatus(w, 'gke-lb', ['203.0.113.1']);
  w.sim.kube.deleteService('default', 'gke-lb');
  const vs = await checkInvariants(w.sim, w.config, { foreign: withNew });
  const i3 = only(vs, 'I3').map((v) => v.message);
  assert.ok(i3.some((m) => /default-allow-ssh was modified/.test(m)), i3.join('\n'));
  assert.ok(i3.some((m) => /DELETE .*no-such-foreign: a write to a foreign firewall rule/.test(m)), i3.join('\n'));

  // An Event recorded by nodelb on a Service it does not claim.
  const w2 = await converged(t);
  const base = w2.foreign();
  const gke = w2.service('gke-lb')!;
  w2.sim.kubeSim.api.create(RESOURCES.events, 'default', {
    metadata: { name: 'gke-lb.x', namespace: 'default' },
    involvedObject: { kind: 'Service', namespace: 'default', name: 'gke-lb', uid: gke.metadata.uid },
    reason: 'UpdatedLoadBalancer',
    message: 'm',
    type: 'Normal',
    reportingComponent: 'nodelb.dev/controller',
    reportingInstance: 'nodelb',
    source: { component: 'nodelb' },
  } as unknown as WireObject);
  writeStatus(w2, 'gke-lb', ['203.0.113.1']);
  const vs2 = await checkInvariants(w2.sim, w2.config, { foreign: base });
  const i3b = only(vs2, 'I3').map((v) => v.message);
  assert.ok(i3b.some((m) => /Event default\/gke-lb\.x recorded on a Service nodelb does not claim/.test(m)), i3b.join('\n'));
  assert.ok(i3b.some((m) => /Service default\/gke-lb, not nodelb's, was modified/.test(m)), i3b.join('\n'));
});

test('I4 fails for a denied port in an owned rule or proxy hostPort', async (t) => {
  const w = await converged(t);
  const web = w.service('web')!;
  const name = firewallName(w.sim.clusterUid, web.metadata.uid ?? '', 'IPv4');
  const rule = w.sim.gce.getFirewall(name)!;
  w.sim.gce.putFirewall({ ...rule, allowed: [{ IPProtocol: 'tcp', ports: ['80', '10000-10300'] }] });
  const dsName = w.ourDaemonSets()[0]!;
  const ds = w.sim.kube.get<WireObject & { spec: { template: { spec: { containers: { ports?: { hostPort?: number }[] }[] } } } }>('daemonsets', 'nodelb-system', dsName)!;
  ds.spec.template.spec.containers[0]!.ports![0]!.hostPort = 22;
  delete ds.metadata.resourceVersion;
  w.sim.kubeSim.api.update(RESOURCES.daemonsets, 'nodelb-system', dsName, ds);
  const vs = await checkInvariants(w.sim, w.config);
  const i4 = only(vs, 'I4').map((v) => v.message);
  assert.ok(i4.some((m) => /opens tcp:10000-10300, denied by 10248-10250/.test(m)), i4.join('\n'));
  assert.ok(i4.some((m) => /takes host port 22\/TCP/.test(m)), i4.join('\n'));
});

test('I5 fails for an IP that is no Ready node’s, an unsorted list, a NotReady node, a duplicate, a wrong family', async (t) => {
  const w = await converged(t);
  const cases: [string[], RegExp][] = [
    [['203.0.113.1', '192.0.2.99'], /192\.0\.2\.99 in status, not an external IP of a Ready node/],
    [['203.0.113.2', '203.0.113.1'], /not sorted/],
    [['203.0.113.1', '203.0.113.1'], /duplicate/],
    [['2001:db8::1'], /not an external IP of a Ready node|family/],
  ];
  for (const [ips, words] of cases) {
    writeStatus(w, 'v4', ips);
    const i5 = only(await checkInvariants(w.sim, w.config), 'I5').map((v) => v.message);
    assert.ok(i5.some((m) => words.test(m)), `${ips.join(',')}: ${i5.join('\n')}`);
  }
  writeStatus(w, 'v4', ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  assert.deepEqual(only(await checkInvariants(w.sim, w.config), 'I5'), []);
  w.sim.kube.updateNode('node-1', { ready: false });
  const i5 = only(await checkInvariants(w.sim, w.config), 'I5').map((v) => v.message);
  assert.ok(i5.some((m) => /203\.0\.113\.2 in status/.test(m)), i5.join('\n'));
  const svc = w.sim.kube.get<WireService>('services', 'default', 'web');
  assert.ok(svc, 'sanity');
});

test('tally: invariant self-tests', () => {
  writeTally(import.meta.url);
  assert.ok(tally.current.syncs > 0);
});
