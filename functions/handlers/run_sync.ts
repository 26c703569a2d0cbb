// Runs one sync for an entry point. The runtime (and through it the API clients) is imported on
// first use, so the Functions Framework is serving before any of it loads; the token source is
// kept for the life of the instance. Does I/O through the runtime.
import type { Config } from '../config.ts';
import type { TokenSource } from '../adapters/auth.ts';
import type { ClusterTarget } from '../adapters/connect.ts';
import type { Logger } from '../platform/log.ts';
import type { RunReport } from '../runtime/report.ts';

export interface SyncRequest {
  clusters: readonly string[]; // projects/P/locations/L/clusters/C
  /** Short and stable, for the log label and the report: "schedule", "http", "gce compute.instances.stop". */
  trigger: string;
  /** Added to every log line of the sync (method, instance, message id…). */
  fields?: Record<string, string>;
  goingAway?: string[];
  dryRun?: boolean;
  /** The report carries every Service's per-node decisions (the HTTP answer); a scheduled sync
   *  that shows no one its report does not make them (Services × nodes). */
  explain?: boolean;
}

// Google's token is fetched from the metadata server and cached by google-auth-library; one
// source per instance keeps that cache across invocations.
let tokens: { accessToken: string | undefined; source: TokenSource } | undefined;

/** This instance's token source (the sync's and the fan-out's). */
export async function instanceTokens(config: Config): Promise<TokenSource> {
  const { createTokenSource } = await import('../adapters/auth.ts');
  if (tokens === undefined || tokens.accessToken !== config.accessToken) {
    tokens = { accessToken: config.accessToken, source: createTokenSource(config) };
  }
  return tokens.source;
}

export async function runSync(config: Config, req: SyncRequest, logger: Logger): Promise<RunReport> {
  const [{ syncAll }, { planExplained }, source] = await Promise.all([import('../runtime/sync.ts'), import('../core/plan.ts'), instanceTokens(config)]);
  const targets: ClusterTarget[] = req.clusters.map((name) => ({ kind: 'gke', name }));
  return syncAll(targets, config, {
    logger: logger.child({ trigger: req.trigger, ...req.fields }),
    trigger: req.trigger,
    goingAway: req.goingAway,
    dryRun: req.dryRun,
    tokens: source,
    ...(req.explain === true ? { planner: planExplained } : {}),
  });
}
