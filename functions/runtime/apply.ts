// apply: runs a plan's actions with bounded concurrency in three phases (DaemonSets and firewall
// rules, then Service status, then Events). One failure never stops the others; every action
// gets a result. Conflicts are re-read and retried; deletions are confirmed first. Does I/O.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { CoreV1Event, V1Condition, V1DaemonSet, V1Service } from '@kubernetes/client-node';
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import { isAlreadyExists, isConflict } from '../adapters/kube_errors.ts';
import { toServiceView } from '../adapters/kube_views.ts';
import { claimService } from '../core/claim.ts';
import { daemonSetDrift } from '../core/daemonset_drift.ts';
import type { Action, ConditionView, IngressView, ServiceRef } from '../core/model.ts';
import { SERVICE_UID_LABEL, shortHash } from '../core/naming.ts';
import type { PlanConfig } from '../core/plan_config.ts';
import { describeIPChange } from '../core/status.ts';
import type { Clock, Deadline } from '../platform/clock.ts';
import { ApiError, describeError, isApiError } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';

export type Outcome = 'applied' | 'failed' | 'skipped' | 'dry-run';

export interface ActionResult {
  kind: Action['kind'];
  target: string;
  reason: string;
  service?: string; // namespace/name of the Service the action is for
  /** What the action changes, so every round's results say it: status "[a] → [b]", the Event,
   *  the drifted firewall fields. */
  change?: string;
  outcome: Outcome;
  detail?: string; // for applied/skipped: what happened, when not simply "done"
  error?: string;
  fix?: string;
  retryable?: boolean; // failed only: whether another run could succeed
  durationMs: number;
}

export interface ApplyContext {
  kube: KubeApi;
  compute?: ComputeApi;
  /** Services as listed (by UID), the base of full-object status writes. */
  rawServices: ReadonlyMap<string, V1Service>;
  /** DaemonSets as listed: their UIDs guard deletions with a precondition. */
  daemonSets: readonly V1DaemonSet[];
  config: PlanConfig & { concurrency: number };
  clock: Clock;
  deadline: Deadline;
  logger: Logger;
  dryRun: boolean;
  newRequestId?: () => string;
  conflictAttempts?: number; // default 3
}

const PHASES: Action['kind'][][] = [
  ['createDaemonSet', 'updateDaemonSet', 'deleteDaemonSet', 'createFirewall', 'patchFirewall', 'deleteFirewall'],
  ['writeStatus'],
  ['recordEvent'],
];

/** Firewall writes hold a slot for their whole GCE operation (seconds each), so they get their
 *  own bound instead of config.concurrency (the requests themselves are bounded in compute.ts).
 *  GCE allows 500 concurrent global operations per project by default; four clusters synced at
 *  once (the default cluster concurrency) × 100 stay under it. */
export const FIREWALL_OPERATIONS_IN_FLIGHT = 100;
/** NamespaceLifecycle's refusal ("… because it is being terminated"), as the real API server words it. */
const NAMESPACE_TERMINATING = /because it is being terminated/;
const FIREWALL_KINDS: ReadonlySet<Action['kind']> = new Set(['createFirewall', 'patchFirewall', 'deleteFirewall']);

/** Done-but-not-as-planned: the result is `skipped` with this explanation. */
class Skip extends Error {}

export function describeTarget(a: Action): string {
  switch (a.kind) {
    case 'createDaemonSet':
    case 'updateDaemonSet':
      return `daemonset ${a.daemonSet.metadata?.namespace}/${a.daemonSet.metadata?.name}`;
    case 'deleteDaemonSet':
      return `daemonset ${a.namespace}/${a.name}`;
    case 'createFirewall':
    case 'patchFirewall':
      return `firewall ${a.project}/${a.rule.name}`;
    case 'deleteFirewall':
      return `firewall ${a.project}/${a.name}`;
    case 'writeStatus':
      return `service ${a.service.namespace}/${a.service.name}`;
    case 'recordEvent':
      return `event ${a.service.namespace}/${a.service.name} ${a.eventReason}`;
  }
}

/** The change an action makes, in a few words (none where the kind, target and reason say it
 *  all). Shared by the results and the report's action summaries. */
export function describeChange(a: Action): string | undefined {
  if (a.kind === 'patchFirewall' && a.changes.length > 0) return a.changes.join(', ');
  if (a.kind === 'writeStatus') return a.change ?? describeIPChange(a.from, a.to, '→', ', ');
  if (a.kind === 'recordEvent') return `${a.type} ${a.eventReason}: ${a.message}`;
  return undefined;
}

export async function applyActions(actions: readonly Action[], ctx: ApplyContext): Promise<ActionResult[]> {
  const results: ActionResult[] = new Array(actions.length);
  const limit = pLimit(Math.max(1, ctx.config.concurrency));
  const operations = pLimit(FIREWALL_OPERATIONS_IN_FLIGHT);
  const confirmations = new Map<string, Promise<string | undefined>>();
  const dsUids = new Map(ctx.daemonSets.map((d) => [`${d.metadata?.namespace}/${d.metadata?.name}`, d.metadata?.uid]));

  for (const kinds of PHASES) {
    const batch = actions.map((a, i) => [a, i] as const).filter(([a]) => kinds.includes(a.kind));
    await Promise.all(batch.map(([a, i]) => (FIREWALL_KINDS.has(a.kind) ? operations : limit)(async () => (results[i] = await runOne(a)))));
  }
  return results;

  async function runOne(action: Action): Promise<ActionResult> {
    const started = ctx.clock.now();
    const change = describeChange(action);
    const base = {
      kind: action.kind,
      target: describeTarget(action),
      reason: action.reason,
      ...(action.service ? { service: `${action.service.namespace}/${action.service.name}` } : {}),
      ...(change !== undefined ? { change } : {}),
    };
    const finish = (r: Omit<ActionResult, 'kind' | 'target' | 'reason' | 'durationMs'>): ActionResult => {
      const result: ActionResult = { ...base, ...r, durationMs: ctx.clock.now() - started };
      // service and error are fields of their own so log-based metrics and Logs Explorer queries
      // can filter on them without a regex over the message.
      const fields = { kind: result.kind, target: result.target, service: result.service, outcome: result.outcome, durationMs: result.durationMs, change: result.change, detail: result.detail, error: result.error, fix: result.fix, retryable: result.retryable };
      if (r.outcome === 'failed') ctx.logger.warn('action.failed', `${result.kind} ${result.target} failed: ${result.error}`, fields);
      else if (r.outcome === 'skipped') ctx.logger.info('action.skipped', `${result.kind} ${result.target} skipped: ${result.detail}`, fields);
      else if (r.outcome === 'dry-run') ctx.logger.info('action.planned', `would ${result.kind} ${result.target}: ${result.reason}`, fields);
      else ctx.logger.info('action.applied', `${result.kind} ${result.target}: ${result.reason}`, fields);
      return result;
    };
    if (ctx.dryRun) return finish({ outcome: 'dry-run' });
    if (ctx.deadline.expired()) return finish({ outcome: 'skipped', detail: 'the time budget of this sync was spent before it started' });
    try {
      const detail = await execute(action);
      return finish({ outcome: 'applied', detail });
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

  async function execute(action: Action): Promise<string | undefined> {
    switch (action.kind) {
      case 'createDaemonSet':
        return createDaemonSet(action.daemonSet);
      case 'updateDaemonSet':
        return updateDaemonSet(action.daemonSet, action.resourceVersion);
      case 'deleteDaemonSet': {
        await confirmGone(action.owner);
        const uid = dsUids.get(`${action.namespace}/${action.name}`);
        try {
          await ctx.kube.deleteDaemonSet(action.namespace, action.name, uid);
        } catch (e) {
          if (isConflict(e)) throw new Skip('the DaemonSet was replaced by another one with the same name since it was listed');
          throw e;
        }
        return undefined;
      }
      case 'createFirewall':
        await needCompute().insertFirewall(action.project, action.rule, requestId());
        return undefined;
      case 'patchFirewall':
        await needCompute().patchFirewall(action.project, action.rule.name ?? '', action.rule, requestId());
        return action.changes.length > 0 ? `changed: ${action.changes.join(', ')}` : undefined;
      case 'deleteFirewall':
        await confirmGone(action.owner);
        await needCompute().deleteFirewall(action.project, action.name, requestId());
        return undefined;
      case 'writeStatus':
        return writeStatus(action.service, action.resourceVersion, action.ingress, action.conditions);
      case 'recordEvent':
        await ctx.kube.createEvent(action.service.namespace, eventFor(action, ctx.clock.now()));
        return undefined;
    }
  }

  /** One id per action, reused by every retry of it, so GCE runs the change once. */
  function requestId(): string {
    return (ctx.newRequestId ?? randomUUID)();
  }

  function needCompute(): ComputeApi {
    if (!ctx.compute) throw new ApiError({ api: 'compute', op: 'firewall', message: 'no Compute API client for this cluster', retryable: false });
    return ctx.compute;
  }

  /** A partial or stale Service list must never delete anything: when the owner was not in the
   *  list, read it by name and go on only if it is gone, another object, or no longer claimed. */
  async function confirmGone(owner: ServiceRef): Promise<void> {
    if (ctx.rawServices.has(owner.uid) || !owner.name) return;
    const key = `${owner.namespace}/${owner.name}`;
    let pending = confirmations.get(key);
    if (!pending) {
      pending = ctx.kube.getService(owner.namespace, owner.name).then((svc) => {
        if (!svc) return undefined;
        if (svc.metadata?.uid !== owner.uid) return undefined;
        if (!claimService(toServiceView(svc), ctx.config).claimed) return undefined;
        return `Service ${key} still exists and is claimed (it was missing from the list): not deleting`;
      });
      confirmations.set(key, pending);
    }
    const blocker = await pending;
    if (blocker) throw new Skip(blocker);
  }

  async function createDaemonSet(desired: V1DaemonSet): Promise<string | undefined> {
    try {
      await ctx.kube.createDaemonSet(desired);
      return undefined;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // A concurrent run made it first: adopt it if it is for the same Service, update if it differs.
    const { namespace, name } = nameOf(desired);
    const live = await ctx.kube.getDaemonSet(namespace, name);
    if (!live) throw new ApiError({ api: 'kube', op: `create daemonset ${namespace}/${name}`, message: 'AlreadyExists, then not found: deleted meanwhile', retryable: true });
    const wantUid = desired.metadata?.labels?.[SERVICE_UID_LABEL];
    if (live.metadata?.labels?.[SERVICE_UID_LABEL] !== wantUid)
      throw new ApiError({ api: 'kube', op: `create daemonset ${namespace}/${name}`, message: `a DaemonSet named ${name} exists for another Service`, retryable: false });
    if (daemonSetDrift(desired, live).length === 0) return 'already present (made by a concurrent run)';
    return updateDaemonSet(desired, live.metadata?.resourceVersion ?? '');
  }

  async function updateDaemonSet(desired: V1DaemonSet, resourceVersion: string): Promise<string | undefined> {
    const { namespace, name } = nameOf(desired);
    let rv = resourceVersion;
    for (let attempt = 1; ; attempt++) {
      try {
        await ctx.kube.replaceDaemonSet({ ...desired, metadata: { ...desired.metadata, resourceVersion: rv } });
        return attempt > 1 ? `after ${attempt - 1} conflict(s)` : undefined;
      } catch (e) {
        if (!isConflict(e) || attempt >= (ctx.conflictAttempts ?? 3) || ctx.deadline.expired()) throw e;
      }
      const live = await ctx.kube.getDaemonSet(namespace, name);
      if (!live) {
        await ctx.kube.createDaemonSet({ ...desired, metadata: { ...desired.metadata, resourceVersion: undefined } });
        return 'recreated: it was deleted meanwhile';
      }
      if (daemonSetDrift(desired, live).length === 0) return 'already as wanted (a concurrent run updated it)';
      rv = live.metadata?.resourceVersion ?? '';
    }
  }

  async function writeStatus(ref: ServiceRef, resourceVersion: string, ingress: IngressView[], conditions: ConditionView[]): Promise<string | undefined> {
    let current = ctx.rawServices.get(ref.uid);
    let rv = resourceVersion;
    if (!current) throw new Skip(`Service ${ref.namespace}/${ref.name} was not in the list`);
    for (let attempt = 1; ; attempt++) {
      try {
        await ctx.kube.writeServiceStatus(statusBody(current, rv, ingress, conditions));
        return attempt > 1 ? `after ${attempt - 1} conflict(s)` : undefined;
      } catch (e) {
        if (!isConflict(e) || attempt >= (ctx.conflictAttempts ?? 3) || ctx.deadline.expired()) throw e;
      }
      // Someone else changed the Service: write again only if it is still the same claimed Service.
      const fresh = await ctx.kube.getService(ref.namespace, ref.name);
      if (!fresh || fresh.metadata?.uid !== ref.uid) throw new Skip('the Service was deleted or recreated meanwhile');
      if (!claimService(toServiceView(fresh), ctx.config).claimed) throw new Skip('the Service is no longer claimed by nodelb');
      if (sameStatus(fresh, ingress, conditions)) return 'already as wanted (written by a concurrent run)';
      current = fresh;
      rv = fresh.metadata?.resourceVersion ?? '';
    }
  }
}

function nameOf(ds: V1DaemonSet): { namespace: string; name: string } {
  return { namespace: ds.metadata?.namespace ?? '', name: ds.metadata?.name ?? '' };
}

/** PUT /status replaces the whole object's metadata too, so the body is the Service as read. */
export function statusBody(svc: V1Service, resourceVersion: string, ingress: IngressView[], conditions: ConditionView[]): V1Service {
  return {
    ...svc,
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...svc.metadata, resourceVersion },
    status: {
      ...svc.status,
      loadBalancer: ingress.length > 0 ? { ingress: ingress.map((i) => ({ ...i })) } : {},
      conditions: conditions.length > 0 ? conditions.map(toV1Condition) : undefined,
    },
  };
}

function toV1Condition(c: ConditionView): V1Condition {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: new Date(c.lastTransitionTime),
    observedGeneration: c.observedGeneration,
  };
}

function sameStatus(svc: V1Service, ingress: IngressView[], conditions: ConditionView[]): boolean {
  const view = toServiceView(svc);
  const norm = (i: IngressView[]) => JSON.stringify(i.map((x) => [x.ip ?? '', x.hostname ?? '', x.ipMode ?? '']));
  const cond = (cs: ConditionView[]) => JSON.stringify(cs.map((c) => [c.type, c.status, c.reason, c.message]));
  return norm(view.ingress) === norm(ingress) && cond(view.conditions) === cond(conditions);
}

/** Deterministic name: a duplicate run (or a retry) gets 409 AlreadyExists instead of a copy. */
export function eventFor(a: Extract<Action, { kind: 'recordEvent' }>, nowMs: number): CoreV1Event {
  const now = new Date(nowMs);
  const { namespace, name, uid } = a.service;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${shortHash(`${uid}\n${a.eventReason}\n${a.message}`, 16)}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Service', namespace, name, uid },
    type: a.type,
    reason: a.eventReason,
    message: a.message.slice(0, 1024),
    source: { component: 'nodelb' },
    reportingComponent: 'nodelb.dev/controller',
    reportingInstance: 'nodelb',
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}
