// Which reads of this run cannot be trusted: the ones that failed, and the ones whose answer
// cannot be right (every "suspicious" rule lives here, pure); and which of our objects make no
// sense (odd DaemonSets), which hold back only what depends on them. Rules and scopes are pinned
// by test/unit/suspicious_scope.test.ts.
import type { Plan, ReadName, Snapshot } from './model.ts';
import { isGceNode } from './nodes.ts';
import { DAEMONSET_LABEL } from './naming.ts';
import { claimService } from './claim.ts';

/** Without these the planner cannot tell what exists, so it plans nothing at all. */
export const ESSENTIAL_READS: readonly ReadName[] = ['services', 'daemonsets', 'nodes', 'pods', 'namespaces'];

export interface ReadHealth {
  untrusted: Set<ReadName>; // failed, or suspicious
  suspicious: ReadonlySet<ReadName>; // answered, with something that cannot be right
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

/** A read that answered, with something that cannot be right: why, in words; undefined when the
 *  answer is believable or the read failed anyway. An empty list where something must exist is
 *  more likely a broken read than a sudden void (a transient empty answer must not read as
 *  "every Service is gone": ExternalDNS #946). Each rule sees only what observe recorded. */
type Rule = (snapshot: Snapshot, config: ClaimConfig) => string | undefined;

const RULES: readonly (readonly [ReadName, Rule])[] = [
  ['namespaces', (s) => namespacesLookWrong(s)],
  // Every cluster has the default/kubernetes Service.
  ['services', (s) => (s.services.length === 0 ? 'no Services at all (not even default/kubernetes)' : undefined)],
  [
    'services',
    (s, config) => {
      // Without the namespace list nothing is planned anyway; this says the Service list is no better.
      if (s.daemonSets.length === 0 || !s.failedReads.some((f) => f.read === 'namespaces')) return undefined;
      if (s.services.some((svc) => claimService(svc, config).claimed)) return undefined;
      return `no claimed Services while ${s.daemonSets.length} DaemonSets exist and the namespace list failed`;
    },
  ],
  [
    'nodes',
    (s) => {
      // Pods may not have been listed (their DaemonSets' status vouched for them): count those too.
      const reported = s.daemonSets.reduce((n, ds) => n + (ds.status?.currentNumberScheduled ?? 0), 0);
      const proxyPods = Math.max(s.pods.length, reported);
      return s.nodes.length === 0 && proxyPods > 0 ? `no Nodes were listed while ${proxyPods} proxy pods exist` : undefined;
    },
  ],
  ['daemonsets', (s) => (s.daemonSets.length === 0 && s.pods.length > 0 ? `no DaemonSets were listed while ${s.pods.length} proxy pods exist` : undefined)],
  // No pod of a DaemonSet that reports pods scheduled is not a broken pod list as a whole: it is
  // judged per DaemonSet (oddDaemonSets above), so one odd object never stops every other Service.
  [
    'instances',
    (s) => {
      const gceNodes = s.nodes.filter(isGceNode).length;
      return s.instances !== undefined && s.instances.length === 0 && gceNodes > 0 ? `no GCE instances were listed while ${gceNodes} GCE nodes exist` : undefined;
    },
  ],
  [
    'endpointslices',
    (s, config) => {
      // Every Service with a selector has slices: none at all while Local Services publish IPs is
      // a broken answer, and believing it would withdraw every one of their IPs.
      if (s.endpointSliceCount !== 0) return undefined;
      const publishing = s.services.filter((svc) => svc.externalTrafficPolicy === 'Local' && svc.ingress.length > 0 && claimService(svc, config).claimed).length;
      return publishing > 0 ? `no EndpointSlices at all while ${publishing} externalTrafficPolicy: Local Service(s) publish IPs` : undefined;
    },
  ],
];

type ClaimConfig = Parameters<typeof claimService>[1];

/** The namespace list without kube-system: exported for prerequisites.ts, which must not call
 *  the proxy namespace missing on the word of such a list. */
export function namespacesLookWrong(snapshot: Pick<Snapshot, 'namespaces' | 'failedReads'>): string | undefined {
  if (snapshot.failedReads.some((f) => f.read === 'namespaces')) return undefined;
  return snapshot.namespaces.some((n) => n.name === 'kube-system') ? undefined : 'the namespace list has no kube-system';
}

/** Reads whose answer cannot be right, with why (the first rule that says so per read). */
export function suspiciousReads(snapshot: Snapshot, config: ClaimConfig): Map<ReadName, string> {
  const failed = new Set(snapshot.failedReads.map((f) => f.read));
  const out = new Map<ReadName, string>();
  for (const [read, rule] of RULES) {
    if (failed.has(read) || out.has(read)) continue;
    const why = rule(snapshot, config);
    if (why !== undefined) out.set(read, why);
  }
  return out;
}

export function assessReads(snapshot: Snapshot, config: ClaimConfig): ReadHealth {
  const untrusted = new Set<ReadName>();
  const notes: Plan['notes'] = [];
  for (const f of [...snapshot.failedReads].sort((a, b) => (a.read < b.read ? -1 : a.read > b.read ? 1 : 0))) {
    untrusted.add(f.read);
    notes.push({ severity: 'WARNING', message: `reading ${f.read} failed (${f.message}): nothing is deleted and no IP is withdrawn this run` });
  }
  const suspicious = suspiciousReads(snapshot, config);
  for (const [read, why] of suspicious) {
    untrusted.add(read);
    notes.push({ severity: 'WARNING', message: `the ${read} read looks wrong (${why}): treated as failed, so nothing is deleted and no IP is withdrawn this run` });
  }
  return { untrusted, suspicious: new Set(suspicious.keys()), notes };
}
