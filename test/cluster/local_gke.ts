// A GKE cluster on loopback (does I/O): the real control plane with fake kubelets for
// GKE-shaped nodes, plus the simulated Compute and Container APIs serving the matching VM
// instances and a getCluster that returns the real API server's endpoint and CA.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startComputeSim, type ComputeSim, type ComputeSimControl } from '../sim/compute.ts';
import { clusterNodeTag, startContainerSim, type ContainerSim, type ContainerSimControl } from '../sim/container.ts';
import { FaultPlan } from '../sim/faults.ts';
import { startControlPlane, type ControlPlane } from './control_plane.ts';
import { startFaultProxy, type FaultProxy } from './fault_proxy.ts';
import { FakeKubelets } from './kubelet.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import type { KubeHttp } from './kube_http.ts';

export interface LocalGkeOptions {
  /** Working directory (default: a new temporary one, removed on close). */
  dir?: string;
  project?: string; // default demo-project
  location?: string; // default us-central1
  cluster?: string; // default demo
  /** The function's Google access token: accepted by Compute/Container, and by Kubernetes as nodelb's user. */
  token?: string;
  /** Nodes made at start (node-1 … node-N with external IPs 34.0.0.1 …). */
  nodes?: number;
  /** Latency of the simulated Google APIs (the benchmark's; Kubernetes latency is a proxy delay). */
  latency?: { computeMs?: number; containerMs?: number; operationMs?: number };
  /** Compute and Container APIs (and their fault plan) shared by a fleet of clusters of one
   *  project, as in one real project; this cluster registers itself and leaves them running. */
  shared?: SharedGoogleApis;
  /** GKE's cluster id (default LOCAL_CLUSTER_ID); distinct per cluster of a fleet. */
  clusterId?: string;
  /** Second octet offset of the node IPs (10.128+block.x.y), so a fleet's nodes do not collide. */
  ipBlock?: number;
  /** false: no controller manager, scheduler or fake kubelets (nodes are then made by the
   *  caller, through the API); for benchmark worlds too large for them on this machine. */
  controllers?: boolean;
}

export interface SharedGoogleApis {
  compute: ComputeSim;
  container: ContainerSim;
  faults: FaultPlan;
}

export interface AddNodeInput {
  name: string;
  zone?: string; // default <region>-a
  externalIP?: string;
  externalIPv6?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  spot?: boolean;
  pool?: string; // default default-pool
}

export interface LocalGke {
  controlPlane: ControlPlane;
  kubelets: FakeKubelets;
  /** Cluster-admin client, for arranging the world and reading it back. */
  admin: KubeHttp;
  dir: string;
  /** nodelb's way in: the fault proxy in front of the API server (counts calls, injects faults). */
  kubeUrl: string;
  proxy: FaultProxy;
  caData: string;
  token: string;
  /** The Kubernetes user nodelb's Google token authenticates as (what manifests/ binds). */
  nodelbUser: string;
  computeEndpoint: string;
  containerEndpoint: string;
  clusterName: string; // projects/P/locations/L/clusters/C
  project: string;
  location: string;
  cluster: string;
  clusterUid: string;
  nodeTag: string;
  faults: FaultPlan;
  gce: ComputeSimControl;
  container: ContainerSimControl;
  addNode(n: AddNodeInput): Promise<void>;
  removeNode(name: string): Promise<void>;
  /** The VM's external IP changes now; the Node's reported address too unless `nodeLags`. */
  setExternalIP(name: string, ip: string | undefined, opts?: { nodeLags?: boolean }): Promise<void>;
  /** An admin kubeconfig, or one for nodelb's own identity. */
  writeKubeconfig(dir: string, opts?: { as?: 'admin' | 'nodelb' }): string;
  /** export lines for NODELB_COMPUTE_ENDPOINT, NODELB_CONTAINER_ENDPOINT, GOOGLE_OAUTH_ACCESS_TOKEN, NODELB_CLUSTER. */
  envLines(): string[];
  close(): Promise<void>;
}

/** Fixed so node tags read like GKE's (gke-demo-1a2b3c4d-node). */
export const LOCAL_CLUSTER_ID = '1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6';

export async function startLocalGke(opts: LocalGkeOptions = {}): Promise<LocalGke> {
  const project = opts.project ?? 'demo-project';
  const location = opts.location ?? 'us-central1';
  const cluster = opts.cluster ?? 'demo';
  const token = opts.token ?? 'local-nodelb-token';
  const region = location.replace(/-[a-z]$/, '');
  const zones = /-[a-z]$/.test(location) ? [location] : ['a', 'b', 'c', 'f'].map((z) => `${region}-${z}`);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'nodelb-cluster-'));
  mkdirSync(dir, { recursive: true });
  const nodelbUser = `nodelb@${project}.iam.gserviceaccount.com`;

  const controlPlane = await startControlPlane({ dir, users: [{ token, user: nodelbUser, uid: 'uid-nodelb' }], controllers: opts.controllers });
  const admin = controlPlane.admin;
  const faults = opts.shared?.faults ?? new FaultPlan();
  const clusterId = opts.clusterId ?? LOCAL_CLUSTER_ID;
  const proxy = await startFaultProxy({ upstream: controlPlane.url, ca: controlPlane.caPem, cert: controlPlane.certPem, key: controlPlane.keyPem, faults });
  const registration = { project, location, name: cluster, id: clusterId, endpoint: proxy.endpoint, caCertificate: controlPlane.caData };
  const compute = opts.shared?.compute ?? (await startComputeSim({ faults, project, zones, token, latencyMs: opts.latency?.computeMs, operationMs: opts.latency?.operationMs }));
  const container = opts.shared?.container ?? (await startContainerSim({ faults, token, latencyMs: opts.latency?.containerMs }));
  container.control.putCluster(registration);
  const kubelets = new FakeKubelets(admin);
  if (opts.controllers !== false) await kubelets.start();
  const nodeTag = clusterNodeTag(cluster, clusterId);
  const clusterUid = (await admin.get('/api/v1/namespaces/kube-system')).metadata.uid ?? '';
  const zoneByNode = new Map<string, string>();
  let counter = 1;

  const addNode = async (n: AddNodeInput): Promise<void> => {
    const zone = n.zone ?? zones[0] ?? `${region}-a`;
    const i = counter++;
    const internalIP = `10.${128 + (opts.ipBlock ?? 0)}.${(i >> 8) & 255}.${i & 255}`;
    const pool = n.pool ?? 'default-pool';
    zoneByNode.set(n.name, zone);
    const instance = compute.control.putInstance({
      project,
      zone,
      name: n.name,
      natIP: n.externalIP,
      externalIpv6: n.externalIPv6,
      networkIP: internalIP,
      tags: [nodeTag],
      cluster,
      nodePool: pool,
      clusterLocation: location,
      spot: n.spot,
    });
    await kubelets.addNode({
      name: n.name,
      labels: {
        'cloud.google.com/gke-nodepool': pool,
        'cloud.google.com/gke-os-distribution': 'cos',
        'cloud.google.com/gke-container-runtime': 'containerd',
        'cloud.google.com/gke-boot-disk': 'pd-balanced',
        'cloud.google.com/machine-family': 'e2',
        'cloud.google.com/gke-provisioning': n.spot ? 'spot' : 'standard',
        ...(n.spot ? { 'cloud.google.com/gke-spot': 'true' } : {}),
        'node.kubernetes.io/instance-type': 'e2-medium',
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': zone,
        ...n.labels,
      },
      annotations: { 'container.googleapis.com/instance_id': String(instance.id ?? '') },
      providerID: `gce://${project}/${zone}/${n.name}`,
      internalIP,
      internalIPv6: `fd20:0:0:${i.toString(16)}::1`,
      externalIP: n.externalIP,
      externalIPv6: n.externalIPv6,
      podCIDRs: [`10.${64 + ((i >> 8) & 63)}.${i & 255}.0/24`, `fd00:10:64:${i.toString(16)}::/64`],
      taints: n.taints,
      unschedulable: n.unschedulable,
      ready: n.ready,
    });
  };

  const removeNode = async (name: string): Promise<void> => {
    const zone = zoneByNode.get(name);
    await kubelets.removeNode(name);
    if (zone) compute.control.removeInstance({ project, zone, name });
    zoneByNode.delete(name);
  };

  const setExternalIP = async (name: string, ip: string | undefined, o: { nodeLags?: boolean } = {}): Promise<void> => {
    const zone = zoneByNode.get(name);
    if (!zone) throw new Error(`setExternalIP: no node ${name} added through addNode`);
    compute.control.setNatIP({ project, zone, name }, ip);
    if (!o.nodeLags) await kubelets.setAddresses(name, { externalIP: ip });
  };

  const clusterName = `projects/${project}/locations/${location}/clusters/${cluster}`;
  const writeKubeconfig = (to: string, o: { as?: 'admin' | 'nodelb' } = {}): string => {
    mkdirSync(to, { recursive: true });
    const ctx = `gke_${project}_${location}_${cluster}`;
    const nodelb = o.as === 'nodelb';
    const bearer = nodelb ? token : controlPlane.adminToken;
    const text = kubeconfigYaml({ context: ctx, server: nodelb ? proxy.url : controlPlane.url, caData: controlPlane.caData, token: bearer });
    const path = join(to, nodelb ? 'nodelb.kubeconfig' : 'kubeconfig');
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  const envLines = (): string[] => [
    `export NODELB_COMPUTE_ENDPOINT=${compute.endpoint}`,
    `export NODELB_CONTAINER_ENDPOINT=${container.endpoint}`,
    `export GOOGLE_OAUTH_ACCESS_TOKEN=${token}`,
    `export NODELB_CLUSTER=${clusterName}`,
  ];

  for (let i = 1; i <= (opts.nodes ?? 0); i++) await addNode({ name: `node-${i}`, externalIP: `34.0.${(i >> 8) & 255}.${i & 255}` });

  return {
    controlPlane,
    kubelets,
    admin,
    dir,
    kubeUrl: proxy.url,
    proxy,
    caData: controlPlane.caData,
    token,
    nodelbUser,
    computeEndpoint: compute.endpoint,
    containerEndpoint: container.endpoint,
    clusterName,
    project,
    location,
    cluster,
    clusterUid,
    nodeTag,
    faults,
    gce: compute.control,
    container: container.control,
    addNode,
    removeNode,
    setExternalIP,
    writeKubeconfig,
    envLines,
    close: async () => {
      await kubelets.stop();
      await Promise.all([...(opts.shared ? [] : [compute.close(), container.close()]), proxy.close()]);
      await controlPlane.stop();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
