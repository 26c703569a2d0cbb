// The I/O boundary: what runtime code asks of Kubernetes and GCE. Implemented over HTTP by
// kube_rest.ts / compute.ts / container.ts, so tests can point them at the local GKE. What they
// return matches these types (timestamps are Dates where client-node's types say so).
import type {
  V1DaemonSet,
  V1EndpointSlice,
  V1Namespace,
  V1Service,
  CoreV1Event,
} from '@kubernetes/client-node';
import type { protos as computeProtos } from '@google-cloud/compute';
import type { protos as containerProtos } from '@google-cloud/container';
import type { NodeView, ProxyPodView } from '../core/model.ts';

export type Firewall = computeProtos.google.cloud.compute.v1.IFirewall;
export type Instance = computeProtos.google.cloud.compute.v1.IInstance;
export type Cluster = containerProtos.google.container.v1.ICluster;

/** Every method lists all pages. Errors are ApiError (errors.ts). */
export interface KubeApi {
  listServices(): Promise<V1Service[]>; // all namespaces
  listNamespaces(): Promise<V1Namespace[]>;
  /** Compact: a GKE node is 10-20 KB of JSON (images, conditions), folded page by page. */
  listNodes(): Promise<NodeView[]>;
  listDaemonSets(namespace: string, labelSelector: string): Promise<V1DaemonSet[]>;
  /** Compact: pods can be Services x nodes, so pages are folded as they arrive. */
  listProxyPods(namespace: string, labelSelector: string): Promise<ProxyPodView[]>;
  listEndpointSlices(): Promise<V1EndpointSlice[]>; // all namespaces
  getService(namespace: string, name: string): Promise<V1Service | undefined>; // undefined on 404
  getDaemonSet(namespace: string, name: string): Promise<V1DaemonSet | undefined>; // undefined on 404
  createDaemonSet(ds: V1DaemonSet): Promise<V1DaemonSet>;
  replaceDaemonSet(ds: V1DaemonSet): Promise<V1DaemonSet>; // ds.metadata.resourceVersion set: 409 on conflict
  deleteDaemonSet(namespace: string, name: string, uid?: string): Promise<void>; // 404 is success
  /** Replaces status (ingress and conditions) with a resourceVersion precondition. */
  writeServiceStatus(service: V1Service): Promise<void>;
  createEvent(namespace: string, event: CoreV1Event): Promise<void>; // 409 (same name) is success
}

export interface ComputeApi {
  /** aggregatedList over all zones of the project, all pages. */
  listInstances(project: string, filter?: string): Promise<Instance[]>;
  listFirewalls(project: string, filter: string): Promise<Firewall[]>;
  /** Each write waits for the global operation to be DONE; an operation error throws ApiError.
   *  requestId makes a retried write idempotent on the server. */
  insertFirewall(project: string, rule: Firewall, requestId: string): Promise<void>;
  patchFirewall(project: string, name: string, rule: Firewall, requestId: string): Promise<void>;
  deleteFirewall(project: string, name: string, requestId: string): Promise<void>;
}

export interface ContainerApi {
  getCluster(name: string): Promise<Cluster>; // projects/P/locations/L/clusters/C
}
