// Unit tests for runCli with a stand-in sync: exit statuses, stdout holding only the output,
// logs on stderr filtered by level, and the engine never called on a usage error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliDeps } from '../../functions/cli/run.ts';
import type { RunReport } from '../../functions/runtime/report.ts';
import type { Outcome } from '../../functions/core/outcome.ts';
import { planExplained } from '../../functions/core/plan.ts';

type Sync = NonNullable<CliDeps['sync']>;

function report(converged: boolean, outcome: Outcome = 'done', dryRun = false, actions = 0): RunReport {
  const ok = outcome === 'done';
  return {
    outcome,
    ok,
    converged,
    retryable: outcome === 'failed',
    trigger: 'cli',
    clusters: [
      {
        cluster: 'ctx',
        runId: 'r',
        outcome,
        ok,
        converged,
        retryable: outcome === 'failed',
        dryRun,
        trigger: 'cli',
        durationMs: 1,
        rounds: 1,
        plan: { actions: Array.from({ length: actions }, () => ({ kind: 'writeStatus' as const, target: 'service default/web', reason: 'publish' })), services: [], notes: [], heldBack: false },
        results: [],
        calls: { reads: 1, writes: 0, byApi: {} },
        prerequisites: [],
        errors: [],
      },
    ],
  };
}

async function run(argv: string[], sync: Sync, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await runCli(argv, env, io, { sync, exists: () => true });
  return { code, stdout, stderr };
}

const returning = (r: RunReport): Sync => async () => r;

test('sync exits by the outcome: 0 done (pending proxies too), 1 failed, 2 refused', async () => {
  assert.equal((await run(['sync'], returning(report(true)))).code, 0);
  assert.equal((await run(['sync'], returning(report(false)))).code, 0, 'done with proxies still starting is not a failure');
  assert.equal((await run(['sync'], returning(report(false, 'failed')))).code, 1);
  assert.equal((await run(['sync'], returning(report(false, 'refused')))).code, 2);
});

test('a dry run with changes exits 0; --detailed-exitcode makes it 3, and only then', async () => {
  const withChanges = report(false, 'done', true, 2);
  assert.equal((await run(['sync', '--dry-run'], returning(withChanges))).code, 0);
  assert.equal((await run(['sync', '--dry-run', '--detailed-exitcode'], returning(withChanges))).code, 3);
  assert.equal((await run(['sync', '--dry-run', '--detailed-exitcode'], returning(report(true, 'done', true, 0)))).code, 0, 'nothing to change');
  assert.equal((await run(['sync', '--detailed-exitcode'], returning(report(false, 'failed', true, 2)))).code, 1, 'a failure stays 1');
});

test('--output json writes the report alone on stdout', async () => {
  const r = report(true);
  const out = await run(['sync', '-o', 'json'], returning(r));
  assert.deepEqual(JSON.parse(out.stdout), r);
});

test('the sync gets the targets, the config and trigger cli; status is a dry run', async () => {
  const calls: Parameters<Sync>[] = [];
  const spy: Sync = async (...args) => {
    calls.push(args);
    return report(true);
  };
  await run(['sync', '--kubeconfig', '/tmp/kc', '--context', 'dev'], spy);
  await run(['status'], spy);
  assert.deepEqual(calls[0]?.[0], [{ kind: 'kubeconfig', path: '/tmp/kc', context: 'dev' }]);
  assert.equal(calls[0]?.[2].trigger, 'cli');
  assert.equal(calls[0]?.[2].dryRun, false);
  assert.equal(calls[1]?.[1].dryRun, true);
  assert.equal(calls[1]?.[2].dryRun, true);
});

test('logs are JSON lines on stderr: WARNING and above by default, INFO with --verbose', async () => {
  const chatty: Sync = async (_t, _c, opts) => {
    opts.logger.info('sync.started', 'started');
    opts.logger.warn('read.failed', 'reading nodes failed', { error: new Error('boom') });
    return report(true);
  };
  const quiet = await run(['sync'], chatty);
  const lines = quiet.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l.event), ['read.failed']);
  assert.equal(lines[0]?.stack_trace, undefined, 'no stack traces unless verbose');
  assert.ok(!quiet.stdout.includes('read.failed'));

  const verbose = await run(['sync', '--verbose'], chatty);
  const events = verbose.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { event: string; stack_trace?: string }));
  assert.deepEqual(events.map((e) => e.event), ['sync.started', 'read.failed']);
  assert.ok(events[1]?.stack_trace?.includes('boom'));
});

test('status --service for a Service that is not there exits 1 and says so', async () => {
  const out = await run(['status', '--service', 'default/nope'], returning(report(true)));
  assert.equal(out.code, 1);
  assert.match(out.stderr, /no LoadBalancer Service default\/nope/);
});

test('a usage error exits 2 without calling the sync', async () => {
  let called = false;
  const out = await run(['sync', '--max-ips', '-1'], async () => {
    called = true;
    return report(true);
  });
  assert.equal(out.code, 2);
  assert.equal(called, false);
  assert.match(out.stderr, /--max-ips: expected a whole number/);
});

test('no kubeconfig anywhere: one clear error naming where it looked, exit 2, the engine never called', async () => {
  let called = false;
  const sync: Sync = async () => {
    called = true;
    return report(true);
  };
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
  };
  const none = io();
  assert.equal(await runCli(['status'], { HOME: '/home/u' }, none.io, { sync, exists: () => false }), 2);
  assert.equal(none.out.stderr, 'nodelb status: no kubeconfig found: no --kubeconfig, KUBECONFIG is not set, and /home/u/.kube/config does not exist. Pass --cluster projects/P/locations/L/clusters/C (GKE) or --kubeconfig PATH\n');
  assert.equal(none.out.stdout, '');
  const env = io();
  assert.equal(await runCli(['sync'], { KUBECONFIG: '/a:/b' }, env.io, { sync, exists: () => false }), 2);
  assert.match(env.out.stderr, /none of the files in KUBECONFIG exists \(\/a, \/b\)/);
  const flag = io();
  assert.equal(await runCli(['sync', '--kubeconfig', '/x/config'], {}, flag.io, { sync, exists: (p) => p !== '/x/config' }), 2);
  assert.match(flag.out.stderr, /--kubeconfig \/x\/config does not exist/);
  assert.equal(called, false);
  assert.equal(await runCli(['sync'], { HOME: '/home/u' }, io().io, { sync, exists: (p) => p === '/home/u/.kube/config' }), 0, 'found: runs');
  assert.equal(called, true);
});

test('the per-node decisions are asked for where they are shown: status and JSON, not the text of a sync', async () => {
  const explaining: Record<string, boolean> = {};
  for (const argv of [['status'], ['status', '-o', 'json'], ['sync', '-o', 'json'], ['sync']]) {
    const spy: Sync = async (_targets, _config, opts) => {
      explaining[argv.join(' ')] = opts.planner === planExplained;
      return report(true);
    };
    await run(argv, spy);
  }
  assert.deepEqual(explaining, { status: true, 'status -o json': true, 'sync -o json': true, sync: false });
});
