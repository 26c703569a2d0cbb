// infra/gcloud/teardown.sh against a stand-in `gcloud` that records its arguments: it removes
// what deploy.sh made, triggers first and identity last, leaves firewall rules unless asked,
// deletes only rules with nodelb's marker, and stops on bad settings before any call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../infra/gcloud/teardown.sh', import.meta.url));

// Every describe succeeds (everything exists); the policy list names one policy; the firewall
// list holds one rule of ours and one look-alike without the marker.
const STUB = `#!/usr/bin/env bash
n=$(ls "$GCLOUD_LOG" | wc -l)
printf '%s\\0' "$@" > "$GCLOUD_LOG/$(printf '%05d' "$n")"
case "$1 $2 $3" in
  "monitoring policies list") echo "projects/p/alertPolicies/42" ;;
  "compute firewall-rules list")
    printf 'nodelb-1a2b3c4d-abc\\t{"cluster":"x","managedBy":"nodelb","service":"default/web"}\\n'
    printf 'nodelb-lookalike\\tsomeone else\\n' ;;
esac
exit 0
`;

function run(env: Record<string, string>): { calls: string[][]; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-teardown-'));
  try {
    const bin = join(dir, 'bin');
    const log = join(dir, 'log');
    mkdirSync(bin);
    mkdirSync(log);
    writeFileSync(join(bin, 'gcloud'), STUB);
    chmodSync(join(bin, 'gcloud'), 0o755);
    const r = spawnSync('bash', [SCRIPT], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, GCLOUD_LOG: log, ...env }, encoding: 'utf8' });
    const calls = readdirSync(log).sort().map((f) => readFileSync(join(log, f), 'utf8').split('\0').slice(0, -1));
    return { calls, status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const deletes = (calls: string[][]) => calls.filter((c) => c.includes('delete')).map((c) => c.slice(0, c.indexOf('delete') + 2).join(' '));

test('removes what deploy.sh made: triggers first, identity last; firewall rules only listed', () => {
  const r = run({ PROJECT_ID: 'nodelb-demo' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(deletes(r.calls), [
    'scheduler jobs delete nodelb-sync',
    'logging sinks delete nodelb-gce-instances',
    'logging sinks delete nodelb-gke-objects',
    'functions delete nodelb',
    'functions delete nodelb-http',
    'pubsub topics delete nodelb',
    'monitoring policies delete projects/p/alertPolicies/42',
    'logging metrics delete nodelb/syncs',
    'logging metrics delete nodelb/actions',
    'logging metrics delete nodelb/action_failures',
    'logging metrics delete nodelb/sync_duration',
    'iam roles delete nodelbSync',
    'iam service-accounts delete nodelb@nodelb-demo.iam.gserviceaccount.com',
  ]);
  assert.ok(r.calls.every((c) => !c.includes('delete') || c.includes('--quiet')), 'no prompt');
  assert.match(r.stderr, /nodelb-1a2b3c4d-abc/);
  assert.match(r.stderr, /kubectl delete -k manifests\//);
});

test('DELETE_FIREWALL_RULES=yes deletes the rules with nodelb’s marker, never a look-alike; Shared VPC: in the host project', () => {
  const r = run({ PROJECT_ID: 'nodelb-demo', NETWORK_PROJECT_ID: 'host-proj', DELETE_FIREWALL_RULES: 'yes' });
  assert.equal(r.status, 0, r.stderr);
  const rules = r.calls.filter((c) => c[0] === 'compute' && c[2] === 'delete');
  assert.deepEqual(rules.map((c) => [c[3], c.find((a) => a.startsWith('--project='))]), [['nodelb-1a2b3c4d-abc', '--project=host-proj']]);
  assert.equal(r.calls.filter((c) => c[0] === 'iam' && c[1] === 'roles' && c[2] === 'delete').length, 2, 'both roles');
});

test('bad settings stop before any call', () => {
  for (const env of [{}, { PROJECT_ID: 'Bad_Project' }, { PROJECT_ID: 'nodelb-demo', DELETE_FIREWALL_RULES: 'maybe' }]) {
    const r = run(env as Record<string, string>);
    assert.notEqual(r.status, 0);
    assert.deepEqual(r.calls, []);
  }
});
