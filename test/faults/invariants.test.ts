// The invariant checker itself: a converged world passes, and each of I1–I5 fails when the
// world is broken in the way it guards against (so a green suite means something).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, PROXY_NAMESPACE, type FaultWorld } from './harness.ts';
import { checkInvariants, describeViolations, type InvariantName, type Violation } from './invariants.ts';
import { tally, writeTally } from './tally.ts';
import { firewallName } from '../../functions/core/naming.ts';

async function converged(): Promise<FaultWorld> {
  const w = await startFaultWorld({ nodes: 3 });
  await w.addService({ name: 'web', ports: [80] });
  await w.addService({ name: 'v4', ports: [81], ipFamilies: ['IPv4'] });
  await w.addService({ name: 'gke-lb', className: null, ports: [82] });
  w.gke.gce.putFirewall({ name: 'default-allow-ssh', network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
  await w.converge();
  return w;
}

const only = (vs: Violation[], name: InvariantName) => vs.filter((v) => v.invariant === name);
const check = (w: FaultWorld, opts: Parameters<typeof checkInvariants>[2] = {}) => checkInvariants(() => w.state(), w.config, opts);

function writeStatus(w: FaultWorld, name: string, ips: string[]): Promise<void> {
  return w.writeStatus(name, { loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) } });
}

test('a converged world satisfies I1–I5', async () => {
  const w = await converged();
  const vs = await w.violations(await w.foreign());
  assert.deepEqual(vs, [], describeViolations(vs));
});

test('I1 fails when the next sync has something to write', async () => {
  const w = await converged();
  await w.gke.admin.delete(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets/${(await w.ourDaemonSets())[0]}`);
  const vs = await w.violations();
  assert.equal(only(vs, 'I1').length, 1, describeViolations(vs));
  assert.match(only(vs, 'I1')[0]?.message ?? '', /POST \/apis\/apps\/v1\/namespaces\/nodelb-system\/daemonsets/);
});

test('I2 fails for an owned rule or DaemonSet without a live claimed Service, and for duplicates', async () => {
  const w = await converged();
  const marker = (uid: string, family = 'IPv4') => JSON.stringify({ managedBy: 'nodelb', cluster: w.gke.clusterUid, service: 'default/x', uid, family });
  w.gke.gce.putFirewall({ name: 'nodelb-orphan', description: marker('no-such-uid'), network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] });
  const web = (await w.service('web'))!;
  w.gke.gce.putFirewall({ name: 'nodelb-second-for-web', description: marker(web.metadata.uid ?? ''), network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] });
  // A DaemonSet labelled as nodelb's for a Service nodelb does not claim, made through the real API.
  const ds = await w.gke.admin.get(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets/${(await w.ourDaemonSets())[0]}`);
  const gke = (await w.service('gke-lb'))!;
  const name = 'nodelb-for-gke-lb';
  const labels = { ...ds.metadata.labels, 'nodelb.dev/service-uid': gke.metadata.uid ?? '', 'nodelb.dev/daemonset': name };
  ds.spec.selector = { matchLabels: { 'nodelb.dev/daemonset': name } };
  ds.spec.template.metadata.labels = { ...ds.spec.template.metadata.labels, 'nodelb.dev/daemonset': name };
  await w.gke.admin.post(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets`, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: PROXY_NAMESPACE, labels }, spec: ds.spec });
  const vs = await check(w);
  const i2 = only(vs, 'I2').map((v) => v.message);
  assert.ok(i2.some((m) => /nodelb-orphan belongs to Service uid no-such-uid, which does not exist/.test(m)), i2.join('\n'));
  assert.ok(i2.some((m) => /has 2 firewall rules/.test(m)), i2.join('\n'));
  assert.ok(i2.some((m) => /nodelb-for-gke-lb belongs to default\/gke-lb, which nodelb does not claim/.test(m)), i2.join('\n'));
});

test('I2 fails when a Service marked refused still owns objects, or one marked published has no proxies', async () => {
  const w = await converged();
  const web = (await w.service('web'))!;
  const cond = (reason: string) => ({ type: 'nodelb.dev/Serving', status: reason === 'Published' ? 'True' : 'False', reason, message: 'm', lastTransitionTime: '2025-01-01T00:00:00Z' });
  const setCondition = (name: string, reason: string) => w.writeStatus(name, { conditions: [cond(reason)] });
  await setCondition('web', 'PortConflict');
  const i2 = only(await check(w), 'I2').map((v) => v.message);
  assert.ok(i2.some((m) => /default\/web is refused \(PortConflict\) yet owns nodelb-web-/.test(m)), i2.join('\n'));
  await setCondition('web', 'Published');
  const dsName = (await w.ourDaemonSets()).find((d) => d.endsWith((web.metadata.uid ?? '').slice(0, 8)))!;
  await w.gke.admin.delete(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets/${dsName}`);
  const again = only(await check(w), 'I2').map((v) => v.message);
  assert.ok(again.some((m) => /default\/web says Published but has no proxy DaemonSet/.test(m)), again.join('\n'));
});

test('I3 fails when something without our marker is modified, deleted, written to or given an Event', async () => {
  const w = await converged();
  const foreign = await w.foreign();
  const ssh = w.gke.gce.getFirewall('default-allow-ssh')!;
  w.gke.gce.putFirewall({ ...ssh, sourceRanges: ['10.0.0.0/8'] });
  // A write request that reached the Compute API for a foreign rule (it fails: still counted).
  const res = await fetch(`${w.gke.computeEndpoint}/projects/${w.gke.project}/global/firewalls/no-such-foreign?requestId=${crypto.randomUUID()}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${w.gke.token}` },
  });
  await res.text();
  w.gke.gce.putFirewall({ name: 'no-such-foreign', network: 'global/networks/default', allowed: [{ IPProtocol: 'udp', ports: ['53'] }] });
  const withNew = { ...foreign, rules: new Map([...foreign.rules, [`${w.gke.project}/no-such-foreign`, JSON.stringify(w.gke.gce.getFirewall('no-such-foreign'))]]) };
  await writeStatus(w, 'gke-lb', ['203.0.113.1']);
  await w.deleteService('default', 'gke-lb');
  const vs = await check(w, { foreign: withNew });
  const i3 = only(vs, 'I3').map((v) => v.message);
  assert.ok(i3.some((m) => /default-allow-ssh was modified/.test(m)), i3.join('\n'));
  assert.ok(i3.some((m) => /DELETE .*no-such-foreign: a write to a foreign firewall rule/.test(m)), i3.join('\n'));

  // An Event recorded by nodelb on a Service it does not claim.
  const w2 = await converged();
  const base = await w2.foreign();
  const gke = (await w2.service('gke-lb'))!;
  await w2.gke.admin.post('/api/v1/namespaces/default/events', {
    metadata: { name: 'gke-lb.x', namespace: 'default' },
    involvedObject: { kind: 'Service', namespace: 'default', name: 'gke-lb', uid: gke.metadata.uid },
    reason: 'UpdatedLoadBalancer',
    message: 'm',
    type: 'Normal',
    reportingComponent: 'nodelb.dev/controller',
    reportingInstance: 'nodelb',
    source: { component: 'nodelb' },
  });
  await writeStatus(w2, 'gke-lb', ['203.0.113.1']);
  const vs2 = await check(w2, { foreign: base });
  const i3b = only(vs2, 'I3').map((v) => v.message);
  assert.ok(i3b.some((m) => /Event default\/gke-lb\.x recorded on a Service nodelb does not claim/.test(m)), i3b.join('\n'));
  assert.ok(i3b.some((m) => /Service default\/gke-lb, not nodelb's, was modified/.test(m)), i3b.join('\n'));
});

test('I4 fails for a denied port in an owned rule or proxy hostPort', async () => {
  const w = await converged();
  const web = (await w.service('web'))!;
  const name = firewallName(w.gke.clusterUid, web.metadata.uid ?? '', 'IPv4');
  const rule = w.gke.gce.getFirewall(name)!;
  w.gke.gce.putFirewall({ ...rule, allowed: [{ IPProtocol: 'tcp', ports: ['80', '10000-10300'] }] });
  await w.editDaemonSet((await w.ourDaemonSets())[0]!, (ds) => {
    ds.spec.template.spec.containers[0].ports[0].hostPort = 22;
  });
  const vs = await check(w);
  const i4 = only(vs, 'I4').map((v) => v.message);
  assert.ok(i4.some((m) => /opens tcp:10000-10300, denied by 10248-10250/.test(m)), i4.join('\n'));
  assert.ok(i4.some((m) => /takes host port 22\/TCP/.test(m)), i4.join('\n'));
});

test('I5 fails for an IP that is no Ready node’s, an unsorted list, a NotReady node, a duplicate, a wrong family', async () => {
  const w = await converged();
  const cases: [string[], RegExp][] = [
    [['203.0.113.1', '192.0.2.99'], /192\.0\.2\.99 in status, not an external IP of a Ready node/],
    [['203.0.113.2', '203.0.113.1'], /not sorted/],
    [['203.0.113.1', '203.0.113.1'], /duplicate/],
    [['2001:db8::1'], /not an external IP of a Ready node|family/],
  ];
  for (const [ips, words] of cases) {
    await writeStatus(w, 'v4', ips);
    const i5 = only(await check(w), 'I5').map((v) => v.message);
    assert.ok(i5.some((m) => words.test(m)), `${ips.join(',')}: ${i5.join('\n')}`);
  }
  await writeStatus(w, 'v4', ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  assert.deepEqual(only(await check(w), 'I5'), []);
  await w.updateNode('node-1', { ready: false });
  const i5 = only(await check(w), 'I5').map((v) => v.message);
  assert.ok(i5.some((m) => /203\.0\.113\.2 in status/.test(m)), i5.join('\n'));
});

test('tally: invariant self-tests', () => {
  writeTally(import.meta.url);
  assert.ok(tally.current.syncs > 0);
});
