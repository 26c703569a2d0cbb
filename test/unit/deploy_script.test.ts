// infra/gcloud/deploy.sh and teardown.sh against a stand-in `gcloud` that records its arguments:
// the cases the real-gcloud test (test/e2e/gcloud_deploy.test.ts) does not run because they need
// a failing or odd API — settings refused before any call, the alert policy retried while new
// metrics are not visible, sink filters for every method and option, other names and thresholds,
// a teardown of things already gone. Runs bash; no network; fast: the stand-in forks nothing
// itself, the base deployment runs once for the tests that read it, and independent runs of one
// test run side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
// Bash builtins only (a glob counts the calls, printf -v names the file): under load, every fork
// of a call the script makes hundreds of costs more than the rest of the stand-in.
const STUB = `#!/usr/bin/env bash
shopt -s nullglob
seen=("$GCLOUD_LOG"/*)
printf -v n '%05d' "\${#seen[@]}"
printf '%s\\0' "$@" > "$GCLOUD_LOG/$n"
for a in "$@"; do
  case "$a" in --config-from-file=*|--policy-from-file=*) cp "\${a#*=}" "$GCLOUD_FILES/$n" ;; esac
done
if [[ " $* " == *" --format=value(writerIdentity) "* ]]; then
  echo "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com"
  exit 0
fi
if [[ "$1 $2 $3 $4" == "alpha monitoring policies list" ]]; then
  [[ "$GCLOUD_EXISTS" == 1 ]] && echo "projects/nodelb-demo/alertPolicies/4242"
  exit 0
fi
if [[ "$1 $2 $3 $4" == "alpha monitoring policies create" && -n "$GCLOUD_POLICY_ERRORS" ]]; then
  k=$(cat "$GCLOUD_FILES/.policy-creates" 2>/dev/null || echo 0)
  echo $((k + 1)) > "$GCLOUD_FILES/.policy-creates"
  msg=$(sed -n "$((k + 1))p" <<<"$GCLOUD_POLICY_ERRORS")
  if [[ -n "$msg" ]]; then echo "$msg" >&2; exit 1; fi
fi
for a in "$@"; do
  if [[ "$a" == delete && -n "$GCLOUD_DELETE_ERROR" ]]; then
    [[ " $* " == *" $GCLOUD_DELETE_MATCH "* ]] && { echo "$GCLOUD_DELETE_ERROR" >&2; exit 1; }
  fi
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

async function runDeploy(env: Record<string, string>, exists: boolean, script = SCRIPT): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-deploy-'));
  try {
    const bin = join(dir, 'bin');
    const log = join(dir, 'log');
    const files = join(dir, 'files');
    for (const d of [bin, log, files]) mkdirSync(d);
    writeFileSync(join(bin, 'gcloud'), STUB);
    chmodSync(join(bin, 'gcloud'), 0o755);
    const child = spawn('bash', [script], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, GCLOUD_LOG: log, GCLOUD_FILES: files, GCLOUD_EXISTS: exists ? '1' : '0', GCLOUD_POLICY_ERRORS: '', GCLOUD_DELETE_ERROR: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const names = readdirSync(log).sort();
    const calls = names.map((f) => readFileSync(join(log, f), 'utf8').split('\0').slice(0, -1));
    const passed = new Map<string[], string>();
    names.forEach((f, i) => {
      if (existsSync(join(files, f))) passed.set(calls[i]!, readFileSync(join(files, f), 'utf8'));
    });
    return { calls, files: passed, status, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = {
  PROJECT_ID: 'nodelb-demo',
  CLUSTERS: 'projects/nodelb-demo/locations/us-central1/clusters/prod-cluster,projects/other-proj/locations/europe-west1-b/clusters/edge',
};

/** The base deployment, run once: several tests read its calls. */
let baseRun: Promise<Run> | undefined;
const base = () => (baseRun ??= runDeploy(BASE, false));

const find = (run: Run, ...words: string[]) => run.calls.filter((c) => words.every((w, i) => c[i] === w));
const flag = (call: string[], name: string) => call.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

test('the GCE sink filter names every compute method the event parser handles, with version prefixes', async () => {
  const run = await base();
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

test('the GKE sink: configured clusters of this project only, Service/Node writes, never nodelb’s own', async () => {
  const [run, withStatus] = await Promise.all([base(), runDeploy({ ...BASE, WATCH_NODE_STATUS: 'true' }, false)]);
  const gke = find(run, 'logging', 'sinks', 'create').find((s) => s[3] === 'nodelb-gke-objects')!;
  const filter = flag(gke, 'log-filter')!;
  assert.match(filter, /resource\.labels\.location="us-central1" AND resource\.labels\.cluster_name="prod-cluster"/);
  assert.doesNotMatch(filter, /edge/); // another project's logs are not visible to this sink
  assert.match(filter, /principalEmail!="nodelb@nodelb-demo\.iam\.gserviceaccount\.com"/);
  const named = new Set([...filter.matchAll(/protoPayload\.methodName="([^"]+)"/g)].map((m) => m[1]!));
  const statusFree = GKE_METHODS.filter((m) => !(GKE_NODE_STATUS_METHODS as readonly string[]).includes(m));
  assert.deepEqual([...named].sort(), [...statusFree].sort());
  assert.doesNotMatch(filter, /data_access/);

  const f2 = flag(find(withStatus, 'logging', 'sinks', 'create').find((s) => s[3] === 'nodelb-gke-objects')!, 'log-filter')!;
  const named2 = new Set([...f2.matchAll(/protoPayload\.methodName="([^"]+)"/g)].map((m) => m[1]!));
  assert.deepEqual([...named2].sort(), [...GKE_METHODS].sort());
  assert.match(f2, /%2Fdata_access/);
});

test('bad settings stop before any change', async () => {
  const [run, missing] = await Promise.all([runDeploy({ ...BASE, CLUSTERS: 'prod-cluster' }, false), runDeploy({ CLUSTERS: BASE.CLUSTERS }, false)]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /not projects\/PROJECT\/locations\/LOCATION\/clusters\/NAME/);
  assert.equal(run.calls.length, 0);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /PROJECT_ID/);
});

const fileOf = (run: Run, call: string[]) => JSON.parse(run.files.get(call) ?? 'null') as Record<string, unknown>;

test('other settings: function name, threshold, window and notification channels reach the metrics and the policy', async () => {
  const channels = ['projects/nodelb-demo/notificationChannels/11', 'projects/nodelb-demo/notificationChannels/22'];
  const run = await runDeploy({ ...BASE, FUNCTION_NAME: 'edge-lb', FAILED_SYNCS_THRESHOLD: '5', FAILED_SYNCS_WINDOW_MINUTES: '15', ALERT_NOTIFICATION_CHANNELS: channels.join(',') }, false);
  assert.equal(run.status, 0, run.stderr);
  const tf = await loadMonitoringTf({ project_id: 'nodelb-demo', function_name: 'edge-lb', failed_syncs_threshold: 5, failed_syncs_window_minutes: 15 }, channels);
  const policy = fileOf(run, find(run, 'alpha', 'monitoring', 'policies', 'create')[0]!);
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

test('while new metrics are not yet visible to Monitoring the policy is tried again; any other error stops the script', async () => {
  const notYet = 'ERROR: (gcloud.monitoring.policies.create) NOT_FOUND: Cannot find metric(s) that match type = "logging.googleapis.com/user/nodelb/syncs". If a metric was created recently, it could take up to 10 minutes to become available. Please try again soon.';
  const denied = 'ERROR: (gcloud.monitoring.policies.create) PERMISSION_DENIED: Permission monitoring.alertPolicies.create denied';
  const [run, failed] = await Promise.all([
    runDeploy({ ...BASE, METRIC_WAIT_SECONDS: '0', GCLOUD_POLICY_ERRORS: `${notYet}\n${notYet}` }, false),
    runDeploy({ ...BASE, METRIC_WAIT_SECONDS: '0', GCLOUD_POLICY_ERRORS: denied }, false),
  ]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(find(run, 'alpha', 'monitoring', 'policies', 'create').length, 3);
  assert.match(run.stderr, /not visible to Cloud Monitoring yet/);

  assert.equal(failed.status, 1);
  assert.ok(failed.stderr.includes(denied));
  assert.equal(find(failed, 'alpha', 'monitoring', 'policies', 'create').length, 1);
});

test('bad monitoring settings stop before any change', async () => {
  const settings: Record<string, string>[] = [
    { FAILED_SYNCS_THRESHOLD: 'three' },
    { FAILED_SYNCS_THRESHOLD: '-1' },
    { FAILED_SYNCS_WINDOW_MINUTES: '0' },
    { FAILED_SYNCS_WINDOW_MINUTES: '1441' },
    { FAILED_SYNCS_WINDOW_MINUTES: '08' },
    { ALERT_NOTIFICATION_CHANNELS: 'my-channel' },
    { MAX_INSTANCES: '0' },
    { MAX_INSTANCES: 'ten' },
    { FANOUT_THRESHOLD: '0' },
  ];
  const runs = await Promise.all(settings.map((bad) => runDeploy({ ...BASE, ...bad }, false)));
  for (const [i, run] of runs.entries()) {
    const bad = settings[i];
    assert.equal(run.status, 2, JSON.stringify(bad));
    assert.match(run.stderr, /FAILED_SYNCS_THRESHOLD|FAILED_SYNCS_WINDOW_MINUTES|ALERT_NOTIFICATION_CHANNELS|MAX_INSTANCES|FANOUT_THRESHOLD/);
    assert.equal(run.calls.length, 0);
  }
});

const TEARDOWN = fileURLToPath(new URL('../../infra/gcloud/teardown.sh', import.meta.url));

test('teardown: what is already gone is skipped; any other failure stops it', async () => {
  const notFound = 'ERROR: (gcloud.pubsub.topics.delete) NOT_FOUND: Resource not found (resource=nodelb).';
  const denied = 'ERROR: (gcloud.pubsub.topics.delete) PERMISSION_DENIED: User not authorized to perform this action.';
  const [run, failed] = await Promise.all([
    runDeploy({ PROJECT_ID: 'nodelb-demo', GCLOUD_DELETE_ERROR: notFound, GCLOUD_DELETE_MATCH: 'topics' }, false, TEARDOWN),
    runDeploy({ PROJECT_ID: 'nodelb-demo', GCLOUD_DELETE_ERROR: denied, GCLOUD_DELETE_MATCH: 'topics' }, false, TEARDOWN),
  ]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(find(run, 'pubsub', 'topics', 'delete').length, 1);
  assert.equal(find(run, 'iam', 'service-accounts', 'delete').length, 1, 'it went on after the topic');

  assert.equal(failed.status, 1);
  assert.ok(failed.stderr.includes(denied));
  assert.equal(find(failed, 'iam', 'service-accounts', 'delete').length, 0, 'it stopped at the topic');
});
