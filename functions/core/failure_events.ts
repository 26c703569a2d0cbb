// The Warning Event a Service gets when an action for it failed for good (a 403, a quota, an
// invalid object): the owner sees the problem and the fix where they look, `kubectl describe
// service`, not only in the function's log. Pure.
import type { Action } from './model.ts';

/** What this needs of an action's result (runtime/apply.ts ActionResult has it). */
export interface ActionFailure {
  outcome: string; // 'failed' is the one that counts
  retryable?: boolean;
  error?: string;
  fix?: string;
}

export const FAILURE_EVENT_REASON = 'SyncLoadBalancerFailed';

const WORDS: Record<Action['kind'], string> = {
  createDaemonSet: 'creating the proxy DaemonSet',
  updateDaemonSet: 'updating the proxy DaemonSet',
  deleteDaemonSet: 'deleting the proxy DaemonSet',
  createFirewall: 'creating the firewall rule',
  patchFirewall: 'updating the firewall rule',
  deleteFirewall: 'deleting the firewall rule',
  writeStatus: 'writing the load balancer status',
  recordEvent: 'recording an event',
};

/** Same failure, same words: an operation's generated name would make every run's Event new. */
function stable(error: string): string {
  return error.replace(/\boperation operation-[A-Za-z0-9-]+ /g, 'operation ');
}

/** One Warning per permanently failed action on a Service that still exists; none for
 *  transient failures (the next run retries them) nor for failed Events themselves. */
export function failureEvents(
  actions: readonly Action[],
  results: readonly (ActionFailure | undefined)[],
  serviceExists: (uid: string) => boolean,
): Extract<Action, { kind: 'recordEvent' }>[] {
  const out: Extract<Action, { kind: 'recordEvent' }>[] = [];
  actions.forEach((a, i) => {
    const r = results[i];
    if (!r || r.outcome !== 'failed' || r.retryable !== false || a.kind === 'recordEvent' || !a.service) return;
    if (!serviceExists(a.service.uid)) return;
    const fix = r.fix ? ` Fix: ${r.fix}` : '';
    out.push({
      kind: 'recordEvent',
      service: a.service,
      type: 'Warning',
      eventReason: FAILURE_EVENT_REASON,
      message: `${WORDS[a.kind]} failed: ${stable(r.error ?? 'unknown error')}.${fix}`,
      reason: `${a.kind} failed and a retry cannot help`,
    });
  });
  return out;
}
