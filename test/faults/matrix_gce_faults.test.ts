// Fault-injection matrix (reliability.md §6), Compute Engine faults and partial failure: 20 rate
// limits, 21 permanent 403, 22 operation failing after acceptance, 23 resourceNotReady and 5xx,
// 24 409 on insert (a concurrent run) and the lost answer, 25 drift, 32 one Service failing for
// good among 20, 37 the firewall quota. Each row ends with the invariants I1–I5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, problems, allowedOf, type FaultWorld } from './harness.ts';
import { tally, writeTally } from './tally.ts';
import { plan } from '../../functions/core/plan.ts';
import { fakeClock } from '../../functions/runtime/clock.ts';
import { RESOURCES } from '../sim/kube/resources.ts';
import type { WireObject } from '../sim/kube/types.ts';

async function world(t: { after(fn: () => Promise<void>): void }, opts: Parameters<typeof startFaultWorld>[0] = {}): Promise<FaultWorld> {
  const w = await startFaultWorld(opts);
  t.after(() => w.close());
  return w;
}

const INSERT = { api: 'compute' as const, method: 'POST', path: /\/global\/firewalls$/ };
const PATCH = { api: 'compute' as const, method: 'PATCH', path: /\/global\/firewalls\/[^/]+$/ };
const ruleFor = (w: FaultWorld, name: string) => {
  const uid = w.service(name)?.metadata.uid ?? '?';
  return w.ourRules().find((r) => (r.description ?? '').includes(`"uid":"${uid}"`));
};
const failureEvents = (w: FaultWorld, name: string) => w.events(name).filter((e) => e.reason === 'SyncLoadBalancerFailed');

test('row 20: GCE rate limits — 403 rateLimitExceeded and CONCURRENT_OPERATIONS_QUOTA_EXCEEDED are retried with jittered backoff within the sync', async (t) => {
  tally.scenario('row 20');
  const w = await world(t);
  const foreign = w.foreign();
  w.addService({ name: 'a', ports: [8001] });
  w.addService({ name: 'b', ports: [8002] });
  w.sim.faults.add({ ...INSERT, status: 403, reason: 'rateLimitExceeded', times: 2 });
  w.sim.faults.add({ ...INSERT, status: 403, reason: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', times: 1 });
  w.sim.faults.add({ ...INSERT, operationError: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', status: 403, times: 1 });
  const clock = fakeClock(Date.now(), [0.9, 0.2, 0.6, 0.4]);
  const run = await w.sync({ options: { clock, retry: { baseDelayMs: 100, maxDelayMs: 10_000 } } });
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal(run.report.converged, true);
  assert.equal(run.faults, 4);
  const firstRound = run.report.results.filter((r) => r.kind === 'createFirewall' && r.round === 1);
  assert.deepEqual(firstRound.map((r) => r.outcome), ['applied', 'applied'], 'each insert retried to success within its action, even after a failed operation');
  assert.equal(w.ourRules().length, 2);
  const delays = run.log.filter((e) => e.event === 'retry.scheduled').map((e) => e.delayMs as number);
  assert.ok(delays.length >= 4, `retries: ${JSON.stringify(delays)}`);
  assert.ok(new Set(delays).size > 1, `jittered: ${JSON.stringify(delays)}`);
  assert.ok(delays.every((d) => d < 10_000));
  await w.assertInvariants(foreign);
});

test('row 21: GCE permanent 403 (and 400 invalid) — a Warning on the Service with the permission and the gcloud command; other Services proceed; not retried', async (t) => {
  tally.scenario('row 21');
  const w = await world(t);
  const foreign = w.foreign();
  w.addService({ name: 'web', ports: [80] });
  w.sim.faults.add({ ...INSERT, status: 403, reason: 'forbidden', message: "Required 'compute.firewalls.create' permission for 'projects/demo-project/global/firewalls/x'", times: Infinity });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  assert.equal(run.report.retryable, false, 'a retry cannot grant a permission');
  assert.equal(run.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls')).length, 1, 'a 403 is not retried in the run');
  assert.equal(w.ourDaemonSets().length, 1, 'the DaemonSet is still made');
  assert.equal(w.ingress('web').length, 3);
  const events = failureEvents(w, 'web');
  assert.equal(events.length, 1, JSON.stringify(w.events('web').map((e) => e.reason)));
  assert.match(events[0]?.message ?? '', /compute\.firewalls\.create/);
  assert.match(events[0]?.message ?? '', /gcloud compute firewall-rules create/);
  assert.ok(run.log.some((e) => e.event === 'action.failed' && /403/.test(e.message)));
  // The next run tries again (someone may have granted it) without a second identical Event.
  const again = await w.sync();
  assert.equal(again.report.retryable, false);
  assert.equal(failureEvents(w, 'web').length, 1);
  w.sim.faults.clear();
  await w.converge();
  assert.equal(w.ourRules().length, 1);

  // 400 invalid: the request itself is wrong, so the same request again cannot succeed.
  w.addService({ name: 'api', ports: [8443] });
  w.sim.faults.add({ ...INSERT, status: 400, reason: 'invalid', message: "Invalid value for field 'resource.sourceRanges[0]'", times: Infinity });
  const invalid = await w.sync();
  assert.equal(invalid.report.retryable, false);
  assert.equal(invalid.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls')).length, 1, 'a 400 is not retried');
  assert.match(failureEvents(w, 'api')[0]?.message ?? '', /400 invalid: Invalid value for field/);
  w.sim.faults.clear();
  await w.converge();
  assert.equal(w.ourRules().length, 2);
  await w.assertInvariants(foreign);
});

test('row 22: GCE operation fails after acceptance (QUOTA_EXCEEDED) — a failure with the fix and an Event, then the next run completes', async (t) => {
  tally.scenario('row 22');
  const w = await world(t);
  const foreign = w.foreign();
  w.addService({ name: 'web', ports: [80] });
  w.sim.faults.add({ ...INSERT, operationError: 'QUOTA_EXCEEDED', times: 1 });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  const failed = run.report.results.find((r) => r.kind === 'createFirewall');
  assert.equal(failed?.outcome, 'failed');
  assert.match(failed?.error ?? '', /QUOTA_EXCEEDED/);
  assert.match(failed?.fix ?? '', /quota/);
  assert.equal(w.ourRules().length, 0, 'an operation that failed changed nothing');
  assert.match(failureEvents(w, 'web')[0]?.message ?? '', /QUOTA_EXCEEDED/);
  const next = await w.converge(1);
  assert.equal(next.syncs, 1);
  assert.equal(w.ourRules().length, 1);
  await w.assertInvariants(foreign);
});

test('row 23: GCE resourceNotReady and 5xx on a patch right after a change — retried, converges in the same run', async (t) => {
  tally.scenario('row 23');
  const w = await world(t);
  w.addService({ name: 'web', ports: [80] });
  await w.converge();
  const foreign = w.foreign();
  const rule = w.ourRules()[0]!;
  w.sim.gce.putFirewall({ ...rule, allowed: [{ IPProtocol: 'tcp', ports: ['80', '8080'] }] });
  w.sim.faults.add({ ...PATCH, status: 400, reason: 'resourceNotReady', times: 1 });
  w.sim.faults.add({ ...PATCH, status: 503, reason: 'backendError', times: 1 });
  w.sim.faults.add({ ...PATCH, operationError: 'RESOURCE_NOT_READY', status: 400, times: 1 });
  w.sim.faults.add({ api: 'compute', method: 'GET', path: /\/global\/firewalls$/, status: 500, reason: 'backendError', times: 1 });
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal(run.report.converged, true);
  assert.equal(run.faults, 4);
  assert.equal(allowedOf(w.ourRules()[0]), 'tcp:80');
  await w.assertInvariants(foreign);
});

test('row 24: GCE 409 on insert — a concurrent run made the rule: success, then its drift is patched; a lost answer is not a duplicate', async (t) => {
  tally.scenario('row 24');
  const w = await world(t);
  const foreign = w.foreign();
  w.addService({ name: 'web', ports: [80] });
  // Between our list and our insert, "another run" inserts the rule — with other ports.
  const planner: typeof plan = (snapshot, config) => {
    const p = plan(snapshot, config);
    for (const a of p.actions) if (a.kind === 'createFirewall') w.sim.gce.putFirewall({ ...a.rule, allowed: [{ IPProtocol: 'tcp', ports: ['81'] }] });
    return p;
  };
  const run = await w.sync({ options: { planner } });
  assert.equal(run.report.ok, true, problems(run.report));
  assert.equal(run.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls') && c.status === 409).length, 1);
  assert.equal(run.report.results.find((r) => r.kind === 'createFirewall')?.outcome, 'applied');
  // Compared and patched: in this run's second round (after the proxy pods), or the next run.
  const next = await w.converge();
  const patched = [run, ...next.runs].flatMap((r) => r.report.results).filter((r) => r.kind === 'patchFirewall' && r.outcome === 'applied');
  assert.equal(patched.length, 1);
  assert.equal(allowedOf(w.ourRules()[0]), 'tcp:80');

  // The insert is applied but its answer lost: the retry (same requestId) finds it done.
  w.addService({ name: 'api', ports: [8443] });
  w.sim.faults.add({ ...INSERT, dropAfterApply: true, times: 1 });
  const lost = await w.sync();
  assert.equal(lost.report.ok, true, problems(lost.report));
  assert.equal(w.ourRules().length, 2, 'one rule per Service, no duplicate');
  await w.assertInvariants(foreign);
});

test('row 25: drift — edited ports, sources, tags, priority and a disabled rule are patched back; an edited DaemonSet and a tampered status are restored', async (t) => {
  tally.scenario('row 25');
  const w = await world(t);
  w.addService({ name: 'web', ports: [80, 443], sourceRanges: ['203.0.113.0/24'] });
  await w.converge();
  const foreign = w.foreign();
  const good = w.ourRules()[0]!;
  const edits = [
    { allowed: [{ IPProtocol: 'tcp', ports: ['1-65535'] }] },
    { sourceRanges: ['0.0.0.0/0'] },
    { targetTags: ['everything'] },
    { priority: 10 },
    { disabled: true },
  ];
  for (const edit of edits) {
    tally.badInput('drifted firewall rule');
    w.sim.gce.putFirewall({ ...good, ...edit });
    const run = await w.sync();
    assert.equal(run.report.ok, true, problems(run.report));
    const now = w.ourRules()[0]!;
    assert.deepEqual(
      { allowed: now.allowed, sourceRanges: now.sourceRanges, targetTags: now.targetTags, priority: now.priority, disabled: now.disabled },
      { allowed: good.allowed, sourceRanges: good.sourceRanges, targetTags: good.targetTags, priority: good.priority, disabled: good.disabled },
      `patched back after ${JSON.stringify(edit)}`,
    );
  }
  // The DaemonSet's hostPort edited by hand, and a stranger's IP written into the status.
  const dsName = w.ourDaemonSets()[0]!;
  const ds = w.sim.kube.get<WireObject & { spec: { template: { spec: { containers: { ports?: { hostPort?: number }[] }[] } } } }>('daemonsets', 'nodelb-system', dsName)!;
  ds.spec.template.spec.containers[0]!.ports![0]!.hostPort = 22;
  delete ds.metadata.resourceVersion;
  w.sim.kubeSim.api.update(RESOURCES.daemonsets, 'nodelb-system', dsName, ds);
  const svc = w.service('web')!;
  w.sim.kubeSim.api.update(RESOURCES.services, 'default', 'web', { ...svc, metadata: { ...svc.metadata, resourceVersion: undefined }, status: { ...(svc.status as object), loadBalancer: { ingress: [{ ip: '192.0.2.66', ipMode: 'VIP' }] } } } as WireObject, 'status');
  tally.badInput('tampered DaemonSet or status', 2);
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.ok(!w.ingress('web').includes('192.0.2.66'));
  assert.equal(w.ingress('web').length, 3);
  await w.assertInvariants(foreign);
});

test('row 32: partial failure — 1 of 20 Services fails for good: 19 converge, the failing one has a Warning, and the run is not retried forever', async (t) => {
  tally.scenario('row 32');
  const w = await world(t);
  const foreign = w.foreign();
  for (let i = 0; i < 20; i++) w.addService({ name: `svc-${String(i).padStart(2, '0')}`, ports: [9000 + i] });
  // RBAC forbids writing this one Service's status (a namespace-scoped deny, say).
  w.sim.faults.add({ api: 'kube', method: 'PUT', path: '/api/v1/namespaces/default/services/svc-07/status', status: 403, reason: 'Forbidden', times: Infinity });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  assert.equal(run.report.retryable, false, 'a trigger would not redeliver for this');
  for (let i = 0; i < 20; i++) {
    const name = `svc-${String(i).padStart(2, '0')}`;
    if (i === 7) continue;
    assert.equal(w.ingress(name).length, 3, name);
  }
  assert.deepEqual(w.ingress('svc-07'), []);
  const events = failureEvents(w, 'svc-07');
  assert.equal(events.length, 1);
  assert.match(events[0]?.message ?? '', /services\/status/);
  // The same, with a firewall patch refused for one rule (its name is in the path).
  w.sim.faults.clear();
  await w.converge();
  const victim = ruleFor(w, 'svc-03')!;
  w.sim.gce.putFirewall({ ...victim, sourceRanges: ['10.0.0.0/8'] });
  w.sim.faults.add({ api: 'compute', method: 'PATCH', path: `/global/firewalls/${victim.name}`, status: 403, reason: 'forbidden', times: Infinity });
  w.sim.setExternalIP('node-0', '198.51.100.44');
  const partial = await w.sync();
  assert.equal(partial.report.ok, false);
  assert.equal(partial.report.retryable, false);
  assert.match(failureEvents(w, 'svc-03')[0]?.message ?? '', /gcloud compute firewall-rules update/);
  assert.ok(w.ingress('svc-03').includes('198.51.100.44'), 'its status still follows the nodes');
  assert.ok(w.ingress('svc-12').includes('198.51.100.44'));
  w.sim.faults.clear();
  await w.converge();
  await w.assertInvariants(foreign);
});

test('row 37: owned-rule quota — past the quota, inserts fail with the fix and an Event; nothing leaks, and all is made once the quota allows', async (t) => {
  tally.scenario('row 37');
  const w = await world(t);
  const foreign = w.foreign();
  const n = 60;
  const quota = 50; // stands for the project's FIREWALLS quota (500 by default)
  for (let i = 0; i < n; i++) w.addService({ name: `s-${String(i).padStart(3, '0')}`, ports: [10000 + i] });
  w.sim.faults.add({ ...INSERT, operationError: 'QUOTA_EXCEEDED', after: quota, times: Infinity });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  assert.equal(run.report.retryable, false, 'a quota needs a person: no redelivery storm');
  assert.equal(w.ourRules().length, quota);
  const failed = run.report.results.filter((r) => r.kind === 'createFirewall' && r.outcome === 'failed');
  assert.equal(failed.length, n - quota);
  assert.ok(failed.every((r) => /quota/.test(r.fix ?? '')));
  const withEvent = Array.from({ length: n }, (_, i) => `s-${String(i).padStart(3, '0')}`).filter((s) => failureEvents(w, s).length > 0);
  assert.equal(withEvent.length, n - quota);
  // Half the Services go away: their rules go, none leaks, and the freed quota is used.
  w.sim.faults.clear();
  for (let i = 0; i < n; i += 2) w.sim.kube.deleteService('default', `s-${String(i).padStart(3, '0')}`);
  await w.converge();
  assert.equal(w.ourRules().length, n / 2);
  await w.assertInvariants(foreign);
});

test('tally: GCE fault rows', () => {
  assert.equal(tally.current.scenarios.length, 8);
  assert.ok(tally.current.faults > 0);
  writeTally(import.meta.url);
});
