// The wait between a sync's two rounds: poll the DaemonSets the first round created or changed
// (one list call, whatever their number) until each has rolled out by its own status, or only
// waits for pods that cannot become Ready, or the settle window ends. Does I/O.
import type { KubeApi } from '../adapters/apis.ts';
import { DAEMONSET_LABEL } from '../core/naming.ts';
import { waitsOnlyForStuck } from '../core/proxy_pods.ts';
import { rolledOut } from '../core/proxy_readiness.ts';
import { describeError } from '../platform/errors.ts';
import type { SyncDeps } from './deps.ts';
import { MANAGED_SELECTOR, MAX_NAMED_DAEMONSETS } from './observe.ts';

interface Progress {
  waiting: string[];
  stuck: string[];
}

/** true when every named DaemonSet settled (or is gone); false on timeout or a failed read. */
export async function settleProxies(kube: KubeApi, names: readonly string[], deps: SyncDeps): Promise<boolean> {
  const { config, clock, log } = deps;
  const until = Math.min(clock.now() + config.settleMs, deps.deadline.at);
  for (;;) {
    let progress: Progress;
    try {
      progress = await checkProgress(kube, names, config.namespace);
    } catch (e) {
      log.warn('settle.failed', `cannot watch the proxy DaemonSets: ${describeError(e)}`, { error: e });
      return false;
    }
    const { waiting, stuck } = progress;
    if (waiting.length === 0) {
      const note = stuck.length > 0 ? `; ${stuck.length} of them wait only for pods that cannot become Ready (reported as warnings, not waited for)` : '';
      log.info('settle.ready', `proxy pods of ${names.length} DaemonSet(s) are Ready${note}`, { daemonSets: names.length, stuck: stuck.length });
      return true;
    }
    if (clock.now() + deps.settlePollMs > until) {
      log.info('settle.timeout', `${waiting.length} DaemonSet(s) not rolled out after ${config.settleMs} ms (${waiting.slice(0, 5).join(', ')}${waiting.length > 5 ? ', …' : ''}); status follows at a later sync`, { daemonSets: names.length, waiting: waiting.length });
      return false;
    }
    await clock.sleep(deps.settlePollMs);
  }
}

async function checkProgress(kube: KubeApi, names: readonly string[], namespace: string): Promise<Progress> {
  const wanted = new Set(names);
  const current = (await kube.listDaemonSets(namespace, MANAGED_SELECTOR)).filter((ds) => wanted.has(ds.metadata?.name ?? ''));
  const open = current.filter((ds) => !rolledOut(ds));
  // Pods that cannot become Ready (host port taken, crash loop) are not waited for: one pod list
  // tells them from pods still starting. Past MAX_NAMED_DAEMONSETS, wait as before.
  let stuck: string[] = [];
  if (open.length > 0 && open.length <= MAX_NAMED_DAEMONSETS) {
    const selector = `${DAEMONSET_LABEL} in (${open.map((ds) => ds.metadata?.name ?? '').sort().join(',')})`;
    const pods = await kube.listProxyPods(namespace, selector);
    stuck = open.filter((ds) => waitsOnlyForStuck(ds, pods)).map((ds) => ds.metadata?.name ?? '');
  }
  const settled = new Set([...current.filter((ds) => rolledOut(ds)).map((ds) => ds.metadata?.name ?? ''), ...stuck]);
  // A DaemonSet gone meanwhile (deleted by hand) has nothing left to wait for.
  const present = new Set(current.map((ds) => ds.metadata?.name ?? ''));
  return { waiting: names.filter((n) => present.has(n) && !settled.has(n)), stuck };
}
