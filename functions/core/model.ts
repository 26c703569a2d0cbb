// The data the pure core works on: a snapshot of the observed world, the plan's actions, and
// the per-Service explanation. Pure types only; adapters translate API objects into these.
import type { V1DaemonSet } from '@kubernetes/client-node';
import type { protos } from '@google-cloud/compute';
import type { Stage } from './stages.ts';

export type Firewall = protos.google.cloud.compute.v1.IFirewall;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type IPFamily = 'IPv4' | 'IPv6';

/** A Service as the planner needs it. `ingress` and `conditions` are its current status. */
export interface ServiceView {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string; // RFC 3339; decides "older wins" on port conflicts
  deleting: boolean; // metadata.deletionTimestamp set
  type: string; // spec.type
  loadBalancerClass?: string;
  clusterIP?: string; // "None" for headless
  clusterIPs: string[];
  ipFamilies: IPFamily[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  ports: ServicePortView[];
  loadBalancerSourceRanges: string[]; // spec field, untouched
  loadBalancerIP?: string;
  externalIPs: string[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
  ingress: IngressView[];
  conditions: ConditionView[];
}

export interface ServicePortView {
  name?: string;
  protocol: Protocol;
  port: number;
  nodePort?: number;
}

export interface IngressView {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
}

/** metav1.Condition, as found in Service.status.conditions. */
export interface ConditionView {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface NamespaceView {
  name: string;
  uid: string;
  labels: Record<string, string>;
  terminating: boolean; // status.phase === 'Terminating' or deletionTimestamp set
}

export interface TaintView {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeView {
  name: string;
  uid: string;
  creationTimestamp: string;
  labels: Record<string, string>;
  taints: TaintView[];
  unschedulable: boolean; // cordoned
  ready: boolean; // Ready condition is True
  deleting: boolean;
  providerID?: string; // gce://project/zone/instance on GKE
  /** Node.status.addresses, used only when the node is not a GCE instance. */
  addresses: { type: string; address: string }[];
}

/** A GCE instance of the cluster, from the Compute API (the source of truth for external IPs). */
export interface InstanceView {
  name: string;
  project: string;
  zone: string; // short zone name, e.g. us-central1-a
  status: string; // PROVISIONING, STAGING, RUNNING, STOPPING, SUSPENDING, TERMINATED, ...
  creationTimestamp: string;
  externalIPv4: string[]; // networkInterfaces[].accessConfigs[].natIP
  externalIPv6: string[]; // networkInterfaces[].ipv6AccessConfigs[].externalIpv6
  network?: string; // networkInterfaces[0].network (full URL)
  tags: string[]; // tags.items
  labels: Record<string, string>;
  spot: boolean; // scheduling.preemptible or provisioningModel SPOT
}

/** One proxy pod, reduced to what status selection needs (pods can be many: S x N). */
export interface ProxyPodView {
  daemonSet: string; // value of the nodelb.dev/daemonset label
  /** spec.nodeName; for a daemon pod not bound yet, the node the DaemonSet controller pinned it
   *  to (required node affinity, matchFields metadata.name). */
  nodeName?: string;
  ready: boolean; // Ready condition True
  phase: string;
  /** Why it cannot become Ready by waiting ('Unschedulable', 'CrashLoopBackOff', …; proxy_pods.ts). */
  stuck?: string;
}

/** The ready endpoints of one Service (for externalTrafficPolicy: Local). */
export interface EndpointsView {
  namespace: string;
  service: string; // kubernetes.io/service-name label
  readyNodes: string[]; // nodeName of endpoints whose conditions.ready is true or nil (kube-proxy's rule)
}

/** A firewall rule whose name carries our prefix, with its ownership marker parsed. */
export interface FirewallView {
  rule: Firewall;
  marker?: FirewallMarker; // undefined when the description is not our JSON marker
}

export interface FirewallMarker {
  managedBy: 'nodelb';
  cluster: string; // ClusterIdentity.id
  service: string; // namespace/name
  uid: string; // Service UID
  family: IPFamily;
}

/** Who we are: the marker that separates our objects from another cluster's. */
export interface ClusterIdentity {
  id: string; // stable id: the kube-system namespace UID
  name: string; // display name: GKE resource name, or kubeconfig context
  project?: string; // GCP project of the nodes (for instances)
}

/** Which reads failed or looked suspicious this run. Any entry means: nothing destructive. */
export type ReadName =
  | 'services'
  | 'namespaces'
  | 'nodes'
  | 'daemonsets'
  | 'pods'
  | 'endpointslices'
  | 'instances'
  | 'firewalls';

export interface Snapshot {
  now: string; // RFC 3339, taken by observe; the planner has no clock
  cluster: ClusterIdentity;
  services: ServiceView[];
  namespaces: NamespaceView[];
  nodes: NodeView[];
  daemonSets: V1DaemonSet[]; // ours only (managed-by label), in the proxy namespace
  pods: ProxyPodView[];
  /** The DaemonSets whose pods `pods` holds; undefined: every proxy pod was listed. The others
   *  were not listed because their status proves where their Ready pods are (proxy_readiness.ts). */
  podsListed?: string[];
  endpoints: EndpointsView[];
  /** How many EndpointSlices the list answered (every Service's, before keeping those of claimed
   *  Local Services); undefined when none were listed. core/reads.ts judges an empty answer. */
  endpointSliceCount?: number;
  /** undefined when the nodes are not GCE instances (kubeconfig mode on another cloud). */
  instances?: InstanceView[];
  firewalls?: FirewallView[]; // undefined when firewall management is off
  /** GCE instance names that a trigger just reported going away (stop, preempt, delete). */
  goingAway: string[];
  failedReads: { read: ReadName; message: string }[];
}

export interface ServiceRef {
  namespace: string;
  name: string;
  uid: string;
}

interface ActionBase {
  reason: string; // why, in words a user understands
  service?: ServiceRef;
}

export type Action =
  | (ActionBase & { kind: 'createDaemonSet'; daemonSet: V1DaemonSet })
  | (ActionBase & { kind: 'updateDaemonSet'; daemonSet: V1DaemonSet; resourceVersion: string })
  | (ActionBase & { kind: 'deleteDaemonSet'; namespace: string; name: string; owner: ServiceRef })
  | (ActionBase & { kind: 'createFirewall'; project: string; rule: Firewall })
  | (ActionBase & { kind: 'patchFirewall'; project: string; rule: Firewall; changes: string[] })
  | (ActionBase & { kind: 'deleteFirewall'; project: string; name: string; owner: ServiceRef })
  | (ActionBase & {
      kind: 'writeStatus';
      service: ServiceRef;
      resourceVersion: string;
      ingress: IngressView[];
      conditions: ConditionView[];
      from: string[]; // the IPs published now
      to: string[]; // the IPs this write publishes
      /** How the IPs change, in words (bounded): said once, by the reason, the Event and the result. */
      change?: string;
    })
  | (ActionBase & {
      kind: 'recordEvent';
      service: ServiceRef;
      type: 'Normal' | 'Warning';
      eventReason: string; // Event.reason, e.g. UpdatedLoadBalancer
      message: string;
    });

export type ActionKind = Action['kind'];

/** Why a node is or is not published for a Service (the operator's view). */
export interface NodeDecision {
  node: string;
  externalIPs: string[];
  published: boolean;
  why: string; // "published", "cordoned", "proxy pod not ready", "not chosen: max-ips 3", ...
  /** True when this run cannot tell (a failed read): `published` is then no verdict. */
  unknown?: boolean;
}

export interface FirewallRuleState {
  name: string;
  state: string;
}

export interface ServiceExplanation {
  service: ServiceRef;
  claimed: boolean;
  unclaimedBecause?: string; // claimed: false — why the Service is not nodelb's (class, type)
  refused?: string; // why nodelb serves nothing for it
  /** The Service's ports (PORT(S) in `nodelb sync`'s table, like kubectl get svc). */
  ports?: ServicePortView[];
  warnings: string[];
  daemonSet?: string;
  firewallRules: string[];
  /** Each rule of firewallRules as observed: "in sync", "missing", "drifted: …", "not touched: …". */
  firewallStates?: FirewallRuleState[];
  /** stuck: cannot become Ready by waiting (warned); the rest of total − ready are starting. */
  proxyPods: { ready: number; total: number; stuck?: number };
  /** Per node, published or why not; only in a plan asked to explain (plan.ts planExplained). */
  nodes?: NodeDecision[];
  ingress: string[]; // what the plan publishes; with ingressKept, what the Service publishes now
  /** Why `ingress` is the Service's current list, left as it is this run (a read failed:
   *  "instance read failed: node IPs unknown"). */
  ingressKept?: string;
}

export interface Plan {
  /** What to do, in the order to do it (stages.ts). */
  stages: Stage[];
  services: ServiceExplanation[];
  /** Things the operator should know that concern no single Service. */
  notes: { severity: 'INFO' | 'WARNING'; message: string }[];
  /** True when failed or suspicious reads made the planner hold back deletions. */
  heldBack: boolean;
  /** Set when nothing could be planned: why the Services are unknown (not "none"). */
  unknown?: string;
}
