// infra/gcloud/deploy.sh run against a stand-in `gcloud` that records its arguments: what a first
// deployment creates, that a second one updates instead of creating, and that the sink filters,
// role permissions and function flags match what the code handles. Runs bash; no network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GCE_METHOD_PREFIXES, GCE_METHODS, GKE_METHODS, GKE_NODE_STATUS_METHODS } from '../../functions/handlers/events.ts';
import { loadMonitoringTf } from './monitoring_tf.ts';

const SCRIPT = fileURLToPath(new URL('../../infra/gcloud/deploy.sh', import.meta.url));

// Records each call as NUL-separated arguments in its own file, and a copy of the file it passes
// with --config-from-file/--policy-from-file (the script deletes its own on exit). `describe`
// succeeds only when GCLOUD_EXISTS=1, except the writer-identity read that follows a sink's
// creation; so does finding the alert policy by name. GCLOUD_POLICY_ERRORS: one error line per
// `monitoring policies create` call, in order, before they succeed.
const STUB = `#!/usr/bin/env bash
n=$(ls "$GCLOUD_LOG" | wc -l)
printf '%s\\0' "$@" > "$GCLOUD_LOG/$(printf '%05d' "$n")"
for a in "$@"; do
  case "$a" in --config-from-file=*|--policy-from-file=*) cp "\${a#*=}" "$GCLOUD_FILES/$(printf '%05d' "$n")" ;; esac
done
if [[ " $* " == *" --format=value(writerIdentity) "* ]]; then
  echo "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com"
  exit 0
fi
if [[ "$1 $2 $3" == "monitoring policies list" ]]; then
  [[ "$GCLOUD_EXISTS" == 1 ]] && echo "projects/nodelb-demo/alertPolicies/4242"
  exit 0
fi
if [[ "$1 $2 $3" == "monitoring policies create" && -n "$GCLOUD_POLICY_ERRORS" ]]; then
  k=$(cat "$GCLOUD_FILES/.policy-creates" 2>/dev/null || echo 0)
  echo $((k + 1)) > "$GCLOUD_FILES/.policy-creates"
  msg=$(sed -n "$((k + 1))p" <<<"$GCLOUD_POLICY_ERRORS")
  if [[ -n "$msg" ]]; then echo "$msg" >&2; exit 1; fi
fi
for a in "$@"; do
  if [[ "$a" == describe ]]; then
    [[ "$GCLOUD_EXISTS" == 1 ]] || exit 1
    [[ " $* " == *" roles "* ]] && echo ""
    exit 0
  fi
done
exit 0
`;

interface Run {
  calls: string[][];
  /** The file each call passed by --config-from-file/--policy-from-file, by call. */
  files: Map<string[], string>;
  status: number | null;
  stderr: string;
}

function runDeploy(env: Record<string, string>, exists: boolean): Run {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-deploy-'));
  try {
    const bin = join(dir, 'bin');
    const log = join(dir, 'log');
    const files = join(dir, 'files');
    execFileSync('mkdir', ['-p', bin, log, files]);
    writeFileSync(join(bin, 'gcloud'), STUB);
    chmodSync(join(bin, 'gcloud'), 0o755);
    const r = spawnSync('bash', [SCRIPT], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, GCLOUD_LOG: log, GCLOUD_FILES: files, GCLOUD_EXISTS: exists ? '1' : '0', GCLOUD_POLICY_ERRORS: '', ...env },
      encoding: 'utf8',
    });
    const names = readdirSync(log).sort();
    const calls = names.map((f) => readFileSync(join(log, f), 'utf8').split('\0').slice(0, -1));
    const passed = new Map<string[], string>();
    names.forEach((f, i) => {
      if (existsSync(join(files, f))) passed.set(calls[i]!, readFileSync(join(files, f), 'utf8'));
    });
    return { calls, files: passed, status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = {
  PROJECT_ID: 'nodelb-demo',
  CLUSTERS: 'projects/nodelb-demo/locations/us-central1/clusters/prod-cluster,projects/other-proj/locations/europe-west1-b/clusters/edge',
};

const find = (run: Run, ...words: string[]) => run.calls.filter((c) => words.every((w, i) => c[i] === w));
const flag = (call: string[], name: string) => call.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

test('first deployment creates everything, with the documented settings', () => {
  const run = runDeploy(BASE, false);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(find(run, 'iam', 'service-accounts', 'create').length, 1);
  const role = find(run, 'iam', 'roles', 'create');
  assert.equal(role.length, 1); // no NETWORK_PROJECT_ID: one role
  assert.deepEqual(flag(role[0]!, 'permissions')!.split(',').sort(), [
    'compute.firewalls.create',
    'compute.firewalls.delete',
    'compute.firewalls.list',
    'compute.firewalls.update',
    'compute.globalOperations.get',
    'compute.instances.list',
    'compute.networks.updatePolicy',
    'container.clusters.connect',
    'container.clusters.get',
  ]);
  assert.equal(find(run, 'pubsub', 'topics', 'create').length, 1);
  const job = find(run, 'scheduler', 'jobs', 'create', 'pubsub');
  assert.equal(job.length, 1);
  assert.equal(flag(job[0]!, 'schedule'), '* * * * *');
  assert.equal(flag(job[0]!, 'message-body'), '{"reason":"schedule"}');
  assert.equal(flag(job[0]!, 'topic'), 'projects/nodelb-demo/topics/nodelb');

  const sinks = find(run, 'logging', 'sinks', 'create');
  assert.deepEqual(sinks.map((s) => s[3]), ['nodelb-gce-instances', 'nodelb-gke-objects']);
  const publisherGrants = find(run, 'pubsub', 'topics', 'add-iam-policy-binding');
  assert.equal(publisherGrants.length, 2);
  for (const g of publisherGrants) assert.equal(flag(g, 'role'), 'roles/pubsub.publisher');

  const deploy = find(run, 'functions', 'deploy');
  assert.equal(deploy.length, 1); // HTTP function off by default
  const d = deploy[0]!;
  assert.ok(d.includes('--gen2') && d.includes('--retry'));
  assert.equal(flag(d, 'runtime'), 'nodejs24');
  assert.equal(flag(d, 'entry-point'), 'nodelbEvent');
  assert.equal(flag(d, 'trigger-topic'), 'nodelb');
  assert.equal(flag(d, 'memory'), '256Mi');
  assert.equal(flag(d, 'timeout'), '300s');
  assert.equal(flag(d, 'max-instances'), '1');
  assert.equal(flag(d, 'service-account'), 'nodelb@nodelb-demo.iam.gserviceaccount.com');
});

test('the GCE sink filter names every compute method the event parser handles, with version prefixes', () => {
  const run = runDeploy(BASE, false);
  const gce = find(run, 'logging', 'sinks', 'create').find((s) => s[3] === 'nodelb-gce-instances')!;
  const filter = flag(gce, 'log-filter')!;
  assert.match(filter, /logName="projects\/nodelb-demo\/logs\/cloudaudit\.googleapis\.com%2Factivity"/);
  assert.match(filter, /logName="projects\/nodelb-demo\/logs\/cloudaudit\.googleapis\.com%2Fsystem_event"/);
  const named = new Set([...filter.matchAll(/protoPayload\.methodName="([^"]+)"/g)].map((m) => m[1]!));
  const systemEvents = new Set(['compute.instances.preempted', 'compute.instances.hostError', 'compute.instances.guestTerminate', 'compute.instances.terminateOnHostMaintenance', 'compute.instances.automaticRestart', 'compute.instances.repair.recreateInstance']);
  for (const m of GCE_METHODS) {
    if (systemEvents.has(m)) assert.ok(named.has(m), m);
    else for (const p of GCE_METHOD_PREFIXES) assert.ok(named.has(`${p}${m}`), `${p}${m}`);
  }
});

test('the GKE sink: configured clusters of this project only, Service/Node writes, never nodelb’s own', () => {
  const run = runDeploy(BASE, false);
  const gke = find(run, 'logging', 'sinks', 'create').find((s) => s[3] === 'nodelb-gke-objects')!;
  const filter = flag(gke, 'log-filter')!;
  assert.match(filter, /resource\.labels\.location="us-central1" AND resource\.labels\.cluster_name="prod-cluster"/);
  assert.doesNotMatch(filter, /edge/); // another project's logs are not visible to this sink
  assert.match(filter, /principalEmail!="nodelb@nodelb-demo\.iam\.gserviceaccount\.com"/);
  const named = new Set([...filter.matchAll(/protoPayload\.methodName="([^"]+)"/g)].map((m) => m[1]!));
  const statusFree = GKE_METHODS.filter((m) => !(GKE_NODE_STATUS_METHODS as readonly string[]).includes(m));
  assert.deepEqual([...named].sort(), [...statusFree].sort());
  assert.doesNotMatch(filter, /data_access/);

  const withStatus = runDeploy({ ...BASE, WATCH_NODE_STATUS: 'true' }, false);
  const f2 = flag(find(withStatus, 'logging', 'sinks', 'create').find((s) => s[3] === 'nodelb-gke-objects')!, 'log-filter')!;
  const named2 = new Set([...f2.matchAll(/protoPayload\.methodName="([^"]+)"/g)].map((m) => m[1]!));
  assert.deepEqual([...named2].sort(), [...GKE_METHODS].sort());
  assert.match(f2, /%2Fdata_access/);
});

test('a second run updates in place: nothing is created again', () => {
  const run = runDeploy(BASE, true);
  assert.equal(run.status, 0, run.stderr);
  for (const words of [
    ['iam', 'service-accounts', 'create'],
    ['iam', 'roles', 'create'],
    ['pubsub', 'topics', 'create'],
    ['scheduler', 'jobs', 'create'],
    ['logging', 'sinks', 'create'],
  ]) {
    assert.equal(find(run, ...words).length, 0, words.join(' '));
  }
  assert.equal(find(run, 'iam', 'roles', 'update').length, 1);
  assert.equal(find(run, 'scheduler', 'jobs', 'update', 'pubsub').length, 1);
  assert.equal(find(run, 'logging', 'sinks', 'update').length, 2);
  assert.equal(find(run, 'functions', 'deploy').length, 1); // deploy is itself create-or-update
});

test('Shared VPC host project and HTTP function', () => {
  const run = runDeploy({ ...BASE, NETWORK_PROJECT_ID: 'net-host-proj', ENABLE_HTTP_FUNCTION: 'true', HTTP_INVOKERS: 'user:alice@example.com group:sre@example.com' }, false);
  assert.equal(run.status, 0, run.stderr);
  const roles = find(run, 'iam', 'roles', 'create');
  assert.deepEqual(roles.map((r) => flag(r, 'project')), ['nodelb-demo', 'net-host-proj']);
  assert.ok(!flag(roles[1]!, 'permissions')!.includes('container.'));
  const http = find(run, 'functions', 'deploy').find((d) => d[2] === 'nodelb-http')!;
  assert.equal(flag(http, 'entry-point'), 'nodelbHttp');
  assert.ok(http.includes('--no-allow-unauthenticated'));
  assert.deepEqual(find(run, 'functions', 'add-invoker-policy-binding').map((c) => flag(c, 'member')), ['user:alice@example.com', 'group:sre@example.com']);
});

test('bad settings stop before any change', () => {
  const run = runDeploy({ ...BASE, CLUSTERS: 'prod-cluster' }, false);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /not projects\/PROJECT\/locations\/LOCATION\/clusters\/NAME/);
  assert.equal(run.calls.length, 0);
  const missing = runDeploy({ CLUSTERS: BASE.CLUSTERS }, false);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /PROJECT_ID/);
});

const METRICS = ['syncs', 'actions', 'action_failures', 'sync_duration'];
const fileOf = (run: Run, call: string[]) => JSON.parse(run.files.get(call) ?? 'null') as Record<string, unknown>;

test('first deployment creates the logs-based metrics and the alert policy exactly as Terraform defines them', async () => {
  const run = runDeploy(BASE, false);
  assert.equal(run.status, 0, run.stderr);
  const tf = await loadMonitoringTf({ project_id: 'nodelb-demo' });
  const creates = find(run, 'logging', 'metrics', 'create');
  assert.deepEqual(
    creates.map((c) => c[3]),
    METRICS.map((m) => `nodelb/${m}`),
  );
  for (const c of creates) {
    const { name, ...want } = tf.metrics[c[3]!.slice('nodelb/'.length)]!;
    assert.equal(name, c[3]);
    assert.deepEqual(fileOf(run, c), want, `${name}: the gcloud config and monitoring.tf agree`);
  }
  const policy = find(run, 'monitoring', 'policies', 'create');
  assert.equal(policy.length, 1);
  assert.deepEqual(fileOf(run, policy[0]!), tf.policy);
  assert.ok(find(run, 'services', 'enable')[0]!.includes('monitoring.googleapis.com'));
});

test('other settings: function name, threshold, window and notification channels reach the metrics and the policy', async () => {
  const channels = ['projects/nodelb-demo/notificationChannels/11', 'projects/nodelb-demo/notificationChannels/22'];
  const run = runDeploy({ ...BASE, FUNCTION_NAME: 'edge-lb', FAILED_SYNCS_THRESHOLD: '5', FAILED_SYNCS_WINDOW_MINUTES: '15', ALERT_NOTIFICATION_CHANNELS: channels.join(',') }, false);
  assert.equal(run.status, 0, run.stderr);
  const tf = await loadMonitoringTf({ project_id: 'nodelb-demo', function_name: 'edge-lb', failed_syncs_threshold: 5, failed_syncs_window_minutes: 15 }, channels);
  const policy = fileOf(run, find(run, 'monitoring', 'policies', 'create')[0]!);
  assert.deepEqual(policy, tf.policy);
  assert.deepEqual(policy.notificationChannels, channels);
  const t = (policy.conditions as { conditionThreshold: { thresholdValue: number; aggregations: { alignmentPeriod: string }[]; filter: string } }[])[0]!.conditionThreshold;
  assert.equal(t.thresholdValue, 5);
  assert.equal(t.aggregations[0]!.alignmentPeriod, '900s');
  assert.match(t.filter, /logging\.googleapis\.com\/user\/edge-lb\/syncs/);
  for (const c of find(run, 'logging', 'metrics', 'create')) {
    assert.match(String(fileOf(run, c).filter), /service_name="edge-lb" OR resource\.labels\.service_name="edge-lb-http"/);
  }
});

test('a second run updates the metrics and the policy it finds by name, creating none', () => {
  const run = runDeploy(BASE, true);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(find(run, 'logging', 'metrics', 'create').length, 0);
  assert.deepEqual(
    find(run, 'logging', 'metrics', 'update').map((c) => c[3]),
    METRICS.map((m) => `nodelb/${m}`),
  );
  assert.equal(find(run, 'monitoring', 'policies', 'create').length, 0);
  const list = find(run, 'monitoring', 'policies', 'list');
  assert.equal(flag(list[0]!, 'filter'), 'displayName="nodelb: repeated failed syncs"');
  const update = find(run, 'monitoring', 'policies', 'update');
  assert.equal(update.length, 1);
  assert.equal(update[0]![3], 'projects/nodelb-demo/alertPolicies/4242');
  assert.equal(fileOf(run, update[0]!).displayName, 'nodelb: repeated failed syncs');
});

test('while new metrics are not yet visible to Monitoring the policy is tried again; any other error stops the script', () => {
  const notYet = 'ERROR: (gcloud.monitoring.policies.create) NOT_FOUND: Cannot find metric(s) that match type = "logging.googleapis.com/user/nodelb/syncs". If a metric was created recently, it could take up to 10 minutes to become available. Please try again soon.';
  const run = runDeploy({ ...BASE, METRIC_WAIT_SECONDS: '0', GCLOUD_POLICY_ERRORS: `${notYet}\n${notYet}` }, false);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(find(run, 'monitoring', 'policies', 'create').length, 3);
  assert.match(run.stderr, /not visible to Cloud Monitoring yet/);

  const denied = 'ERROR: (gcloud.monitoring.policies.create) PERMISSION_DENIED: Permission monitoring.alertPolicies.create denied';
  const failed = runDeploy({ ...BASE, METRIC_WAIT_SECONDS: '0', GCLOUD_POLICY_ERRORS: denied }, false);
  assert.equal(failed.status, 1);
  assert.ok(failed.stderr.includes(denied));
  assert.equal(find(failed, 'monitoring', 'policies', 'create').length, 1);
});

test('bad monitoring settings stop before any change', () => {
  const settings: Record<string, string>[] = [
    { FAILED_SYNCS_THRESHOLD: 'three' },
    { FAILED_SYNCS_THRESHOLD: '-1' },
    { FAILED_SYNCS_WINDOW_MINUTES: '0' },
    { FAILED_SYNCS_WINDOW_MINUTES: '1441' },
    { FAILED_SYNCS_WINDOW_MINUTES: '08' },
    { ALERT_NOTIFICATION_CHANNELS: 'my-channel' },
  ];
  for (const bad of settings) {
    const run = runDeploy({ ...BASE, ...bad }, false);
    assert.equal(run.status, 2, JSON.stringify(bad));
    assert.match(run.stderr, /FAILED_SYNCS_THRESHOLD|FAILED_SYNCS_WINDOW_MINUTES|ALERT_NOTIFICATION_CHANNELS/);
    assert.equal(run.calls.length, 0);
  }
});
