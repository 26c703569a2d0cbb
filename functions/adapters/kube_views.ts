// Translates Kubernetes API objects (as kube_rest.ts returns them: timestamps are Dates, as
// client-node's types declare) into the planner's compact views. Pure.
import type {
  V1Condition,
  V1EndpointSlice,
  V1LoadBalancerIngress,
  V1Namespace,
  V1Node,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import type {
  ConditionView,
  EndpointsView,
  IPFamily,
  IngressView,
  NamespaceView,
  NodeView,
  Protocol,
  ProxyPodView,
  ServiceView,
  TaintView,
} from '../core/model.ts';
import { STUCK_WAITING_REASONS, stuckReason } from '../core/proxy_pods.ts';
import { DAEMONSET_LABEL } from '../core/naming.ts';


/** RFC 3339 with whole seconds, as the API server writes it ("2025-01-01T00:00:00Z"). */
export function rfc3339(d: Date | undefined): string {
  if (d === undefined) return '';
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Equal ingress entries as one view across the Services of one read (a Service publishes up
 *  to one IP per node, and every Service mostly the same ones). Entries the client already
 *  shares (kube_rest.ts) are found by identity, without a key string per entry. */
export class IngressViews {
  private readonly byEntry = new WeakMap<object, IngressView>();
  private readonly byKey = new Map<string, IngressView>();

  of(i: V1LoadBalancerIngress): IngressView {
    const seen = this.byEntry.get(i);
    if (seen) return seen;
    const key = `${i.ip ?? ''}\u0000${i.hostname ?? ''}\u0000${i.ipMode ?? ''}`;
    let v = this.byKey.get(key);
    if (!v) this.byKey.set(key, (v = toIngressView(i)));
    this.byEntry.set(i, v);
    return v;
  }
}

function toIngressView(i: V1LoadBalancerIngress): IngressView {
  const v: IngressView = {};
  if (i.ip !== undefined) v.ip = i.ip;
  if (i.hostname !== undefined) v.hostname = i.hostname;
  if (i.ipMode === 'VIP' || i.ipMode === 'Proxy') v.ipMode = i.ipMode;
  return v;
}

export function toServiceView(s: V1Service, shared?: IngressViews): ServiceView {
  const spec = s.spec ?? {};
  const m = s.metadata ?? {};
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    creationTimestamp: rfc3339(m.creationTimestamp),
    deleting: m.deletionTimestamp !== undefined,
    type: spec.type ?? 'ClusterIP',
    loadBalancerClass: spec.loadBalancerClass,
    clusterIP: spec.clusterIP,
    clusterIPs: spec.clusterIPs ?? (spec.clusterIP && spec.clusterIP !== 'None' ? [spec.clusterIP] : []),
    ipFamilies: (spec.ipFamilies ?? []).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6'),
    externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name,
      protocol: (p.protocol ?? 'TCP') as Protocol,
      port: p.port,
      nodePort: p.nodePort,
    })),
    loadBalancerSourceRanges: spec.loadBalancerSourceRanges ?? [],
    loadBalancerIP: spec.loadBalancerIP,
    externalIPs: spec.externalIPs ?? [],
    annotations: m.annotations ?? {},
    labels: m.labels ?? {},
    ingress: (s.status?.loadBalancer?.ingress ?? []).map((i) => (shared ? shared.of(i) : toIngressView(i))),
    conditions: (s.status?.conditions ?? []).map(toConditionView),
  };
}

function toConditionView(c: V1Condition): ConditionView {
  const v: ConditionView = {
    type: c.type,
    status: c.status === 'True' || c.status === 'False' ? c.status : 'Unknown',
    reason: c.reason,
    message: c.message,
    lastTransitionTime: rfc3339(c.lastTransitionTime),
  };
  if (c.observedGeneration !== undefined) v.observedGeneration = c.observedGeneration;
  return v;
}

export function toNamespaceView(n: V1Namespace): NamespaceView {
  return {
    name: n.metadata?.name ?? '',
    uid: n.metadata?.uid ?? '',
    labels: n.metadata?.labels ?? {},
    terminating: n.status?.phase === 'Terminating' || n.metadata?.deletionTimestamp !== undefined,
  };
}

export function toNodeView(n: V1Node): NodeView {
  const ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: n.metadata?.name ?? '',
    uid: n.metadata?.uid ?? '',
    creationTimestamp: rfc3339(n.metadata?.creationTimestamp),
    labels: n.metadata?.labels ?? {},
    taints: (n.spec?.taints ?? []).map((t) => {
      const v: TaintView = { key: t.key, effect: t.effect as TaintView['effect'] };
      if (t.value !== undefined) v.value = t.value;
      return v;
    }),
    unschedulable: n.spec?.unschedulable === true,
    ready,
    deleting: n.metadata?.deletionTimestamp !== undefined,
    providerID: n.spec?.providerID,
    addresses: (n.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
  };
}

export function toProxyPodView(p: V1Pod): ProxyPodView {
  const conditions = p.status?.conditions ?? [];
  const v: ProxyPodView = {
    daemonSet: p.metadata?.labels?.[DAEMONSET_LABEL] ?? '',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    phase: p.status?.phase ?? 'Unknown',
  };
  const node = p.spec?.nodeName || pinnedNode(p);
  if (node) v.nodeName = node;
  const unschedulable = conditions.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  const waiting = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    .map((s) => s.state?.waiting?.reason)
    .find((r) => r !== undefined && STUCK_WAITING_REASONS.has(r));
  const stuck = stuckReason(unschedulable, waiting);
  if (stuck !== undefined) v.stuck = stuck;
  return v;
}

/** The node the DaemonSet controller pins an unbound daemon pod to (matchFields metadata.name). */
function pinnedNode(p: V1Pod): string | undefined {
  for (const term of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.values?.[0]) return f.values[0];
  }
  return undefined;
}

/** Folds EndpointSlices into one view per Service, keeping only the Services asked for. */
export function toEndpointsViews(slices: V1EndpointSlice[], wanted?: Set<string>): EndpointsView[] {
  const byService = new Map<string, EndpointsView>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
    const namespace = slice.metadata?.namespace ?? '';
    if (!service) continue;
    const key = `${namespace}/${service}`;
    if (wanted && !wanted.has(key)) continue;
    let view = byService.get(key);
    if (!view) byService.set(key, (view = { namespace, service, readyNodes: [] }));
    for (const ep of slice.endpoints ?? []) {
      // kube-proxy's rule for local endpoints: the endpoint's nodeName and its ready condition, a
      // nil "ready" read as ready (EndpointConditions doc). No targetRef needed: kube-proxy sends
      // traffic to endpoints without one (manually managed slices) all the same.
      if (ep.conditions?.ready === false || !ep.nodeName) continue;
      if (!view.readyNodes.includes(ep.nodeName)) view.readyNodes.push(ep.nodeName);
    }
  }
  for (const v of byService.values()) v.readyNodes.sort();
  return [...byService.values()];
}

/** Namespace and name of an object we are about to write, for the URL. */
export function objectIds(obj: { metadata?: { namespace?: string; name?: string } }): { namespace: string; name: string } {
  const namespace = obj.metadata?.namespace;
  const name = obj.metadata?.name;
  if (!namespace || !name) throw new Error('object without metadata.namespace/name');
  return { namespace, name };
}
