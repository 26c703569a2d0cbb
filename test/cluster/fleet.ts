// A small fleet of real clusters (does I/O, loopback only): one project whose simulated
// Container API knows N GKE clusters, each a real control plane with fake kubelets and nodelb's
// RBAC bound, sharing one simulated Compute API (every cluster's instances and firewall rules).
import { startComputeSim } from '../sim/compute.ts';
import { startContainerSim } from '../sim/container.ts';
import { FaultPlan } from '../sim/faults.ts';
import { externalIPFor, nodeNameFor } from '../sim/scenario.ts';
import type { SharedGoogleApis } from './local_gke.ts';
import { startRealWorld, type RealWorld } from './world.ts';

export interface LocalFleetCluster {
  name: string; // short name
  full: string; // projects/P/locations/L/clusters/C
  world: RealWorld;
  nodes: string[];
  /** Node name → zone. */
  zoneOf: Map<string, string>;
}

export interface LocalFleet {
  project: string;
  location: string;
  token: string;
  computeEndpoint: string;
  containerEndpoint: string;
  clusters: LocalFleetCluster[];
  /** IPs a Service of a cluster publishes, sorted. */
  ingress(c: LocalFleetCluster, service?: string, namespace?: string): Promise<string[]>;
  /** The external IPs the cluster's Nodes report, in node order. */
  nodeIPs(c: LocalFleetCluster): Promise<string[]>;
  close(): Promise<void>;
}

const PROJECT = 'demo-project';
const LOCATION = 'us-central1';
const TOKEN = 'local-nodelb-token';
const ZONES = ['a', 'b', 'c'];

/** Cluster names fleet-000, fleet-001, …: distinct prefixes, so node names tell clusters apart. */
export const fleetClusterName = (i: number): string => `fleet-${String(i).padStart(3, '0')}`;

export async function startLocalFleet(opts: { clusters: number; nodesPerCluster: number; servicesPerCluster: number }): Promise<LocalFleet> {
  const faults = new FaultPlan();
  const zones = ZONES.map((z) => `${LOCATION}-${z}`);
  const shared: SharedGoogleApis = {
    faults,
    compute: await startComputeSim({ faults, project: PROJECT, zones, token: TOKEN }),
    container: await startContainerSim({ faults, token: TOKEN }),
  };
  const clusters: LocalFleetCluster[] = [];
  const close = async () => {
    await Promise.all(clusters.map((c) => c.world.close()));
    await Promise.all([shared.compute.close(), shared.container.close()]);
  };
  try {
    let ip = 0;
    for (let c = 0; c < opts.clusters; c++) {
      const name = fleetClusterName(c);
      const world = await startRealWorld({ project: PROJECT, location: LOCATION, cluster: name, token: TOKEN, shared, ipBlock: c, clusterId: `${String(c).padStart(8, '0')}${'0'.repeat(24)}` });
      const cluster: LocalFleetCluster = { name, full: world.gke.clusterName, world, nodes: [], zoneOf: new Map() };
      clusters.push(cluster);
      for (let n = 0; n < opts.nodesPerCluster; n++) {
        const zone = zones[n % zones.length] ?? `${LOCATION}-a`;
        const node = nodeNameFor(name, zone, n);
        await world.gke.addNode({ name: node, zone, externalIP: externalIPFor(ip++) });
        cluster.nodes.push(node);
        cluster.zoneOf.set(node, zone);
      }
      for (let s = 0; s < opts.servicesPerCluster; s++) await world.addService(`web-${s}`, { ports: [{ port: 8000 + s }] });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    project: PROJECT,
    location: LOCATION,
    token: TOKEN,
    computeEndpoint: shared.compute.endpoint,
    containerEndpoint: shared.container.endpoint,
    clusters,
    ingress: (c, service = 'web-0', namespace = 'default') => c.world.ingress(service, namespace),
    async nodeIPs(c) {
      const nodes = (await c.world.gke.admin.list('/api/v1/nodes')).items;
      const ipOf = (name: string) =>
        ((nodes.find((n) => n.metadata.name === name)?.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === 'ExternalIP')?.address ?? '';
      return c.nodes.map(ipOf);
    },
    close,
  };
}
