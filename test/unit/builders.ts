// Small builders for planner tests: a valid default for every field, overridable per test.
import { createHash } from 'node:crypto';
import type {
  Action,
  ActionKind,
  EndpointsView,
  FirewallView,
  InstanceView,
  NamespaceView,
  NodeView,
  ProxyPodView,
  ServiceView,
  Snapshot,
} from '../../functions/core/model.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { DEFAULT_DENIED_PORTS } from '../../functions/core/plan_config.ts';
import { parsePortRanges } from '../../functions/config.ts';

/** A UUID derived from a seed, so tests can name Services and still get stable UIDs. */
export function uidFor(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export const CLASS = 'nodelb.dev/node-ip';
export const PROJECT = 'proj';
export const ZONE = 'us-central1-a';
export const NETWORK = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/default`;
export const NODE_TAG = 'gke-demo-1a2b3c4d-node';
export const CLUSTER_ID = '7d1c6a9e-0000-4000-8000-000000000001';

export function aConfig(over: Partial<PlanConfig> = {}): PlanConfig {
  return {
    loadBalancerClass: CLASS,
    namespace: 'nodelb-system',
    proxyImage: 'rancher/klipper-lb:v0.4.17',
    forwarding: 'init-container',
    manageFirewall: true,
    nodeSelector: {},
    deniedPorts: parsePortRanges(DEFAULT_DENIED_PORTS).ranges,
    allowedNamespaces: [],
    allowSCTP: false,
    maxPortsPerService: 100,
    maxIPs: 0,
    ipMode: 'VIP',
    preferStandardNodes: true,
    staticIPLabel: 'kubip_assigned',
    allowInternalIPs: false,
    firewallPriority: 1000,
    defaultSourceRanges: { IPv4: '0.0.0.0/0', IPv6: '::/0' },
    ...over,
  };
}

export function aService(over: Partial<ServiceView> = {}): ServiceView {
  const namespace = over.namespace ?? 'default';
  const name = over.name ?? 'web';
  return {
    namespace,
    name,
    uid: uidFor(`${namespace}/${name}`),
    resourceVersion: '100',
    creationTimestamp: '2024-01-01T00:00:00Z',
    deleting: false,
    type: 'LoadBalancer',
    loadBalancerClass: CLASS,
    clusterIP: '10.96.0.10',
    clusterIPs: ['10.96.0.10'],
    ipFamilies: ['IPv4'],
    externalTrafficPolicy: 'Cluster',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }],
    loadBalancerSourceRanges: [],
    externalIPs: [],
    annotations: {},
    labels: {},
    ingress: [],
    conditions: [],
    ...over,
  };
}

/** A dual-stack Service (IPv4 first, as GKE's PreferDualStack gives it). */
export function aDualStackService(over: Partial<ServiceView> = {}): ServiceView {
  return aService({ clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00:10:96::20'], ipFamilies: ['IPv4', 'IPv6'], ...over });
}

let nodeCounter = 0;

export function aNode(over: Partial<NodeView> & { name: string }): NodeView {
  nodeCounter++;
  return {
    uid: uidFor(`node/${over.name}`),
    creationTimestamp: '2024-01-01T00:00:00Z',
    labels: { 'kubernetes.io/hostname': over.name },
    taints: [],
    unschedulable: false,
    ready: true,
    deleting: false,
    providerID: `gce://${PROJECT}/${ZONE}/${over.name}`,
    addresses: [{ type: 'InternalIP', address: `10.128.0.${(nodeCounter % 250) + 2}` }],
    ...over,
  };
}

export function anInstance(over: Partial<InstanceView> & { name: string }): InstanceView {
  return {
    project: PROJECT,
    zone: ZONE,
    status: 'RUNNING',
    creationTimestamp: '2024-01-01T00:00:00Z',
    externalIPv4: [],
    externalIPv6: [],
    network: NETWORK,
    tags: [NODE_TAG, 'gke-demo'],
    labels: {},
    spot: false,
    ...over,
  };
}

export function aNamespace(name: string, over: Partial<NamespaceView> = {}): NamespaceView {
  return { name, uid: uidFor(`ns/${name}`), labels: {}, terminating: false, ...over };
}

export function aPod(daemonSet: string, nodeName: string, over: Partial<ProxyPodView> = {}): ProxyPodView {
  return { daemonSet, nodeName, ready: true, phase: 'Running', ...over };
}

export function endpointsOf(svc: ServiceView, readyNodes: string[]): EndpointsView {
  return { namespace: svc.namespace, service: svc.name, readyNodes };
}

/** default/kubernetes: every cluster has it, and a Service list without it is not believed
 *  (core/reads.ts), so a world whose LoadBalancer Services are all gone keeps this one. */
export function theKubernetesService(): ServiceView {
  return aService({ name: 'kubernetes', type: 'ClusterIP', loadBalancerClass: undefined, ports: [{ protocol: 'TCP', port: 443 }] });
}

export function aSnapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    now: '2025-06-01T12:00:00Z',
    cluster: { id: CLUSTER_ID, name: 'demo', project: PROJECT },
    services: [theKubernetesService()],
    namespaces: [aNamespace('default'), aNamespace('kube-system'), aNamespace('nodelb-system')],
    nodes: [],
    daemonSets: [],
    pods: [],
    endpoints: [],
    instances: [],
    firewalls: [],
    goingAway: [],
    failedReads: [],
    ...over,
  };
}

/** A GKE node with its instance: n is used for a distinct external IP 203.0.113.n. */
export function aGkeNode(
  name: string,
  n: number,
  over: { node?: Partial<NodeView>; instance?: Partial<InstanceView> } = {},
): { node: NodeView; instance: InstanceView } {
  return {
    node: aNode({ name, creationTimestamp: `2024-01-${String(10 + (n % 18)).padStart(2, '0')}T00:00:00Z`, ...over.node }),
    instance: anInstance({ name, externalIPv4: [`203.0.113.${n}`], ...over.instance }),
  };
}

export function firewallView(rule: FirewallView['rule'], marker?: FirewallView['marker']): FirewallView {
  return marker ? { rule, marker } : { rule };
}

export function ofKind<K extends ActionKind>(actions: readonly Action[], kind: K): Extract<Action, { kind: K }>[] {
  return actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);
}

export function kinds(actions: readonly Action[]): string[] {
  return actions.map((a) => a.kind);
}
