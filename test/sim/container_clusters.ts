// GKE clusters of the simulated Container API (pure): what a composer registers (ClusterSpec)
// and the Cluster JSON the v1 REST API answers for it, including the control-plane endpoint
// shapes (IP endpoints, DNS endpoint, private cluster config), Autopilot and node pools. Like
// proto3 JSON, non-optional false booleans and empty fields are left out.
import { randomBytes } from 'node:crypto';

export type ClusterStatus = 'PROVISIONING' | 'RUNNING' | 'RECONCILING' | 'STOPPING' | 'ERROR' | 'DEGRADED';

export interface NodePoolSpec {
  name: string;
  /** User network tags of the pool (GKE adds its own node tag to the VMs, not here). */
  tags?: string[];
  spot?: boolean;
  preemptible?: boolean;
  allowedUnsafeSysctls?: string[];
  machineType?: string; // default e2-medium
  nodeCount?: number; // default 3
  locations?: string[]; // default: the cluster's zones
  version?: string;
}

export interface ClusterSpec {
  project: string;
  location: string; // zone or region
  name: string;
  /** Hex id; the node tag is gke-<name>-<id[:8]>-node. Generated when absent. */
  id?: string;
  /** The public IP endpoint. Real GKE gives a bare IP; the simulator gives 127.0.0.1:PORT. */
  endpoint: string;
  privateEndpoint?: string; // default 10.128.0.2
  /** Base64 of the CA PEM, as masterAuth.clusterCaCertificate carries it. */
  caCertificate?: string;
  enablePublicEndpoint?: boolean; // default true
  ipEndpointsEnabled?: boolean; // default true
  /** Default gke-<id>.<region>.gke.goog (not resolvable here: point it at the kube sim to use it). */
  dnsEndpoint?: string;
  dnsAllowExternalTraffic?: boolean; // default false
  privateNodes?: boolean;
  autopilot?: boolean;
  network?: string; // default default
  networkProject?: string; // Shared VPC host project
  subnetwork?: string; // default default
  masterVersion?: string;
  nodePools?: NodePoolSpec[]; // default one default-pool
  status?: ClusterStatus; // default RUNNING
  stackType?: 'IPV4' | 'IPV4_IPV6';
  datapathProvider?: 'LEGACY_DATAPATH' | 'ADVANCED_DATAPATH';
  createTime?: string;
}

export interface ClusterRef {
  project: string;
  location: string;
  name: string;
}

export const DEFAULT_MASTER_VERSION = '1.33.5-gke.1201000';
const CONTAINER_URL = 'https://container.googleapis.com/v1';
const COMPUTE_URL = 'https://www.googleapis.com/compute/v1';

export function newClusterId(): string {
  return randomBytes(16).toString('hex');
}

export function isZone(location: string): boolean {
  return /-[a-z]$/.test(location);
}

export function regionOfLocation(location: string): string {
  return isZone(location) ? location.replace(/-[a-z]$/, '') : location;
}

/** The network tag GKE puts on every node VM of the cluster. */
export function clusterNodeTag(name: string, id: string): string {
  return `gke-${name}-${id.slice(0, 8)}-node`;
}

function clusterZones(location: string): string[] {
  return isZone(location) ? [location] : ['a', 'b', 'c'].map((z) => `${location}-${z}`);
}

function renderNodePool(c: ClusterSpec & { id: string }, pool: NodePoolSpec, version: string): Record<string, unknown> {
  const config: Record<string, unknown> = {
    machineType: pool.machineType ?? 'e2-medium',
    diskSizeGb: 100,
    oauthScopes: ['https://www.googleapis.com/auth/devstorage.read_only', 'https://www.googleapis.com/auth/logging.write', 'https://www.googleapis.com/auth/monitoring'],
    metadata: { 'disable-legacy-endpoints': 'true' },
    imageType: 'COS_CONTAINERD',
    serviceAccount: 'default',
    diskType: 'pd-balanced',
  };
  if (pool.tags && pool.tags.length > 0) config.tags = [...pool.tags];
  if (pool.preemptible) config.preemptible = true;
  if (pool.spot) config.spot = true;
  if (pool.allowedUnsafeSysctls && pool.allowedUnsafeSysctls.length > 0) config.kubeletConfig = { allowedUnsafeSysctls: [...pool.allowedUnsafeSysctls] };
  const zones = pool.locations ?? clusterZones(c.location);
  const base = `projects/${c.project}/locations/${c.location}/clusters/${c.name}/nodePools/${pool.name}`;
  return {
    name: pool.name,
    config,
    initialNodeCount: pool.nodeCount ?? 3,
    locations: zones,
    networkConfig: c.privateNodes ? { enablePrivateNodes: true } : {},
    selfLink: `${CONTAINER_URL}/${base}`,
    version: pool.version ?? version,
    instanceGroupUrls: zones.map((z) => `${COMPUTE_URL}/projects/${c.project}/zones/${z}/instanceGroupManagers/gke-${c.name}-${pool.name}-${c.id.slice(0, 8)}-grp`),
    status: 'RUNNING',
    management: { autoUpgrade: true, autoRepair: true },
    maxPodsConstraint: { maxPodsPerNode: '110' },
    podIpv4CidrSize: 24,
  };
}

/** The Cluster as `GET /v1/projects/P/locations/L/clusters/C` returns it (string enums). */
export function renderCluster(spec: ClusterSpec & { id: string; createTime: string }): Record<string, unknown> {
  const region = regionOfLocation(spec.location);
  const netProject = spec.networkProject ?? spec.project;
  const network = spec.network ?? 'default';
  const subnetwork = spec.subnetwork ?? 'default';
  const version = spec.masterVersion ?? DEFAULT_MASTER_VERSION;
  const publicOn = spec.enablePublicEndpoint ?? true;
  const privateEndpoint = spec.privateEndpoint ?? '10.128.0.2';
  const pools = (spec.nodePools ?? [{ name: 'default-pool' }]).map((p) => renderNodePool(spec, p, version));
  const nodeCount = (spec.nodePools ?? [{ name: 'default-pool' }]).reduce((n, p) => n + (p.nodeCount ?? 3) * (p.locations ?? clusterZones(spec.location)).length, 0);

  const privateClusterConfig: Record<string, unknown> = { privateEndpoint };
  if (spec.privateNodes) privateClusterConfig.enablePrivateNodes = true;
  if (!publicOn) privateClusterConfig.enablePrivateEndpoint = true;
  if (publicOn) privateClusterConfig.publicEndpoint = spec.endpoint;

  const ipEndpointsConfig: Record<string, unknown> = {
    enabled: spec.ipEndpointsEnabled ?? true,
    enablePublicEndpoint: publicOn,
    globalAccess: false,
    privateEndpoint,
  };
  if (publicOn) ipEndpointsConfig.publicEndpoint = spec.endpoint;

  const networkConfig: Record<string, unknown> = {
    network: `projects/${netProject}/global/networks/${network}`,
    subnetwork: `projects/${netProject}/regions/${region}/subnetworks/${subnetwork}`,
  };
  const datapath = spec.datapathProvider ?? (spec.autopilot ? 'ADVANCED_DATAPATH' : undefined);
  if (datapath) networkConfig.datapathProvider = datapath;
  if (spec.privateNodes) networkConfig.defaultEnablePrivateNodes = true;

  const cluster: Record<string, unknown> = {
    name: spec.name,
    nodeConfig: pools[0]?.config,
    masterAuth: spec.caCertificate !== undefined ? { clusterCaCertificate: spec.caCertificate } : {},
    loggingService: 'logging.googleapis.com/kubernetes',
    monitoringService: 'monitoring.googleapis.com/kubernetes',
    network,
    clusterIpv4Cidr: '10.4.0.0/14',
    subnetwork,
    nodePools: pools,
    locations: clusterZones(spec.location),
    ipAllocationPolicy: {
      useIpAliases: true,
      clusterIpv4Cidr: '10.4.0.0/14',
      servicesIpv4Cidr: '34.118.224.0/20',
      clusterIpv4CidrBlock: '10.4.0.0/14',
      servicesIpv4CidrBlock: '34.118.224.0/20',
      stackType: spec.stackType ?? 'IPV4',
    },
    networkConfig,
    selfLink: `${CONTAINER_URL}/projects/${spec.project}/locations/${spec.location}/clusters/${spec.name}`,
    zone: spec.location,
    endpoint: publicOn ? spec.endpoint : privateEndpoint,
    initialClusterVersion: version,
    currentMasterVersion: version,
    currentNodeVersion: version,
    createTime: spec.createTime,
    status: spec.status ?? 'RUNNING',
    servicesIpv4Cidr: '34.118.224.0/20',
    currentNodeCount: nodeCount,
    location: spec.location,
    id: spec.id,
    autopilot: spec.autopilot ? { enabled: true } : {},
    privateClusterConfig,
    releaseChannel: { channel: 'REGULAR' },
    controlPlaneEndpointsConfig: {
      dnsEndpointConfig: {
        endpoint: spec.dnsEndpoint ?? `gke-${spec.id}.${region}.gke.goog`,
        allowExternalTraffic: spec.dnsAllowExternalTraffic ?? false,
      },
      ipEndpointsConfig,
    },
  };
  if (cluster.nodeConfig === undefined) delete cluster.nodeConfig;
  return cluster;
}

// `$alt=json;enum-encoding=int` (what the gax REST client asks for) turns enums into numbers.
const CLUSTER_STATUS = { STATUS_UNSPECIFIED: 0, PROVISIONING: 1, RUNNING: 2, RECONCILING: 3, STOPPING: 4, ERROR: 5, DEGRADED: 6 };
const NODE_POOL_STATUS = { STATUS_UNSPECIFIED: 0, PROVISIONING: 1, RUNNING: 2, RUNNING_WITH_ERROR: 3, RECONCILING: 4, STOPPING: 5, ERROR: 6 };
const STACK_TYPE = { STACK_TYPE_UNSPECIFIED: 0, IPV4: 1, IPV4_IPV6: 2 };
const DATAPATH_PROVIDER = { DATAPATH_PROVIDER_UNSPECIFIED: 0, LEGACY_DATAPATH: 1, ADVANCED_DATAPATH: 2 };
const CHANNEL = { UNSPECIFIED: 0, RAPID: 1, REGULAR: 2, STABLE: 3, EXTENDED: 4 };

function toInt(obj: Record<string, unknown> | undefined, field: string, table: Record<string, number>): void {
  if (!obj) return;
  const v = obj[field];
  if (typeof v === 'string' && v in table) obj[field] = table[v];
}

export function withIntEnums(cluster: Record<string, unknown>): Record<string, unknown> {
  const c = structuredClone(cluster);
  toInt(c, 'status', CLUSTER_STATUS);
  toInt(c.ipAllocationPolicy as Record<string, unknown>, 'stackType', STACK_TYPE);
  toInt(c.networkConfig as Record<string, unknown>, 'datapathProvider', DATAPATH_PROVIDER);
  toInt(c.releaseChannel as Record<string, unknown>, 'channel', CHANNEL);
  for (const p of (c.nodePools as Record<string, unknown>[] | undefined) ?? []) toInt(p, 'status', NODE_POOL_STATUS);
  return c;
}
