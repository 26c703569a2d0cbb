// Where a proxy DaemonSet runs a Ready pod, proven by the DaemonSet's own status when it can be:
// the controller already counts its pods, so a sync need not list all S × N of them (pure).
import type { V1DaemonSet, V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Toleration } from '@kubernetes/client-node';
import type { NodeView, ProxyPodView, Snapshot, TaintView } from './model.ts';

/** A node younger than this may be missing from the DaemonSet's status counts (the controller
 *  has not caught up yet), so a DaemonSet wanting it is checked pod by pod. Generous on purpose:
 *  the controller is usually seconds behind, and a young node costs one pod list, not a wrong IP. */
export const NODE_SETTLE_MS = 120_000;

/** Tolerations the DaemonSet controller adds to every daemon pod (AddOrUpdateDaemonPodTolerations;
 *  network-unavailable only for hostNetwork pods, which proxies are not). */
export const DAEMON_TOLERATIONS: readonly V1Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function tolerates(t: V1Toleration, taint: TaintView): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

function requirementHolds(r: V1NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0] ?? '')) return false;
      return r.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      return false;
  }
}

/** Terms are ORed, requirements within a term ANDed; an empty term matches nothing. */
function termsMatch(terms: readonly V1NodeSelectorTerm[], node: NodeView): boolean {
  return terms.some((term) => {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementHolds(r, node.labels[r.key])) && fields.every((r) => requirementHolds(r, r.key === 'metadata.name' ? node.name : undefined));
  });
}

/** NodeShouldRunDaemonPod, as far as a node object tells: the template's nodeSelector and
 *  required node affinity match, and every NoSchedule/NoExecute taint is tolerated. */
export function daemonSetWantsNode(ds: V1DaemonSet, node: NodeView): boolean {
  const spec = ds.spec?.template?.spec;
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (node.labels[k] !== v) return false;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms !== undefined && !termsMatch(terms, node)) return false;
  const own = spec?.tolerations ?? [];
  for (const taint of node.taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!own.some((t) => tolerates(t, taint)) && !DAEMON_TOLERATIONS.some((t) => tolerates(t, taint))) return false;
  }
  return true;
}

/** Per node of `nodes` (by position): 1 where the DaemonSet wants a pod. */
function wantedFlags(ds: V1DaemonSet, nodes: readonly NodeView[]): Uint8Array {
  const flags = new Uint8Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) if (daemonSetWantsNode(ds, nodes[i] as NodeView)) flags[i] = 1;
  return flags;
}

/** What decides placement; DaemonSets with the same key want the same nodes (usually all do). */
function placementKey(ds: V1DaemonSet): string {
  const spec = ds.spec?.template?.spec;
  return JSON.stringify([spec?.nodeSelector ?? null, spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null, spec?.tolerations ?? null]);
}

export interface ProxyEvidence {
  /** DaemonSets whose status proves a Ready pod on every node they want: per node of the
   *  `nodes` given (by position), 1 where that is. Several DaemonSets may share one array. */
  proven: Map<string, Uint8Array>;
  /** The others (by name), with why their pods must be listed instead. */
  unproven: Map<string, string>;
}

/** Why the status does not prove the pods (undefined: it does). `wanted` is how many of the
 *  listed nodes the DaemonSet wants; `young` how many of those joined within NODE_SETTLE_MS.
 *  updatedNumberScheduled, numberAvailable and numberUnavailable are `omitempty` in the API: the
 *  controller leaves them out when they are 0 (a DaemonSet that wants no node has none of them). */
export function statusGap(ds: V1DaemonSet, wanted: number, young: number): string | undefined {
  const s = ds.status;
  if (!s) return 'no status yet';
  const generation = ds.metadata?.generation ?? 0;
  if ((s.observedGeneration ?? 0) < generation) return `status is of generation ${s.observedGeneration ?? 0}, the spec is ${generation}`;
  const desired = s.desiredNumberScheduled;
  if (desired !== wanted) return `status wants ${desired} pods, the node list ${wanted}`;
  const counts: [string, number | undefined][] = [
    ['scheduled', s.currentNumberScheduled],
    ['updated', s.updatedNumberScheduled ?? 0],
    ['Ready', s.numberReady],
    ['available', s.numberAvailable ?? 0],
  ];
  for (const [what, n] of counts) if (n !== desired) return `${n ?? 'unknown'} of ${desired} pods ${what}`;
  if ((s.numberMisscheduled ?? 0) !== 0) return `${s.numberMisscheduled} pods on nodes it should not run on`;
  if ((s.numberUnavailable ?? 0) !== 0) return `${s.numberUnavailable} pods unavailable`;
  if (young > 0) return `${young} wanted node${young === 1 ? '' : 's'} joined less than ${NODE_SETTLE_MS / 1000} s ago`;
  return undefined;
}

/** Sorts the DaemonSets into those whose status proves where their Ready pods are and those
 *  whose pods must be read. `now` is the snapshot's time (RFC 3339). */
export function proxyEvidence(daemonSets: readonly V1DaemonSet[], nodes: readonly NodeView[], now: string): ProxyEvidence {
  const nowMs = Date.parse(now);
  const young = new Uint8Array(nodes.length);
  nodes.forEach((n, i) => {
    const created = Date.parse(n.creationTimestamp);
    // An unknown age is treated as young: nothing is taken on trust that cannot be checked.
    if (Number.isNaN(created) || Number.isNaN(nowMs) || nowMs - created < NODE_SETTLE_MS) young[i] = 1;
  });
  const byKey = new Map<string, { flags: Uint8Array; wanted: number; young: number }>();
  const proven = new Map<string, Uint8Array>();
  const unproven = new Map<string, string>();
  for (const ds of daemonSets) {
    const name = ds.metadata?.name ?? '';
    const key = placementKey(ds);
    let placement = byKey.get(key);
    if (!placement) {
      const flags = wantedFlags(ds, nodes);
      let wanted = 0;
      let youngWanted = 0;
      for (let i = 0; i < flags.length; i++) {
        if (flags[i]) {
          wanted++;
          if (young[i]) youngWanted++;
        }
      }
      byKey.set(key, (placement = { flags, wanted, young: youngWanted }));
    }
    const gap = statusGap(ds, placement.wanted, placement.young);
    if (gap === undefined) proven.set(name, placement.flags);
    else unproven.set(name, gap);
  }
  return { proven, unproven };
}

/** The DaemonSet has done what its spec asks: every pod it wants is scheduled, current and
 *  Ready (what `kubectl rollout status` waits for). Says nothing about nodes it has not seen. */
export function rolledOut(ds: V1DaemonSet): boolean {
  const s = ds.status;
  if (!s || (s.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0)) return false;
  const desired = s.desiredNumberScheduled;
  return (s.updatedNumberScheduled ?? 0) === desired && s.numberReady === desired && (s.numberUnavailable ?? 0) === 0;
}

/** What a plan knows of one DaemonSet's proxies: its listed pods, or its status's proof. */
export type ProxyState =
  | { source: 'pods'; pods: readonly ProxyPodView[] }
  | { source: 'status'; readyOn: Uint8Array; ready: number; total: number };

/** The proxies of each DaemonSet, for a plan over `nodes` (positions index `readyOn`). Listed
 *  pods win; a DaemonSet neither listed nor proven has no known Ready pod. */
export function proxyStates(snapshot: Pick<Snapshot, 'pods' | 'podsListed' | 'daemonSets' | 'now'>, nodes: readonly NodeView[]): (daemonSet: string) => ProxyState {
  const byDaemonSet = new Map<string, ProxyPodView[]>();
  for (const p of snapshot.pods) {
    const list = byDaemonSet.get(p.daemonSet);
    if (list) list.push(p);
    else byDaemonSet.set(p.daemonSet, [p]);
  }
  const listed = snapshot.podsListed === undefined ? undefined : new Set(snapshot.podsListed);
  if (!listed) return (name) => ({ source: 'pods', pods: byDaemonSet.get(name) ?? [] });
  const evidence = proxyEvidence(snapshot.daemonSets.filter((ds) => !listed.has(ds.metadata?.name ?? '')), nodes, snapshot.now);
  const counts = new Map<Uint8Array, number>();
  return (name) => {
    const readyOn = listed.has(name) ? undefined : evidence.proven.get(name);
    if (!readyOn) return { source: 'pods', pods: byDaemonSet.get(name) ?? [] };
    let n = counts.get(readyOn);
    if (n === undefined) counts.set(readyOn, (n = readyOn.reduce((a, b) => a + b, 0)));
    return { source: 'status', readyOn, ready: n, total: n };
  };
}
