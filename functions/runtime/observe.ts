// observe: one bulk read of everything a sync needs, as a Snapshot. A fixed number of list
// calls whatever the number of Services and nodes (pagination aside), run in parallel; a failed
// list becomes a failedReads entry, never an exception. It records what it read and judges
// nothing: which answers look wrong is core/reads.ts's to say. Does I/O.
import type { V1DaemonSet, V1Service } from '@kubernetes/client-node';
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import type { ClusterInfo } from '../adapters/connect.ts';
import { toFirewallView, toInstanceView, projectOf } from '../adapters/gce_views.ts';
import {
  IngressViews,
  rfc3339,
  toEndpointsViews,
  toNamespaceView,
  toNodeView,
  toServiceView,
} from '../adapters/kube_views.ts';
import type { Config } from '../config.ts';
import type { EndpointsView, FirewallView, InstanceView, NamespaceView, NodeView, ProxyPodView, ReadName, ServiceView, Snapshot } from '../core/model.ts';
import { DAEMONSET_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAME_PREFIX, shortHash } from '../core/naming.ts';
import { parseProviderID } from '../core/nodes.ts';
import { claimService } from '../core/claim.ts';
import { proxyEvidence } from '../core/proxy_readiness.ts';
import type { Clock } from '../platform/clock.ts';
import { ApiError, describeError } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';

export interface ObserveApis {
  kube: KubeApi;
  compute?: ComputeApi;
}

export interface Observation {
  snapshot: Snapshot;
  /** The Services as read, by UID: a status write replaces the whole object, so it starts from these. */
  rawServices: Map<string, V1Service>;
  /** The errors behind failedReads (403s become permission prerequisites). */
  readErrors: unknown[];
}

export type ObserveConfig = Pick<Config, 'namespace' | 'loadBalancerClass' | 'manageFirewall'>;

export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/** GCE filter (regex form) for this cluster's rules; the name carries a hash of the cluster id. */
export function firewallFilter(clusterId: string): string {
  return `name eq ${NAME_PREFIX}${shortHash(clusterId)}-.*`;
}

export async function observe(
  apis: ObserveApis,
  info: ClusterInfo,
  config: ObserveConfig,
  opts: { clock: Clock; logger: Logger; goingAway?: string[] },
): Promise<Observation> {
  const started = opts.clock.now();
  const failedReads: Snapshot['failedReads'] = [];
  const readErrors: unknown[] = [];
  /** Runs one read; a failure is recorded and yields undefined. */
  const read = async <T>(name: ReadName, p: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await p();
    } catch (e) {
      failedReads.push({ read: name, message: describeError(e) });
      readErrors.push(e);
      opts.logger.warn('read.failed', `reading ${name} failed: ${describeError(e)}`, { read: name, error: e });
      return undefined;
    }
  };
  /** A read that could not even be asked for (what it needs is unknown): failed, like a 5xx. */
  const unreadable = (name: ReadName, message: string) => {
    failedReads.push({ read: name, message });
    readErrors.push(new ApiError({ api: name === 'instances' || name === 'firewalls' ? 'compute' : 'kube', op: `read ${name}`, message: `${name}: ${message}`, retryable: true }));
    opts.logger.warn('read.failed', `reading ${name} failed: ${message}`, { read: name });
  };
  const { kube, compute } = apis;

  const namespacesP = read('namespaces', () => kube.listNamespaces());
  const servicesP = read('services', () => kube.listServices());
  const ingressViews = new IngressViews();
  const serviceViewsP = servicesP.then((raw) => raw?.map((s) => toServiceView(s, ingressViews)));
  const nodesP = read('nodes', () => kube.listNodes());
  const daemonSetsP = read('daemonsets', () => kube.listDaemonSets(config.namespace, MANAGED_SELECTOR));
  const now = rfc3339(new Date(started));
  // Proxy pods are S × N: only those of DaemonSets whose status does not prove them are listed.
  const podsP = (async (): Promise<{ pods?: ProxyPodView[]; listed?: string[] }> => {
    const [daemonSets, nodes] = await Promise.all([daemonSetsP, nodesP]);
    const which = daemonSets && nodes ? podsToList(daemonSets, nodes.map(toNodeView), now) : { selector: DAEMONSET_LABEL };
    const selector = which.selector;
    if (selector === undefined) return { pods: [], listed: [] };
    const pods = await read('pods', () => kube.listProxyPods(config.namespace, selector));
    return { pods, ...(which.listed ? { listed: which.listed } : {}) };
  })();

  // EndpointSlices matter only for claimed Services with externalTrafficPolicy: Local. How many
  // were listed is kept: none at all is judged by core/reads.ts.
  const endpointsP = serviceViewsP.then(async (services): Promise<{ views: EndpointsView[]; count?: number }> => {
    const local = new Set((services ?? []).filter((s) => s.externalTrafficPolicy === 'Local' && claimService(s, config).claimed).map((s) => `${s.namespace}/${s.name}`));
    if (local.size === 0) return { views: [] };
    const slices = await read('endpointslices', () => kube.listEndpointSlices());
    return slices ? { views: toEndpointsViews(slices, local), count: slices.length } : { views: [] };
  });

  // GKE mode: one filtered list in the cluster's project, in parallel with the rest. Kubeconfig
  // mode: the projects come from the nodes' gce:// providerIDs, so it waits for the node list.
  const instancesP = (async (): Promise<InstanceView[] | undefined> => {
    if (!compute) return undefined;
    let targets: { project: string; filter?: string }[];
    /** Kubeconfig mode lists whole projects: keep only the instances that are this cluster's nodes. */
    let nodeInstances: Set<string> | undefined;
    if (info.mode === 'gke' && info.project) {
      targets = [{ project: info.project, filter: info.clusterName ? `labels.goog-k8s-cluster-name = "${info.clusterName}"` : undefined }];
    } else {
      const refs = ((await nodesP) ?? []).map((n) => parseProviderID(n.spec?.providerID)).filter((r) => r !== undefined);
      if (refs.length === 0) return undefined;
      nodeInstances = new Set(refs.map((r) => `${r.project}/${r.zone}/${r.name}`));
      targets = [...new Set(refs.map((r) => r.project))].map((project) => ({ project }));
    }
    const lists = await Promise.all(
      targets.map((t) => read('instances', () => compute.listInstances(t.project, t.filter)).then((l) => l?.map((i) => toInstanceView(i, t.project)))),
    );
    if (lists.some((l) => l === undefined)) return [];
    const all = lists.flat() as InstanceView[];
    return nodeInstances ? all.filter((i) => nodeInstances.has(`${i.project}/${i.zone}/${i.name}`)) : all;
  })();

  const firewallsP = (async (): Promise<FirewallView[] | undefined> => {
    if (!compute || !config.manageFirewall) return undefined;
    const namespaces = await namespacesP;
    const clusterId = kubeSystemUid(namespaces);
    let project = info.mode === 'gke' ? info.networkProject : undefined;
    if (!project) {
      const instances = await instancesP;
      if (instances === undefined) return undefined; // not GCE nodes: nothing to firewall
      project = projectOf(instances.find((i) => i.network)?.network) ?? instances[0]?.project;
    }
    if (!clusterId || !project) {
      unreadable('firewalls', clusterId ? 'no GCE network project known for the firewall rules' : 'cluster identity unknown (namespace list failed)');
      return [];
    }
    const rules = await read('firewalls', () => compute.listFirewalls(project, firewallFilter(clusterId)));
    return rules ? rules.map(toFirewallView) : [];
  })();

  const [namespacesRaw, servicesRaw, servicesRead, nodesRaw, daemonSetsRaw, podsRead, endpointsRead, instances, firewalls] = await Promise.all([
    namespacesP,
    servicesP,
    serviceViewsP,
    nodesP,
    daemonSetsP,
    podsP,
    endpointsP,
    instancesP,
    firewallsP,
  ]);

  const namespaces: NamespaceView[] = (namespacesRaw ?? []).map(toNamespaceView);
  const services: ServiceView[] = servicesRead ?? [];
  const nodes: NodeView[] = (nodesRaw ?? []).map(toNodeView);
  const daemonSets: V1DaemonSet[] = daemonSetsRaw ?? [];
  const pods: ProxyPodView[] = podsRead.pods ?? [];
  const podsListed = podsRead.listed;

  // Kept as the base of full-object status writes, which replace the ingress list: so it is not
  // kept (a Service lists up to one IP per node: a million entries for 1000 × 1000).
  const rawServices = new Map<string, V1Service>();
  for (const s of servicesRaw ?? []) if (s.metadata?.uid) rawServices.set(s.metadata.uid, withoutIngress(s));

  const snapshot: Snapshot = {
    now,
    cluster: { id: kubeSystemUid(namespacesRaw) ?? '', name: info.name, project: info.project ?? instances?.[0]?.project },
    services,
    namespaces,
    nodes,
    daemonSets,
    pods,
    ...(podsListed ? { podsListed } : {}),
    endpoints: endpointsRead.views,
    ...(endpointsRead.count !== undefined ? { endpointSliceCount: endpointsRead.count } : {}),
    instances,
    firewalls,
    goingAway: opts.goingAway ?? [],
    failedReads,
  };
  const podsOf = podsListed === undefined ? 'all DaemonSets' : `${podsListed.length} of ${daemonSets.length} DaemonSets (the others' status proves their pods)`;
  opts.logger.info('snapshot.observed', `observed ${services.length} services, ${nodes.length} nodes, ${daemonSets.length} daemonsets, ${pods.length} proxy pods of ${podsOf}`, {
    services: services.length,
    nodes: nodes.length,
    daemonSets: daemonSets.length,
    pods: pods.length,
    podsListedFor: podsListed?.length ?? 'all',
    instances: instances?.length,
    firewalls: firewalls?.length,
    failedReads: failedReads.map((f) => f.read),
    durationMs: opts.clock.now() - started,
  });
  return { snapshot, rawServices, readErrors };
}

/** A label selector in the URL stays short below this many DaemonSets; more are listed whole. */
export const MAX_NAMED_DAEMONSETS = 40;

/** Which proxy pods to list: none (every DaemonSet's status proves its pods), those of a few
 *  named DaemonSets, or all of them (`listed` undefined). */
export function podsToList(daemonSets: readonly V1DaemonSet[], nodes: readonly NodeView[], now: string): { selector?: string; listed?: string[] } {
  // No DaemonSet at all proves nothing, and listing every proxy pod (none, when that is true)
  // is what tells a transient empty answer from an empty namespace.
  if (daemonSets.length === 0) return { selector: DAEMONSET_LABEL };
  const { unproven } = proxyEvidence(daemonSets, nodes, now);
  if (unproven.size === 0) return { listed: [] };
  if (unproven.size > MAX_NAMED_DAEMONSETS) return { selector: DAEMONSET_LABEL };
  const names = [...unproven.keys()].sort();
  return { selector: `${DAEMONSET_LABEL} in (${names.join(',')})`, listed: names };
}

function withoutIngress(s: V1Service): V1Service {
  if (!s.status?.loadBalancer?.ingress) return s;
  const { ingress: _dropped, ...loadBalancer } = s.status.loadBalancer;
  return { ...s, status: { ...s.status, loadBalancer } };
}

function kubeSystemUid(namespaces: { metadata?: { name?: string; uid?: string } }[] | undefined): string | undefined {
  return namespaces?.find((n) => n.metadata?.name === 'kube-system')?.metadata?.uid || undefined;
}
