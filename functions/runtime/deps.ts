// Everything one cluster's sync depends on, built once from the configuration and the caller's
// options (the trigger and the test seams): clock and time budget, logger, call counter, token
// source, retry policy, planner, connector. The sync's steps take this and nothing else.
import { randomUUID } from 'node:crypto';
import type { TokenSource } from '../adapters/auth.ts';
import { createTokenSource } from '../adapters/auth.ts';
import { connectCluster } from '../adapters/connect.ts';
import type { Config } from '../config.ts';
import type { Plan, Snapshot } from '../core/model.ts';
import { plan as realPlan } from '../core/plan.ts';
import type { PlanConfig } from '../core/plan_config.ts';
import { CallCounter } from '../platform/calls.ts';
import { deadlineIn, systemClock, type Clock, type Deadline } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

/** What the caller asks for. */
export interface SyncRequest {
  logger: Logger;
  trigger: string; // 'schedule', 'gce-event', 'http', 'cli', …
  goingAway?: string[]; // GCE instance names a trigger reported stopping/deleted
  dryRun?: boolean; // or config.dryRun
  runId?: string;
  tokens?: TokenSource; // shared by the clusters of one run
}

/** Test seams: each replaces one built dependency. */
export interface SyncSeams {
  clock?: Clock;
  fetch?: typeof fetch; // Compute/Container requests
  planner?: (snapshot: Snapshot, config: PlanConfig) => Plan;
  retry?: Partial<Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>>;
  connect?: typeof connectCluster;
  settlePollMs?: number; // default 1000
  kubeRequestTimeoutMs?: number; // per Kubernetes request (default 60 s)
}

export type SyncOptions = SyncRequest & SyncSeams;

export interface SyncDeps {
  config: Config;
  trigger: string;
  goingAway?: string[];
  dryRun: boolean;
  runId: string;
  clock: Clock;
  started: number;
  deadline: Deadline;
  log: Logger;
  counter: CallCounter;
  tokens: TokenSource;
  policy: RetryPolicy;
  planner: NonNullable<SyncSeams['planner']>;
  connect: typeof connectCluster;
  fetch?: typeof fetch;
  settlePollMs: number;
  kubeRequestTimeoutMs?: number;
}

export function buildDeps(config: Config, opts: SyncOptions, clusterName: string): SyncDeps {
  const clock = opts.clock ?? systemClock;
  const deadline = deadlineIn(clock, config.timeBudgetMs);
  const runId = opts.runId ?? randomUUID().slice(0, 8);
  const log = opts.logger.child({ component: 'sync', cluster: clusterName, trigger: opts.trigger, runId });
  return {
    config,
    trigger: opts.trigger,
    goingAway: opts.goingAway,
    dryRun: config.dryRun || opts.dryRun === true,
    runId,
    clock,
    started: clock.now(),
    deadline,
    log,
    counter: new CallCounter(),
    tokens: opts.tokens ?? createTokenSource(config),
    policy: { ...DEFAULT_RETRY, ...opts.retry, clock, deadline, logger: log },
    planner: opts.planner ?? realPlan,
    connect: opts.connect ?? connectCluster,
    fetch: opts.fetch,
    settlePollMs: opts.settlePollMs ?? 1000,
    kubeRequestTimeoutMs: opts.kubeRequestTimeoutMs,
  };
}
