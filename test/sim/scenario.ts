// Builds worlds for the demo, end-to-end tests and benchmarks: N nodes across three zones with
// distinct external IPs from documentation ranges, and S LoadBalancer Services claimed by nodelb
// on distinct ports. Optionally the DaemonSets a converged sync would have left. In-process.
import type { SimulatedGke } from './gke.ts';
import { RESOURCES } from './kube/resources.ts';
import type { WireDaemonSet, WireService } from './kube/types.ts';

export interface SeedOptions {
  nodes: number;
  services: number;
  className?: string; // default nodelb.dev/node-ip
  namespace?: string; // of the Services (default "default")
  firstPort?: number; // default 8000
  /** Builds the DaemonSet a converged sync keeps for a Service (created in its namespace). */
  daemonSetFor?: (service: WireService) => WireDaemonSet | undefined;
}

export interface SeededWorld {
  nodes: string[];
  services: { namespace: string; name: string; port: number; uid: string }[];
  externalIPs: Map<string, string>; // node -> IP
}

const DOC_RANGES_24 = ['203.0.113', '198.51.100', '192.0.2'];

/** The i-th distinct external IPv4: TEST-NET-3, -2, -1 (RFC 5737), then the benchmarking
 *  range 198.18.0.0/15 (RFC 2544); wraps after about 131 000 addresses. */
export function externalIPFor(i: number): string {
  const n = i % (3 * 254 + 2 * 256 * 256 - 2);
  if (n < 3 * 254) return `${DOC_RANGES_24[Math.floor(n / 254)]}.${(n % 254) + 1}`;
  const m = n - 3 * 254 + 1;
  return `198.${18 + (m >> 16)}.${(m >> 8) & 255}.${m & 255}`;
}

/** GKE-like node names: gke-<cluster>-default-pool-<8 hex per zone>-<4 chars>. */
export function nodeNameFor(cluster: string, zone: string, i: number): string {
  let h = 0x811c9dc5;
  for (const ch of zone) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  const group = (h >>> 0).toString(16).padStart(8, '0');
  const suffix = i.toString(36).padStart(4, '0').slice(-4);
  return `gke-${cluster}-default-pool-${group}-${suffix}`;
}

export function seedWorld(sim: SimulatedGke, opts: SeedOptions): SeededWorld {
  const className = opts.className ?? 'nodelb.dev/node-ip';
  const namespace = opts.namespace ?? 'default';
  const firstPort = opts.firstPort ?? 8000;
  const zones = /-[a-z]$/.test(sim.location) ? [sim.location] : ['a', 'b', 'c'].map((z) => `${sim.location}-${z}`);
  const world: SeededWorld = { nodes: [], services: [], externalIPs: new Map() };
  for (let i = 0; i < opts.nodes; i++) {
    const zone = zones[i % zones.length] ?? sim.location;
    const name = nodeNameFor(sim.cluster, zone, i);
    const ip = externalIPFor(i);
    sim.addNode({ name, zone, externalIP: ip });
    world.nodes.push(name);
    world.externalIPs.set(name, ip);
  }
  if (opts.services > 0 && sim.kube.get('namespaces', undefined, namespace) === undefined) sim.kube.addNamespace(namespace);
  for (let i = 0; i < opts.services; i++) {
    const name = `svc-${String(i).padStart(4, '0')}`;
    const port = firstPort + i;
    const svc = sim.kube.addService({
      namespace,
      name,
      labels: { app: name },
      spec: { type: 'LoadBalancer', loadBalancerClass: className, selector: { app: name }, ports: [{ name: 'tcp', port, targetPort: 8080, protocol: 'TCP' }] },
    });
    world.services.push({ namespace, name, port, uid: svc.metadata.uid ?? '' });
    const ds = opts.daemonSetFor?.(svc);
    if (ds) sim.kubeSim.api.create(RESOURCES.daemonsets, ds.metadata.namespace, ds);
  }
  return world;
}
