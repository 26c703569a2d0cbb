// Wire shapes (JSON as the Kubernetes API sends it) of the objects the simulated API server
// handles. Only the fields the server reads are typed; everything else passes through untouched.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface WireMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: WireOwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface WireOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface WireObject {
  apiVersion?: string;
  kind?: string;
  metadata: WireMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export interface WireLabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface WireLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: WireLabelSelectorRequirement[];
}

export interface WireContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

export interface WireEnvVar {
  name?: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { apiVersion?: string; fieldPath?: string };
    resourceFieldRef?: { containerName?: string; resource?: string };
    configMapKeyRef?: { name?: string; key?: string };
    secretKeyRef?: { name?: string; key?: string };
  };
}

export interface WireProbe {
  exec?: { command?: string[] };
  httpGet?: unknown;
  tcpSocket?: unknown;
  grpc?: unknown;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  [key: string]: unknown;
}

export interface WireContainer {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: WireContainerPort[];
  env?: WireEnvVar[];
  readinessProbe?: WireProbe;
  livenessProbe?: WireProbe;
  startupProbe?: WireProbe;
  restartPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  resources?: unknown;
  [key: string]: unknown;
}

export interface WireToleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface WireTaint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface WireNodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface WireNodeSelectorTerm {
  matchExpressions?: WireNodeSelectorRequirement[];
  matchFields?: WireNodeSelectorRequirement[];
}

export interface WireAffinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: WireNodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: unknown;
  };
  [key: string]: unknown;
}

export interface WirePodSpec {
  containers?: WireContainer[];
  initContainers?: WireContainer[];
  nodeSelector?: Record<string, string>;
  affinity?: WireAffinity;
  tolerations?: WireToleration[];
  hostNetwork?: boolean;
  restartPolicy?: string;
  dnsPolicy?: string;
  schedulerName?: string;
  securityContext?: { sysctls?: { name?: string; value?: string }[]; [key: string]: unknown };
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  nodeName?: string;
  [key: string]: unknown;
}

export interface WirePodTemplate {
  metadata?: WireMeta;
  spec?: WirePodSpec;
}

export interface WireDaemonSetSpec {
  selector?: WireLabelSelector;
  template?: WirePodTemplate;
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  [key: string]: unknown;
}

export interface WireDaemonSet extends WireObject {
  spec?: WireDaemonSetSpec;
  status?: Record<string, unknown>;
}

export interface WireServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface WireServiceSpec {
  type?: string;
  ports?: WireServicePort[];
  selector?: Record<string, string>;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
  sessionAffinity?: string;
  externalIPs?: string[];
  externalName?: string;
  [key: string]: unknown;
}

export interface WireLoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
  ports?: unknown[];
}

export interface WireCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface WireServiceStatus {
  loadBalancer?: { ingress?: WireLoadBalancerIngress[] };
  conditions?: WireCondition[];
}

export interface WireService extends WireObject {
  spec?: WireServiceSpec;
  status?: WireServiceStatus;
}

export interface WireNodeAddress {
  type: string;
  address: string;
}

export interface WireNode extends WireObject {
  spec?: { unschedulable?: boolean; taints?: WireTaint[]; providerID?: string; podCIDR?: string; podCIDRs?: string[] };
  status?: {
    addresses?: WireNodeAddress[];
    conditions?: { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string }[];
    [key: string]: unknown;
  };
}

export interface WireNamespace extends WireObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

export interface WireEvent extends WireObject {
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  type?: string;
  eventTime?: string | null;
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  source?: { component?: string; host?: string };
}

export interface WireEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export interface WireEndpointSlice extends WireObject {
  addressType?: string;
  endpoints?: WireEndpoint[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of JSON data; stored objects are never shared with callers. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}
