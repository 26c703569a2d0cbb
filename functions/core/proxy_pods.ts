// Which proxy pods cannot become Ready without someone acting (pure): the scheduler cannot place
// them (a host port taken, no room) or their containers keep failing. Those are reported as
// per-node warnings at once; waiting for them would only delay the sync and fail it.
import type { V1DaemonSet } from '@kubernetes/client-node';
import type { ProxyPodView } from './model.ts';

/** Container waiting reasons that do not clear by themselves (kubelet backs off and retries, but
 *  the same image, config or crash fails the same way). */
export const STUCK_WAITING_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** The pod's stuck reason as the API states it: 'Unschedulable' (PodScheduled=False with that
 *  reason) first, else a stuck container waiting reason; undefined for a pod that may still start. */
export function stuckReason(unschedulable: boolean, waitingReason: string | undefined): string | undefined {
  if (unschedulable) return 'Unschedulable';
  return waitingReason !== undefined && waitingReason !== '' && STUCK_WAITING_REASONS.has(waitingReason) ? waitingReason : undefined;
}

/** A pod that is not Ready and will not become Ready by waiting. */
export const isStuck = (p: ProxyPodView): boolean => !p.ready && p.stuck !== undefined;

/** In words, for a node decision and a warning. */
export function describeStuck(reason: string): string {
  return reason === 'Unschedulable'
    ? 'the scheduler cannot place the proxy pod there (Unschedulable: usually its host port is taken by another pod)'
    : `the proxy pod keeps failing there (${reason})`;
}

/** Most nodes a warning names before it counts the rest: the message lands in an Event and a
 *  condition, and must not grow with the cluster. */
export const MAX_NAMED_NODES = 10;

/** One warning per stuck reason, naming the nodes (bounded), in a fixed order. */
export function stuckWarnings(pods: readonly ProxyPodView[], wanted: (node: string) => boolean): { eventReason: string; message: string }[] {
  const byReason = new Map<string, string[]>();
  for (const p of pods) {
    if (!isStuck(p) || !p.nodeName || !wanted(p.nodeName)) continue;
    const list = byReason.get(p.stuck as string);
    if (list) list.push(p.nodeName);
    else byReason.set(p.stuck as string, [p.nodeName]);
  }
  return [...byReason.keys()].sort().map((reason) => {
    const nodes = [...new Set(byReason.get(reason))].sort();
    const named = nodes.slice(0, MAX_NAMED_NODES).join(', ') + (nodes.length > MAX_NAMED_NODES ? ` and ${nodes.length - MAX_NAMED_NODES} more` : '');
    return {
      eventReason: reason === 'Unschedulable' ? 'ProxyUnschedulable' : 'ProxyFailing',
      message: `no proxy on node${nodes.length === 1 ? '' : 's'} ${named}: ${describeStuck(reason)}; those nodes are not published`,
    };
  });
}

/** Whether a DaemonSet that has not rolled out waits only for pods that cannot become Ready:
 *  its status is current, every pod it wants exists, and each one not Ready is stuck. Then the
 *  sync stops waiting for it (the settle window is for pods still starting). */
export function waitsOnlyForStuck(ds: V1DaemonSet, pods: readonly ProxyPodView[]): boolean {
  const s = ds.status;
  if (!s || (s.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0)) return false;
  const name = ds.metadata?.name ?? '';
  let total = 0;
  let notReady = 0;
  for (const p of pods) {
    if (p.daemonSet !== name) continue;
    total++;
    if (p.ready) continue;
    if (p.stuck === undefined) return false;
    notReady++;
  }
  return notReady > 0 && total >= s.desiredNumberScheduled;
}
