// infra/terraform checked without Terraform (no binary or provider can be fetched here): every
// file parses as HCL and is formatted as `terraform fmt` formats it (HashiCorp's hclwrite, via
// WebAssembly builds shipped in @cdktf/hcl2json and @cdktf/hcl-tools), every reference names
// something declared, and the resources carry the settings the design relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEPLOYED_NODE_OPTIONS } from '../../bench/lib/latency.ts';
import { parse } from '@cdktf/hcl2json';
import { format } from '@cdktf/hcl-tools';
import { GCE_METHODS, GKE_METHODS, GKE_NODE_STATUS_METHODS } from '../../functions/handlers/events.ts';

const ROOT = new URL('../../', import.meta.url);
const TF_DIR = new URL('infra/terraform/', ROOT);
const files = readdirSync(TF_DIR)
  .filter((f) => f.endsWith('.tf'))
  .sort();

type Block = Record<string, unknown>;
interface Config {
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  locals: Block[];
  terraform: Block[];
  provider: Record<string, Block[]>;
}

async function load(): Promise<Config> {
  const merged: Config = { resource: {}, data: {}, variable: {}, output: {}, locals: [], terraform: [], provider: {} };
  for (const f of files) {
    const j = (await parse(f, readFileSync(new URL(f, TF_DIR), 'utf8'))) as Partial<Config>;
    for (const [type, byName] of Object.entries(j.resource ?? {})) Object.assign((merged.resource[type] ??= {}), byName);
    for (const [type, byName] of Object.entries(j.data ?? {})) Object.assign((merged.data[type] ??= {}), byName);
    Object.assign(merged.variable, j.variable ?? {});
    Object.assign(merged.output, j.output ?? {});
    Object.assign(merged.provider, j.provider ?? {});
    merged.locals.push(...(j.locals ?? []));
    merged.terraform.push(...(j.terraform ?? []));
  }
  return merged;
}

const configP = load();

function resource(c: Config, type: string, name: string): Block {
  const b = c.resource[type]?.[name]?.[0];
  assert.ok(b, `resource ${type}.${name} exists`);
  return b;
}
const one = (v: unknown): Block => {
  assert.ok(Array.isArray(v) && v.length === 1, 'a single nested block');
  return v[0] as Block;
};
function local(c: Config, name: string): unknown {
  const hit = c.locals.find((l) => name in l);
  assert.ok(hit, `local.${name} exists`);
  return hit[name];
}
const variableDefault = (c: Config, name: string): unknown => c.variable[name]?.[0]?.default;

test('every .tf file is formatted as terraform fmt would leave it', async () => {
  assert.ok(files.length >= 8, files.join(' '));
  for (const f of files) {
    const src = readFileSync(new URL(f, TF_DIR), 'utf8');
    assert.equal(await format(src), src, `${f} is not fmt-clean`);
  }
});

test('a syntax error is caught by the parser the other checks rely on', async () => {
  await assert.rejects(parse('broken.tf', 'resource "a" "b" {\n  x = \n}\n'));
});

test('concerns are split by file', () => {
  for (const f of ['versions.tf', 'variables.tf', 'iam.tf', 'pubsub.tf', 'sinks.tf', 'function.tf', 'outputs.tf', 'monitoring.tf']) {
    assert.ok(files.includes(f), f);
  }
});

test('every reference names a declared variable, local, resource or data source', async () => {
  const c = await configP;
  const declared = new Set<string>();
  for (const [type, byName] of Object.entries(c.resource)) for (const name of Object.keys(byName)) declared.add(`${type}.${name}`);
  for (const [type, byName] of Object.entries(c.data)) for (const name of Object.keys(byName)) declared.add(`data.${type}.${name}`);
  for (const name of Object.keys(c.variable)) declared.add(`var.${name}`);
  for (const l of c.locals) for (const name of Object.keys(l)) declared.add(`local.${name}`);

  const refs = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{[^]*\}/g)) {
        for (const r of m[0].matchAll(/\b(?:(var|local)\.([a-z0-9_]+)|(data\.[a-z0-9_]+\.[a-z0-9_]+)|(google_[a-z0-9_]+)\.([a-z0-9_]+))/g)) {
          refs.add(r[1] ? `${r[1]}.${r[2]}` : (r[3] ?? `${r[4]}.${r[5]}`));
        }
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(c);
  assert.ok(refs.size > 30);
  for (const r of refs) assert.ok(declared.has(r), `${r} is referenced but not declared`);
  // And nothing declared is dead weight.
  for (const d of declared) if (d.startsWith('var.') || d.startsWith('local.')) assert.ok(refs.has(d), `${d} is declared but never used`);
});

test('variables have descriptions; the ones a typo would break are validated', async () => {
  const c = await configP;
  for (const [name, [v]] of Object.entries(c.variable)) {
    assert.ok(typeof v?.description === 'string' && v.description.length > 20, `variable ${name} has a description`);
  }
  for (const name of ['project_id', 'region', 'clusters', 'function_name', 'service_account_id', 'custom_role_id', 'network_project_id', 'schedule', 'function_timeout_seconds', 'function_memory', 'environment', 'http_invokers']) {
    assert.ok(Array.isArray(c.variable[name]?.[0]?.validation), `variable ${name} is validated`);
  }
  assert.equal(variableDefault(c, 'schedule'), '* * * * *');
  assert.equal(variableDefault(c, 'function_memory'), '256M');
  // The heap settings the benchmark measured are the ones deployed, by both deployment paths.
  assert.equal(variableDefault(c, 'function_node_options'), DEPLOYED_NODE_OPTIONS);
  assert.match(String(local(c, 'function_environment')), /NODE_OPTIONS\s+= var\.function_node_options/);
  const script = readFileSync(new URL('../../infra/gcloud/deploy.sh', import.meta.url), 'utf8');
  assert.ok(script.includes(`NODE_OPTIONS_VALUE="\${NODE_OPTIONS_VALUE:-${DEPLOYED_NODE_OPTIONS}}"`), 'deploy.sh deploys the same NODE_OPTIONS');
  assert.match(script, /printf 'NODE_OPTIONS: "%s"\\n' "\$\{NODE_OPTIONS_VALUE\}"/);
  assert.equal(variableDefault(c, 'function_timeout_seconds'), 300);
  assert.equal(variableDefault(c, 'enable_http_function'), false);
  assert.equal(variableDefault(c, 'watch_node_status'), false);
});

test('a dedicated service account with a custom role bound on the project, and on a Shared VPC host when given', async () => {
  const c = await configP;
  assert.equal(resource(c, 'google_service_account', 'nodelb').account_id, '${var.service_account_id}');
  const role = resource(c, 'google_project_iam_custom_role', 'sync');
  assert.equal(role.permissions, '${local.sync_permissions}');
  const binding = resource(c, 'google_project_iam_member', 'sync');
  assert.equal(binding.role, '${google_project_iam_custom_role.sync.id}');
  assert.equal(binding.member, '${google_service_account.nodelb.member}');
  const net = resource(c, 'google_project_iam_custom_role', 'network');
  assert.equal(net.project, '${var.network_project_id}');
  assert.equal(net.count, '${local.shared_vpc ? 1 : 0}');
  assert.equal(resource(c, 'google_project_iam_member', 'network').role, '${google_project_iam_custom_role.network[0].id}');
  // No predefined broad role is granted to the account anywhere.
  for (const [type, byName] of Object.entries(c.resource)) {
    if (!type.endsWith('_iam_member')) continue;
    for (const [name, [b]] of Object.entries(byName)) {
      assert.doesNotMatch(String(b?.role), /roles\/(owner|editor|compute\.(admin|securityAdmin|networkAdmin)|container\.(admin|developer))/, `${type}.${name}`);
    }
  }
});

test('the role holds the permissions the adapters declare, the same list as deploy.sh', async () => {
  const c = await configP;
  const tf = local(c, 'sync_permissions') as string[];
  const network = local(c, 'network_permissions') as string[];
  assert.equal(new Set(tf).size, tf.length);
  // Permissions the code names as such (compute adapter's per-call permission lists).
  const declaredByCode = new Set<string>();
  for (const f of readdirSync(new URL('functions/adapters/', ROOT))) {
    const src = readFileSync(new URL(`functions/adapters/${f}`, ROOT), 'utf8');
    for (const m of src.matchAll(/'((?:compute|container)\.[a-zA-Z]+\.[a-zA-Z]+)'/g)) declaredByCode.add(m[1]!);
  }
  assert.ok(declaredByCode.size >= 6);
  for (const p of declaredByCode) assert.ok(tf.includes(p), `${p} (declared in functions/adapters) is in the role`);
  // network permissions: the firewall side of the role.
  assert.deepEqual([...network].sort(), tf.filter((p) => p.startsWith('compute.') && !p.startsWith('compute.instances.')).sort());

  const sh = readFileSync(new URL('infra/gcloud/deploy.sh', ROOT), 'utf8');
  const array = (name: string) => {
    const m = new RegExp(`^${name}=\\(\\n([^)]*)\\)`, 'm').exec(sh);
    assert.ok(m, `${name} in deploy.sh`);
    return m[1]!.split('\n').map((s) => s.trim()).filter((s) => s !== '');
  };
  assert.deepEqual(array('SYNC_PERMISSIONS'), tf);
  assert.deepEqual(array('NETWORK_PERMISSIONS'), network);
});

test('topic, and a scheduler job publishing {"reason":"schedule"} every minute', async () => {
  const c = await configP;
  resource(c, 'google_pubsub_topic', 'nodelb');
  const job = resource(c, 'google_cloud_scheduler_job', 'sync');
  assert.equal(job.schedule, '${var.schedule}');
  const target = one(job.pubsub_target);
  assert.equal(target.topic_name, '${google_pubsub_topic.nodelb.id}');
  assert.equal(target.data, '${base64encode(jsonencode({ reason = "schedule" }))}');
});

test('sinks: GCE activity + system_event with every handled method, GKE writes, each writer may publish', async () => {
  const c = await configP;
  const api = local(c, 'gce_api_methods') as string[];
  const system = local(c, 'gce_system_methods') as string[];
  assert.deepEqual([...api, ...system].sort(), [...GCE_METHODS].sort());
  assert.match(String(local(c, 'gce_method_names')), /"v1\.\$\{m\}", "beta\.\$\{m\}"/);
  const gceFilter = String(local(c, 'gce_filter'));
  for (const needle of ['%2Factivity', '%2Fsystem_event', 'compute.googleapis.com', 'gce_instance', 'local.gce_method_names']) {
    assert.ok(gceFilter.includes(needle), needle);
  }
  const gke = local(c, 'gke_methods') as string[];
  const nodeStatus = local(c, 'gke_node_status_methods') as string[];
  assert.deepEqual([...gke, ...nodeStatus].sort(), [...GKE_METHODS].sort());
  assert.deepEqual(nodeStatus, [...GKE_NODE_STATUS_METHODS]);
  const gkeFilter = String(local(c, 'gke_filter'));
  for (const needle of ['k8s_cluster', 'k8s.io', '%2Fdata_access', 'local.gke_method_names', 'principalEmail!=', 'google_service_account.nodelb.email']) {
    assert.ok(gkeFilter.includes(needle), needle);
  }

  for (const [sink, grant] of [
    ['gce', 'gce_sink'],
    ['gke', 'gke_sink'],
  ] as const) {
    const s = resource(c, 'google_logging_project_sink', sink);
    assert.equal(s.unique_writer_identity, true);
    assert.equal(s.destination, 'pubsub.googleapis.com/${google_pubsub_topic.nodelb.id}');
    assert.equal(s.filter, `\${local.${sink}_filter}`);
    const g = resource(c, 'google_pubsub_topic_iam_member', grant);
    assert.equal(g.role, 'roles/pubsub.publisher');
    assert.match(String(g.member), new RegExp(`google_logging_project_sink\\.${sink}(\\[0\\])?\\.writer_identity`));
  }
});

test('the event function: gen2, nodejs24, nodelbEvent on the topic with retries, 256M, 300 s, max_instances of one invocation each, the account', async () => {
  const c = await configP;
  const fn = resource(c, 'google_cloudfunctions2_function', 'event');
  const build = one(fn.build_config);
  assert.equal(build.runtime, 'nodejs24');
  assert.equal(build.entry_point, 'nodelbEvent');
  const storage = one(one(build.source).storage_source);
  assert.equal(storage.object, '${google_storage_bucket_object.source.name}');
  const svc = one(fn.service_config);
  assert.equal(svc.max_instance_count, '${var.max_instances}');
  assert.equal(svc.max_instance_request_concurrency, 1);
  assert.equal(variableDefault(c, 'max_instances'), 10);
  assert.equal(svc.available_memory, '${var.function_memory}');
  assert.equal(svc.timeout_seconds, '${var.function_timeout_seconds}');
  assert.equal(svc.service_account_email, '${google_service_account.nodelb.email}');
  assert.equal(svc.environment_variables, '${local.function_environment}');
  assert.match(String(local(c, 'function_environment')), /NODELB_CLUSTERS\s+= join\(",", var\.clusters\)/);
  // The fan-out publishes to the trigger topic, as the function's account.
  assert.match(String(local(c, 'function_environment')), /NODELB_FANOUT_TOPIC\s+= google_pubsub_topic\.nodelb\.id/);
  assert.match(String(local(c, 'function_environment')), /NODELB_FANOUT_THRESHOLD = tostring\(var\.fanout_threshold\)/);
  const pub = resource(c, 'google_pubsub_topic_iam_member', 'function_publisher');
  assert.equal(pub.role, 'roles/pubsub.publisher');
  assert.equal(pub.member, '${google_service_account.nodelb.member}');
  const trig = one(fn.event_trigger);
  assert.equal(trig.event_type, 'google.cloud.pubsub.topic.v1.messagePublished');
  assert.equal(trig.pubsub_topic, '${google_pubsub_topic.nodelb.id}');
  assert.equal(trig.retry_policy, 'RETRY_POLICY_RETRY');
  // The source: this repository, zipped, uploaded under its content hash.
  const archive = c.data.archive_file?.source?.[0];
  assert.ok(archive);
  assert.equal(archive.source_dir, '${local.repository_root}');
  assert.equal(resource(c, 'google_storage_bucket_object', 'source').name, 'nodelb-${data.archive_file.source.output_md5}.zip');
});

test('the HTTP function is optional (default off) and invokable through IAM only', async () => {
  const c = await configP;
  const http = resource(c, 'google_cloudfunctions2_function', 'http');
  assert.equal(http.count, '${var.enable_http_function ? 1 : 0}');
  assert.equal(one(http.build_config).entry_point, 'nodelbHttp');
  assert.equal(one(http.build_config).runtime, 'nodejs24');
  assert.equal(http.event_trigger, undefined);
  const inv = resource(c, 'google_cloud_run_service_iam_member', 'http_invoker');
  assert.equal(inv.role, 'roles/run.invoker');
  assert.equal(inv.member, '${each.value}');
  assert.doesNotMatch(readFileSync(new URL('function.tf', TF_DIR), 'utf8'), /allUsers|allAuthenticatedUsers/);
});

test('the upload leaves out the same things with Terraform and with gcloud (.gcloudignore)', async () => {
  const c = await configP;
  const excludes = local(c, 'source_excludes') as string[];
  const ignore = readFileSync(new URL('.gcloudignore', ROOT), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const ignoredDirs = ignore.filter((l) => l.endsWith('/')).map((l) => l.slice(0, -1));
  for (const d of ignoredDirs) {
    assert.ok(excludes.includes(d) && excludes.includes(`${d}/**`), `${d} excluded by Terraform too`);
  }
  for (const e of excludes.filter((x) => !x.includes('*'))) assert.ok(ignoredDirs.includes(e), `${e} in .gcloudignore too`);
  for (const needed of ['test', 'node_modules', 'bench', 'build']) assert.ok(ignoredDirs.includes(needed), needed);
  assert.ok(!ignoredDirs.includes('functions'));
});

test('the deployed package: main is the compiled entry point, gcp-build compiles', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { main: string; scripts: Record<string, string> };
  assert.equal(pkg.main, 'build/functions/index.js');
  assert.match(pkg.scripts['gcp-build'] ?? '', /^tsc -p tsconfig\.build\.json$/);
});

test('outputs give the account email and the RBAC step', async () => {
  const c = await configP;
  assert.equal(c.output.service_account_email?.[0]?.value, '${google_service_account.nodelb.email}');
  assert.match(String(c.output.rbac_setup?.[0]?.value), /manifests\/kustomization\.yaml/);
});

test('the GCE sink lists exactly the handled method names once each, with prefixes only on API methods', async () => {
  // The filter is built from the locals; check the locals produce the same set deploy.sh uses.
  const c = await configP;
  const api = local(c, 'gce_api_methods') as string[];
  const system = local(c, 'gce_system_methods') as string[];
  const sh = readFileSync(new URL('infra/gcloud/deploy.sh', ROOT), 'utf8');
  const array = (name: string) => /^NAME=\(\n([^)]*)\)/m.source.replace('NAME', name);
  const read = (name: string) => new RegExp(array(name), 'm').exec(sh)![1]!.split('\n').map((s) => s.trim()).filter((s) => s !== '');
  assert.deepEqual(read('GCE_API_METHODS'), api);
  assert.deepEqual(read('GCE_SYSTEM_METHODS'), system);
  assert.deepEqual(read('GKE_METHODS'), local(c, 'gke_methods'));
  assert.deepEqual(read('GKE_NODE_STATUS_METHODS'), local(c, 'gke_node_status_methods'));
});

// ---- monitoring.tf ---------------------------------------------------------------------------

/** The event names the code writes: the first argument of logger.debug/info/warn/error (also
 *  when the method is chosen by an expression, `(ok ? log.info : log.warn)('sync.finished', …)`),
 *  and `event: '…'` in lines written by hand. Read from the source, so a renamed event shows. */
function emittedEvents(): Set<string> {
  const dir = fileURLToPath(new URL('functions/', ROOT));
  const names = new Set<string>();
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts')) continue;
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/(?:\.(?:debug|info|warn|error)|\))\(\s*'([a-z]+\.[a-z_]+)'/g)) names.add(m[1]!);
    for (const m of src.matchAll(/\bevent:\s*'([a-z]+\.[a-z_]+)'/g)) names.add(m[1]!);
  }
  return names;
}

test('the event names are read from the code: the sync summary, the action lines and the prerequisites are there', () => {
  const names = emittedEvents();
  for (const e of ['sync.finished', 'sync.crashed', 'action.applied', 'action.failed', 'plan.computed', 'prerequisite.missing', 'read.failed', 'config.invalid']) {
    assert.ok(names.has(e), e);
  }
  assert.ok(!names.has('compute.instances.list'), 'permission strings are not mistaken for events');
});

test('every event a metric, the alert or a documented query names is one the code writes', () => {
  const names = emittedEvents();
  const sources: [string, string][] = [
    ['monitoring.tf', readFileSync(new URL('monitoring.tf', TF_DIR), 'utf8')],
    ['infra/logs-queries.md', readFileSync(new URL('infra/logs-queries.md', ROOT), 'utf8')],
  ];
  const gcloudDir = new URL('infra/gcloud/monitoring/', ROOT);
  for (const f of readdirSync(gcloudDir)) sources.push([`infra/gcloud/monitoring/${f}`, readFileSync(new URL(f, gcloudDir), 'utf8')]);
  let seen = 0;
  for (const [file, text] of sources) {
    for (const m of text.matchAll(/jsonPayload\.event\s*(?:=|:)\s*\\?"([^"\\]+)\\?"/g)) {
      const name = m[1]!;
      seen++;
      // `:` is a substring match: "action." names the action.* family.
      assert.ok(names.has(name) || [...names].some((n) => name.endsWith('.') && n.startsWith(name)), `${file} names ${name}, which the code never writes`);
    }
  }
  assert.ok(seen >= 20, `${seen} event names checked`);
});

test('logs-based metrics: syncs by cluster and ok, applied and failed actions by kind, a sync-duration distribution', async () => {
  const c = await configP;
  const filter = String(local(c, 'function_log_filter'));
  // The function's logs: a gen2 function is a Cloud Run service named like the function.
  assert.match(filter, /^resource\.type="cloud_run_revision" AND \(/);
  assert.ok(filter.includes('resource.labels.service_name="${var.function_name}"'));
  assert.ok(filter.includes('resource.labels.service_name="${var.function_name}-http"'));
  assert.equal(resource(c, 'google_cloudfunctions2_function', 'event').name, '${var.function_name}');
  assert.equal(resource(c, 'google_cloudfunctions2_function', 'http').name, '${var.function_name}-http');

  const want = {
    syncs: { events: ['sync.finished', 'sync.crashed'], labels: { cluster: ['STRING', 'EXTRACT(labels.cluster)'], ok: ['BOOL', 'EXTRACT(jsonPayload.ok)'] }, type: 'INT64' },
    actions: { events: ['action.applied'], labels: { kind: ['STRING', 'EXTRACT(jsonPayload.kind)'], cluster: ['STRING', 'EXTRACT(labels.cluster)'] }, type: 'INT64' },
    action_failures: { events: ['action.failed'], labels: { kind: ['STRING', 'EXTRACT(jsonPayload.kind)'], cluster: ['STRING', 'EXTRACT(labels.cluster)'] }, type: 'INT64' },
    sync_duration: { events: ['sync.finished'], labels: { cluster: ['STRING', 'EXTRACT(labels.cluster)'], ok: ['BOOL', 'EXTRACT(jsonPayload.ok)'] }, type: 'DISTRIBUTION' },
  };
  assert.deepEqual(Object.keys(c.resource.google_logging_metric ?? {}).sort(), Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const m = resource(c, 'google_logging_metric', name);
    assert.equal(m.name, `\${var.function_name}/${name}`);
    assert.ok(String(m.filter).startsWith('${local.function_log_filter} AND '), `${name} filters the function's logs`);
    assert.deepEqual([...String(m.filter).matchAll(/jsonPayload\.event="([^"]+)"/g)].map((x) => x[1]), w.events, name);
    const d = one(m.metric_descriptor);
    assert.equal(d.metric_kind, 'DELTA');
    assert.equal(d.value_type, w.type);
    const labels = Object.fromEntries((d.labels as Block[]).map((l) => [l.key, l.value_type]));
    const extractors = m.label_extractors as Record<string, string>;
    assert.deepEqual(Object.keys(labels).sort(), Object.keys(w.labels).sort(), `${name} labels`);
    for (const [key, [type, extractor]] of Object.entries(w.labels)) {
      assert.equal(labels[key], type, `${name}.${key}`);
      assert.equal(extractors[key], extractor, `${name}.${key}`);
    }
  }
  const d = resource(c, 'google_logging_metric', 'sync_duration');
  assert.equal(d.value_extractor, 'EXTRACT(jsonPayload.durationMs)');
  assert.equal(one(d.metric_descriptor).unit, 'ms');
  const b = one(one(d.bucket_options).exponential_buckets);
  assert.ok(Number(b.scale) * Number(b.growth_factor) ** Number(b.num_finite_buckets) >= 540_000, 'buckets reach the longest timeout');
});

test('the alert: more than N failed syncs of one cluster in a window, documented, channels optional', async () => {
  const c = await configP;
  assert.equal(variableDefault(c, 'failed_syncs_threshold'), 3);
  assert.equal(variableDefault(c, 'failed_syncs_window_minutes'), 10);
  assert.deepEqual(variableDefault(c, 'alert_notification_channels'), []);
  for (const v of ['failed_syncs_threshold', 'failed_syncs_window_minutes', 'alert_notification_channels']) {
    assert.ok(Array.isArray(c.variable[v]?.[0]?.validation), `${v} is validated`);
  }
  const p = resource(c, 'google_monitoring_alert_policy', 'failed_syncs');
  assert.equal(p.notification_channels, '${var.alert_notification_channels}');
  assert.equal(p.combiner, 'OR');
  const t = one(one(p.conditions).condition_threshold);
  assert.equal(t.filter, 'resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/${google_logging_metric.syncs.name}" AND metric.label.ok="false"');
  assert.equal(t.comparison, 'COMPARISON_GT');
  assert.equal(t.threshold_value, '${var.failed_syncs_threshold}');
  const a = one(t.aggregations);
  assert.equal(a.alignment_period, '${var.failed_syncs_window_minutes * 60}s');
  assert.equal(a.per_series_aligner, 'ALIGN_SUM');
  assert.equal(a.cross_series_reducer, 'REDUCE_SUM');
  assert.deepEqual(a.group_by_fields, ['metric.label.cluster']);
  const doc = one(p.documentation);
  assert.equal(doc.mime_type, 'text/markdown');
  const content = String(doc.content);
  // What the on-call runs first: the failed actions of the cluster the incident is about.
  assert.ok(content.includes('`${local.function_log_filter} AND jsonPayload.event="action.failed" AND labels.cluster="$${metric.label.cluster}"`'), content);
  assert.ok(content.length < 8192);
});

test('the Monitoring API is enabled by both deployments', async () => {
  const c = await configP;
  assert.ok((local(c, 'services') as string[]).includes('monitoring.googleapis.com'));
  assert.match(readFileSync(new URL('infra/gcloud/deploy.sh', ROOT), 'utf8'), /services enable[^]*monitoring\.googleapis\.com/);
});
