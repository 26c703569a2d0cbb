// What one action does against the APIs: create or update a DaemonSet (adopting a concurrent
// run's), write a Service's status, record an Event, change a firewall rule; conflicts re-read
// and retried, deletions confirmed first. Throws Skip for "done, but not as planned". Does I/O.
import { randomUUID } from 'node:crypto';
import type { CoreV1Event, V1Condition, V1DaemonSet, V1Service } from '@kubernetes/client-node';
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import { isAlreadyExists, isConflict } from '../adapters/kube_errors.ts';
import { toServiceView } from '../adapters/kube_views.ts';
import { claimService } from '../core/claim.ts';
import { daemonSetDrift } from '../core/daemonset_drift.ts';
import type { Action, ConditionView, IngressView, ServiceRef } from '../core/model.ts';
import { SERVICE_UID_LABEL, shortHash } from '../core/naming.ts';
import type { PlanConfig } from '../core/plan_config.ts';
import type { Clock, Deadline } from '../platform/clock.ts';
import { ApiError } from '../platform/errors.ts';

/** Done-but-not-as-planned: the result is `skipped` with this explanation. */
export class Skip extends Error {}

/** What executing actions needs; one per round (deletion confirmations are shared by it). */
export interface ActionTarget {
  kube: KubeApi;
  compute?: ComputeApi;
  /** Services as listed (by UID), the base of full-object status writes. */
  rawServices: ReadonlyMap<string, V1Service>;
  /** DaemonSets as listed: their UIDs guard deletions with a precondition. */
  daemonSets: readonly V1DaemonSet[];
  config: PlanConfig;
  clock: Clock;
  deadline: Deadline;
  newRequestId?: () => string;
  conflictAttempts?: number; // default 3
}

/** Returns a function that executes one action and says how it went, when not simply "done". */
// eslint-disable-next-line max-lines-per-function -- a closure of seven short steps sharing one round's deletion confirmations
export function actionExecutor(ctx: ActionTarget): (action: Action) => Promise<string | undefined> {
  const confirmations = new Map<string, Promise<string | undefined>>();
  const dsUids = new Map(ctx.daemonSets.map((d) => [`${d.metadata?.namespace}/${d.metadata?.name}`, d.metadata?.uid]));
  return execute;

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
