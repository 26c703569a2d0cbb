// nodelbEvent: Pub/Sub messages from Cloud Scheduler, the GCE/GKE audit-log sinks and its own
// fan-out. Each means "sync these clusters now" (events.ts); a schedule of more clusters than the
// threshold is fanned out instead, one message per cluster (fanout.ts). Returns (acknowledged)
// when done, failed for good, or concerned nothing; throws — so Pub/Sub redelivers — only when a
// retry can help. Does I/O through run_sync and run_fanout.
import type { CloudEvent } from '@google-cloud/functions-framework';
import { createLogger } from '../platform/log.ts';
import { shouldRedeliver } from '../core/outcome.ts';
import type { RunReport } from '../runtime/report.ts';
import { parsePubSubMessage, selectClusters, triggerLabels, type Trigger } from './events.ts';
import { shouldFanOut } from './fanout.ts';
import { instanceConfig, logConfigError } from './instance_config.ts';
import { runSync } from './run_sync.ts';

/** Older deliveries are acknowledged without a sync: by then the every-minute schedule has run
 *  many times, and a retried old event would only repeat it (retries last up to a day). */
export const MAX_EVENT_AGE_MS = 10 * 60_000;

export class RetryableSyncError extends Error {
  readonly report: RunReport;
  constructor(report: RunReport) {
    const failing = report.clusters.filter((c) => !c.ok).map((c) => `${c.cluster}: ${c.errors.map((e) => e.message).join('; ') || 'actions failed'}`);
    super(`sync failed, a retry may help: ${failing.join(' | ')}`);
    this.name = 'RetryableSyncError';
    this.report = report;
  }
}

/** The Pub/Sub push body: already JSON in binary and structured mode, a string or bytes when
 *  the content type was not JSON. */
function eventData(event: CloudEvent<unknown>): unknown {
  const d = event.data;
  const text = typeof d === 'string' ? d : Buffer.isBuffer(d) ? d.toString('utf8') : undefined;
  if (text === undefined) return d;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return d;
  }
}

function triggerName(t: Trigger): string {
  return t.kind === 'gce' || t.kind === 'gke' ? `${t.kind} ${t.methodName}` : t.kind;
}

export class RetryableFanoutError extends Error {
  constructor(message: string) {
    super(`fan-out failed, a retry may help: ${message}`);
    this.name = 'RetryableFanoutError';
  }
}

export async function nodelbEvent(event: CloudEvent<unknown>): Promise<void> {
  const cfg = await instanceConfig();
  if (!cfg.ok) {
    // A retry cannot fix the configuration; a redeploy with a fixed one starts new instances.
    logConfigError(cfg.error);
    return;
  }
  const config = cfg.config;
  const trigger = parsePubSubMessage(eventData(event));
  const labels = { ...triggerLabels(trigger), eventId: event.id };
  const logger = createLogger({ level: config.logLevel, fields: { component: 'event', trigger: triggerName(trigger), ...labels } });

  const age = event.time ? Date.now() - Date.parse(event.time) : 0;
  if (age > MAX_EVENT_AGE_MS) {
    logger.info('event.stale', `event from ${event.time} is ${Math.round(age / 60_000)} min old: acknowledged without a sync (the schedule has synced since)`);
    return;
  }
  if (trigger.kind === 'invalid') {
    logger.warn('event.invalid', `unparseable message acknowledged: ${trigger.why}`);
    return;
  }
  const selection = selectClusters(trigger, config.clusters);
  if (selection.clusters.length === 0) {
    logger.info('event.ignored', `nothing to sync: ${selection.why}`);
    return;
  }
  if (shouldFanOut(trigger, selection.clusters, config.fanoutThreshold)) {
    const { runFanout } = await import('./run_fanout.ts');
    const result = await runFanout(config, selection.clusters, logger);
    // A permanent failure (no publish permission) is logged with its fix and acknowledged: the
    // next schedule tries again, and a retry now would fail the same way.
    if (result.error?.retryable) throw new RetryableFanoutError(result.error.message);
    return;
  }
  logger.info('event.accepted', `syncing ${selection.clusters.length} cluster(s): ${selection.why}`, {
    clusters: selection.clusters,
    goingAway: selection.goingAway,
  });
  const report = await runSync(
    config,
    { clusters: selection.clusters, trigger: triggerName(trigger), fields: labels, goingAway: selection.goingAway },
    logger,
  );
  if (shouldRedeliver(report.outcome)) {
    const err = new RetryableSyncError(report);
    logger.error('event.retry', err.message);
    throw err;
  }
}
