// observe: one bulk read of everything a sync needs, as a Snapshot. A fixed number of list
// calls whatever the number of Services and nodes (pagination aside), run in parallel; a failed
// or suspiciously empty list becomes a failedReads entry, never an exception. Does I/O.
import type { V1DaemonSet, V1Service } from '@kubernetes/client-node';
import type { ComputeApi, KubeApi } from '../adapters/apis.ts';
import type { ClusterInfo } from '../adapters/connect.ts';
import { toFirewallView, toInstanceView, projectOf } from '../adapters/gce_views.ts';
import {
  IngressViews,
  isClaimed,
  rfc3339,
  toEndpointsViews,
  toNamespaceView,
  toServiceView,
} from '../adapters/kube_views.ts';
import type { Config } from '../config.ts';
import type { EndpointsView, FirewallView, InstanceView, NamespaceView, NodeView, ProxyPodView, ReadName, ServiceView, Snapshot } from '../core/model.ts';
import { DAEMONSET_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAME_PREFIX, shortHash } from '../core/naming.ts';
import { parseProviderID } from '../core/nodes.ts';
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
  /** A read that answered, but with something that cannot be right. */
  const distrust = (name: ReadName, message: string) => {
    if (failedReads.some((f) => f.read === name)) return;
    failedReads.push({ read: name, message });
    readErrors.push(new ApiError({ api: name === 'instances' || name === 'firewalls' ? 'compute' : 'kube', op: `read ${name}`, message: `${name}: ${message}`, retryable: true }));
    opts.logger.warn('read.distrusted', `${name}: ${message}`, { read: name });
  };
  const { kube, compute } = apis;

  const namespacesP = read('namespaces', () => kube.listNamespaces());
  const servicesP = read('services', () => kube.listServices());
  const nodesP = read('nodes', () => kube.listNodes());
  const daemonSetsP = read('daemonsets', () => kube.listDaemonSets(config.namespace, MANAGED_SELECTOR));
  const now = rfc3339(new Date(started));
  // Proxy pods are S × N: only those of DaemonSets whose status does not prove them are listed.
  const podsP = (async (): Promise<{ pods?: ProxyPodView[]; listed?: string[] }> => {
    const [daemonSets, nodes] = await Promise.all([daemonSetsP, nodesP]);
    const which = daemonSets && nodes ? podsToList(daemonSets, nodes, now) : { selector: DAEMONSET_LABEL };
    const selector = which.selector;
    if (selector === undefined) return { pods: [], listed: [] };
    const pods = await read('pods', () => kube.listProxyPods(config.namespace, selector));
    return { pods, ...(which.listed ? { listed: which.listed } : {}) };
  })();

  // EndpointSlices matter only for claimed Services with externalTrafficPolicy: Local.
  const endpointsP = servicesP.then(async (services): Promise<EndpointsView[]> => {
    const local = new Set(
      (services ?? [])
        .filter((s) => isClaimed(s, config.loadBalancerClass) && s.spec?.externalTrafficPolicy === 'Local')
        .map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
    );
    if (local.size === 0) return [];
    const slices = await read('endpointslices', () => kube.listEndpointSlices());
    // Every Service with a selector has slices: none at all while Local Services publish IPs is
    // a broken answer, and believing it would withdraw every one of their IPs.
    const publishing = (services ?? []).filter(
      (s) => local.has(`${s.metadata?.namespace}/${s.metadata?.name}`) && (s.status?.loadBalancer?.ingress ?? []).length > 0,
    ).length;
    if (slices && slices.length === 0 && publishing > 0) distrust('endpointslices', `suspicious: no EndpointSlices at all while ${publishing} externalTrafficPolicy: Local Service(s) publish IPs`);
    return slices ? toEndpointsViews(slices, local) : [];
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
      const refs = ((await nodesP) ?? []).map((n) => parseProviderID(n.providerID)).filter((r) => r !== undefined);
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
      distrust('firewalls', clusterId ? 'no GCE network project known for the firewall rules' : 'cluster identity unknown (namespace list failed)');
      return [];
    }
    const rules = await read('firewalls', () => compute.listFirewalls(project, firewallFilter(clusterId)));
    return rules ? rules.map(toFirewallView) : [];
  })();

  const [namespacesRaw, servicesRaw, nodesRaw, daemonSetsRaw, podsRead, endpoints, instances, firewalls] = await Promise.all([
    namespacesP,
    servicesP,
    nodesP,
    daemonSetsP,
    podsP,
    endpointsP,
    instancesP,
    firewallsP,
  ]);

  const namespaces: NamespaceView[] = (namespacesRaw ?? []).map(toNamespaceView);
  const ingressViews = new IngressViews();
  const services: ServiceView[] = (servicesRaw ?? []).map((s) => toServiceView(s, ingressViews));
  const nodes: NodeView[] = nodesRaw ?? [];
  const daemonSets: V1DaemonSet[] = daemonSetsRaw ?? [];
  const podsRaw = podsRead.pods;
  const pods: ProxyPodView[] = podsRaw ?? [];
  const podsListed = podsRead.listed;

  markSuspiciousEmpties(distrust, failedReads, { namespacesRaw, servicesRaw, nodesRaw, daemonSetsRaw, podsRaw, podsListed, instances, nodes, loadBalancerClass: config.loadBalancerClass });

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
    endpoints,
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

/** Lists that answer "nothing" where something must exist are treated as failed: a transient
 *  empty answer must not read as "every Service is gone" (ExternalDNS #946). */
export function markSuspiciousEmpties(
  distrust: (read: ReadName, message: string) => void,
  failed: Snapshot['failedReads'],
  r: {
    namespacesRaw?: unknown[];
    servicesRaw?: V1Service[];
    nodesRaw?: unknown[];
    daemonSetsRaw?: unknown[];
    podsRaw?: ProxyPodView[];
    podsListed?: string[];
    instances?: InstanceView[];
    nodes: NodeView[];
    loadBalancerClass: string;
  },
): void {
  const has = (name: ReadName) => failed.some((f) => f.read === name);
  const mark = (read: ReadName, message: string) => distrust(read, `suspicious: ${message}`);
  if (r.namespacesRaw && !r.namespacesRaw.some((n) => (n as { metadata?: { name?: string } }).metadata?.name === 'kube-system'))
    mark('namespaces', 'the namespace list has no kube-system');
  // Every cluster has the default/kubernetes Service; an empty list is a broken answer.
  if (r.servicesRaw && r.servicesRaw.length === 0) mark('services', 'no Services at all (not even default/kubernetes)');
  const scheduledPods = (r.podsRaw ?? []).filter((p) => p.nodeName).length;
  if (r.nodesRaw && r.nodesRaw.length === 0 && scheduledPods > 0) mark('nodes', `no nodes while ${scheduledPods} proxy pods are scheduled`);
  if (r.daemonSetsRaw && r.daemonSetsRaw.length === 0 && (r.podsRaw ?? []).length > 0) mark('daemonsets', 'no DaemonSets while proxy pods exist');
  // No pod of a DaemonSet that reports pods scheduled is not a broken pod list as a whole: it is
  // judged per DaemonSet by the planner (core/reads.ts oddDaemonSets), which holds back that
  // DaemonSet's Service only, so one odd object never stops every other Service.
  const gceNodes = r.nodes.filter((n) => (n.providerID ?? '').startsWith('gce://')).length;
  if (r.instances && r.instances.length === 0 && gceNodes > 0) mark('instances', `no GCE instances while ${gceNodes} nodes are GCE instances`);
  if (r.servicesRaw && r.daemonSetsRaw && r.daemonSetsRaw.length > 0 && has('namespaces')) {
    const claimed = r.servicesRaw.filter((s) => isClaimed(s, r.loadBalancerClass)).length;
    if (claimed === 0) mark('services', `no claimed Services while ${r.daemonSetsRaw.length} DaemonSets exist and the namespace list failed`);
  }
}
