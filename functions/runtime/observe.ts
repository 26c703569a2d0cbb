// observe: one bulk read of everything a sync needs, as a Snapshot. A fixed number of list
// calls whatever the number of Services and nodes (pagination aside), run in parallel; a failed
// list becomes a failedReads entry, never an exception. It records what it read and judges
// nothing: which answers look wrong is core/reads.ts's to say. Does I/O.
import type { V1DaemonSet, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import type { ClusterInfo } from '../adapters/connect.ts';
import { toFirewallView, toInstanceView, projectOf } from '../adapters/gce_views.ts';
import {
  IngressViews,
  rfc3339,
  toEndpointsViews,
  toNamespaceView,
  toServiceView,
} from '../adapters/kube_views.ts';
import type { Config } from '../config.ts';
import type { EndpointsView, FirewallView, InstanceView, NodeView, ProxyPodView, ReadName, ServiceView, Snapshot } from '../core/model.ts';
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

/** Records each read's failure (failedReads, the error, one log line); a failed read yields undefined. */
interface Reads {
  read<T>(name: ReadName, p: () => Promise<T>): Promise<T | undefined>;
  /** A read that could not even be asked for (what it needs is unknown): failed, like a 5xx. */
  unreadable(name: ReadName, message: string): void;
  failedReads: Snapshot['failedReads'];
  errors: unknown[];
}

function recordReads(logger: Logger): Reads {
  const failedReads: Snapshot['failedReads'] = [];
  const errors: unknown[] = [];
  return {
    failedReads,
    errors,
    async read(name, p) {
      try {
        return await p();
      } catch (e) {
        failedReads.push({ read: name, message: describeError(e) });
        errors.push(e);
        logger.warn('read.failed', `reading ${name} failed: ${describeError(e)}`, { read: name, error: e });
        return undefined;
      }
    },
    unreadable(name, message) {
      failedReads.push({ read: name, message });
      errors.push(new ApiError({ api: name === 'instances' || name === 'firewalls' ? 'compute' : 'kube', op: `read ${name}`, message: `${name}: ${message}`, retryable: true }));
      logger.warn('read.failed', `reading ${name} failed: ${message}`, { read: name });
    },
  };
}

export async function observe(apis: ObserveApis, info: ClusterInfo, config: ObserveConfig, opts: { clock: Clock; logger: Logger; goingAway?: string[] }): Promise<Observation> {
  const started = opts.clock.now();
  const now = rfc3339(new Date(started));
  const reads = recordReads(opts.logger);
  const { kube, compute } = apis;
  // Every list starts at once; a read that needs another's answer awaits just that one.
  const namespacesP = reads.read('namespaces', () => kube.listNamespaces());
  const servicesP = reads.read('services', () => kube.listServices());
  const ingressViews = new IngressViews();
  const serviceViewsP = servicesP.then((raw) => raw?.map((s) => toServiceView(s, ingressViews)));
  const nodesP = reads.read('nodes', () => kube.listNodes());
  const daemonSetsP = reads.read('daemonsets', () => kube.listDaemonSets(config.namespace, MANAGED_SELECTOR));
  const podsP = readProxyPods(kube, config.namespace, daemonSetsP, nodesP, reads, now);
  const endpointsP = readEndpoints(kube, config, serviceViewsP, reads);
  const instancesP = compute ? readInstances(compute, info, nodesP, reads) : Promise.resolve(undefined);
  const firewallsP = compute && config.manageFirewall ? readFirewalls(compute, info, namespacesP, instancesP, reads) : Promise.resolve(undefined);
  const [namespacesRaw, servicesRaw, services, nodesRaw, daemonSets, podsRead, endpointsRead, instances, firewalls] = await Promise.all([
    namespacesP, servicesP, serviceViewsP, nodesP, daemonSetsP, podsP, endpointsP, instancesP, firewallsP,
  ]);

  const snapshot: Snapshot = {
    now,
    cluster: { id: kubeSystemUid(namespacesRaw) ?? '', name: info.name, project: info.project ?? instances?.[0]?.project },
    services: services ?? [],
    namespaces: (namespacesRaw ?? []).map(toNamespaceView),
    nodes: nodesRaw ?? [],
    daemonSets: daemonSets ?? [],
    pods: podsRead.pods ?? [],
    ...(podsRead.listed ? { podsListed: podsRead.listed } : {}),
    endpoints: endpointsRead.views,
    ...(endpointsRead.count !== undefined ? { endpointSliceCount: endpointsRead.count } : {}),
    instances,
    firewalls,
    goingAway: opts.goingAway ?? [],
    failedReads: reads.failedReads,
  };
  logObserved(snapshot, opts.logger, opts.clock.now() - started);
  return { snapshot, rawServices: statusBases(servicesRaw), readErrors: reads.errors };
}

/** Proxy pods are S × N: only those of DaemonSets whose status does not prove them are listed. */
async function readProxyPods(kube: KubeApi, namespace: string, daemonSetsP: Promise<V1DaemonSet[] | undefined>, nodesP: Promise<NodeView[] | undefined>, reads: Reads, now: string): Promise<{ pods?: ProxyPodView[]; listed?: string[] }> {
  const [daemonSets, nodes] = await Promise.all([daemonSetsP, nodesP]);
  const which = daemonSets && nodes ? podsToList(daemonSets, nodes, now) : { selector: DAEMONSET_LABEL };
  const selector = which.selector;
  if (selector === undefined) return { pods: [], listed: [] };
  const pods = await reads.read('pods', () => kube.listProxyPods(namespace, selector));
  return { pods, ...(which.listed ? { listed: which.listed } : {}) };
}

/** EndpointSlices matter only for claimed Services with externalTrafficPolicy: Local. How many
 *  were listed is kept: none at all is judged by core/reads.ts. */
async function readEndpoints(kube: KubeApi, config: ObserveConfig, servicesP: Promise<ServiceView[] | undefined>, reads: Reads): Promise<{ views: EndpointsView[]; count?: number }> {
  const services = await servicesP;
  const local = new Set((services ?? []).filter((s) => s.externalTrafficPolicy === 'Local' && claimService(s, config).claimed).map((s) => `${s.namespace}/${s.name}`));
  if (local.size === 0) return { views: [] };
  const slices = await reads.read('endpointslices', () => kube.listEndpointSlices());
  return slices ? { views: toEndpointsViews(slices, local), count: slices.length } : { views: [] };
}

/** GKE mode: one filtered list in the cluster's project, in parallel with the rest. Kubeconfig
 *  mode: the projects come from the nodes' gce:// providerIDs, so it waits for the node list,
 *  lists whole projects and keeps only the instances that are this cluster's nodes. */
async function readInstances(compute: ComputeApi, info: ClusterInfo, nodesP: Promise<NodeView[] | undefined>, reads: Reads): Promise<InstanceView[] | undefined> {
  let targets: { project: string; filter?: string }[];
  let nodeInstances: Set<string> | undefined;
  if (info.mode === 'gke' && info.project) {
    targets = [{ project: info.project, filter: info.clusterName ? `labels.goog-k8s-cluster-name = "${info.clusterName}"` : undefined }];
  } else {
    const refs = ((await nodesP) ?? []).map((n) => parseProviderID(n.providerID)).filter((r) => r !== undefined);
    if (refs.length === 0) return undefined;
    nodeInstances = new Set(refs.map((r) => `${r.project}/${r.zone}/${r.name}`));
    targets = [...new Set(refs.map((r) => r.project))].map((project) => ({ project }));
  }
  const lists = await Promise.all(targets.map((t) => reads.read('instances', () => compute.listInstances(t.project, t.filter)).then((l) => l?.map((i) => toInstanceView(i, t.project)))));
  if (lists.some((l) => l === undefined)) return [];
  const all = lists.flat() as InstanceView[];
  return nodeInstances ? all.filter((i) => nodeInstances.has(`${i.project}/${i.zone}/${i.name}`)) : all;
}

/** This cluster's rules, in the network's project (GKE: known; kubeconfig: from the instances). */
async function readFirewalls(compute: ComputeApi, info: ClusterInfo, namespacesP: Promise<V1Namespace[] | undefined>, instancesP: Promise<InstanceView[] | undefined>, reads: Reads): Promise<FirewallView[] | undefined> {
  const clusterId = kubeSystemUid(await namespacesP);
  let project = info.mode === 'gke' ? info.networkProject : undefined;
  if (!project) {
    const instances = await instancesP;
    if (instances === undefined) return undefined; // not GCE nodes: nothing to firewall
    project = projectOf(instances.find((i) => i.network)?.network) ?? instances[0]?.project;
  }
  if (!clusterId || !project) {
    reads.unreadable('firewalls', clusterId ? 'no GCE network project known for the firewall rules' : 'cluster identity unknown (namespace list failed)');
    return [];
  }
  const rules = await reads.read('firewalls', () => compute.listFirewalls(project, firewallFilter(clusterId)));
  return rules ? rules.map(toFirewallView) : [];
}

/** The Services as read, the base of full-object status writes. Those replace the ingress list,
 *  so it is not kept (a Service lists up to one IP per node: a million entries for 1000 × 1000). */
function statusBases(services: readonly V1Service[] | undefined): Map<string, V1Service> {
  const bases = new Map<string, V1Service>();
  for (const s of services ?? []) if (s.metadata?.uid) bases.set(s.metadata.uid, withoutIngress(s));
  return bases;
}

function logObserved(s: Snapshot, logger: Logger, durationMs: number): void {
  const podsOf = s.podsListed === undefined ? 'all DaemonSets' : `${s.podsListed.length} of ${s.daemonSets.length} DaemonSets (the others' status proves their pods)`;
  logger.info('snapshot.observed', `observed ${s.services.length} services, ${s.nodes.length} nodes, ${s.daemonSets.length} daemonsets, ${s.pods.length} proxy pods of ${podsOf}`, {
    services: s.services.length,
    nodes: s.nodes.length,
    daemonSets: s.daemonSets.length,
    pods: s.pods.length,
    podsListedFor: s.podsListed?.length ?? 'all',
    instances: s.instances?.length,
    firewalls: s.firewalls?.length,
    failedReads: s.failedReads.map((f) => f.read),
    durationMs,
  });
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
