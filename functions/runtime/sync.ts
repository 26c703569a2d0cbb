// The engine every entry point shares: syncCluster = connect → prerequisites → observe → plan →
// apply → (after DaemonSet writes: wait for the new proxy pods, then one more round) → report;
// syncAll runs several clusters with a bound, one failure never stopping the others. Does I/O.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import { createTokenSource, type TokenSource } from '../adapters/auth.ts';
import { CallCounter } from '../platform/calls.ts';
import { connectCluster, type ClusterTarget, type Connection } from '../adapters/connect.ts';
import { createContainerApi } from '../adapters/container.ts';
import type { Config } from '../config.ts';
import type { Action, Plan, Snapshot } from '../core/model.ts';
import { rolledOut } from '../core/proxy_readiness.ts';
import { clusterOutcome, combineOutcomes, type Outcome } from '../core/outcome.ts';
import { plan as realPlan } from '../core/plan.ts';
import type { PlanConfig } from '../core/plan_config.ts';
import { applyActions, describeTarget, type ActionResult } from './apply.ts';
import { deadlineIn, systemClock, type Clock, type Deadline } from '../platform/clock.ts';
import { describeError, isApiError } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';
import { MANAGED_SELECTOR, MAX_NAMED_DAEMONSETS, observe } from './observe.ts';
import { waitsOnlyForStuck } from '../core/proxy_pods.ts';
import { DAEMONSET_LABEL } from '../core/naming.ts';
import { autopilotPrerequisite, snapshotPrerequisites, type Prerequisite } from '../core/prerequisites.ts';
import { permissionPrerequisites } from './prerequisites.ts';
import { summariseAction, type ClusterReport, type RunReport, type SyncError } from './report.ts';
import { failureEvents } from '../core/failure_events.ts';
import { DEFAULT_RETRY, retrying, type RetryPolicy } from './retry.ts';

export interface SyncOptions {
  logger: Logger;
  trigger: string; // 'schedule', 'gce-event', 'http', 'cli', …
  goingAway?: string[]; // GCE instance names a trigger reported stopping/deleted
  dryRun?: boolean; // or config.dryRun
  clock?: Clock;
  runId?: string;
  tokens?: TokenSource; // shared by the clusters of one run
  fetch?: typeof fetch; // Compute/Container requests (tests)
  planner?: (snapshot: Snapshot, config: PlanConfig) => Plan;
  retry?: Partial<Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>>;
  connect?: typeof connectCluster;
  settlePollMs?: number; // default 1000
  kubeRequestTimeoutMs?: number; // per Kubernetes request (default 60 s)
}

export function targetName(t: ClusterTarget): string {
  return t.kind === 'gke' ? t.name : `kubeconfig${t.path ? `:${t.path}` : ''}${t.context ? `#${t.context}` : ''}`;
}

export function targetsFromConfig(config: Pick<Config, 'clusters'>): ClusterTarget[] {
  return config.clusters.map((name) => ({ kind: 'gke', name }));
}

interface Round {
  plan: Plan;
  results: ActionResult[];
  changedDaemonSets: string[];
}

export async function syncCluster(target: ClusterTarget, config: Config, opts: SyncOptions): Promise<ClusterReport> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const deadline = deadlineIn(clock, config.timeBudgetMs);
  const dryRun = config.dryRun || opts.dryRun === true;
  const runId = opts.runId ?? randomUUID().slice(0, 8);
  const log = opts.logger.child({ component: 'sync', cluster: targetName(target), trigger: opts.trigger, runId });
  const counter = new CallCounter();
  const tokens = opts.tokens ?? createTokenSource(config);
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry, clock, deadline, logger: log };
  const planner = opts.planner ?? realPlan;

  const errors: SyncError[] = [];
  const prerequisites: Prerequisite[] = [];
  const allResults: ClusterReport['results'] = [];
  let lastRound: Round | undefined;
  let rounds = 0;
  let settleTimedOut = false;
  const permanentFailures = new Map<string, ActionResult>();
  let clusterName = targetName(target);

  log.info('sync.started', `sync of ${clusterName} started${dryRun ? ' (dry run)' : ''}`, { dryRun, goingAway: opts.goingAway });

  const fail = (stage: SyncError['stage'], e: unknown) => {
    errors.push({ stage, message: describeError(e), fix: isApiError(e) ? e.fix : undefined, retryable: isApiError(e) ? e.retryable : false });
    prerequisites.push(...permissionPrerequisites([e]).filter((p) => !prerequisites.some((q) => q.fix === p.fix)));
  };

  let conn: Connection | undefined;
  try {
    const container =
      target.kind === 'gke'
        ? retrying(createContainerApi({ baseUrl: config.containerEndpoint, tokens, counter, fetch: opts.fetch }), 'container', policy)
        : undefined;
    conn = await (opts.connect ?? connectCluster)(target, config, log, { tokens, counter, clock, fetch: opts.fetch, container, kubeRequestTimeoutMs: opts.kubeRequestTimeoutMs, deadline });
    clusterName = conn.info.name;
  } catch (e) {
    log.error('sync.connect_failed', `cannot connect to ${clusterName}: ${describeError(e)}`, { error: e });
    fail('connect', e);
  }

  if (conn) {
    const autopilot = autopilotPrerequisite(conn.info);
    if (autopilot) {
      prerequisites.push(autopilot);
      errors.push({ stage: 'prerequisites', message: autopilot.message, fix: autopilot.fix, retryable: false });
    } else {
      const kube = retrying(conn.kube, 'kube', policy);
      const compute = conn.compute ? retrying(conn.compute, 'compute', policy) : undefined;
      const round = async (n: number): Promise<Round | undefined> => {
        rounds = n;
        return runRound(n, kube, compute, conn as Connection);
      };
      lastRound = await round(1);
      if (lastRound && !dryRun && lastRound.changedDaemonSets.length > 0 && !deadline.expired()) {
        const changed = lastRound.changedDaemonSets;
        // The first plan keeps its whole snapshot alive (the explanations read it on demand) and
        // every object it wrote: let both go before the second round reads the world again. Its
        // results are in allResults; should the second round not plan, the report lists them
        // without that plan's actions and explanations.
        lastRound = { ...lastRound, plan: { ...lastRound.plan, actions: [], services: [] } };
        const settled = await settle(kube, changed, deadline);
        settleTimedOut = !settled.ready;
        const second = await round(2);
        if (second) lastRound = second;
      }
    }
  }

  for (const p of prerequisites) log.warn('prerequisite.missing', `${p.message} (fix: ${p.fix})`, { prerequisite: p.name, fix: p.fix, blocking: p.blocking });

  const lastResults = lastRound?.results ?? [];
  const outcome = clusterOutcome({
    errors,
    failedActions: lastResults.filter((r) => r.outcome === 'failed'),
    heldBack: lastRound?.plan.heldBack ?? false,
    planned: lastRound !== undefined,
  });
  const ok = outcome === 'done';
  const settledOutcome = (r: ActionResult) => r.outcome === 'applied' || (r.kind === 'recordEvent' && r.outcome === 'skipped');
  // Informational: nothing left that this run could see (proxies all Ready, nothing skipped).
  const converged = ok && !settleTimedOut && lastResults.every(settledOutcome) && (!dryRun || (lastRound?.plan.actions.length ?? 0) === 0);
  const retryable = outcome === 'failed';
  const unknown = servicesUnknown(lastRound, errors);
  const report: ClusterReport = {
    cluster: clusterName,
    runId,
    outcome,
    ok,
    converged,
    retryable,
    dryRun,
    trigger: opts.trigger,
    durationMs: clock.now() - started,
    rounds,
    plan: {
      actions: (lastRound?.plan.actions ?? []).map(summariseAction),
      services: lastRound?.plan.services ?? [],
      notes: lastRound?.plan.notes ?? [],
      heldBack: lastRound?.plan.heldBack ?? false,
      ...(unknown !== undefined ? { unknown } : {}),
    },
    results: allResults,
    calls: counter.snapshot(),
    prerequisites,
    errors,
  };
  const outcomes: Record<string, number> = {};
  for (const r of allResults) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  (ok ? log.info : log.warn)('sync.finished', `sync of ${clusterName} ${OUTCOME_WORDS[outcome]}${ok && !converged ? ' (changes or proxies still pending)' : ''} in ${report.durationMs} ms`, {
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
    durationMs: report.durationMs,
  });
  return report;

  async function runRound(n: number, kube: KubeApi, compute: ComputeApi | undefined, c: Connection): Promise<Round | undefined> {
    const roundLog = n > 1 ? log.child({ round: n }) : log;
    // Read failures of an earlier round are superseded by this round's reads.
    for (let i = errors.length - 1; i >= 0; i--) if (errors[i]?.stage === 'observe') errors.splice(i, 1);
    const observation = await observe({ kube, compute }, c.info, config, { clock, logger: roundLog, goingAway: opts.goingAway });
    const { snapshot } = observation;
    for (const e of observation.readErrors) fail('observe', e);
    for (const p of snapshotPrerequisites(snapshot, config.namespace))
      if (!prerequisites.some((q) => q.name === p.name && q.message === p.message)) prerequisites.push(p);

    let planned: Plan;
    try {
      planned = planner(snapshot, config);
    } catch (e) {
      roundLog.error('plan.failed', `planning failed: ${describeError(e)}`, { error: e });
      errors.push({ stage: 'plan', message: describeError(e), retryable: false });
      return undefined;
    }
    const counts: Record<string, number> = {};
    for (const a of planned.actions) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
    roundLog.info('plan.computed', `${planned.actions.length} action(s) planned${planned.heldBack ? ', deletions held back' : ''}`, {
      actions: counts,
      heldBack: planned.heldBack,
      notes: planned.notes.map((x) => x.message),
    });

    // An action that failed for good in the first round (a 403, invalid input) is not tried
    // again in the second: its failure is carried over instead.
    const carried: ActionResult[] = [];
    const toApply = planned.actions.filter((a) => {
      const earlier = permanentFailures.get(actionKey(a));
      if (earlier) carried.push(earlier);
      return !earlier;
    });
    const applyContext = { kube, compute, rawServices: observation.rawServices, daemonSets: snapshot.daemonSets, config, clock, deadline, logger: roundLog, dryRun };
    // DaemonSets and firewall rules first: a Service whose DaemonSet this round created gets its
    // status in the round that follows the wait for its proxies (with the IPs), not now as well
    // ("ProxyStarting" first, the IPs a few seconds later: two writes and two Events). A dry run,
    // or a round no other follows, still shows the interim status.
    const objects = toApply.filter((a) => a.kind !== 'writeStatus' && a.kind !== 'recordEvent');
    const objectResults = await applyActions(objects, applyContext);
    const created = new Set<string>();
    objects.forEach((a, i) => {
      if (a.kind === 'createDaemonSet' && a.service && objectResults[i]?.outcome === 'applied') created.add(a.service.uid);
    });
    const deferStatus = n === 1 && !dryRun && created.size > 0 && !deadline.expired();
    const deferred = (a: Action) => deferStatus && (a.kind === 'writeStatus' || a.kind === 'recordEvent') && a.service !== undefined && created.has(a.service.uid);
    const rest = toApply.filter((a) => (a.kind === 'writeStatus' || a.kind === 'recordEvent') && !deferred(a));
    const restResults = await applyActions(rest, applyContext);
    if (deferStatus) {
      const count = toApply.filter(deferred).length;
      if (count > 0) roundLog.info('status.deferred', `${count} status write(s) and Event(s) of ${created.size} new Service(s) wait for their proxies (next round)`, { actions: count, services: created.size });
    }
    // Results in toApply's order; deferred actions have none (the next round plans them again).
    const byAction = new Map<Action, ActionResult>();
    objects.forEach((a, i) => byAction.set(a, objectResults[i] as ActionResult));
    rest.forEach((a, i) => byAction.set(a, restResults[i] as ActionResult));
    const applied = toApply.filter((a) => byAction.has(a));
    const results = applied.map((a) => byAction.get(a) as ActionResult);
    // A Service whose action failed for good is told so (and the next Events of the round).
    const warnings = dryRun ? [] : failureEvents(applied, results, (uid) => observation.rawServices.has(uid));
    if (warnings.length > 0) {
      const warned = await applyActions(warnings, { kube, compute, rawServices: observation.rawServices, daemonSets: snapshot.daemonSets, config, clock, deadline, logger: roundLog, dryRun });
      results.push(...warned);
    }
    for (const r of results) allResults.push({ ...r, round: n });
    for (const r of results) if (r.outcome === 'failed' && isPermissionFix(r.fix)) addPermission(r);
    applied.forEach((a, i) => {
      const r = results[i];
      if (r?.outcome === 'failed' && r.retryable === false) permanentFailures.set(actionKey(a), r);
    });
    const changedDaemonSets = applied
      .filter((a, i) => (a.kind === 'createDaemonSet' || a.kind === 'updateDaemonSet') && results[i]?.outcome === 'applied')
      .map((a) => (a.kind === 'createDaemonSet' || a.kind === 'updateDaemonSet' ? (a.daemonSet.metadata?.name ?? '') : ''));
    return { plan: planned, results: [...results, ...carried], changedDaemonSets };
  }

  function addPermission(r: ActionResult): void {
    if (!r.fix || prerequisites.some((p) => p.fix === r.fix)) return;
    prerequisites.push({ name: 'permission', message: r.error ?? `${r.kind} ${r.target} was refused`, fix: r.fix, blocking: false });
  }

  /** Polls the changed DaemonSets (one list call, whatever their number) until each has rolled
   *  out — every pod it wants scheduled, current and Ready, by its own status — or settleMs
   *  passes. The next round reads the world again, so the status it plans is the new one. */
  async function settle(kube: KubeApi, names: string[], dl: Deadline): Promise<{ ready: boolean }> {
    const until = Math.min(clock.now() + config.settleMs, dl.at);
    const wanted = new Set(names);
    for (;;) {
      let waiting: string[];
      let stuck: string[] = [];
      try {
        const daemonSets = await kube.listDaemonSets(config.namespace, MANAGED_SELECTOR);
        const current = daemonSets.filter((ds) => wanted.has(ds.metadata?.name ?? ''));
        const open = current.filter((ds) => !rolledOut(ds));
        // Pods that cannot become Ready (host port taken, crash loop) are not waited for: one pod
        // list tells them from pods still starting. Past MAX_NAMED_DAEMONSETS, wait as before.
        if (open.length > 0 && open.length <= MAX_NAMED_DAEMONSETS) {
          const selector = `${DAEMONSET_LABEL} in (${open.map((ds) => ds.metadata?.name ?? '').sort().join(',')})`;
          const pods = await kube.listProxyPods(config.namespace, selector);
          stuck = open.filter((ds) => waitsOnlyForStuck(ds, pods)).map((ds) => ds.metadata?.name ?? '');
        }
        const settledNames = new Set([...current.filter((ds) => rolledOut(ds)).map((ds) => ds.metadata?.name ?? ''), ...stuck]);
        // A DaemonSet gone meanwhile (deleted by hand) has nothing left to wait for.
        const present = new Set(current.map((ds) => ds.metadata?.name ?? ''));
        waiting = names.filter((n) => present.has(n) && !settledNames.has(n));
      } catch (e) {
        log.warn('settle.failed', `cannot watch the proxy DaemonSets: ${describeError(e)}`, { error: e });
        return { ready: false };
      }
      if (waiting.length === 0) {
        const note = stuck.length > 0 ? `; ${stuck.length} of them wait only for pods that cannot become Ready (reported as warnings, not waited for)` : '';
        log.info('settle.ready', `proxy pods of ${names.length} DaemonSet(s) are Ready${note}`, { daemonSets: names.length, stuck: stuck.length });
        return { ready: true };
      }
      if (clock.now() + (opts.settlePollMs ?? 1000) > until) {
        log.info('settle.timeout', `${waiting.length} DaemonSet(s) not rolled out after ${config.settleMs} ms (${waiting.slice(0, 5).join(', ')}${waiting.length > 5 ? ', …' : ''}); status follows at a later sync`, { daemonSets: names.length, waiting: waiting.length });
        return { ready: false };
      }
      await clock.sleep(opts.settlePollMs ?? 1000);
    }
  }
}

/** Why the report lists no Service although there may be some: never observed, or not planned. */
function servicesUnknown(round: Round | undefined, errors: readonly SyncError[]): string | undefined {
  if (round) return round.plan.unknown;
  const first = errors[0];
  return `Services unknown: ${first ? `${first.stage} failed (${first.message})` : 'the cluster was not read'}`;
}

const OUTCOME_WORDS: Record<Outcome, string> = { done: 'done', failed: 'failed (a later run may succeed)', refused: 'refused (a person must act first)' };

const actionKey = (a: Action) => `${a.kind} ${describeTarget(a)}`;

const isPermissionFix = (fix: string | undefined) => fix !== undefined && /grant|RBAC|permission/i.test(fix);

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
          return crashedReport(t, opts, config, e);
        }
      }),
    ),
  );
  const outcome = combineOutcomes(clusters.map((c) => c.outcome));
  return {
    outcome,
    ok: outcome === 'done',
    converged: clusters.every((c) => c.converged),
    retryable: outcome === 'failed',
    trigger: opts.trigger,
    clusters,
  };
}

function crashedReport(t: ClusterTarget, opts: SyncOptions, config: Config, e: unknown): ClusterReport {
  return {
    cluster: targetName(t),
    runId: '',
    outcome: 'failed', // a bug, not the configuration: the one outcome that alerts and is retried
    ok: false,
    converged: false,
    retryable: true,
    dryRun: config.dryRun || opts.dryRun === true,
    trigger: opts.trigger,
    durationMs: 0,
    rounds: 0,
    plan: { actions: [], services: [], notes: [], heldBack: false },
    results: [],
    calls: new CallCounter().snapshot(),
    prerequisites: [],
    errors: [{ stage: 'apply', message: describeError(e), retryable: false }],
  };
}
