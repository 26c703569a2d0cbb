// The handlers' pure parts: HTTP query validation, the HTTP status a report maps to, and the
// per-instance configuration cache (parsed once, re-parsed when the environment changes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpStatusFor, parseHttpParams } from '../../functions/handlers/http.ts';
import { instanceConfig, logConfigError } from '../../functions/handlers/instance_config.ts';
import type { RunReport } from '../../functions/runtime/report.ts';

const A = 'projects/nodelb-demo/locations/us-central1/clusters/prod';
const B = 'projects/nodelb-demo/locations/europe-west1/clusters/edge';
const C = 'projects/other-proj/locations/us-east1/clusters/prod';

test('no parameters: every configured cluster, not a dry run', () => {
  assert.deepEqual(parseHttpParams({}, [A, B]), { ok: true, dryRun: false, clusters: [A, B] });
});

test('dryRun and dry_run accept true/false forms, refuse others', () => {
  for (const v of ['true', '1', 'TRUE', 'yes', '']) assert.deepEqual(parseHttpParams({ dryRun: v }, [A]), { ok: true, dryRun: true, clusters: [A] }, v);
  assert.deepEqual(parseHttpParams({ dry_run: 'true' }, [A]), { ok: true, dryRun: true, clusters: [A] });
  assert.deepEqual(parseHttpParams({ dryRun: 'false' }, [A]), { ok: true, dryRun: false, clusters: [A] });
  const bad = parseHttpParams({ dryRun: 'maybe' }, [A]);
  assert.deepEqual(bad, { ok: false, problems: ['dryRun: expected true or false, got "maybe"'] });
});

test('cluster: a configured full name, or an unambiguous short name; others refused', () => {
  assert.deepEqual(parseHttpParams({ cluster: B }, [A, B]), { ok: true, dryRun: false, clusters: [B] });
  assert.deepEqual(parseHttpParams({ cluster: 'edge' }, [A, B]), { ok: true, dryRun: false, clusters: [B] });
  assert.deepEqual(parseHttpParams({ cluster: [A, B, A] }, [A, B]), { ok: true, dryRun: false, clusters: [A, B] });
  const ambiguous = parseHttpParams({ cluster: 'prod' }, [A, C]);
  assert.equal(ambiguous.ok, false);
  const unknown = parseHttpParams({ cluster: 'projects/x-proj1/locations/l/clusters/z' }, [A]);
  assert.equal(unknown.ok, false);
  assert.match(unknown.ok ? '' : unknown.problems[0]!, /not one of the configured clusters/);
});

const report = (over: Partial<RunReport>): RunReport => ({ outcome: 'done', ok: true, converged: true, retryable: false, trigger: 'http', clusters: [], ...over });

test('HTTP status follows the outcome: 500 exactly when the CLI exits 1', () => {
  assert.equal(httpStatusFor(report({})), 200);
  assert.equal(httpStatusFor(report({ converged: false })), 200, 'done with proxies pending is no failure');
  assert.equal(httpStatusFor(report({ outcome: 'failed', ok: false, converged: false, retryable: true })), 500);
  assert.equal(httpStatusFor(report({ outcome: 'refused', ok: false, converged: false, retryable: false })), 200);
});

test('configuration is cached per environment and re-parsed when it changes', async () => {
  const env1 = { NODELB_CLUSTERS: A, OTHER: 'x' };
  const first = await instanceConfig(env1);
  assert.ok(first.ok);
  assert.equal(await instanceConfig({ ...env1, OTHER: 'y' }), first, 'unrelated variables do not re-parse');
  const second = await instanceConfig({ NODELB_CLUSTERS: `${A},${B}` });
  assert.ok(second.ok && second.config.clusters.length === 2);
  const bad = await instanceConfig({ NODELB_CLUSTERS: 'prod', NODELB_MAX_IPS: 'many' });
  assert.equal(bad.ok, false);
  assert.equal(bad.ok ? 0 : bad.error.problems.length, 2);
});

test('a configuration error is one CRITICAL line listing every problem', async () => {
  const bad = await instanceConfig({ NODELB_CLUSTERS: 'prod', NODELB_MAX_IPS: 'many' });
  assert.ok(!bad.ok);
  let line = '';
  logConfigError(bad.error, (l) => (line += l));
  const entry = JSON.parse(line) as { severity: string; event: string; problems: string[]; message: string };
  assert.equal(entry.severity, 'CRITICAL');
  assert.equal(entry.event, 'config.invalid');
  assert.equal(entry.problems.length, 2);
  assert.match(entry.message, /NODELB_CLUSTERS/);
  assert.match(entry.message, /NODELB_MAX_IPS/);
});
