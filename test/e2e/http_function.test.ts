// nodelbHttp through the real Functions Framework against a local GKE on the real control plane: a sync answers the
// JSON report with the right status, a repeat writes nothing, dry run and ?cluster= work, bad
// requests and a bad configuration are refused, and failures map to 500 (retry helps) or 200
// with ok:false (a person must act).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../functions/index.ts';
import type { RunReport } from '../../functions/runtime/report.ts';
import { captureOutput, functionEnv, serve, setFunctionEnv, startFunctionWorld } from './function_world.ts';

test('nodelbHttp', async (t) => {
  const w = await startFunctionWorld(['203.0.113.10', '203.0.113.11', '203.0.113.12']);
  const server = await serve('nodelbHttp');
  t.after(async () => {
    await server.close();
    await w.close();
  });
  const { gke } = w;
  await w.addService('web', [80, 443]);

  await t.test('GET runs a sync: 200, converged report, the Service gets the node IPs', async () => {
    const res = await server.agent.get('/').expect('Content-Type', /json/);
    const report = res.body as RunReport;
    assert.equal(res.status, 200, JSON.stringify(report.clusters[0]?.errors));
    assert.equal(report.converged, true);
    assert.equal(report.trigger, 'http');
    assert.equal(report.clusters.length, 1);
    assert.equal(report.clusters[0]?.cluster, gke.clusterName);
    assert.deepEqual(await w.ingress('web'), ['203.0.113.10', '203.0.113.11', '203.0.113.12']);
    // The operator's view rides along: per Service the nodes and why, proxies, firewall, warnings.
    const web = report.clusters[0]?.plan.services.find((s) => s.service.name === 'web');
    assert.deepEqual(web?.ingress, ['203.0.113.10', '203.0.113.11', '203.0.113.12']);
    assert.deepEqual(web?.nodes?.map((n) => [n.published, n.why]), [[true, 'published'], [true, 'published'], [true, 'published']]);
    assert.deepEqual(web?.proxyPods, { ready: 3, total: 3 });
    assert.deepEqual(web?.firewallStates?.map((f) => f.state), ['in sync']);
    assert.deepEqual(web?.warnings, []);
    const status = report.clusters[0]?.results.find((r) => r.kind === 'writeStatus' && r.service === 'default/web' && r.change?.endsWith('203.0.113.12]'));
    assert.equal(status?.change, '[] → [203.0.113.10, 203.0.113.11, 203.0.113.12]', 'each result says what it changed');
  });

  await t.test('the same request again changes nothing (zero writes in the call log)', async () => {
    gke.faults.resetCalls();
    const res = await server.agent.post('/');
    assert.equal(res.status, 200);
    assert.equal((res.body as RunReport).converged, true);
    assert.ok(w.calls() > 0, 'it did read');
    assert.equal(w.writes(), 0);
  });

  await t.test('?dryRun=true plans without writing; ?dry_run too', async () => {
    await w.addService('api', [8080]);
    gke.faults.resetCalls();
    const res = await server.agent.get('/?dryRun=true');
    const report = res.body as RunReport;
    assert.equal(res.status, 200);
    assert.equal(report.clusters[0]?.dryRun, true);
    assert.ok(report.clusters[0]?.plan.actions.some((a) => a.kind === 'createDaemonSet' && a.service === 'default/api'));
    assert.equal(w.writes(), 0);
    const snake = await server.agent.get('/?dry_run=1');
    assert.equal((snake.body as RunReport).clusters[0]?.dryRun, true);
    assert.equal(w.writes(), 0);
    assert.deepEqual(await w.ingress('api'), []);
  });

  await t.test('?cluster= picks a configured cluster; another is refused with 400', async () => {
    const res = await server.agent.get(`/?cluster=${encodeURIComponent(gke.clusterName)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await w.ingress('api'), ['203.0.113.10', '203.0.113.11', '203.0.113.12']);
    gke.faults.resetCalls();
    const bad = await server.agent.get('/?cluster=projects/other-proj/locations/us-east1/clusters/x');
    assert.equal(bad.status, 400);
    assert.match((bad.body as { problems: string[] }).problems[0] ?? '', /not one of the configured clusters/);
    assert.equal(w.calls(), 0, 'a refused request syncs nothing');
    assert.equal((await server.agent.get('/?dryRun=perhaps')).status, 400);
  });

  await t.test('only GET and POST', async () => {
    const res = await server.agent.put('/');
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, POST');
    assert.equal((await server.agent.delete('/')).status, 405);
  });

  await t.test('a failure a retry can fix answers 500, with the report', async (st) => {
    gke.faults.add({ api: 'container', status: 503, times: Infinity });
    st.after(() => gke.faults.clear());
    const output = captureOutput(st);
    const res = await server.agent.get('/');
    assert.equal(res.status, 500);
    assert.ok(output.logs().some((l) => l.severity === 'ERROR' && l.event === 'sync.connect_failed'), 'the failure is logged at ERROR');
    const report = res.body as RunReport;
    assert.equal(report.ok, false);
    assert.equal(report.retryable, true);
    assert.equal(report.clusters[0]?.errors[0]?.stage, 'connect');
  });

  await t.test('a permanent failure answers 200 with ok:false and the fix (callers must not retry)', async (st) => {
    gke.faults.add({ api: 'container', status: 403, reason: 'forbidden', message: 'Permission denied on cluster', times: Infinity });
    st.after(() => gke.faults.clear());
    const output = captureOutput(st);
    const res = await server.agent.get('/');
    assert.equal(res.status, 200);
    assert.ok(output.logs().some((l) => l.event === 'sync.connect_failed' && /Permission denied/.test(l.message ?? '')));
    const report = res.body as RunReport;
    assert.equal(report.ok, false);
    assert.equal(report.retryable, false);
    assert.match(report.clusters[0]?.errors[0]?.fix ?? '', /container\.clusters\.get/);
  });

  await t.test('a configuration error is refused: 200 (a retry cannot fix it) with ok:false listing every problem, and recovers when fixed', async (st) => {
    const good = functionEnv(gke);
    setFunctionEnv({ ...good, NODELB_CLUSTERS: 'demo', NODELB_MAX_IPS: 'lots' });
    st.after(() => setFunctionEnv(good));
    gke.faults.resetCalls();
    const output = captureOutput(st);
    const res = await server.agent.get('/');
    assert.equal(res.status, 200);
    assert.ok(output.logs().some((l) => l.severity === 'CRITICAL'), 'one CRITICAL line says the function cannot run');
    const body = res.body as { error: string; problems: string[]; outcome: string; ok: boolean };
    assert.equal(body.outcome, 'refused');
    assert.equal(body.ok, false);
    assert.equal(body.error, 'invalid configuration');
    assert.equal(body.problems.length, 2);
    assert.ok(body.problems.some((p) => p.startsWith('NODELB_CLUSTERS')));
    assert.ok(body.problems.some((p) => p.startsWith('NODELB_MAX_IPS')));
    assert.equal(w.calls(), 0);
    setFunctionEnv(good);
    assert.equal((await server.agent.get('/')).status, 200);
  });
});
