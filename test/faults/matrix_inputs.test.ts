// Fault-injection matrix (reliability.md §6), hostile or broken input: 4 source ranges, 5
// forbidden ports, 6 duplicate host ports, 7 many ports, 8 protocols, 9 dual-stack, 10
// loadBalancerIP/externalIPs and malformed annotations. Every bad input must give a Warning Event
// and a log line, never an exception that aborts the run, and never an open port; the other
// Services carry on. Each row ends with the invariants I1–I5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, problems, allowedOf, type FaultWorld, type ServiceInput, type SyncRun } from './harness.ts';
import { tally, writeTally } from './tally.ts';

async function world(t: { after(fn: () => Promise<void>): void }, opts: Parameters<typeof startFaultWorld>[0] = {}): Promise<FaultWorld> {
  const w = await startFaultWorld(opts);
  t.after(() => w.close());
  return w;
}

const ruleOf = (w: FaultWorld, name: string, namespace = 'default', family: 'IPv4' | 'IPv6' = 'IPv4') => {
  const uid = w.service(name, namespace)?.metadata.uid ?? '?';
  return w.ourRules().find((r) => (r.description ?? '').includes(`"uid":"${uid}"`) && (r.description ?? '').includes(`"family":"${family}"`));
};
const hasDaemonSetFor = (w: FaultWorld, name: string, namespace = 'default') => {
  const uid = (w.service(name, namespace)?.metadata.uid ?? '?').slice(0, 8);
  return w.ourDaemonSets().some((d) => d.endsWith(`-${uid}`));
};

/** A refused Service: a Warning with this reason and words, the condition False, no DaemonSet,
 *  no rule, no IPs, and a log line naming the problem. Counts one bad input. */
function assertRefused(w: FaultWorld, run: SyncRun, name: string, reason: string, words: RegExp, namespace = 'default'): void {
  tally.badInput(reason);
  const warnings = w.events(name, namespace).filter((e) => e.reason === reason);
  assert.equal(warnings.length >= 1, true, `${name}: a Warning ${reason} (got ${JSON.stringify(w.events(name, namespace).map((e) => e.reason))})`);
  assert.ok(warnings.some((e) => words.test(e.message ?? '')), `${name}: an event says ${words} (got ${JSON.stringify(warnings.map((e) => e.message))})`);
  assert.equal(w.condition(name, namespace)?.status, 'False', `${name}: condition False`);
  assert.equal(hasDaemonSetFor(w, name, namespace), false, `${name}: no DaemonSet`);
  assert.equal(ruleOf(w, name, namespace), undefined, `${name}: no firewall rule`);
  assert.deepEqual(w.ingress(name, namespace), [], `${name}: no IPs`);
  assert.ok(run.log.some((e) => words.test(e.message)), `${name}: a log line says ${words}`);
}

/** A Service served despite a bad input: exactly this Warning, and a log line naming it. */
function assertWarned(w: FaultWorld, run: SyncRun, name: string, reason: string, kind: string): void {
  tally.badInput(kind);
  assert.deepEqual(w.events(name).map((e) => e.reason), [reason], `${name}: one Warning ${reason}`);
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
    { name: 'invalid', ports: [8005], annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/8,not-a-cidr' } },
    { name: 'v6-only', ports: [8006], sourceRanges: ['2001:db8::/32'] },
  ];
  for (const s of services) w.addService(s);
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.deepEqual(ruleOf(w, 'split')?.sourceRanges, ['0.0.0.0/1', '128.0.0.0/1']);
  assert.deepEqual(ruleOf(w, 'open')?.sourceRanges, ['0.0.0.0/0']);
  assert.deepEqual(ruleOf(w, 'annotated')?.sourceRanges, ['10.0.0.0/8', '192.168.0.0/16']);
  assert.deepEqual(ruleOf(w, 'spec-wins')?.sourceRanges, ['203.0.113.0/24']);
  assertRefused(w, run, 'invalid', 'InvalidSourceRanges', /"not-a-cidr" is not a CIDR/);
  // An IPv4 Service whose ranges hold only IPv6: no IPv4 client may come in, so no IPv4 rule.
  assert.equal(ruleOf(w, 'v6-only'), undefined);
  assertWarned(w, run, 'v6-only', 'NoSourceRangesForFamily', 'source ranges without the Service family');

  // A served Service whose ranges turn invalid loses its public exposure at the next sync.
  w.sim.kube.updateService('default', 'open', (svc) => {
    svc.metadata.annotations = { 'service.beta.kubernetes.io/load-balancer-source-ranges': '0.0.0.0/0,300.1.1.1/8' };
  });
  const closed = await w.sync();
  assertRunNotAborted(closed);
  assertRefused(w, closed, 'open', 'InvalidSourceRanges', /"300\.1\.1\.1\/8" is not a CIDR/);
  assert.ok(closed.report.results.some((r) => r.kind === 'deleteFirewall' && r.outcome === 'applied'));
  assert.equal(closed.report.retryable, false);
  await w.assertInvariants(w.foreign());
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
  for (const [name, ports] of denied) w.addService({ name, ports });
  w.addService({ name: 'fine', ports: [8443] });
  const run = await w.sync();
  assertRunNotAborted(run);
  for (const [name, , words] of denied) assertRefused(w, run, name, 'PortDenied', words);
  assert.equal(w.ingress('fine').length, 3, 'the others are unaffected');
  assert.equal(allowedOf(ruleOf(w, 'fine')), 'tcp:8443');
  assert.equal(run.report.retryable, false);
  // A served Service that now asks for a denied port loses everything rather than opening it.
  w.sim.kube.updateService('default', 'fine', (svc) => {
    (svc.spec as { ports: unknown[] }).ports.push({ name: 'ssh', port: 22, protocol: 'TCP', targetPort: 22 });
  });
  const now = await w.sync();
  assertRunNotAborted(now);
  assertRefused(w, now, 'fine', 'PortDenied', /port 22\/TCP is denied/);
  await w.assertInvariants(w.foreign());

  // NODELB_DENIED_PORTS replaces the list: 8080 denied, the NodePort range now allowed.
  const custom = await world(t, { env: { NODELB_DENIED_PORTS: '8080,9000-9100' } });
  custom.addService({ name: 'web', ports: [8080] });
  custom.addService({ name: 'range', ports: [9050] });
  custom.addService({ name: 'np', ports: [30080] });
  const c = await custom.sync();
  assertRunNotAborted(c);
  assertRefused(custom, c, 'web', 'PortDenied', /port 8080\/TCP is denied \(deny-list entry 8080\)/);
  assertRefused(custom, c, 'range', 'PortDenied', /deny-list entry 9000-9100/);
  assert.equal(allowedOf(ruleOf(custom, 'np')), 'tcp:30080');
  await custom.assertInvariants(custom.foreign());
});

test('row 6: duplicate host port — the older Service wins, the newer gets PortConflict and nothing opened; TCP and UDP on one port do not conflict; the loser takes over when the winner goes', async (t) => {
  tally.scenario('row 6');
  const w = await world(t);
  // Name order disagrees with age on purpose.
  w.addService({ name: 'zz-older', ports: [443] });
  w.sim.kube.advance(60_000);
  w.addService({ name: 'aa-newer', ports: [443] });
  w.addService({ name: 'udp-443', ports: [{ port: 443, protocol: 'UDP' }] });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(w.ingress('zz-older').length, 3);
  assertRefused(w, run, 'aa-newer', 'PortConflict', /port 443\/TCP is already served by default\/zz-older/);
  assert.equal(w.condition('aa-newer')?.reason, 'PortConflict');
  assert.equal(allowedOf(ruleOf(w, 'udp-443')), 'udp:443');
  assert.equal(w.ingress('udp-443').length, 3);
  await w.assertInvariants(w.foreign());

  w.sim.kube.deleteService('default', 'zz-older');
  await w.converge();
  assert.equal(w.ingress('aa-newer').length, 3, 'the remaining Service is served');
  assert.equal(w.condition('aa-newer')?.reason, 'Published');
  assert.equal(allowedOf(ruleOf(w, 'aa-newer')), 'tcp:443');
  await w.assertInvariants(w.foreign());
});

test('row 7: many ports — 100 contiguous collapse to one range, 100 sparse fit in one rule, 101 and 150 are refused, NODELB_MAX_PORTS lowers the cap', async (t) => {
  tally.scenario('row 7');
  const w = await world(t);
  const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
  w.addService({ name: 'contiguous', ports: range(9000, 100) });
  w.addService({ name: 'sparse', ports: range(10000, 100, 2) });
  w.addService({ name: 'one-too-many', ports: range(12000, 101) });
  w.addService({ name: 'absurd', ports: range(13000, 150) });
  w.addService({ name: 'absurd-denied', ports: range(30000, 1000) });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(allowedOf(ruleOf(w, 'contiguous')), 'tcp:9000-9099');
  assert.equal(ruleOf(w, 'sparse')?.allowed?.[0]?.ports?.length, 100);
  assertRefused(w, run, 'one-too-many', 'TooManyPorts', /101 ports; at most 100/);
  assertRefused(w, run, 'absurd', 'TooManyPorts', /150 ports; at most 100/);
  // 1000 denied ports: refused, without 1000 Events nor a condition the API server rejects.
  assertRefused(w, run, 'absurd-denied', 'PortDenied', /port 30000\/TCP is denied/);
  assert.ok(w.events('absurd-denied').length <= 5, `${w.events('absurd-denied').length} Warning events for one Service`);
  for (const r of w.ourRules()) {
    const entries = (r.allowed ?? []).reduce((n, a) => n + (a.ports?.length ?? 0), 0);
    assert.ok(entries <= 100, `${r.name}: ${entries} port entries`);
  }
  assert.equal(w.ingress('contiguous').length, 3);
  await w.assertInvariants(w.foreign());

  const capped = await world(t, { env: { NODELB_MAX_PORTS: '5' } });
  capped.addService({ name: 'six', ports: range(7000, 6) });
  capped.addService({ name: 'five', ports: range(7100, 5) });
  const c = await capped.sync();
  assertRunNotAborted(c);
  assertRefused(capped, c, 'six', 'TooManyPorts', /6 ports; at most 5/);
  assert.equal(allowedOf(ruleOf(capped, 'five')), 'tcp:7100-7104');
  await capped.assertInvariants(capped.foreign());
});

test('row 8: protocols — UDP, TCP+UDP on one port as separate entries, SCTP refused unless NODELB_ALLOW_SCTP', async (t) => {
  tally.scenario('row 8');
  const w = await world(t);
  w.addService({ name: 'dns', ports: [{ port: 53, protocol: 'UDP' }] });
  w.addService({ name: 'both', ports: [{ port: 5353, protocol: 'TCP' }, { port: 5353, protocol: 'UDP' }] });
  w.addService({ name: 'diameter', ports: [{ port: 3868, protocol: 'SCTP' }] });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(allowedOf(ruleOf(w, 'dns')), 'udp:53');
  assert.equal(allowedOf(ruleOf(w, 'both')), 'tcp:5353 udp:5353');
  assertRefused(w, run, 'diameter', 'UnsupportedProtocol', /3868\/SCTP: SCTP is not enabled/);
  const ds = w.sim.kube.list<{ metadata: { name?: string }; spec?: { template?: { spec?: { containers?: { name?: string; ports?: { hostPort?: number; protocol?: string }[] }[] } } } }>('daemonsets', 'nodelb-system');
  const both = ds.find((d) => (d.metadata.name ?? '').startsWith('nodelb-both-'));
  const hostPorts = (both?.spec?.template?.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => `${p.hostPort}/${p.protocol}`)).sort();
  assert.deepEqual(hostPorts, ['5353/TCP', '5353/UDP']);
  assert.equal(w.ingress('both').length, 3);
  await w.assertInvariants(w.foreign());

  const sctp = await world(t, { env: { NODELB_ALLOW_SCTP: 'true' } });
  sctp.addService({ name: 'diameter', ports: [{ port: 3868, protocol: 'SCTP' }] });
  const s = await sctp.sync();
  assertRunNotAborted(s);
  assert.equal(allowedOf(ruleOf(sctp, 'diameter')), 'sctp:3868');
  assert.equal(sctp.ingress('diameter').length, 3);
  await sctp.assertInvariants(sctp.foreign());
});

test('row 9: dual-stack — only the Service’s families are published, in spec.ipFamilies order; IPv4 and IPv6 ranges go to separate rules', async (t) => {
  tally.scenario('row 9');
  const w = await world(t, { nodes: 0 });
  w.addNode({ externalIP: '203.0.113.20', externalIPv6: '2001:db8:0:1::20' });
  w.addNode({ externalIP: '203.0.113.3', externalIPv6: '2001:db8:0:1::3' });
  w.addNode({ externalIP: '203.0.113.100' }); // no IPv6
  w.addService({ name: 'v4', ports: [8001], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
  w.addService({ name: 'v6', ports: [8002], ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });
  w.addService({ name: 'dual', ports: [8003], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', sourceRanges: ['2001:db8:ffff::/48', '198.51.100.0/24'] });
  w.addService({ name: 'dual6', ports: [8004], ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack' });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.deepEqual(w.ingress('v4'), ['203.0.113.3', '203.0.113.20', '203.0.113.100']);
  assert.deepEqual(w.ingress('v6'), ['2001:db8:0:1::3', '2001:db8:0:1::20']);
  assert.deepEqual(w.ingress('dual'), ['203.0.113.3', '203.0.113.20', '203.0.113.100', '2001:db8:0:1::3', '2001:db8:0:1::20']);
  assert.deepEqual(w.ingress('dual6'), ['2001:db8:0:1::3', '2001:db8:0:1::20', '203.0.113.3', '203.0.113.20', '203.0.113.100']);
  assert.equal(ruleOf(w, 'v4', 'default', 'IPv6'), undefined);
  assert.deepEqual(ruleOf(w, 'v6', 'default', 'IPv6')?.sourceRanges, ['::/0']);
  assert.equal(ruleOf(w, 'v6', 'default', 'IPv4'), undefined);
  assert.deepEqual(ruleOf(w, 'dual', 'default', 'IPv4')?.sourceRanges, ['198.51.100.0/24']);
  assert.deepEqual(ruleOf(w, 'dual', 'default', 'IPv6')?.sourceRanges, ['2001:db8:ffff::/48']);
  assert.deepEqual(ruleOf(w, 'dual6', 'default', 'IPv4')?.sourceRanges, ['0.0.0.0/0']);
  assert.deepEqual(ruleOf(w, 'dual6', 'default', 'IPv6')?.sourceRanges, ['::/0']);
  await w.assertInvariants(w.foreign());
});

test('row 10: loadBalancerIP, externalIPs and malformed annotations — Warning, no retry storm, never published; bad settings refuse the Service', async (t) => {
  tally.scenario('row 10');
  const w = await world(t);
  w.addService({ name: 'lbip', ports: [8001], loadBalancerIP: '198.51.100.200' });
  w.addService({ name: 'extip', ports: [8002], externalIPs: ['192.0.2.50'] });
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
  bad.forEach(([name, annotations], i) => w.addService({ name, ports: [8100 + i], annotations }));
  w.addService({ name: 'typo', ports: [8003], annotations: { 'nodelb.dev/max-ip': '2' } });
  const run = await w.sync();
  assertRunNotAborted(run);
  assert.equal(run.report.converged, true, problems(run.report));

  assertWarned(w, run, 'lbip', 'LoadBalancerIPIgnored', 'loadBalancerIP set');
  assert.equal(w.ingress('lbip').length, 3);
  assert.ok(!w.ingress('lbip').includes('198.51.100.200'), 'the requested IP is never published');
  assertWarned(w, run, 'extip', 'ExternalIPsSet', 'externalIPs set');
  assert.ok(!w.ingress('extip').includes('192.0.2.50'));
  for (const [name, , words] of bad) assertRefused(w, run, name, 'InvalidAnnotation', words);
  assertWarned(w, run, 'typo', 'UnknownAnnotation', 'unknown nodelb.dev annotation');
  assert.match(w.events('typo')[0]?.message ?? '', /nodelb\.dev\/max-ip is not a nodelb setting/);
  assert.equal(w.ingress('typo').length, 3, 'an unknown annotation is a warning, not a refusal');
  for (const e of w.sim.kube.list<{ message?: string }>('events')) assert.ok((e.message ?? '').length <= 1024);

  // No retry storm: the next sync repeats no Event and writes nothing (I1 inside).
  await w.assertInvariants(w.foreign());
});

test('tally: input rows', () => {
  assert.equal(tally.current.scenarios.length, 7);
  assert.ok(Object.values(tally.current.badInputs).reduce((a, b) => a + b, 0) >= 25);
  writeTally(import.meta.url);
});
