// The logs-based metrics, the alert's documented queries and the Logs Explorer queries of
// infra/logs-queries.md, run over the lines real syncs write against the real control plane (a
// converging sync, a refused firewall write, a failed read, a crash) as Cloud Run would store them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startRealWorld, type RealWorld } from '../cluster/world.ts';
import { cloudRunEntry, extract, matches, parseQuery, type CloudLogEntry } from './log_query.ts';
import { loadMonitoringTf, type LogMetricJson, type MonitoringTf } from '../unit/monitoring_tf.ts';
import { captureSink, createLogger, type LogEntry, type LogSink } from '../../functions/platform/log.ts';
import { syncAll } from '../../functions/runtime/sync.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';

const NOTES = new URL('../../infra/logs-queries.md', import.meta.url);
const EXAMPLE_CLUSTER = 'projects/my-project/locations/us-central1/clusters/prod';

let w: RealWorld;
let tf: MonitoringTf;
const lines: LogEntry[] = [];
const reports: ClusterReport[] = [];
let entries: CloudLogEntry[];

before(async () => {
  tf = await loadMonitoringTf({ project_id: 'my-project' });
  w = await startRealWorld();
  await w.gke.addNode({ name: 'node-0', externalIP: '34.0.0.1' });
  await w.addService('web', { ports: [{ port: 80 }] });
  await w.addService('web2', { ports: [{ port: 81 }] });
  const run = async () => {
    reports.push(await w.sync('gke'));
    lines.push(...w.log);
  };
  await run(); // converges: DaemonSets, firewall rules, status, Events
  await w.addService('web3', { ports: [{ port: 82 }] });
  w.gke.faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', status: 403, reason: 'forbidden', message: "Required 'compute.firewalls.create' permission", times: Infinity });
  await run(); // a refused firewall write: action.failed, prerequisite.missing
  w.gke.faults.clear();
  w.gke.faults.add({ api: 'compute', path: '/aggregated/instances', status: 500, times: Infinity });
  await run(); // a failed read: read.failed, deletions held back
  w.gke.faults.clear();
  // A bug that escapes syncCluster: the first line it writes throws.
  const cap = captureSink();
  let broken = false;
  const sink: LogSink = (e) => {
    if (e.event === 'sync.started' && !broken) {
      broken = true;
      throw new Error('sink broke');
    }
    cap.sink(e);
  };
  await syncAll([{ kind: 'gke', name: w.gke.clusterName }], w.config, { logger: createLogger({ sink }), trigger: 'test', settlePollMs: 250 });
  lines.push(...cap.entries);
  entries = lines.map((l) => cloudRunEntry(l, 'nodelb'));
});

after(() => w?.close());

const eventsOf = (es: CloudLogEntry[]) => es.map((e) => String(e.jsonPayload.event));
const withEvent = (...names: string[]) => entries.filter((e) => names.includes(String(e.jsonPayload.event)));

test('the scenario produced what the checks below need', () => {
  assert.deepEqual(
    reports.map((r) => r.ok),
    [true, false, false],
  );
  for (const name of ['action.applied', 'action.failed', 'prerequisite.missing', 'read.failed', 'sync.crashed']) {
    assert.ok(withEvent(name).length > 0, `a ${name} line`);
  }
  assert.ok(entries.some((e) => e.jsonPayload.event === 'plan.computed' && e.jsonPayload.heldBack === true));
});

test('each metric filter selects exactly the lines it counts, from both functions and no other service', () => {
  const want: Record<string, string[]> = {
    syncs: ['sync.finished', 'sync.crashed'],
    actions: ['action.applied'],
    action_failures: ['action.failed'],
    sync_duration: ['sync.finished'],
  };
  assert.deepEqual(Object.keys(tf.metrics).sort(), Object.keys(want).sort());
  for (const [name, metric] of Object.entries(tf.metrics)) {
    const hit = entries.filter((e) => matches(metric.filter, e));
    assert.deepEqual(eventsOf(hit).sort(), eventsOf(withEvent(...want[name]!)).sort(), name);
    const http = lines.map((l) => cloudRunEntry(l, 'nodelb-http'));
    assert.equal(http.filter((e) => matches(metric.filter, e)).length, hit.length, `${name}: the HTTP function's lines count too`);
    const other = lines.map((l) => cloudRunEntry(l, 'some-other-service'));
    assert.equal(other.filter((e) => matches(metric.filter, e)).length, 0, `${name}: another service's lines do not`);
  }
  assert.equal(withEvent('sync.finished', 'sync.crashed').length, 4);
});

/** A label's value as the metric records it: the extracted value converted to the label's type,
 *  or the type's default when the field is absent (false for BOOL, '' for STRING). */
function labelValue(metric: LogMetricJson, key: string, entry: CloudLogEntry): string | boolean {
  const type = metric.metricDescriptor.labels.find((l) => l.key === key)?.valueType;
  const v = extract(metric.labelExtractors[key] ?? '', entry);
  if (type === 'BOOL') {
    assert.ok(v === undefined || typeof v === 'boolean', `${key} is a boolean in the line, not ${JSON.stringify(v)}`);
    return v ?? false;
  }
  assert.equal(type, 'STRING');
  assert.ok(v === undefined || typeof v === 'string', `${key} is a string in the line`);
  return v ?? '';
}

test('the label extractors find the cluster, ok and the action kind in every counted line', () => {
  // The actions metric's kind label lists the kinds; every kind a line carries must be one of them.
  const kindsDoc = tf.metrics.actions!.metricDescriptor.labels.find((l) => l.key === 'kind')!.description;
  for (const [name, metric] of Object.entries(tf.metrics)) {
    assert.deepEqual(Object.keys(metric.labelExtractors).sort(), metric.metricDescriptor.labels.map((l) => l.key).sort(), `${name}: one extractor per label`);
    for (const e of entries.filter((x) => matches(metric.filter, x))) {
      assert.equal(labelValue(metric, 'cluster', e), w.gke.clusterName, `${name}: cluster of ${e.jsonPayload.event}`);
      if ('ok' in metric.labelExtractors) {
        const ok = labelValue(metric, 'ok', e);
        assert.equal(ok, e.jsonPayload.event === 'sync.finished' ? e.jsonPayload.ok : false, `${name}: ok of ${e.jsonPayload.event}`);
      }
      if ('kind' in metric.labelExtractors) {
        const kind = String(labelValue(metric, 'kind', e));
        assert.ok(/^[a-zA-Z]+$/.test(kind) && kindsDoc.includes(kind), `${name}: kind ${kind}`);
        assert.match(String(e.jsonPayload.message), new RegExp(`^${kind} `));
      }
    }
  }
});

test('the duration metric takes each finished sync its durationMs, a number the buckets cover', () => {
  const m = tf.metrics.sync_duration!;
  assert.equal(m.valueExtractor, 'EXTRACT(jsonPayload.durationMs)');
  const values = entries.filter((e) => matches(m.filter, e)).map((e) => extract(m.valueExtractor!, e));
  assert.deepEqual(
    values,
    reports.map((r) => r.durationMs),
  );
  const { scale, growthFactor, numFiniteBuckets } = m.bucketOptions!.exponentialBuckets;
  const top = scale * growthFactor ** numFiniteBuckets;
  assert.ok(top >= 540_000, `the last finite bucket (${top} ms) reaches the longest function timeout`);
});

test('the alert counts the not-ok syncs of each cluster, crashes included', () => {
  const syncs = tf.metrics.syncs!;
  const counted = entries.filter((e) => matches(syncs.filter, e));
  const failed = counted.filter((e) => labelValue(syncs, 'ok', e) === false);
  assert.equal(failed.length, 3);
  const cond = (tf.policy.conditions as { conditionThreshold: { filter: string } }[])[0]!.conditionThreshold;
  // Metric label values are strings on the wire; a BOOL label reads "true"/"false".
  assert.match(cond.filter, /metric\.label\.ok="false"/);
  assert.match(cond.filter, new RegExp(`metric\\.type="logging\\.googleapis\\.com/user/${syncs.name}"`));
});

test('the queries in the alert documentation find the failing syncs’ lines, and only those', () => {
  const doc = (tf.policy.documentation as { content: string }).content;
  const queries = [...doc.matchAll(/`([^`]*jsonPayload\.event[^`]*)`/g)].map((m) => m[1]!.replaceAll('${metric.label.cluster}', w.gke.clusterName));
  assert.equal(queries.length, 3);
  for (const q of queries) {
    const event = /jsonPayload\.event="([^"]+)"/.exec(q)![1]!;
    const hit = entries.filter((e) => matches(q, e));
    assert.ok(hit.length > 0, q);
    assert.ok(eventsOf(hit).every((x) => x === event), q);
  }
});

function notesBlocks(): { lang: string; query: string }[] {
  const md = readFileSync(NOTES, 'utf8');
  return [...md.matchAll(/^```(logging[\w-]*)\n([^]*?)^```$/gm)].map((m) => ({ lang: m[1]!, query: m[2]!.trim() }));
}

test('every query in infra/logs-queries.md parses, and each one on nodelb’s logs finds lines of these syncs', () => {
  const blocks = notesBlocks();
  assert.ok(blocks.length >= 6, `${blocks.length} queries`);
  for (const b of blocks) parseQuery(b.query);
  for (const b of blocks.filter((x) => x.lang === 'logging')) {
    const q = b.query.replaceAll(EXAMPLE_CLUSTER, w.gke.clusterName);
    const hit = entries.filter((e) => matches(q, e));
    assert.ok(hit.length > 0, `no line matches:\n${q}`);
    assert.ok(hit.length < entries.length, `every line matches:\n${q}`);
    const named = [...q.matchAll(/jsonPayload\.event="([^"]+)"/g)].map((m) => m[1]!);
    if (named.length > 0) assert.ok(eventsOf(hit).every((x) => named.includes(x)), q);
  }
});

test('the Service history query finds every kind of line about default/web, and none about default/web2 or web3', () => {
  const q = notesBlocks().find((b) => b.query.includes('default/web') && b.lang === 'logging')!.query;
  const hit = entries.filter((e) => matches(q, e));
  const kinds = new Set(hit.map((e) => String(e.jsonPayload.kind)));
  for (const k of ['createDaemonSet', 'createFirewall', 'writeStatus', 'recordEvent']) assert.ok(kinds.has(k), k);
  for (const e of hit) assert.doesNotMatch(String(e.jsonPayload.message), /default\/web[23]/);
  const aboutWeb = withEvent('action.applied', 'action.failed').filter((e) => /default\/web(?![\w-])/.test(String(e.jsonPayload.message)));
  assert.equal(hit.length, aboutWeb.length);
});

test('the query evaluator rejects what Logging would read differently or not at all', () => {
  assert.throws(() => parseQuery('a="1" AND b="2" OR c="3"'), /parentheses/);
  assert.throws(() => parseQuery('(a="1"'), /end|\)/);
  assert.throws(() => parseQuery('a="1" AND'), /end/);
  assert.throws(() => parseQuery('a ~ "1"'), /unexpected|operator/);
  assert.throws(() => extract('REGEXP_EXTRACT(jsonPayload.message, "(.*)")', entries[0]!), /unsupported/);
  const e = cloudRunEntry({ severity: 'WARNING', message: 'Hello World', event: 'x.y', time: '2025-01-01T00:00:00Z', n: 7, ok: false, list: ['a', 'bc'] }, 'nodelb');
  assert.ok(matches('jsonPayload.message="hello world"', e), 'equality ignores case');
  assert.ok(matches('jsonPayload.message:"lo wo"', e), ': is a substring match');
  assert.ok(!matches('jsonPayload.message=~"^hello"', e), 'regular expressions keep case');
  assert.ok(matches('jsonPayload.n>=7 AND jsonPayload.n<8 AND jsonPayload.ok=false', e));
  assert.ok(matches('severity>=WARNING AND NOT severity>=ERROR', e));
  assert.ok(matches('jsonPayload.list:"c"', e), 'a repeated field matches on any element');
  assert.ok(!matches('jsonPayload.missing="x"', e));
});
