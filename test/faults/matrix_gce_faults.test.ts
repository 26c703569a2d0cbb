// Fault-injection matrix, Compute Engine faults and partial failure: 20 rate
// limits, 21 permanent 403, 22 operation failing after acceptance, 23 resourceNotReady and 5xx,
// 24 409 on insert (a concurrent run) and the lost answer, 25 drift, 32 one Service failing for
// good among 20, 37 the firewall quota. Each row ends with the invariants I1–I5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultWorld, problems, allowedOf, type FaultWorld } from './harness.ts';
import { tally, writeTally } from './tally.ts';
import { plan } from '../../functions/core/plan.ts';
import { fakeClock } from '../../functions/platform/clock.ts';
import { actionsOf } from '../../functions/core/stages.ts';

/** A fresh world on this file's control plane (the harness resets it and closes it at the end). */
const world = (_t: unknown, opts: Parameters<typeof startFaultWorld>[0] = {}): Promise<FaultWorld> => startFaultWorld(opts);

const INSERT = { api: 'compute' as const, method: 'POST', path: /\/global\/firewalls$/ };
const PATCH = { api: 'compute' as const, method: 'PATCH', path: /\/global\/firewalls\/[^/]+$/ };
const ruleFor = async (w: FaultWorld, name: string) => {
  const uid = (await w.service(name))?.metadata.uid ?? '?';
  return w.ourRules().find((r) => (r.description ?? '').includes(`"uid":"${uid}"`));
};
const failureEvents = async (w: FaultWorld, name: string) => (await w.events(name)).filter((e) => e.reason === 'SyncLoadBalancerFailed');

test('row 20: GCE rate limits — 403 rateLimitExceeded and CONCURRENT_OPERATIONS_QUOTA_EXCEEDED are retried with jittered backoff within the sync', async (t) => {
  tally.scenario('row 20');
  const w = await world(t);
  const foreign = await w.foreign();
  await w.addService({ name: 'a', ports: [8001] });
  await w.addService({ name: 'b', ports: [8002] });
  w.gke.faults.add({ ...INSERT, status: 403, reason: 'rateLimitExceeded', times: 2 });
  w.gke.faults.add({ ...INSERT, status: 403, reason: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', times: 1 });
  w.gke.faults.add({ ...INSERT, operationError: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', status: 403, times: 1 });
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
  const foreign = await w.foreign();
  await w.addService({ name: 'web', ports: [80] });
  w.gke.faults.add({ ...INSERT, status: 403, reason: 'forbidden', message: "Required 'compute.firewalls.create' permission for 'projects/demo-project/global/firewalls/x'", times: Infinity });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  assert.equal(run.report.retryable, false, 'a retry cannot grant a permission');
  assert.equal(run.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls')).length, 1, 'a 403 is not retried in the run');
  assert.equal((await w.ourDaemonSets()).length, 1, 'the DaemonSet is still made');
  assert.equal((await w.ingress('web')).length, 3);
  const events = (await failureEvents(w, 'web'));
  assert.equal(events.length, 1, JSON.stringify((await w.events('web')).map((e) => e.reason)));
  assert.match(events[0]?.message ?? '', /compute\.firewalls\.create/);
  assert.match(events[0]?.message ?? '', /gcloud compute firewall-rules create/);
  assert.ok(run.log.some((e) => e.event === 'action.failed' && /403/.test(e.message)));
  // The next run tries again (someone may have granted it) without a second identical Event.
  const again = await w.sync();
  assert.equal(again.report.retryable, false);
  assert.equal((await failureEvents(w, 'web')).length, 1);
  w.gke.faults.clear();
  await w.converge();
  assert.equal(w.ourRules().length, 1);

  // 400 invalid: the request itself is wrong, so the same request again cannot succeed.
  await w.addService({ name: 'api', ports: [8443] });
  w.gke.faults.add({ ...INSERT, status: 400, reason: 'invalid', message: "Invalid value for field 'resource.sourceRanges[0]'", times: Infinity });
  const invalid = await w.sync();
  assert.equal(invalid.report.retryable, false);
  assert.equal(invalid.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/global/firewalls')).length, 1, 'a 400 is not retried');
  assert.match((await failureEvents(w, 'api'))[0]?.message ?? '', /400 invalid: Invalid value for field/);
  w.gke.faults.clear();
  await w.converge();
  assert.equal(w.ourRules().length, 2);
  await w.assertInvariants(foreign);
});

test('row 22: GCE operation fails after acceptance (QUOTA_EXCEEDED) — a failure with the fix and an Event, then the next run completes', async (t) => {
  tally.scenario('row 22');
  const w = await world(t);
  const foreign = await w.foreign();
  await w.addService({ name: 'web', ports: [80] });
  w.gke.faults.add({ ...INSERT, operationError: 'QUOTA_EXCEEDED', times: 1 });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  const failed = run.report.results.find((r) => r.kind === 'createFirewall');
  assert.equal(failed?.outcome, 'failed');
  assert.match(failed?.error ?? '', /QUOTA_EXCEEDED/);
  assert.match(failed?.fix ?? '', /quota/);
  assert.equal(w.ourRules().length, 0, 'an operation that failed changed nothing');
  assert.match((await failureEvents(w, 'web'))[0]?.message ?? '', /QUOTA_EXCEEDED/);
  const next = await w.converge(1);
  assert.equal(next.syncs, 1);
  assert.equal(w.ourRules().length, 1);
  await w.assertInvariants(foreign);
});

test('row 23: GCE resourceNotReady and 5xx on a patch right after a change — retried, converges in the same run', async (t) => {
  tally.scenario('row 23');
  const w = await world(t);
  await w.addService({ name: 'web', ports: [80] });
  await w.converge();
  const foreign = await w.foreign();
  const rule = w.ourRules()[0]!;
  w.gke.gce.putFirewall({ ...rule, allowed: [{ IPProtocol: 'tcp', ports: ['80', '8080'] }] });
  w.gke.faults.add({ ...PATCH, status: 400, reason: 'resourceNotReady', times: 1 });
  w.gke.faults.add({ ...PATCH, status: 503, reason: 'backendError', times: 1 });
  w.gke.faults.add({ ...PATCH, operationError: 'RESOURCE_NOT_READY', status: 400, times: 1 });
  w.gke.faults.add({ api: 'compute', method: 'GET', path: /\/global\/firewalls$/, status: 500, reason: 'backendError', times: 1 });
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
  const foreign = await w.foreign();
  await w.addService({ name: 'web', ports: [80] });
  // Between our list and our insert, "another run" inserts the rule — with other ports.
  const planner: typeof plan = (snapshot, config) => {
    const p = plan(snapshot, config);
    for (const a of actionsOf(p)) if (a.kind === 'createFirewall') w.gke.gce.putFirewall({ ...a.rule, allowed: [{ IPProtocol: 'tcp', ports: ['81'] }] });
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
  await w.addService({ name: 'api', ports: [8443] });
  w.gke.faults.add({ ...INSERT, dropAfterApply: true, times: 1 });
  const lost = await w.sync();
  assert.equal(lost.report.ok, true, problems(lost.report));
  assert.equal(w.ourRules().length, 2, 'one rule per Service, no duplicate');
  await w.assertInvariants(foreign);
});

test('row 25: drift — edited ports, sources, tags, priority and a disabled rule are patched back; an edited DaemonSet and a tampered status are restored', async (t) => {
  tally.scenario('row 25');
  const w = await world(t);
  await w.addService({ name: 'web', ports: [80, 443], sourceRanges: ['203.0.113.0/24'] });
  await w.converge();
  const foreign = await w.foreign();
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
    w.gke.gce.putFirewall({ ...good, ...edit });
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
  const dsName = (await w.ourDaemonSets())[0]!;
  await w.editDaemonSet(dsName, (ds) => {
    ds.spec.template.spec.containers[0].ports[0].hostPort = 22;
  });
  await w.writeStatus('web', { loadBalancer: { ingress: [{ ip: '192.0.2.66', ipMode: 'VIP' }] } });
  // The edit rolls the pods; the real controller's status writes during the rollout change the
  // DaemonSet's resourceVersion again and again, so a sync in the middle of it can lose its
  // conditional update to 409s (retryable). The sync here comes once the rollout is over.
  await w.settle();
  tally.badInput('tampered DaemonSet or status', 2);
  const run = await w.sync();
  assert.equal(run.report.ok, true, problems(run.report));
  assert.ok(!(await w.ingress('web')).includes('192.0.2.66'));
  assert.equal((await w.ingress('web')).length, 3);
  await w.assertInvariants(foreign);
});

test('row 32: partial failure — 1 of 20 Services fails for good: 19 converge, the failing one has a Warning, and the run is not retried forever', async (t) => {
  tally.scenario('row 32');
  const w = await world(t);
  const foreign = await w.foreign();
  for (let i = 0; i < 20; i++) await w.addService({ name: `svc-${String(i).padStart(2, '0')}`, ports: [9000 + i] });
  // RBAC forbids writing this one Service's status (a namespace-scoped deny, say).
  w.gke.faults.add({ api: 'kube', method: 'PUT', path: '/api/v1/namespaces/default/services/svc-07/status', status: 403, reason: 'Forbidden', times: Infinity });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  assert.equal(run.report.retryable, false, 'a trigger would not redeliver for this');
  for (let i = 0; i < 20; i++) {
    const name = `svc-${String(i).padStart(2, '0')}`;
    if (i === 7) continue;
    assert.equal((await w.ingress(name)).length, 3, name);
  }
  assert.deepEqual((await w.ingress('svc-07')), []);
  const events = (await failureEvents(w, 'svc-07'));
  assert.equal(events.length, 1);
  assert.match(events[0]?.message ?? '', /services\/status/);
  // The same, with a firewall patch refused for one rule (its name is in the path).
  w.gke.faults.clear();
  await w.converge();
  const victim = (await ruleFor(w, 'svc-03'))!;
  w.gke.gce.putFirewall({ ...victim, sourceRanges: ['10.0.0.0/8'] });
  w.gke.faults.add({ api: 'compute', method: 'PATCH', path: `/global/firewalls/${victim.name}`, status: 403, reason: 'forbidden', times: Infinity });
  await w.setExternalIP('node-0', '198.51.100.44');
  const partial = await w.sync();
  assert.equal(partial.report.ok, false);
  assert.equal(partial.report.retryable, false);
  assert.match((await failureEvents(w, 'svc-03'))[0]?.message ?? '', /gcloud compute firewall-rules update/);
  assert.ok((await w.ingress('svc-03')).includes('198.51.100.44'), 'its status still follows the nodes');
  assert.ok((await w.ingress('svc-12')).includes('198.51.100.44'));
  w.gke.faults.clear();
  await w.converge();
  await w.assertInvariants(foreign);
});

test('row 37: owned-rule quota — past the quota, inserts fail with the fix and an Event; nothing leaks, and all is made once the quota allows', async (t) => {
  tally.scenario('row 37');
  const w = await world(t);
  const foreign = await w.foreign();
  // Each Service costs real proxy pods on the real control plane: 20 stand for the 60 of the
  // simulator days, and 14 for the project's FIREWALLS quota (500 by default).
  const n = 20;
  const quota = 14;
  for (let i = 0; i < n; i++) await w.addService({ name: `s-${String(i).padStart(3, '0')}`, ports: [10000 + i] });
  w.gke.faults.add({ ...INSERT, operationError: 'QUOTA_EXCEEDED', after: quota, times: Infinity });
  const run = await w.sync();
  assert.equal(run.report.ok, false);
  assert.equal(run.report.retryable, false, 'a quota needs a person: no redelivery storm');
  assert.equal(w.ourRules().length, quota);
  const failed = run.report.results.filter((r) => r.kind === 'createFirewall' && r.outcome === 'failed');
  assert.equal(failed.length, n - quota);
  assert.ok(failed.every((r) => /quota/.test(r.fix ?? '')));
  const withEvent: string[] = [];
  for (let i = 0; i < n; i++) if ((await failureEvents(w, `s-${String(i).padStart(3, '0')}`)).length > 0) withEvent.push(`s-${i}`);
  assert.equal(withEvent.length, n - quota);
  // Half the Services go away: their rules go, none leaks, and the freed quota is used.
  w.gke.faults.clear();
  for (let i = 0; i < n; i += 2) await w.deleteService('default', `s-${String(i).padStart(3, '0')}`);
  await w.converge();
  assert.equal(w.ourRules().length, n / 2);
  await w.assertInvariants(foreign);
});

test('tally: GCE fault rows', () => {
  assert.equal(tally.current.scenarios.length, 8);
  assert.ok(tally.current.faults > 0);
  writeTally(import.meta.url);
});
