// apply: runs a plan's stages in the order the planner gave (core/stages.ts), the actions of one
// stage at once with bounded concurrency. One failure never stops the others; every action gets
// a result and a log line. What an action does against the APIs is apply_action.ts. Does I/O.
import pLimit from 'p-limit';
import type { Action } from '../core/model.ts';
import { actionKey, describeChange, describeTarget } from '../core/action_text.ts';
import type { ActionResult } from '../core/results.ts';
import type { Stage } from '../core/stages.ts';
import { describeError, isApiError } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';
import { actionExecutor, Skip, type ActionTarget } from './apply_action.ts';
import { isConflict } from '../adapters/kube_errors.ts';

export interface ApplyContext extends ActionTarget {
  config: ActionTarget['config'] & { concurrency: number };
  logger: Logger;
  dryRun: boolean;
  /** Actions that already failed for good in this sync (by actionKey): their result is carried
   *  over instead of trying again in the second round. */
  failedForGood?: ReadonlyMap<string, ActionResult>;
}

export interface Applied {
  results: ActionResult[];
  /** Stages left to the next round (afterNewProxies, when the sync waits for new proxies). */
  deferred: Stage[];
}

/** Firewall writes hold a slot for their whole GCE operation (seconds each), so they get their
 *  own bound instead of config.concurrency (the requests themselves are bounded in compute.ts).
 *  GCE allows 500 concurrent global operations per project by default; four clusters synced at
 *  once (the default cluster concurrency) × 100 stay under it. */
export const FIREWALL_OPERATIONS_IN_FLIGHT = 100;
/** NamespaceLifecycle's refusal ("… because it is being terminated"), as the real API server words it. */
const NAMESPACE_TERMINATING = /because it is being terminated/;
const FIREWALL_KINDS: ReadonlySet<Action['kind']> = new Set(['createFirewall', 'patchFirewall', 'deleteFirewall']);

/** Runs the stages in order. `waitsForNewProxies` is asked when an afterNewProxies stage comes
 *  up, with the results so far: true leaves that stage to the next round. */
export async function applyStages(stages: readonly Stage[], ctx: ApplyContext, waitsForNewProxies: (done: readonly ActionResult[]) => boolean = () => false): Promise<Applied> {
  const run = stageRunner(ctx);
  const results: ActionResult[] = [];
  const deferred: Stage[] = [];
  for (const stage of stages) {
    if (stage.afterNewProxies && deferred.length > 0) deferred.push(stage);
    else if (stage.afterNewProxies && waitsForNewProxies(results)) deferred.push(stage);
    else results.push(...(await run(stage)));
  }
  return { results, deferred };
}

/** Runs one stage's actions at once (bounded); results in the stage's order. */
export function stageRunner(ctx: ApplyContext): (stage: Stage) => Promise<ActionResult[]> {
  const limit = pLimit(Math.max(1, ctx.config.concurrency));
  const operations = pLimit(FIREWALL_OPERATIONS_IN_FLIGHT);
  const execute = actionExecutor(ctx);
  return (stage) => Promise.all(stage.actions.map((a) => (FIREWALL_KINDS.has(a.kind) ? operations : limit)(() => runOne(a, stage, ctx, execute))));
}

async function runOne(action: Action, stage: Stage, ctx: ApplyContext, execute: (a: Action) => Promise<string | undefined>): Promise<ActionResult> {
  const started = ctx.clock.now();
  const change = describeChange(action);
  const base = {
    kind: action.kind,
    target: describeTarget(action),
    reason: action.reason,
    stage: stage.name,
    ...(action.service ? { service: `${action.service.namespace}/${action.service.name}` } : {}),
    ...(change !== undefined ? { change } : {}),
  };
  const finish = (r: Pick<ActionResult, 'outcome' | 'detail' | 'error' | 'fix' | 'retryable'>) => logResult({ ...base, ...r, durationMs: ctx.clock.now() - started }, ctx.logger);
  const earlier = ctx.failedForGood?.get(actionKey(action));
  if (earlier) return { ...earlier, stage: stage.name, durationMs: 0, carried: true };
  if (ctx.dryRun) return finish({ outcome: 'dry-run' });
  if (ctx.deadline.expired()) return finish({ outcome: 'skipped', detail: 'the time budget of this sync was spent before it started' });
  try {
    return finish({ outcome: 'applied', detail: await execute(action) });
  } catch (e) {
    if (e instanceof Skip) return finish({ outcome: 'skipped', detail: e.message });
    if (action.kind === 'recordEvent' && isApiError(e) && (e.status === 404 || (e.status === 403 && NAMESPACE_TERMINATING.test(e.message)))) {
      // A terminating namespace refuses new Events (403 from NamespaceLifecycle admission);
      // losing one is not worth a failed sync. A 403 from RBAC is a missing permission: it fails.
      return finish({ outcome: 'skipped', detail: `event not recorded: ${describeError(e)}` });
    }
    return finish({
      outcome: 'failed',
      error: e instanceof Error ? e.message : String(e),
      fix: isApiError(e) ? e.fix : undefined,
      // A conflict that outlasted the re-reads is a race with another writer, not a lasting
      // problem: another run can succeed.
      retryable: isApiError(e) ? e.retryable || isConflict(e) : false,
    });
  }
}

/** One log line per result; service and error are fields of their own so log-based metrics and
 *  Logs Explorer queries can filter on them without a regex over the message. */
function logResult(result: ActionResult, logger: Logger): ActionResult {
  const { kind, target, service, outcome, durationMs, change, detail, error, fix, retryable } = result;
  const fields = { kind, target, service, outcome, durationMs, change, detail, error, fix, retryable };
  if (outcome === 'failed') logger.warn('action.failed', `${kind} ${target} failed: ${error}`, fields);
  else if (outcome === 'skipped') logger.info('action.skipped', `${kind} ${target} skipped: ${detail}`, fields);
  else if (outcome === 'dry-run') logger.info('action.planned', `would ${kind} ${target}: ${result.reason}`, fields);
  else logger.info('action.applied', `${kind} ${target}: ${result.reason}`, fields);
  return result;
}
