// infra/gcloud/deploy.sh run against a stand-in `gcloud` that records its arguments: what a first
// deployment creates, that a second one updates instead of creating, and that the sink filters,
// role permissions and function flags match what the code handles. Runs bash; no network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GCE_METHOD_PREFIXES, GCE_METHODS, GKE_METHODS, GKE_NODE_STATUS_METHODS } from '../../functions/handlers/events.ts';

const SCRIPT = fileURLToPath(new URL('../../infra/gcloud/deploy.sh', import.meta.url));

// Records each call as NUL-separated arguments in its own file. `describe` succeeds only when
// GCLOUD_EXISTS=1, except the writer-identity read that follows a sink's creation.
const STUB = `#!/usr/bin/env bash
n=$(ls "$GCLOUD_LOG" | wc -l)
printf '%s\\0' "$@" > "$GCLOUD_LOG/$(printf '%05d' "$n")"
if [[ " $* " == *" --format=value(writerIdentity) "* ]]; then
  echo "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com"
  exit 0
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
  status: number | null;
  stderr: string;
}

function runDeploy(env: Record<string, string>, exists: boolean): Run {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-deploy-'));
  try {
    const bin = join(dir, 'bin');
    const log = join(dir, 'log');
    execFileSync('mkdir', ['-p', bin, log]);
    writeFileSync(join(bin, 'gcloud'), STUB);
    chmodSync(join(bin, 'gcloud'), 0o755);
    const r = spawnSync('bash', [SCRIPT], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, GCLOUD_LOG: log, GCLOUD_EXISTS: exists ? '1' : '0', ...env },
      encoding: 'utf8',
    });
    const calls = readdirSync(log)
      .sort()
      .map((f) => readFileSync(join(log, f), 'utf8').split('\0').slice(0, -1));
    return { calls, status: r.status, stderr: r.stderr };
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
