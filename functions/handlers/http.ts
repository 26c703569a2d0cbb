// nodelbHttp: a manual (or HTTP-scheduled) sync that answers with the JSON RunReport.
// GET or POST; ?dryRun=true (or dry_run) plans without writing; ?cluster= picks configured
// clusters (repeatable). Status from the outcome (core/outcome.ts): 500 exactly when the CLI would
// exit 1 (failed, a retry can help), else 200 (done, or refused with ok:false). Does I/O through run_sync.
import type { Request, Response } from '@google-cloud/functions-framework';
import type { RunReport } from '../runtime/report.ts';
import { createLogger } from '../platform/log.ts';
import { httpStatus } from '../core/outcome.ts';
import { parseClusterName } from '../cluster_name.ts';
import { instanceConfig, logConfigError } from './instance_config.ts';
import { runSync } from './run_sync.ts';

export type HttpParams = { ok: true; dryRun: boolean; clusters: string[] } | { ok: false; problems: string[] };

type QueryValue = string | string[] | undefined | unknown;

const values = (v: QueryValue): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Validates the query against the configured clusters. Pure. */
export function parseHttpParams(query: Record<string, QueryValue>, configured: readonly string[]): HttpParams {
  const problems: string[] = [];
  let dryRun = false;
  const flags = [...values(query.dryRun), ...values(query.dry_run)];
  for (const f of flags) {
    const s = f.trim().toLowerCase();
    if (['', '1', 'true', 'yes'].includes(s)) dryRun = true;
    else if (!['0', 'false', 'no'].includes(s)) problems.push(`dryRun: expected true or false, got "${f}"`);
  }
  const clusters: string[] = [];
  for (const wanted of values(query.cluster)) {
    // The full name, or the short name when exactly one configured cluster has it.
    const byShort = configured.filter((c) => parseClusterName(c)?.name === wanted);
    const hit = configured.includes(wanted) ? wanted : byShort.length === 1 ? byShort[0] : undefined;
    if (hit === undefined) problems.push(`cluster "${wanted}" is not one of the configured clusters (${configured.join(', ') || 'none'})`);
    else if (!clusters.includes(hit)) clusters.push(hit);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, dryRun, clusters: clusters.length > 0 ? clusters : [...configured] };
}

/** Callers (Cloud Scheduler HTTP jobs, scripts) retry on non-2xx. A retry helps only when the
 *  failure is transient; a permanent one (missing permission, Autopilot, bad input) would be
 *  retried forever, so it is a 200 whose body says ok:false and why. */
export function httpStatusFor(report: RunReport): number {
  return httpStatus(report.outcome);
}

export async function nodelbHttp(req: Request, res: Response): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.set('Allow', 'GET, POST').status(405).json({ error: `method ${req.method} not allowed: use GET or POST` });
    return;
  }
  const cfg = await instanceConfig();
  // Invalid configuration is refused, not failed: a retry cannot fix it (the CLI exits 2), so
  // it is no 500 that callers would retry; the body and the CRITICAL log line say what is wrong.
  if (!cfg.ok) {
    logConfigError(cfg.error);
    res.status(httpStatus('refused')).json({ outcome: 'refused', ok: false, error: 'invalid configuration', problems: cfg.error.problems });
    return;
  }
  const config = cfg.config;
  const params = parseHttpParams(req.query as Record<string, QueryValue>, config.clusters);
  if (!params.ok) {
    res.status(400).json({ error: 'bad request', problems: params.problems });
    return;
  }
  if (params.clusters.length === 0) {
    res.status(httpStatus('refused')).json({ outcome: 'refused', ok: false, error: 'invalid configuration', problems: ['NODELB_CLUSTERS names no cluster'] });
    return;
  }
  const logger = createLogger({ level: config.logLevel, fields: { component: 'http' } });
  const report = await runSync(config, { clusters: params.clusters, trigger: 'http', dryRun: params.dryRun, explain: true }, logger);
  res.status(httpStatusFor(report)).json(report);
}
