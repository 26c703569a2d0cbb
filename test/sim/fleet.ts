// A simulated fleet (does I/O, loopback only): one project whose Container API knows N GKE
// clusters, each with its own Kubernetes API server, sharing one Compute API (instances and
// firewall rules of every cluster, as in one real project). Cluster 0 is a full SimulatedGke.
import { clusterNodeTag } from './container.ts';
import { addGkeNode, startSimulatedGke, type NodeTarget, type SimulatedGke } from './gke.ts';
import { startKubeSim, type KubeSim } from './kube.ts';
import { externalIPFor, nodeNameFor } from './scenario.ts';

export interface FleetCluster {
  name: string; // short name
  full: string; // projects/P/locations/L/clusters/C
  kube: KubeSim['control'];
  nodes: string[];
  /** Node name → zone. */
  zoneOf: Map<string, string>;
}

export interface Fleet {
  sim: SimulatedGke; // cluster 0, and the shared Compute and Container APIs
  clusters: FleetCluster[];
  close(): Promise<void>;
}

export interface FleetOptions {
  clusters: number;
  nodesPerCluster: number;
  /** LoadBalancer Services of nodelb's class per cluster. */
  servicesPerCluster: number;
  latency?: { kubeMs?: number; computeMs?: number; containerMs?: number; operationMs?: number };
  seed?: number;
}

const CLASS = 'nodelb.dev/node-ip';
const ZONES = ['a', 'b', 'c'];

/** Cluster names fleet-000, fleet-001, …: distinct prefixes, so node names tell clusters apart. */
export const fleetClusterName = (i: number): string => `fleet-${String(i).padStart(3, '0')}`;

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const sim = await startSimulatedGke({ cluster: fleetClusterName(0), seed: opts.seed ?? 5, latency: opts.latency });
  const kubes: KubeSim[] = [];
  const clusters: FleetCluster[] = [];
  let ipIndex = 0;
  let internal = 1000;
  for (let c = 0; c < opts.clusters; c++) {
    const name = fleetClusterName(c);
    let kube: KubeSim['control'];
    let target: NodeTarget | undefined;
    if (c === 0) {
      kube = sim.kube;
    } else {
      const k = await startKubeSim({ faults: sim.faults, token: sim.token, latencyMs: opts.latency?.kubeMs, seed: (opts.seed ?? 5) + c });
      kubes.push(k);
      kube = k.control;
      const id = `${String(c).padStart(8, '0')}${'0'.repeat(24)}`;
      sim.container.putCluster({ project: sim.project, location: sim.location, name, id, endpoint: k.endpoint, caCertificate: k.caData });
      target = {
        kube,
        compute: sim.gce,
        project: sim.project,
        location: sim.location,
        cluster: name,
        nodeTag: clusterNodeTag(name, id),
        zoneByNode: new Map(),
        nextInternal: () => internal++,
      };
    }
    const nodes: string[] = [];
    const zoneOf = new Map<string, string>();
    for (let n = 0; n < opts.nodesPerCluster; n++) {
      const zone = `${sim.location}-${ZONES[n % ZONES.length]!}`;
      const node = nodeNameFor(name, zone, n);
      const input = { name: node, zone, externalIP: externalIPFor(ipIndex++) };
      if (target) addGkeNode(target, input);
      else sim.addNode(input);
      nodes.push(node);
      zoneOf.set(node, zone);
    }
    for (let s = 0; s < opts.servicesPerCluster; s++) {
      kube.addService({
        namespace: 'default',
        name: `web-${s}`,
        spec: { type: 'LoadBalancer', loadBalancerClass: CLASS, selector: { app: `web-${s}` }, ports: [{ name: 'http', port: 8000 + s, protocol: 'TCP', targetPort: 8080 }] },
      });
    }
    clusters.push({ name, full: `projects/${sim.project}/locations/${sim.location}/clusters/${name}`, kube, nodes, zoneOf });
  }
  return {
    sim,
    clusters,
    close: async () => {
      await Promise.all([sim.close(), ...kubes.map((k) => k.close())]);
    },
  };
}

/** The IPs a Service of one fleet cluster publishes, sorted. */
export function fleetIngress(cluster: FleetCluster, service = 'web-0', namespace = 'default'): string[] {
  const svc = cluster.kube.get<{ status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('services', namespace, service);
  return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').sort();
}
