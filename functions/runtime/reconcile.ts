// One round of a sync: observe → plan → apply the plan's stages → tell Services about actions
// that failed for good. Returns what happened as an immutable round result; the sync (sync.ts)
// decides whether a second round follows. Does I/O through observe and apply.
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import type { ClusterInfo } from '../adapters/connect.ts';
import { actionsOf, failureEventStage, type Stage } from '../core/stages.ts';
import { actionKey as actionKeyOf, describeTarget } from '../core/action_text.ts';
import type { Action, Plan } from '../core/model.ts';
import type { ActionResult } from '../core/results.ts';
import { describeError, isApiError } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';
import { applyStages, stageRunner, type ApplyContext } from './apply.ts';
import type { SyncDeps } from './deps.ts';
import { failureEvents } from '../core/failure_events.ts';
import { observe, type Observation } from './observe.ts';
import { snapshotPrerequisites, type Prerequisite } from '../core/prerequisites.ts';
import { permissionPrerequisites } from './prerequisites.ts';
import type { SyncError } from './report.ts';

export interface ClusterApis {
  kube: KubeApi;
  compute?: ComputeApi;
  info: ClusterInfo;
}

export interface RoundResult {
  round: number;
  /** Undefined when planning failed (the error is in `errors`). */
  plan?: Plan;
  results: ActionResult[];
  /** Names of the proxy DaemonSets this round created or changed: what a settle waits for. */
  changedDaemonSets: string[];
  /** This round's read and plan errors (a later round's reads supersede them). */
  errors: SyncError[];
  prerequisites: Prerequisite[];
  /** Actions that failed for good, by actionKey: a later round carries them instead of retrying. */
  failedForGood: ReadonlyMap<string, ActionResult>;
  /** This round changed proxy DaemonSets and left the status of new Services to a second round:
   *  the sync waits for the proxies, then runs it. */
  settleNext: boolean;
}

export interface RoundOptions {
  /** Results of actions that failed for good in an earlier round. */
  carried: ReadonlyMap<string, ActionResult>;
  /** Whether a settle and a second round may follow this one (only the first round's may). */
  secondRoundPossible: boolean;
}

export async function reconcileOnce(round: number, apis: ClusterApis, deps: SyncDeps, opts: RoundOptions): Promise<RoundResult> {
  const log = round > 1 ? deps.log.child({ round }) : deps.log;
  const observation = await observe(apis, apis.info, deps.config, { clock: deps.clock, logger: log, goingAway: deps.goingAway });
  const errors: SyncError[] = observation.readErrors.map((e) => syncError('observe', e));
  const prerequisites = [...snapshotPrerequisites(observation.snapshot, deps.config.namespace), ...permissionPrerequisites(observation.readErrors)];
  const plan = planRound(observation, deps, log, errors);
  if (!plan) return { round, results: [], changedDaemonSets: [], errors, prerequisites, failedForGood: new Map(), settleNext: false };

  const ctx = applyContext(apis, observation, deps, log, opts.carried);
  const changed = (results: readonly ActionResult[]) => changedDaemonSets(plan, results);
  const waits = (done: readonly ActionResult[]) => opts.secondRoundPossible && !deps.dryRun && !deps.deadline.expired() && changed(done).length > 0;
  const { results, deferred } = await applyStages(plan.stages, ctx, waits);
  logDeferred(deferred, log);
  const executed = plan.stages.filter((s) => !deferred.includes(s)).flatMap((s) => s.actions);
  results.push(...(await warnFailures(executed, results, observation, ctx)));
  for (const r of results) if (r.outcome === 'failed' && isPermissionFix(r.fix)) prerequisites.push(permissionFailure(r));
  const settleNext = deferred.length > 0 || waits(results);
  // A plan holds every object it wrote and its explanations; when a second round follows, the
  // report needs only that round's, so only the notes are kept (for a second round that cannot plan).
  const kept = settleNext ? { ...plan, stages: [], services: [] } : plan;
  return { round, plan: kept, results, changedDaemonSets: changed(results), errors, prerequisites, failedForGood: failedForGood(executed, results, opts.carried), settleNext };
}

function planRound(observation: Observation, deps: SyncDeps, log: Logger, errors: SyncError[]): Plan | undefined {
  let planned: Plan;
  try {
    planned = deps.planner(observation.snapshot, deps.config);
  } catch (e) {
    log.error('plan.failed', `planning failed: ${describeError(e)}`, { error: e });
    errors.push({ stage: 'plan', message: describeError(e), retryable: false });
    return undefined;
  }
  const counts: Record<string, number> = {};
  for (const a of actionsOf(planned)) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  log.info('plan.computed', `${actionsOf(planned).length} action(s) planned in ${planned.stages.length} stage(s)${planned.heldBack ? ', deletions held back' : ''}`, {
    actions: counts,
    stages: planned.stages.map((s) => s.name),
    heldBack: planned.heldBack,
    notes: planned.notes.map((x) => x.message),
  });
  return planned;
}

function applyContext(apis: ClusterApis, observation: Observation, deps: SyncDeps, logger: Logger, carried: ReadonlyMap<string, ActionResult>): ApplyContext {
  const { kube, compute } = apis;
  const { config, clock, deadline, dryRun } = deps;
  return { kube, compute, rawServices: observation.rawServices, daemonSets: observation.snapshot.daemonSets, config, clock, deadline, logger, dryRun, failedForGood: carried };
}

function logDeferred(deferred: readonly Stage[], log: Logger): void {
  const actions = deferred.flatMap((s) => s.actions);
  if (actions.length === 0) return;
  const services = new Set(actions.map((a) => a.service?.uid)).size;
  log.info('status.deferred', `${actions.length} status write(s) and Event(s) of ${services} new Service(s) wait for their proxies (next round)`, { actions: actions.length, services });
}

/** A Service whose action failed for good is told so with a Warning Event. */
async function warnFailures(executed: readonly Action[], results: readonly ActionResult[], observation: Observation, ctx: ApplyContext): Promise<ActionResult[]> {
  if (ctx.dryRun) return [];
  // A failure carried from an earlier round was told then.
  const fresh = results.map((r) => (r.carried ? undefined : r));
  const warnings = failureEvents(executed, fresh, (uid) => observation.rawServices.has(uid));
  return warnings.length > 0 ? stageRunner(ctx)(failureEventStage(warnings)) : [];
}

function changedDaemonSets(plan: Plan, results: readonly ActionResult[]): string[] {
  const names = new Map<string, string>();
  for (const a of actionsOf(plan)) if (a.kind === 'createDaemonSet' || a.kind === 'updateDaemonSet') names.set(describeTarget(a), a.daemonSet.metadata?.name ?? '');
  return results.filter((r) => (r.kind === 'createDaemonSet' || r.kind === 'updateDaemonSet') && r.outcome === 'applied').map((r) => names.get(r.target) ?? '');
}

function failedForGood(executed: readonly Action[], results: readonly ActionResult[], carried: ReadonlyMap<string, ActionResult>): Map<string, ActionResult> {
  const out = new Map(carried);
  executed.forEach((a, i) => {
    const r = results[i];
    if (r?.outcome === 'failed' && r.retryable === false) out.set(actionKeyOf(a), r);
  });
  return out;
}

export function syncError(stage: SyncError['stage'], e: unknown): SyncError {
  return { stage, message: describeError(e), fix: isApiError(e) ? e.fix : undefined, retryable: isApiError(e) ? e.retryable : false };
}

function permissionFailure(r: ActionResult): Prerequisite {
  return { name: 'permission', message: r.error ?? `${r.kind} ${r.target} was refused`, fix: r.fix ?? '', blocking: false };
}

const isPermissionFix = (fix: string | undefined) => fix !== undefined && /grant|RBAC|permission/i.test(fix);
