// Which reads of this run cannot be trusted: the ones that failed, and the ones that came back
// suspiciously empty (pure); and which of our objects make no sense (odd DaemonSets), which hold
// back only what depends on them. Scopes are pinned by test/unit/suspicious_scope.test.ts.
import type { Plan, ReadName, Snapshot } from './model.ts';
import { isGceNode } from './nodes.ts';
import { DAEMONSET_LABEL } from './naming.ts';

/** Without these the planner cannot tell what exists, so it plans nothing at all. */
export const ESSENTIAL_READS: readonly ReadName[] = ['services', 'daemonsets', 'nodes', 'pods', 'namespaces'];

export interface ReadHealth {
  untrusted: Set<ReadName>;
  notes: Plan['notes'];
}

/** Our DaemonSets whose pods were listed, whose status reports pods scheduled, and of which no
 *  listed pod carries the nodelb.dev/daemonset label (made by hand, or by another version of
 *  nodelb): by name, why. Its proxies are unknown, so nothing is published from it and nothing
 *  of it deleted this run; every other Service syncs as usual. */
export function oddDaemonSets(snapshot: Pick<Snapshot, 'daemonSets' | 'pods' | 'podsListed'>, namespace: string): Map<string, string> {
  const listed = snapshot.podsListed === undefined ? undefined : new Set(snapshot.podsListed);
  const withPods = new Set(snapshot.pods.map((p) => p.daemonSet));
  const odd = new Map<string, string>();
  for (const ds of snapshot.daemonSets) {
    const name = ds.metadata?.name ?? '';
    const scheduled = ds.status?.currentNumberScheduled ?? 0;
    if (scheduled === 0 || withPods.has(name) || (listed && !listed.has(name))) continue;
    odd.set(
      name,
      `DaemonSet ${ds.metadata?.namespace ?? namespace}/${name} reports ${scheduled} pod${scheduled === 1 ? '' : 's'} scheduled, but no pod carries ${DAEMONSET_LABEL}=${name} (made by hand or by another nodelb version?): its proxies are unknown, so nothing is published from it and it is not deleted this run`,
    );
  }
  return odd;
}

export function assessReads(snapshot: Snapshot): ReadHealth {
  const untrusted = new Set<ReadName>();
  const notes: Plan['notes'] = [];
  for (const f of [...snapshot.failedReads].sort((a, b) => (a.read < b.read ? -1 : a.read > b.read ? 1 : 0))) {
    untrusted.add(f.read);
    notes.push({ severity: 'WARNING', message: `reading ${f.read} failed (${f.message}): nothing is deleted and no IP is withdrawn this run` });
  }
  // An empty list where there was something is more likely a broken read than a sudden void.
  // Pods may not have been listed (their DaemonSets' status vouched for them): count those too.
  const reported = snapshot.daemonSets.reduce((n, ds) => n + (ds.status?.currentNumberScheduled ?? 0), 0);
  const proxyPods = Math.max(snapshot.pods.length, reported);
  if (snapshot.nodes.length === 0 && proxyPods > 0 && !untrusted.has('nodes')) {
    untrusted.add('nodes');
    notes.push({ severity: 'WARNING', message: `no Nodes were listed while ${proxyPods} proxy pods exist: the Node list is treated as failed` });
  }
  const gceNodes = snapshot.nodes.filter(isGceNode).length;
  if (snapshot.instances !== undefined && snapshot.instances.length === 0 && gceNodes > 0 && !untrusted.has('instances')) {
    untrusted.add('instances');
    notes.push({ severity: 'WARNING', message: `no GCE instances were listed while ${gceNodes} GCE nodes exist: the instance list is treated as failed` });
  }
  return { untrusted, notes };
}
