// The shapes a sync reports (JSON for the HTTP trigger and the CLI, one summary log line), built
// from a cluster's rounds; the verdict itself is core/outcome.ts. Pure but for the log line.
import type { Plan } from '../core/model.ts';
import { summariseAction, type ActionSummary } from '../core/action_text.ts';
import type { ActionResult } from '../core/results.ts';
import { actionsOf } from '../core/stages.ts';
import { verdict, type Outcome } from '../core/outcome.ts';
import { CallCounter, type CallCounts } from '../platform/calls.ts';
import { describeError } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';
import type { Prerequisite } from '../core/prerequisites.ts';
import { permissionPrerequisites } from './prerequisites.ts';
import type { RoundResult } from './reconcile.ts';

export type { ActionSummary } from '../core/action_text.ts';

export interface SyncError {
  stage: 'connect' | 'prerequisites' | 'observe' | 'plan' | 'apply' | 'settle';
  message: string;
  fix?: string;
  retryable: boolean;
}

export interface ClusterReport {
  cluster: string;
  runId: string;
  /** The verdict (core/outcome.ts); exit status, HTTP status and the alert follow from it. */
  outcome: Outcome;
  ok: boolean; // outcome === 'done'
  converged: boolean; // done, and nothing left to do that this run could see (no pending proxy)
  retryable: boolean; // outcome === 'failed': running again may help
  dryRun: boolean;
  trigger: string;
  durationMs: number;
  rounds: number; // 2 when the sync waited for new proxy pods and planned again
  plan: {
    actions: ActionSummary[];
    services: Plan['services'];
    notes: Plan['notes'];
    heldBack: boolean;
    /** Set when the Services could not be planned: why they are unknown (not "none"). */
    unknown?: string;
  };
  results: (ActionResult & { round: number })[];
  calls: CallCounts;
  prerequisites: Prerequisite[];
  errors: SyncError[];
}

export interface RunReport {
  outcome: Outcome; // the worst of the clusters'
  ok: boolean;
  converged: boolean;
  retryable: boolean;
  trigger: string;
  clusters: ClusterReport[];
}

/** What one cluster's sync came to, before it is judged and reported. */
export interface ClusterRun {
  cluster: string;
  rounds: RoundResult[];
  /** Set when the sync stopped before its first round (connect failed, Autopilot). */
  stopped?: { error: SyncError; cause?: unknown; prerequisite?: Prerequisite };
  settleTimedOut: boolean;
}

interface RunFacts {
  runId: string;
  trigger: string;
  dryRun: boolean;
  durationMs: number;
  calls: CallCounts;
}

export function clusterReport(run: ClusterRun, facts: RunFacts): ClusterReport {
  const last = run.rounds.at(-1);
  // The last round that planned: a second round that could not plan leaves the first's results.
  const planned = run.rounds.findLast((r) => r.plan !== undefined);
  const errors = [...(run.stopped ? [run.stopped.error] : []), ...(last?.errors ?? [])];
  const prerequisites = mergePrerequisites([...(run.stopped?.prerequisite ? [run.stopped.prerequisite] : []), ...permissionOf(run.stopped), ...run.rounds.flatMap((r) => r.prerequisites)]);
  const results = planned?.results ?? [];
  const plan = planned?.plan;
  const { outcome, ok, converged, retryable } = verdict({
    errors,
    failedActions: results.filter((r) => r.outcome === 'failed'),
    heldBack: plan?.heldBack ?? false,
    planned: plan !== undefined,
    results,
    settleTimedOut: run.settleTimedOut,
    dryRun: facts.dryRun,
    plannedActions: plan ? actionsOf(plan).length : 0,
  });
  const unknown = plan ? plan.unknown : `Services unknown: ${errors[0] ? `${errors[0].stage} failed (${errors[0].message})` : 'the cluster was not read'}`;
  return {
    cluster: run.cluster,
    runId: facts.runId,
    outcome,
    ok,
    converged,
    retryable,
    dryRun: facts.dryRun,
    trigger: facts.trigger,
    durationMs: facts.durationMs,
    rounds: run.rounds.length,
    plan: {
      actions: plan ? actionsOf(plan).map(summariseAction) : [],
      services: plan?.services ?? [],
      notes: plan?.notes ?? [],
      heldBack: plan?.heldBack ?? false,
      ...(unknown !== undefined ? { unknown } : {}),
    },
    results: run.rounds.flatMap((r) => r.results.filter((x) => !x.carried).map((x) => ({ ...x, round: r.round }))),
    calls: facts.calls,
    prerequisites,
    errors,
  };
}

/** One prerequisite per permission fix, one per other kind and message. */
function mergePrerequisites(all: readonly Prerequisite[]): Prerequisite[] {
  const seen = new Map<string, Prerequisite>();
  for (const p of all) {
    const key = p.name === 'permission' ? `permission ${p.fix}` : `${p.name} ${p.message}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}

function permissionOf(stopped: ClusterRun['stopped']): Prerequisite[] {
  return stopped?.cause !== undefined ? permissionPrerequisites([stopped.cause]) : [];
}

const OUTCOME_WORDS: Record<Outcome, string> = { done: 'done', failed: 'failed (a later run may succeed)', refused: 'refused (a person must act first)' };

/** The prerequisite lines and the one `sync.finished` line that log-based metrics count. */
export function logFinished(report: ClusterReport, log: Logger): void {
  for (const p of report.prerequisites) log.warn('prerequisite.missing', `${p.message} (fix: ${p.fix})`, { prerequisite: p.name, fix: p.fix, blocking: p.blocking });
  const { ok, outcome, converged, retryable, dryRun, rounds, errors, durationMs } = report;
  const outcomes: Record<string, number> = {};
  for (const r of report.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  (ok ? log.info : log.warn)('sync.finished', `sync of ${report.cluster} ${OUTCOME_WORDS[outcome]}${ok && !converged ? ' (changes or proxies still pending)' : ''} in ${durationMs} ms`, {
    ok,
    outcome,
    converged,
    retryable,
    dryRun,
    heldBack: report.plan.heldBack,
    rounds,
    outcomes,
    reads: report.calls.reads,
    writes: report.calls.writes,
    calls: report.calls.byApi,
    errors: errors.map((e) => e.message),
    durationMs,
  });
}

/** A cluster whose sync threw: a bug, not the configuration, so the one outcome that alerts and is retried. */
export function crashedReport(cluster: string, trigger: string, dryRun: boolean, e: unknown): ClusterReport {
  return {
    cluster,
    runId: '',
    outcome: 'failed',
    ok: false,
    converged: false,
    retryable: true,
    dryRun,
    trigger,
    durationMs: 0,
    rounds: 0,
    plan: { actions: [], services: [], notes: [], heldBack: false },
    results: [],
    calls: new CallCounter().snapshot(),
    prerequisites: [],
    errors: [{ stage: 'apply', message: describeError(e), retryable: false }],
  };
}
