// Fault-injection matrix, hostile or broken input: 4 source ranges, 5
// forbidden ports, 6 duplicate host ports, 7 many ports, 8 protocols, 9 dual-stack, 10
// loadBalancerIP/externalIPs and malformed annotations. Every bad input must give a Warning Event
// and a log line, never an exception that aborts the run, and never an open port; the other
// Services carry on. Each row ends with the invariants I1–I5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, sleep, problems, allowedOf, type FaultWorld, type ServiceInput, type SyncRun } from './harness.ts';
import { tally, writeTally } from './tally.ts';
import { KubeApiError } from '../cluster/kube_http.ts';

/** A fresh world on this file's control plane (the harness resets it and closes it at the end). */
const world = (_t: unknown, opts: Parameters<typeof startFaultWorld>[0] = {}): Promise<FaultWorld> => startFaultWorld(opts);

const ruleOf = async (w: FaultWorld, name: string, namespace = 'default', family: 'IPv4' | 'IPv6' = 'IPv4') => {
  const uid = (await w.service(name, namespace))?.metadata.uid ?? '?';
  return w.ourRules().find((r) => (r.description ?? '').includes(`"uid":"${uid}"`) && (r.description ?? '').includes(`"family":"${family}"`));
};
const hasDaemonSetFor = async (w: FaultWorld, name: string, namespace = 'default') => {
  const uid = ((await w.service(name, namespace))?.metadata.uid ?? '?').slice(0, 8);
  return (await w.ourDaemonSets()).some((d) => d.endsWith(`-${uid}`));
};

/** The real API server refuses this Service change outright (422 naming the field): nodelb never sees it. */
async function assertRejectedByServer(change: Promise<unknown>, field: RegExp): Promise<void> {
  tally.badInput('input the API server rejects');
  await assert.rejects(change, (e: unknown) => e instanceof KubeApiError && e.status === 422 && field.test(e.body));
}

/** A refused Service: a Warning with this reason and words, the condition False, no DaemonSet,
 *  no rule, no IPs, and a log line naming the problem. Counts one bad input. */
async function assertRefused(w: FaultWorld, run: SyncRun, name: string, reason: string, words: RegExp, namespace = 'default'): Promise<void> {
  tally.badInput(reason);
  const warnings = (await w.events(name, namespace)).filter((e) => e.reason === reason);
  assert.equal(warnings.length >= 1, true, `${name}: a Warning ${reason} (got ${JSON.stringify((await w.events(name, namespace)).map((e) => e.reason))})`);
  assert.ok(warnings.some((e) => words.test(e.message ?? '')), `${name}: an event says ${words} (got ${JSON.stringify(warnings.map((e) => e.message))})`);
  assert.equal((await w.condition(name, namespace))?.status, 'False', `${name}: condition False`);
  assert.equal(await hasDaemonSetFor(w, name, namespace), false, `${name}: no DaemonSet`);
  assert.equal(await ruleOf(w, name, namespace), undefined, `${name}: no firewall rule`);
  assert.deepEqual((await w.ingress(name, namespace)), [], `${name}: no IPs`);
  assert.ok(run.log.some((e) => words.test(e.message)), `${name}: a log line says ${words}`);
}

/** A Service served despite a bad input: exactly this Warning, and a log line naming it. */
async function assertWarned(w: FaultWorld, run: SyncRun, name: string, reason: string, kind: string): Promise<void> {
  tally.badInput(kind);
  assert.deepEqual((await w.events(name)).map((e) => e.reason), [reason], `${name}: one Warning ${reason}`);
  assert.ok(run.log.some((e) => e.message.includes(`${name} ${reason}`)), `${name}: a log line names ${reason}`);
}

function assertRunNotAborted(run: SyncRun): void {
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal(run.report.errors.length, 0);
  assert.ok(!run.log.some((e) => e.event === 'sync.crashed' || e.event === 'plan.failed'));
}

test('row 4: source ranges — exact ranges, the default, the legacy annotation, invalid → nothing opened, IPv6-only ranges on an IPv4 Service', async (t) => {
  tally.scenario('row 4');
  const w = await world(t);
  const services: ServiceInput[] = [
    { name: 'split', ports: [8001], sourceRanges: ['0.0.0.0/1', '128.0.0.0/1'] },
    { name: 'open', ports: [8002] },
    { name: 'annotated', ports: [8003], annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': ' 10.0.0.0/8 ,192.168.0.0/16,10.0.0.0/8' } },
    { name: 'spec-wins', ports: [8004], sourceRanges: ['203.0.113.0/24'], annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': 'garbage' } },
    { name: 'v6-only', ports: [8006], sourceRanges: ['2001:db8::/32'] },
  ];
  for (const s of services) await w.addService(s);
  // The real API server validates the ranges (the old simulator let them through to nodelb):
  // an invalid one in the annotation or the spec never reaches a sync. nodelb's own refusal
  // (InvalidSourceRanges) stays covered by the unit tests.
  const invalid = { name: 'invalid', ports: [8005] };
  await assertRejectedByServer(w.addService({ ...invalid, annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/8,not-a-cidr' } }), /LoadBalancerSourceRanges|load-balancer-source-ranges/i);
  await assertRejectedByServer(w.addService({ ...invalid, sourceRanges: ['10.0.0.0/8', 'not-a-cidr'] }), /LoadBalancerSourceRanges/i);
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.deepEqual((await ruleOf(w, 'split'))?.sourceRanges, ['0.0.0.0/1', '128.0.0.0/1']);
  assert.deepEqual((await ruleOf(w, 'open'))?.sourceRanges, ['0.0.0.0/0']);
  assert.deepEqual((await ruleOf(w, 'annotated'))?.sourceRanges, ['10.0.0.0/8', '192.168.0.0/16']);
  assert.deepEqual((await ruleOf(w, 'spec-wins'))?.sourceRanges, ['203.0.113.0/24']);
  assert.equal(await w.service('invalid'), undefined);
  // An IPv4 Service whose ranges hold only IPv6: no IPv4 client may come in, so no IPv4 rule.
  assert.equal(await ruleOf(w, 'v6-only'), undefined);
  await assertWarned(w, run, 'v6-only', 'NoSourceRangesForFamily', 'source ranges without the Service family');

  // A served Service cannot be changed to invalid ranges either: the update is refused, the
  // rule stays as it was, and the next sync has nothing to do.
  await assertRejectedByServer(
    w.updateService('default', 'open', (svc) => {
      svc.metadata.annotations = { 'service.beta.kubernetes.io/load-balancer-source-ranges': '0.0.0.0/0,300.1.1.1/8' };
    }),
    /LoadBalancerSourceRanges|load-balancer-source-ranges/i,
  );
  assert.deepEqual((await ruleOf(w, 'open'))?.sourceRanges, ['0.0.0.0/0']);
  await w.assertInvariants(await w.foreign());
});

test('row 5: forbidden ports — 22, 10250, 10255, 2379, 6443 and the NodePort range refused with a Warning; a mixed Service is not half-opened; the deny-list is configurable', async (t) => {
  tally.scenario('row 5');
  const w = await world(t);
  const denied: [string, number[], RegExp][] = [
    ['ssh', [22], /port 22\/TCP is denied \(deny-list entry 22\)/],
    ['kubelet', [10250], /port 10250\/TCP is denied/],
    ['kubelet-ro', [10255], /port 10255\/TCP is denied/],
    ['etcd', [2379], /port 2379\/TCP is denied \(deny-list entry 2379-2380\)/],
    ['apiserver', [6443], /port 6443\/TCP is denied/],
    ['nodeport', [30080], /port 30080\/TCP is denied \(deny-list entry 30000-32767\)/],
    ['mixed', [443, 22], /port 22\/TCP is denied/],
  ];
  for (const [name, ports] of denied) await w.addService({ name, ports });
  await w.addService({ name: 'fine', ports: [8443] });
  const run = await w.sync();
  assertRunNotAborted(run);
  for (const [name, , words] of denied) await assertRefused(w, run, name, 'PortDenied', words);
  assert.equal((await w.ingress('fine')).length, 3, 'the others are unaffected');
  assert.equal(allowedOf(await ruleOf(w, 'fine')), 'tcp:8443');
  assert.equal(run.report.retryable, false);
  // A served Service that now asks for a denied port loses everything rather than opening it.
  await w.updateService('default', 'fine', (svc) => {
    (svc.spec as { ports: unknown[] }).ports.push({ name: 'ssh', port: 22, protocol: 'TCP', targetPort: 22 });
  });
  const now = await w.sync();
  assertRunNotAborted(now);
  await assertRefused(w, now, 'fine', 'PortDenied', /port 22\/TCP is denied/);
  await w.assertInvariants(await w.foreign());

  // NODELB_DENIED_PORTS replaces the list: 8080 denied, the NodePort range now allowed.
  const custom = await world(t, { env: { NODELB_DENIED_PORTS: '8080,9000-9100' } });
  await custom.addService({ name: 'web', ports: [8080] });
  await custom.addService({ name: 'range', ports: [9050] });
  await custom.addService({ name: 'np', ports: [30080] });
  const c = await custom.sync();
  assertRunNotAborted(c);
  await assertRefused(custom, c, 'web', 'PortDenied', /port 8080\/TCP is denied \(deny-list entry 8080\)/);
  await assertRefused(custom, c, 'range', 'PortDenied', /deny-list entry 9000-9100/);
  assert.equal(allowedOf(await ruleOf(custom, 'np')), 'tcp:30080');
  await custom.assertInvariants(await custom.foreign());
});

test('row 6: duplicate host port — the older Service wins, the newer gets PortConflict and nothing opened; TCP and UDP on one port do not conflict; the loser takes over when the winner goes', async (t) => {
  tally.scenario('row 6');
  const w = await world(t);
  // Name order disagrees with age on purpose.
  await w.addService({ name: 'zz-older', ports: [443] });
  // creationTimestamp has whole seconds on the real server (no sim clock to advance).
  await sleep(1_100);
  await w.addService({ name: 'aa-newer', ports: [443] });
  await w.addService({ name: 'udp-443', ports: [{ port: 443, protocol: 'UDP' }] });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal((await w.ingress('zz-older')).length, 3);
  await assertRefused(w, run, 'aa-newer', 'PortConflict', /port 443\/TCP is already served by default\/zz-older/);
  assert.equal((await w.condition('aa-newer'))?.reason, 'PortConflict');
  assert.equal(allowedOf(await ruleOf(w, 'udp-443')), 'udp:443');
  assert.equal((await w.ingress('udp-443')).length, 3);
  await w.assertInvariants(await w.foreign());

  await w.deleteService('default', 'zz-older');
  await w.converge();
  assert.equal((await w.ingress('aa-newer')).length, 3, 'the remaining Service is served');
  assert.equal((await w.condition('aa-newer'))?.reason, 'Published');
  assert.equal(allowedOf(await ruleOf(w, 'aa-newer')), 'tcp:443');
  await w.assertInvariants(await w.foreign());
});

test('row 7: many ports — 100 contiguous collapse to one range, 100 sparse fit in one rule, 101 and 150 are refused, NODELB_MAX_PORTS lowers the cap', async (t) => {
  tally.scenario('row 7');
  const w = await world(t);
  const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
  await w.addService({ name: 'contiguous', ports: range(9000, 100) });
  await w.addService({ name: 'sparse', ports: range(10000, 100, 2) });
  await w.addService({ name: 'one-too-many', ports: range(12000, 101) });
  await w.addService({ name: 'absurd', ports: range(13000, 150) });
  await w.addService({ name: 'absurd-denied', ports: range(30000, 1000) });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(allowedOf(await ruleOf(w, 'contiguous')), 'tcp:9000-9099');
  assert.equal((await ruleOf(w, 'sparse'))?.allowed?.[0]?.ports?.length, 100);
  await assertRefused(w, run, 'one-too-many', 'TooManyPorts', /101 ports; at most 100/);
  await assertRefused(w, run, 'absurd', 'TooManyPorts', /150 ports; at most 100/);
  // 1000 denied ports: refused, without 1000 Events nor a condition the API server rejects.
  await assertRefused(w, run, 'absurd-denied', 'PortDenied', /port 30000\/TCP is denied/);
  assert.ok((await w.events('absurd-denied')).length <= 5, `${(await w.events('absurd-denied')).length} Warning events for one Service`);
  for (const r of w.ourRules()) {
    const entries = (r.allowed ?? []).reduce((n, a) => n + (a.ports?.length ?? 0), 0);
    assert.ok(entries <= 100, `${r.name}: ${entries} port entries`);
  }
  assert.equal((await w.ingress('contiguous')).length, 3);
  await w.assertInvariants(await w.foreign());

  const capped = await world(t, { env: { NODELB_MAX_PORTS: '5' } });
  await capped.addService({ name: 'six', ports: range(7000, 6) });
  await capped.addService({ name: 'five', ports: range(7100, 5) });
  const c = await capped.sync();
  assertRunNotAborted(c);
  await assertRefused(capped, c, 'six', 'TooManyPorts', /6 ports; at most 5/);
  assert.equal(allowedOf(await ruleOf(capped, 'five')), 'tcp:7100-7104');
  await capped.assertInvariants(await capped.foreign());
});

test('row 8: protocols — UDP, TCP+UDP on one port as separate entries, SCTP refused unless NODELB_ALLOW_SCTP', async (t) => {
  tally.scenario('row 8');
  const w = await world(t);
  await w.addService({ name: 'dns', ports: [{ port: 53, protocol: 'UDP' }] });
  await w.addService({ name: 'both', ports: [{ port: 5353, protocol: 'TCP' }, { port: 5353, protocol: 'UDP' }] });
  await w.addService({ name: 'diameter', ports: [{ port: 3868, protocol: 'SCTP' }] });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(allowedOf(await ruleOf(w, 'dns')), 'udp:53');
  assert.equal(allowedOf(await ruleOf(w, 'both')), 'tcp:5353 udp:5353');
  await assertRefused(w, run, 'diameter', 'UnsupportedProtocol', /3868\/SCTP: SCTP is not enabled/);
  const ds = (await w.gke.admin.list('/apis/apps/v1/namespaces/nodelb-system/daemonsets')).items;
  const both = ds.find((d) => d.metadata.name.startsWith('nodelb-both-'));
  const containers = (both?.spec?.template?.spec?.containers ?? []) as { ports?: { hostPort?: number; protocol?: string }[] }[];
  const hostPorts = containers.flatMap((c) => (c.ports ?? []).map((p) => `${p.hostPort}/${p.protocol}`)).sort();
  assert.deepEqual(hostPorts, ['5353/TCP', '5353/UDP']);
  assert.equal((await w.ingress('both')).length, 3);
  await w.assertInvariants(await w.foreign());

  const sctp = await world(t, { env: { NODELB_ALLOW_SCTP: 'true' } });
  await sctp.addService({ name: 'diameter', ports: [{ port: 3868, protocol: 'SCTP' }] });
  const s = await sctp.sync();
  assertRunNotAborted(s);
  assert.equal(allowedOf(await ruleOf(sctp, 'diameter')), 'sctp:3868');
  assert.equal((await sctp.ingress('diameter')).length, 3);
  await sctp.assertInvariants(await sctp.foreign());
});

test('row 9: dual-stack — only the Service’s families are published, in spec.ipFamilies order; IPv4 and IPv6 ranges go to separate rules', async (t) => {
  tally.scenario('row 9');
  const w = await world(t, { nodes: 0 });
  await w.addNode({ externalIP: '203.0.113.20', externalIPv6: '2001:db8:0:1::20' });
  await w.addNode({ externalIP: '203.0.113.3', externalIPv6: '2001:db8:0:1::3' });
  await w.addNode({ externalIP: '203.0.113.100' }); // no IPv6
  await w.addService({ name: 'v4', ports: [8001], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
  await w.addService({ name: 'v6', ports: [8002], ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });
  await w.addService({ name: 'dual', ports: [8003], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', sourceRanges: ['2001:db8:ffff::/48', '198.51.100.0/24'] });
  await w.addService({ name: 'dual6', ports: [8004], ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack' });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.deepEqual((await w.ingress('v4')), ['203.0.113.3', '203.0.113.20', '203.0.113.100']);
  assert.deepEqual((await w.ingress('v6')), ['2001:db8:0:1::3', '2001:db8:0:1::20']);
  assert.deepEqual((await w.ingress('dual')), ['203.0.113.3', '203.0.113.20', '203.0.113.100', '2001:db8:0:1::3', '2001:db8:0:1::20']);
  assert.deepEqual((await w.ingress('dual6')), ['2001:db8:0:1::3', '2001:db8:0:1::20', '203.0.113.3', '203.0.113.20', '203.0.113.100']);
  assert.equal(await ruleOf(w, 'v4', 'default', 'IPv6'), undefined);
  assert.deepEqual((await ruleOf(w, 'v6', 'default', 'IPv6'))?.sourceRanges, ['::/0']);
  assert.equal(await ruleOf(w, 'v6', 'default', 'IPv4'), undefined);
  assert.deepEqual((await ruleOf(w, 'dual', 'default', 'IPv4'))?.sourceRanges, ['198.51.100.0/24']);
  assert.deepEqual((await ruleOf(w, 'dual', 'default', 'IPv6'))?.sourceRanges, ['2001:db8:ffff::/48']);
  assert.deepEqual((await ruleOf(w, 'dual6', 'default', 'IPv4'))?.sourceRanges, ['0.0.0.0/0']);
  assert.deepEqual((await ruleOf(w, 'dual6', 'default', 'IPv6'))?.sourceRanges, ['::/0']);
  await w.assertInvariants(await w.foreign());
});

test('row 10: loadBalancerIP, externalIPs and malformed annotations — Warning, no retry storm, never published; bad settings refuse the Service', async (t) => {
  tally.scenario('row 10');
  const w = await world(t);
  await w.addService({ name: 'lbip', ports: [8001], loadBalancerIP: '198.51.100.200' });
  await w.addService({ name: 'extip', ports: [8002], externalIPs: ['192.0.2.50'] });
  const bad: [string, Record<string, string>, RegExp][] = [
    ['max-ips', { 'nodelb.dev/max-ips': 'lots' }, /nodelb\.dev\/max-ips: "lots" is not a whole number/],
    ['max-ips-negative', { 'nodelb.dev/max-ips': '-1' }, /nodelb\.dev\/max-ips: "-1"/],
    ['selector', { 'nodelb.dev/node-selector': '===' }, /nodelb\.dev\/node-selector: "===" is not a label selector/],
    ['tolerations', { 'nodelb.dev/tolerations': '{not json' }, /nodelb\.dev\/tolerations: not valid JSON/],
    ['tolerations-shape', { 'nodelb.dev/tolerations': '[{"key":"a","operator":"Sometimes"}]' }, /operator must be Equal or Exists/],
    ['ip-mode', { 'nodelb.dev/ip-mode': 'bogus' }, /nodelb\.dev\/ip-mode: "bogus" is not VIP or Proxy/],
    ['priority', { 'nodelb.dev/priority-class': 'Not_A_Name' }, /nodelb\.dev\/priority-class: "Not_A_Name"/],
    ['pool', { 'nodelb.dev/pool': '' }, /nodelb\.dev\/pool: "" is not a label value/],
    ['huge', { 'nodelb.dev/node-selector': `k=${'v'.repeat(40_000)}` }, /nodelb\.dev\/node-selector: "k=vvvv/],
  ];
  for (const [i, [name, annotations]] of bad.entries()) await w.addService({ name, ports: [8100 + i], annotations });
  await w.addService({ name: 'typo', ports: [8003], annotations: { 'nodelb.dev/max-ip': '2' } });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(run.report.converged, true, problems(run.report));

  await assertWarned(w, run, 'lbip', 'LoadBalancerIPIgnored', 'loadBalancerIP set');
  assert.equal((await w.ingress('lbip')).length, 3);
  assert.ok(!(await w.ingress('lbip')).includes('198.51.100.200'), 'the requested IP is never published');
  await assertWarned(w, run, 'extip', 'ExternalIPsSet', 'externalIPs set');
  assert.ok(!(await w.ingress('extip')).includes('192.0.2.50'));
  for (const [name, , words] of bad) await assertRefused(w, run, name, 'InvalidAnnotation', words);
  await assertWarned(w, run, 'typo', 'UnknownAnnotation', 'unknown nodelb.dev annotation');
  assert.match((await w.events('typo'))[0]?.message ?? '', /nodelb\.dev\/max-ip is not a nodelb setting/);
  assert.equal((await w.ingress('typo')).length, 3, 'an unknown annotation is a warning, not a refusal');
  for (const e of (await w.gke.admin.list('/api/v1/events')).items as { message?: string }[]) assert.ok((e.message ?? '').length <= 1024);

  // No retry storm: the next sync repeats no Event and writes nothing (I1 inside).
  await w.assertInvariants(await w.foreign());
});

test('tally: input rows', () => {
  assert.equal(tally.current.scenarios.length, 7);
  assert.ok(Object.values(tally.current.badInputs).reduce((a, b) => a + b, 0) >= 25);
  writeTally(import.meta.url);
});
