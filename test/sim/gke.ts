// The one entry point to the simulated GKE (does I/O): starts the Kubernetes API server and the
// Compute and Container REST APIs on loopback with one FaultPlan and one token, registers the
// cluster (endpoint and CA of the kube sim), and keeps Nodes and GCE instances consistent.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startComputeSim, type ComputeSimControl } from './compute.ts';
import { clusterNodeTag, startContainerSim, type ContainerSimControl } from './container.ts';
import { FaultPlan } from './faults.ts';
import { kubeconfigYaml } from '../cluster/kubeconfig.ts';
import { startKubeSim, type KubeControl, type KubeSim } from './kube.ts';
import type { WireTaint } from './kube/types.ts';

export interface SimulatedGkeOptions {
  project?: string; // default 'demo-project'
  location?: string; // default 'us-central1'
  cluster?: string; // default 'demo'
  token?: string; // default 'sim-token'
  latency?: { kubeMs?: number; computeMs?: number; containerMs?: number; operationMs?: number };
  /** Seeds UIDs, pod names and nodePorts (and fixes the sim clock at 2025-01-01T00:00:00Z). */
  seed?: number;
}

export interface AddNodeInput {
  name: string;
  zone?: string; // default <location>-a (or the location itself when it is a zone)
  externalIP?: string;
  externalIPv6?: string;
  internalIP?: string; // default 10.128.x.y from a counter
  ready?: boolean;
  labels?: Record<string, string>;
  taints?: WireTaint[];
  unschedulable?: boolean;
  spot?: boolean;
  createdAt?: string; // creationTimestamp of the Node (and the instance)
}

export interface SimulatedGke {
  kubeUrl: string;
  caData: string; // base64 PEM
  token: string;
  computeEndpoint: string;
  containerEndpoint: string;
  clusterName: string; // projects/P/locations/L/clusters/C
  project: string;
  location: string;
  cluster: string;
  /** UID of kube-system, the cluster's identity. */
  clusterUid: string;
  /** Network tag of the cluster's node VMs: gke-<cluster>-<id[:8]>-node. */
  nodeTag: string;
  faults: FaultPlan;
  kube: KubeControl;
  /** The Kubernetes API server itself (bearers seen, raw state) for assertions. */
  kubeSim: KubeSim;
  gce: ComputeSimControl;
  container: ContainerSimControl;
  addNode(n: AddNodeInput): void;
  /** GCE changes now; Node.status.addresses too unless nodeLags. */
  setExternalIP(name: string, ip: string | undefined, opts?: { nodeLags?: boolean }): void;
  removeNode(name: string): void; // node + instance
  writeKubeconfig(dir: string): string;
  close(): Promise<void>;
}

/** Fixed so node tags read like GKE's (gke-demo-1a2b3c4d-node) and stay stable across runs. */
export const SIM_CLUSTER_ID = '1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6';

function zoneOf(location: string, zone: string | undefined): string {
  if (zone) return zone;
  return /-[a-z]$/.test(location) ? location : `${location}-a`;
}

/** What adding a node to one simulated cluster needs: its API server, the shared Compute API,
 *  and its identity (the fleet helper adds nodes to further clusters through it). */
export interface NodeTarget {
  kube: KubeControl;
  compute: ComputeSimControl;
  project: string;
  location: string;
  cluster: string;
  nodeTag: string;
  zoneByNode: Map<string, string>;
  nextInternal(): number;
}

/** A GKE node: the GCE instance (tagged, labelled with its cluster) and the Node object. */
export function addGkeNode(t: NodeTarget, n: AddNodeInput): void {
  const { kube, project, location, cluster, nodeTag } = t;
  const region = location.replace(/-[a-z]$/, '');
  const zone = zoneOf(location, n.zone);
  const i = t.nextInternal();
  const internalIP = n.internalIP ?? `10.128.${(i >> 8) & 255}.${i & 255}`;
  t.zoneByNode.set(n.name, zone);
  const instance = t.compute.putInstance({
    project,
    zone,
    name: n.name,
    natIP: n.externalIP,
    externalIpv6: n.externalIPv6,
    networkIP: internalIP,
    tags: [nodeTag],
    cluster,
    clusterLocation: location,
    spot: n.spot,
    creationTimestamp: n.createdAt,
  });
  kube.addNode({
    name: n.name,
    labels: {
      'cloud.google.com/gke-nodepool': 'default-pool',
      'cloud.google.com/gke-os-distribution': 'cos',
      'cloud.google.com/gke-container-runtime': 'containerd',
      'cloud.google.com/gke-boot-disk': 'pd-balanced',
      'cloud.google.com/machine-family': 'e2',
      'cloud.google.com/gke-provisioning': n.spot ? 'spot' : 'standard',
      ...(n.spot ? { 'cloud.google.com/gke-spot': 'true' } : {}),
      'node.kubernetes.io/instance-type': 'e2-medium',
      'topology.kubernetes.io/region': region,
      'topology.kubernetes.io/zone': zone,
      'failure-domain.beta.kubernetes.io/region': region,
      'failure-domain.beta.kubernetes.io/zone': zone,
      ...n.labels,
    },
    annotations: { 'container.googleapis.com/instance_id': String(instance.id ?? '') },
    taints: n.taints,
    unschedulable: n.unschedulable,
    ready: n.ready,
    internalIP,
    externalIP: n.externalIP,
    externalIPv6: n.externalIPv6,
    providerID: `gce://${project}/${zone}/${n.name}`,
    podCIDR: `10.${64 + ((i >> 8) & 63)}.${i & 255}.0/24`,
    creationTimestamp: n.createdAt,
  });
}

export async function startSimulatedGke(opts: SimulatedGkeOptions = {}): Promise<SimulatedGke> {
  const project = opts.project ?? 'demo-project';
  const location = opts.location ?? 'us-central1';
  const cluster = opts.cluster ?? 'demo';
  const token = opts.token ?? 'sim-token';
  const faults = new FaultPlan();
  const zones = /-[a-z]$/.test(location) ? [location] : ['a', 'b', 'c', 'f'].map((z) => `${location}-${z}`);

  const kubeSim = await startKubeSim({ faults, token, latencyMs: opts.latency?.kubeMs, seed: opts.seed });
  const compute = await startComputeSim({ faults, project, zones, token, latencyMs: opts.latency?.computeMs, operationMs: opts.latency?.operationMs });
  const container = await startContainerSim({
    faults,
    token,
    latencyMs: opts.latency?.containerMs,
    clusters: [{ project, location, name: cluster, id: SIM_CLUSTER_ID, endpoint: kubeSim.endpoint, caCertificate: kubeSim.caData }],
  });
  const nodeTag = clusterNodeTag(cluster, SIM_CLUSTER_ID);
  const kube = kubeSim.control;
  const zoneByNode = new Map<string, string>();
  let internalCounter = 2;

  const target: NodeTarget = { kube, compute: compute.control, project, location, cluster, nodeTag, zoneByNode, nextInternal: () => internalCounter++ };
  const addNode = (n: AddNodeInput): void => addGkeNode(target, n);

  const setExternalIP = (name: string, ip: string | undefined, o: { nodeLags?: boolean } = {}): void => {
    const zone = zoneByNode.get(name);
    if (!zone) throw new Error(`setExternalIP: no node ${name} added through addNode`);
    compute.control.setNatIP({ project, zone, name }, ip);
    if (!o.nodeLags) kube.updateNode(name, { externalIP: ip });
  };

  const removeNode = (name: string): void => {
    const zone = zoneByNode.get(name);
    kube.deleteNode(name);
    if (zone) compute.control.removeInstance({ project, zone, name });
    zoneByNode.delete(name);
  };

  const clusterName = `projects/${project}/locations/${location}/clusters/${cluster}`;
  const writeKubeconfig = (dir: string): string => {
    mkdirSync(dir, { recursive: true });
    const ctx = `gke_${project}_${location}_${cluster}`;
    const text = kubeconfigYaml({ context: ctx, server: kubeSim.url, caData: kubeSim.caData, token });
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  return {
    kubeUrl: kubeSim.url,
    caData: kubeSim.caData,
    token,
    computeEndpoint: compute.endpoint,
    containerEndpoint: container.endpoint,
    clusterName,
    project,
    location,
    cluster,
    clusterUid: kubeSim.clusterUid,
    nodeTag,
    faults,
    kube,
    kubeSim,
    gce: compute.control,
    container: container.control,
    addNode,
    setExternalIP,
    removeNode,
    writeKubeconfig,
    close: async () => {
      await Promise.all([kubeSim.close(), compute.close(), container.close()]);
    },
  };
}
