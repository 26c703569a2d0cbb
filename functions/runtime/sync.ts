// The engine every entry point shares. syncCluster: connect → check prerequisites → one round
// (reconcile.ts) → if that round changed proxy DaemonSets, wait for their pods (settle.ts) and
// run a second round → report (report.ts). syncAll runs several clusters with a bound, one
// failure never stopping the others. Does I/O.
import pLimit from 'p-limit';
import type { ClusterTarget, Connection } from '../adapters/connect.ts';
import { createContainerApi } from '../adapters/container.ts';
import { createTokenSource } from '../adapters/auth.ts';
import type { Config } from '../config.ts';
import { combineOutcomes } from '../core/outcome.ts';
import { describeError } from '../platform/errors.ts';
import { buildDeps, type SyncDeps, type SyncOptions } from './deps.ts';
import { autopilotPrerequisite } from '../core/prerequisites.ts';
import { reconcileOnce, syncError, type ClusterApis } from './reconcile.ts';
import { clusterReport, crashedReport, logFinished, type ClusterReport, type ClusterRun, type RunReport } from './report.ts';
import { retrying } from './retry.ts';
import { settleProxies } from './settle.ts';

export type { SyncOptions } from './deps.ts';

export function targetName(t: ClusterTarget): string {
  return t.kind === 'gke' ? t.name : `kubeconfig${t.path ? `:${t.path}` : ''}${t.context ? `#${t.context}` : ''}`;
}

export function targetsFromConfig(config: Pick<Config, 'clusters'>): ClusterTarget[] {
  return config.clusters.map((name) => ({ kind: 'gke', name }));
}

export async function syncCluster(target: ClusterTarget, config: Config, opts: SyncOptions): Promise<ClusterReport> {
  const deps = buildDeps(config, opts, targetName(target));
  deps.log.info('sync.started', `sync of ${targetName(target)} started${deps.dryRun ? ' (dry run)' : ''}`, { dryRun: deps.dryRun, goingAway: deps.goingAway });
  const run = await connectAndReconcile(target, deps);
  const report = clusterReport(run, { runId: deps.runId, trigger: deps.trigger, dryRun: deps.dryRun, durationMs: deps.clock.now() - deps.started, calls: deps.counter.snapshot() });
  logFinished(report, deps.log);
  return report;
}

async function connectAndReconcile(target: ClusterTarget, deps: SyncDeps): Promise<ClusterRun> {
  let conn: Connection;
  try {
    conn = await connect(target, deps);
  } catch (e) {
    deps.log.error('sync.connect_failed', `cannot connect to ${targetName(target)}: ${describeError(e)}`, { error: e });
    return { cluster: targetName(target), rounds: [], stopped: { error: syncError('connect', e), cause: e }, settleTimedOut: false };
  }
  const autopilot = autopilotPrerequisite(conn.info);
  if (autopilot) {
    const error = { stage: 'prerequisites' as const, message: autopilot.message, fix: autopilot.fix, retryable: false };
    return { cluster: conn.info.name, rounds: [], stopped: { error, prerequisite: autopilot }, settleTimedOut: false };
  }
  const apis: ClusterApis = { kube: retrying(conn.kube, 'kube', deps.policy), compute: conn.compute ? retrying(conn.compute, 'compute', deps.policy) : undefined, info: conn.info };
  const first = await reconcileOnce(1, apis, deps, { carried: new Map(), secondRoundPossible: true });
  if (!first.settleNext) return { cluster: conn.info.name, rounds: [first], settleTimedOut: false };
  const settled = await settleProxies(apis.kube, first.changedDaemonSets, deps);
  const second = await reconcileOnce(2, apis, deps, { carried: first.failedForGood, secondRoundPossible: false });
  return { cluster: conn.info.name, rounds: [first, second], settleTimedOut: !settled };
}

function connect(target: ClusterTarget, deps: SyncDeps): Promise<Connection> {
  const { config, tokens, counter, clock, fetch, policy, deadline } = deps;
  const container = target.kind === 'gke' ? retrying(createContainerApi({ baseUrl: config.containerEndpoint, tokens, counter, fetch }), 'container', policy) : undefined;
  return deps.connect(target, config, deps.log, { tokens, counter, clock, fetch, container, kubeRequestTimeoutMs: deps.kubeRequestTimeoutMs, deadline });
}

export async function syncAll(targets: readonly ClusterTarget[], config: Config, opts: SyncOptions): Promise<RunReport> {
  const limit = pLimit(Math.max(1, config.clusterConcurrency));
  const tokens = opts.tokens ?? createTokenSource(config);
  const clusters = await Promise.all(
    targets.map((t) =>
      limit(async (): Promise<ClusterReport> => {
        try {
          return await syncCluster(t, config, { ...opts, tokens, runId: undefined });
        } catch (e) {
          // syncCluster reports its own failures; this is the last line against a bug.
          opts.logger.error('sync.crashed', `sync of ${targetName(t)} crashed: ${describeError(e)}`, { error: e, cluster: targetName(t), ok: false, outcome: 'failed' });
          return crashedReport(targetName(t), opts.trigger, config.dryRun || opts.dryRun === true, e);
        }
      }),
    ),
  );
  const outcome = combineOutcomes(clusters.map((c) => c.outcome));
  return { outcome, ok: outcome === 'done', converged: clusters.every((c) => c.converged), retryable: outcome === 'failed', trigger: opts.trigger, clusters };
}
