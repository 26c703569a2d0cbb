// infra/gcloud/deploy.sh and teardown.sh run by the real gcloud CLI against a local recorder of
// the Google APIs (test/e2e/gcloud/recorder.ts): every command must get past gcloud's own argument
// parsing, and the requests it sends must carry what the script means — runtime, entry point,
// memory, environment, service account, trigger and retry, schedule and body, sink filters (run
// over the event fixtures), IAM bindings, metrics and alert policy as Terraform defines them.
// A first deployment creates, a second updates, the teardown removes what both made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLogEntry, retargetGce, retargetGke, type Json } from '../fixtures/events.ts';
import { matches, type CloudLogEntry } from '../integration/log_query.ts';
import { loadMonitoringTf } from '../unit/monitoring_tf.ts';
import { gcloudEnv, startRecorder, type RecordedCall, type Recorder } from './gcloud/recorder.ts';
import { zipNames } from './gcloud/zip_names.ts';

const INFRA = fileURLToPath(new URL('../../infra/gcloud/', import.meta.url));
const PROJECT = 'nodelb-demo';
const SA = `nodelb@${PROJECT}.iam.gserviceaccount.com`;
const CLUSTERS = `projects/${PROJECT}/locations/us-central1/clusters/prod-cluster,projects/other-proj/locations/europe-west1-b/clusters/edge`;
const SYNC_PERMISSIONS = [
  'compute.firewalls.create',
  'compute.firewalls.delete',
  'compute.firewalls.list',
  'compute.firewalls.update',
  'compute.globalOperations.get',
  'compute.instances.list',
  'compute.networks.updatePolicy',
  'container.clusters.connect',
  'container.clusters.get',
];

interface ScriptRun {
  status: number | null;
  stderr: string;
  ms: number;
  calls: RecordedCall[];
}

type Body = Record<string, unknown> & { policy?: { bindings?: { role: string; members: string[] }[] } };
const body = (c: RecordedCall) => c.body as Body;

/** Runs a script with gcloud pointed at the recorder; the calls are the ones it made. Async:
 *  the recorder answers in this process. */
async function runScript(rec: Recorder, dir: string, script: string, env: Record<string, string>): Promise<ScriptRun> {
  const first = rec.calls.length;
  const started = performance.now();
  const child = spawn('bash', [join(INFRA, script)], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...gcloudEnv(rec, join(dir, 'gcloud'), join(dir, 'token'), PROJECT), PROJECT_ID: PROJECT, METRIC_WAIT_SECONDS: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { status, stderr, ms: Math.round(performance.now() - started), calls: rec.calls.slice(first) };
}

const where = (run: ScriptRun, api: string, method: string, path: RegExp) => run.calls.filter((c) => c.api === api && c.method === method && path.test(c.path));
const one = (run: ScriptRun, api: string, method: string, path: RegExp) => {
  const hits = where(run, api, method, path);
  assert.equal(hits.length, 1, `one ${method} ${api} ${path}: ${hits.length}`);
  return hits[0]!;
};

/** The bindings of the last setIamPolicy on a resource. */
function bindings(run: ScriptRun, api: string, resource: RegExp): Record<string, string[]> {
  const sets = where(run, api, 'POST', resource).filter((c) => c.path.endsWith(':setIamPolicy'));
  assert.ok(sets.length > 0, `a setIamPolicy on ${resource}`);
  return Object.fromEntries((body(sets.at(-1)!).policy?.bindings ?? []).map((b) => [b.role, [...b.members].sort()]));
}

/** A LogEntry as the sink filter sees it (the evaluator's entry type is the Cloud Run one). */
const asEntry = (e: Json) => e as unknown as CloudLogEntry;

test('deploy.sh and teardown.sh through the real gcloud CLI', async (t) => {
  const rec = await startRecorder();
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-gcloud-'));
  writeFileSync(join(dir, 'token'), 'recorder-token\n');
  t.after(async () => {
    await rec.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const channels = 'projects/nodelb-demo/notificationChannels/11';
  let first: ScriptRun | undefined;

  await t.test('first deployment, every option on: gcloud accepts every command and sends what the script means', async () => {
    first = await runScript(rec, dir, 'deploy.sh', {
      CLUSTERS,
      NETWORK_PROJECT_ID: 'net-host-proj',
      ENABLE_HTTP_FUNCTION: 'true',
      HTTP_INVOKERS: 'user:alice@example.com',
      ALERT_NOTIFICATION_CHANNELS: channels,
      EXTRA_ENV: 'NODELB_MAX_IPS=3',
      MAX_INSTANCES: '12',
    });
    const run = first;
    t.diagnostic(`deploy.sh (first run): ${run.ms} ms, ${run.calls.length} API calls`);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /ERROR|crashed|Invalid choice|unrecognized arguments/);

    const enable = body(one(run, 'serviceusage', 'POST', /services:batchEnable$/)).serviceIds as string[];
    for (const api of ['cloudfunctions.googleapis.com', 'cloudscheduler.googleapis.com', 'pubsub.googleapis.com', 'run.googleapis.com', 'eventarc.googleapis.com', 'monitoring.googleapis.com']) assert.ok(enable.includes(api), api);

    assert.equal(body(one(run, 'iam', 'POST', /^v1\/projects\/nodelb-demo\/serviceAccounts$/)).accountId, 'nodelb');
    const role = body(one(run, 'iam', 'POST', /^v1\/projects\/nodelb-demo\/roles$/));
    assert.equal(role.roleId, 'nodelbSync');
    assert.deepEqual([...((role.role as Json).includedPermissions as string[])].sort(), SYNC_PERMISSIONS);
    const netRole = body(one(run, 'iam', 'POST', /^v1\/projects\/net-host-proj\/roles$/));
    assert.ok(((netRole.role as Json).includedPermissions as string[]).every((p) => p.startsWith('compute.')));
    assert.deepEqual(bindings(run, 'cloudresourcemanager', /^v1\/projects\/nodelb-demo:/)['projects/nodelb-demo/roles/nodelbSync'], [`serviceAccount:${SA}`]);
    assert.deepEqual(bindings(run, 'cloudresourcemanager', /^v1\/projects\/net-host-proj:/)['projects/net-host-proj/roles/nodelbSync'], [`serviceAccount:${SA}`]);

    assert.equal(body(one(run, 'pubsub', 'PUT', /^v1\/projects\/nodelb-demo\/topics\/nodelb$/)).messageRetentionDuration, '600s');
    const job = body(one(run, 'cloudscheduler', 'POST', /^v1\/projects\/nodelb-demo\/locations\/us-central1\/jobs$/));
    assert.equal(job.schedule, '* * * * *');
    assert.equal(job.timeZone, 'Etc/UTC');
    const target = job.pubsubTarget as { topicName: string; data: string };
    assert.equal(target.topicName, 'projects/nodelb-demo/topics/nodelb');
    assert.equal(Buffer.from(target.data, 'base64').toString('utf8'), '{"reason":"schedule"}');
    assert.equal((job.retryConfig as Json).retryCount, 0);

    // Sinks: each its own writer identity, each allowed to publish; the function may publish too (fan-out).
    const sinks = where(run, 'logging', 'POST', /^v2\/projects\/nodelb-demo\/sinks$/);
    assert.deepEqual(sinks.map((s) => body(s).name), ['nodelb-gce-instances', 'nodelb-gke-objects']);
    assert.ok(sinks.every((s) => s.query.get('uniqueWriterIdentity') === 'True' && body(s).destination === 'pubsub.googleapis.com/projects/nodelb-demo/topics/nodelb'));
    const writers = sinks.map((s) => String((rec.resources.get(`logging/${s.path}/${String(body(s).name)}`) ?? {}).writerIdentity));
    assert.deepEqual(bindings(run, 'pubsub', /^v1\/projects\/nodelb-demo\/topics\/nodelb:/)['roles/pubsub.publisher'], [...writers, `serviceAccount:${SA}`].sort());

    // What each sink filter selects, evaluated over the audit-log fixtures the function handles.
    const [gceFilter, gkeFilter] = sinks.map((s) => String(body(s).filter));
    const node = { project: PROJECT, zone: 'us-central1-a', instance: 'gke-prod-cluster-default-pool-1a2b3c4d-x7k2' };
    for (const f of ['gce-preempted', 'gce-add-access-config', 'gce-delete-access-config', 'gce-stop-beta', 'gce-repair-recreate'] as const) {
      assert.ok(matches(gceFilter!, asEntry(retargetGce(loadLogEntry(f), node))), `the GCE sink selects ${f}`);
    }
    assert.ok(!matches(gceFilter!, asEntry(loadLogEntry('gce-unrelated-project'))), 'another project’s entry is not routed');
    const gke = (f: 'gke-service-create' | 'gke-node-delete' | 'gke-service-status-update', cluster = 'prod-cluster') =>
      asEntry(retargetGke(loadLogEntry(f), { project: PROJECT, location: 'us-central1', cluster }));
    assert.ok(matches(gkeFilter!, gke('gke-service-create')));
    assert.ok(matches(gkeFilter!, gke('gke-node-delete')));
    assert.ok(!matches(gkeFilter!, gke('gke-service-status-update')), 'nodelb’s own status writes are not routed');
    assert.ok(!matches(gkeFilter!, gke('gke-service-create', 'other-cluster')), 'an unconfigured cluster is not routed');

    const creates = where(run, 'cloudfunctions', 'POST', /^v2\/projects\/nodelb-demo\/locations\/us-central1\/functions$/);
    assert.deepEqual(creates.map((c) => c.query.get('functionId')), ['nodelb', 'nodelb-http']);
    const [event, http] = creates.map(body) as [Json, Json];
    const build = event.buildConfig as Json;
    assert.equal(build.runtime, 'nodejs24');
    assert.equal(build.entryPoint, 'nodelbEvent');
    const svc = event.serviceConfig as Json;
    assert.equal(svc.availableMemory, '256Mi');
    assert.equal(svc.timeoutSeconds, 300);
    assert.equal(svc.maxInstanceCount, 12);
    assert.equal(svc.maxInstanceRequestConcurrency, 1);
    assert.equal(svc.serviceAccountEmail, SA);
    assert.equal(svc.ingressSettings, 'ALLOW_INTERNAL_ONLY');
    assert.deepEqual(svc.environmentVariables, {
      NODELB_CLUSTERS: CLUSTERS,
      NODELB_TIME_BUDGET_SECONDS: '240',
      NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=1',
      NODELB_FANOUT_TOPIC: 'projects/nodelb-demo/topics/nodelb',
      NODELB_FANOUT_THRESHOLD: '8',
      NODELB_MAX_IPS: '3',
    });
    const trigger = event.eventTrigger as Json;
    assert.equal(trigger.pubsubTopic, 'projects/nodelb-demo/topics/nodelb');
    assert.equal(trigger.eventType, 'google.cloud.pubsub.topic.v1.messagePublished');
    assert.equal(trigger.retryPolicy, 'RETRY_POLICY_RETRY');
    assert.equal(trigger.serviceAccountEmail, SA);
    assert.equal((http.buildConfig as Json).entryPoint, 'nodelbHttp');
    assert.equal(http.eventTrigger, undefined);
    assert.deepEqual(bindings(run, 'run', /\/services\/nodelb:/)['roles/run.invoker'], [`serviceAccount:${SA}`]);
    assert.deepEqual(bindings(run, 'run', /\/services\/nodelb-http:/)['roles/run.invoker'], ['user:alice@example.com']);

    // The source gcloud zipped and uploaded: .gcloudignore keeps tests, modules and infra out.
    assert.equal(rec.uploads.length, 2);
    const files = zipNames(rec.uploads[0]!);
    for (const needed of ['package.json', 'package-lock.json', 'functions/index.ts', 'tsconfig.build.json']) assert.ok(files.includes(needed), needed);
    // (gcloud keeps an empty entry for an ignored directory, e.g. "test/": no file of it.)
    assert.deepEqual(files.filter((f) => /^(test|node_modules|bench|infra|build|\.git)\/./.test(f)), []);

    const tf = await loadMonitoringTf({ project_id: PROJECT }, [channels]);
    const metrics = where(run, 'logging', 'POST', /^v2\/projects\/nodelb-demo\/metrics$/);
    assert.deepEqual(metrics.map((m) => body(m).name), ['nodelb/syncs', 'nodelb/actions', 'nodelb/action_failures', 'nodelb/sync_duration']);
    for (const m of metrics) assert.deepEqual(body(m), tf.metrics[String(body(m).name).slice('nodelb/'.length)], String(body(m).name));
    assert.deepEqual(body(one(run, 'monitoring', 'POST', /^v3\/projects\/nodelb-demo\/alertPolicies$/)), tf.policy);
  });

  await t.test('a second deployment updates what exists and creates nothing', async () => {
    assert.ok(first?.status === 0, 'needs the first deployment');
    const run = await runScript(rec, dir, 'deploy.sh', { CLUSTERS, ALERT_NOTIFICATION_CHANNELS: channels });
    t.diagnostic(`deploy.sh (second run): ${run.ms} ms, ${run.calls.length} API calls`);
    assert.equal(run.status, 0, run.stderr);
    const posts = run.calls.filter((c) => c.method === 'POST' && /\/(serviceAccounts|roles|jobs|sinks|metrics|alertPolicies|functions)$/.test(c.path));
    assert.deepEqual(posts.map((c) => c.path), []);
    assert.equal(where(run, 'pubsub', 'PUT', /topics\/nodelb$/).length, 0);
    for (const [api, path] of [
      ['iam', /^v1\/projects\/nodelb-demo\/roles\/nodelbSync$/],
      ['cloudscheduler', /jobs\/nodelb-sync$/],
      ['logging', /sinks\/nodelb-gce-instances$/],
      ['logging', /sinks\/nodelb-gke-objects$/],
      ['logging', /metrics\/nodelb\/syncs$/],
      ['monitoring', /alertPolicies\/[^/]+$/],
      ['cloudfunctions', /functions\/nodelb$/],
    ] as const) {
      const updates = run.calls.filter((c) => c.api === api && (c.method === 'PATCH' || c.method === 'PUT') && path.test(c.path));
      assert.equal(updates.length, 1, `one update of ${api} ${path}`);
    }
    const fn = body(run.calls.find((c) => c.api === 'cloudfunctions' && c.method === 'PATCH')!);
    assert.equal((fn.buildConfig as Json).runtime, 'nodejs24');
    assert.equal((fn.serviceConfig as Json).maxInstanceCount, 10);
  });

  await t.test('teardown.sh removes everything the deployments made', async () => {
    const run = await runScript(rec, dir, 'teardown.sh', { NETWORK_PROJECT_ID: 'net-host-proj' });
    t.diagnostic(`teardown.sh: ${run.ms} ms, ${run.calls.length} API calls`);
    assert.equal(run.status, 0, run.stderr);
    const left = [...rec.resources.keys()].filter((k) => !k.includes('/operations/') && !k.endsWith(':policy'));
    assert.deepEqual(left, []);
    for (const p of ['nodelb-demo', 'net-host-proj']) {
      assert.equal(bindings(run, 'cloudresourcemanager', new RegExp(`^v1/projects/${p}:`))[`projects/${p}/roles/nodelbSync`], undefined, p);
    }
  });
});
