// Test support (no test of its own): infra/terraform/monitoring.tf read with HashiCorp's parser and
// rendered for given variables into the shapes the Logging and Monitoring APIs take (the shapes of
// infra/gcloud/monitoring/*.json), so tests can compare both deployments and run the filters.
// Reads files; no network.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';

const TF_DIR = new URL('../../infra/terraform/', import.meta.url);

type Block = Record<string, unknown>;
type Vars = Record<string, string | number>;

export interface LogMetricJson {
  name: string;
  description: string;
  filter: string;
  metricDescriptor: {
    metricKind: string;
    valueType: string;
    unit: string;
    displayName: string;
    labels: { key: string; valueType: string; description: string }[];
  };
  labelExtractors: Record<string, string>;
  valueExtractor?: string;
  bucketOptions?: { exponentialBuckets: { numFiniteBuckets: number; growthFactor: number; scale: number } };
}

export interface MonitoringTf {
  /** By Terraform resource name (syncs, actions, …). */
  metrics: Record<string, LogMetricJson>;
  /** The alert policy as the Monitoring API's JSON, notification channels included. */
  policy: Record<string, unknown>;
  /** The raw blocks, for checks on how values are built. */
  raw: { metrics: Record<string, Block>; policy: Block; locals: Block };
}

async function parseFile(name: string): Promise<Record<string, unknown>> {
  return (await parse(name, readFileSync(new URL(name, TF_DIR), 'utf8'))) as Record<string, unknown>;
}

const one = (v: unknown, what: string): Block => {
  assert.ok(Array.isArray(v) && v.length === 1, `${what}: a single block`);
  return v[0] as Block;
};

/** Variable defaults from variables.tf, overridden by `vars`. */
async function variables(vars: Vars): Promise<Vars> {
  const file = await parseFile('variables.tf');
  const out: Vars = {};
  for (const [name, blocks] of Object.entries((file.variable ?? {}) as Record<string, Block[]>)) {
    const d = blocks[0]?.default;
    if (typeof d === 'string' || typeof d === 'number') out[name] = d;
  }
  return { ...out, ...vars };
}

/** Renders an HCL template string the way Terraform would, for the few expressions monitoring.tf
 *  uses: var.X, var.X * N, local.X, google_logging_metric.R.name, and the $${ escape. Anything
 *  else throws, so a new construct needs a deliberate addition here. */
export function renderTemplate(template: string, scope: { vars: Vars; locals: Block; metricNames: Record<string, string> }): string {
  return template.replace(/\$\$\{|\$\{([^}]*)\}/g, (whole, expr: string | undefined) => {
    if (expr === undefined) return '${';
    const e = expr.trim();
    let m = /^var\.([a-z0-9_]+)(?:\s*\*\s*(\d+))?$/.exec(e);
    if (m) {
      const v = scope.vars[m[1]!];
      assert.ok(v !== undefined, `var.${m[1]} has a value`);
      return m[2] ? String(Number(v) * Number(m[2])) : String(v);
    }
    m = /^local\.([a-z0-9_]+)$/.exec(e);
    if (m) {
      const l = scope.locals[m[1]!];
      assert.equal(typeof l, 'string', `local.${m[1]} is a string`);
      return renderTemplate(l as string, scope);
    }
    m = /^google_logging_metric\.([a-z0-9_]+)\.name$/.exec(e);
    if (m) {
      const n = scope.metricNames[m[1]!];
      assert.ok(n, `google_logging_metric.${m[1]} exists`);
      return n;
    }
    throw new Error(`renderTemplate: unsupported expression ${whole}`);
  });
}

/** monitoring.tf for these variables (defaults from variables.tf for the others) and
 *  alert_notification_channels. */
export async function loadMonitoringTf(vars: Vars = {}, channels: string[] = []): Promise<MonitoringTf> {
  const file = await parseFile('monitoring.tf');
  const resources = (file.resource ?? {}) as Record<string, Record<string, Block[]>>;
  const locals = Object.assign({}, ...((file.locals ?? []) as Block[])) as Block;
  const scope = { vars: await variables(vars), locals, metricNames: {} as Record<string, string> };
  const r = (v: unknown) => renderTemplate(String(v), scope);

  const rawMetrics: Record<string, Block> = {};
  for (const [name, blocks] of Object.entries(resources.google_logging_metric ?? {})) rawMetrics[name] = one(blocks, name);
  for (const [name, b] of Object.entries(rawMetrics)) scope.metricNames[name] = r(b.name);

  const metrics: Record<string, LogMetricJson> = {};
  for (const [name, b] of Object.entries(rawMetrics)) {
    const d = one(b.metric_descriptor, `${name}.metric_descriptor`);
    const m: LogMetricJson = {
      name: r(b.name),
      description: r(b.description),
      filter: r(b.filter),
      metricDescriptor: {
        metricKind: String(d.metric_kind),
        valueType: String(d.value_type),
        unit: String(d.unit),
        displayName: r(d.display_name),
        labels: ((d.labels ?? []) as Block[]).map((l) => ({ key: String(l.key), valueType: String(l.value_type), description: r(l.description) })),
      },
      labelExtractors: Object.fromEntries(Object.entries((b.label_extractors ?? {}) as Record<string, string>).map(([k, v]) => [k, r(v)])),
    };
    if (b.value_extractor !== undefined) m.valueExtractor = r(b.value_extractor);
    if (b.bucket_options !== undefined) {
      const e = one(one(b.bucket_options, `${name}.bucket_options`).exponential_buckets, `${name}.exponential_buckets`);
      m.bucketOptions = { exponentialBuckets: { numFiniteBuckets: Number(e.num_finite_buckets), growthFactor: Number(e.growth_factor), scale: Number(e.scale) } };
    }
    metrics[name] = m;
  }

  const p = one(Object.values(resources.google_monitoring_alert_policy ?? {})[0], 'alert policy');
  const cond = one(p.conditions, 'conditions');
  const t = one(cond.condition_threshold, 'condition_threshold');
  const agg = one(t.aggregations, 'aggregations');
  const doc = one(p.documentation, 'documentation');
  assert.equal(p.notification_channels, '${var.alert_notification_channels}');
  const policy = {
    displayName: r(p.display_name),
    combiner: p.combiner,
    severity: p.severity,
    notificationChannels: channels,
    conditions: [
      {
        displayName: r(cond.display_name),
        conditionThreshold: {
          filter: r(t.filter),
          comparison: t.comparison,
          thresholdValue: Number(r(t.threshold_value)),
          duration: t.duration,
          evaluationMissingData: t.evaluation_missing_data,
          aggregations: [
            {
              alignmentPeriod: r(agg.alignment_period),
              perSeriesAligner: agg.per_series_aligner,
              crossSeriesReducer: agg.cross_series_reducer,
              groupByFields: agg.group_by_fields,
            },
          ],
          trigger: { count: one(t.trigger, 'trigger').count },
        },
      },
    ],
    alertStrategy: { autoClose: one(p.alert_strategy, 'alert_strategy').auto_close },
    documentation: { mimeType: doc.mime_type, subject: r(doc.subject), content: r(doc.content) },
  };
  return { metrics, policy, raw: { metrics: rawMetrics, policy: p, locals } };
}
