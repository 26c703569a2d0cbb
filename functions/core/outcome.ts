// The verdict of a sync, defined once (pure): every entry point derives its exit status, HTTP
// status, log fields and alert from it, so that "failed" means the same thing everywhere.
// What the world keeps from serving (a host port taken, a pod not Ready yet) is a warning, not a failure.

/** done: reads trusted and every planned write applied (a dry run: planned from trusted reads).
 *  failed: a read failed or was distrusted (destructive actions held back), or a write failed,
 *  and a later run may fix it. refused: a person must act first (flags, configuration, a
 *  missing permission, an Autopilot cluster); running again as is changes nothing. */
export type Outcome = 'done' | 'failed' | 'refused';

export interface OutcomeInput {
  /** Errors of connecting, reading, planning, prerequisites. */
  errors: readonly { retryable: boolean }[];
  /** Results of actions that failed. */
  failedActions: readonly { retryable?: boolean }[];
  /** A read failed or was distrusted, so destructive actions were held back. */
  heldBack: boolean;
  /** The cluster was observed and planned (false: it never got that far). */
  planned: boolean;
}

export function clusterOutcome(i: OutcomeInput): Outcome {
  const problems = [...i.errors.map((e) => e.retryable), ...i.failedActions.map((r) => r.retryable === true)];
  if (problems.some((retryable) => retryable)) return 'failed';
  if (problems.length > 0) return 'refused';
  // Held back or never planned without an error to say why: still something a retry may finish.
  if (i.heldBack || !i.planned) return 'failed';
  return 'done';
}

export interface VerdictInput extends OutcomeInput {
  /** Every result of the round the report shows (failed ones included). */
  results: readonly { kind: string; outcome: string }[];
  settleTimedOut: boolean;
  dryRun: boolean;
  plannedActions: number;
}

export interface Verdict {
  outcome: Outcome;
  ok: boolean; // outcome === 'done'
  /** Informational: done, and nothing left that this run could see (proxies all Ready, nothing
   *  skipped; a dry run: nothing to do). */
  converged: boolean;
  retryable: boolean; // outcome === 'failed'
}

export function verdict(i: VerdictInput): Verdict {
  const outcome = clusterOutcome(i);
  const ok = outcome === 'done';
  const settled = (r: VerdictInput['results'][number]) => r.outcome === 'applied' || (r.kind === 'recordEvent' && r.outcome === 'skipped');
  const converged = ok && !i.settleTimedOut && i.results.every(settled) && (!i.dryRun || i.plannedActions === 0);
  return { outcome, ok, converged, retryable: outcome === 'failed' };
}

/** Several clusters: the worst of them, failed before refused (a retry may still help there). */
export function combineOutcomes(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes('failed')) return 'failed';
  if (outcomes.includes('refused')) return 'refused';
  return 'done';
}

/** CLI exit statuses. 3 only with --detailed-exitcode (terraform's idea): done, and changes are
 *  pending (a dry run with actions, or proxies still starting). Nothing else uses 3. */
export const EXIT = { done: 0, failed: 1, refused: 2, changesPending: 3 } as const;

export function exitStatus(outcome: Outcome, opts: { detailed?: boolean; changesPending?: boolean } = {}): number {
  if (outcome !== 'done') return EXIT[outcome];
  return opts.detailed === true && opts.changesPending === true ? EXIT.changesPending : EXIT.done;
}

/** The HTTP function: 500 exactly when the CLI would exit 1 (callers retry non-2xx, and only a
 *  retry-able failure should be retried); refused is a 200 whose body says why. */
export function httpStatus(outcome: Outcome): number {
  return outcome === 'failed' ? 500 : 200;
}

/** The CloudEvent function throws (Pub/Sub redelivers) exactly when the HTTP one answers 500. */
export function shouldRedeliver(outcome: Outcome): boolean {
  return outcome === 'failed';
}
