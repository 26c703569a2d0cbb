// Seeds a real-control-plane world for the sync, end-to-end and benchmark runs (does I/O): N
// GKE-named nodes across three zones with distinct external IPs, and S LoadBalancer Services
// claimed by nodelb on distinct ports. Numbering continues, so a test can grow its world.
import { externalIPFor, nodeNameFor } from '../sim/scenario.ts';
import type { RealWorld } from './world.ts';

export interface SeedOptions {
  nodes?: number;
  services?: number;
  /** Index of the first node / Service made (default 0), to add to a seeded world. */
  firstNode?: number;
  firstService?: number;
  namespace?: string; // of the Services (default "default")
  className?: string; // default nodelb.dev/node-ip
  firstPort?: number; // port of Service 0 (default 8000)
}

export interface Seeded {
  nodes: string[];
  services: { namespace: string; name: string; port: number; uid: string }[];
  externalIPs: Map<string, string>; // node -> IP
}

export const serviceNameFor = (i: number): string => `svc-${String(i).padStart(4, '0')}`;

export async function seed(w: RealWorld, opts: SeedOptions): Promise<Seeded> {
  const { gke } = w;
  const zones = /-[a-z]$/.test(gke.location) ? [gke.location] : ['a', 'b', 'c'].map((z) => `${gke.location}-${z}`);
  const out: Seeded = { nodes: [], services: [], externalIPs: new Map() };
  const nodeIdx = Array.from({ length: opts.nodes ?? 0 }, (_, k) => (opts.firstNode ?? 0) + k);
  // A few at a time: registration is three requests per node, and the order of names is kept.
  for (let k = 0; k < nodeIdx.length; k += 10) {
    await Promise.all(
      nodeIdx.slice(k, k + 10).map((i) => {
        const zone = zones[i % zones.length] ?? gke.location;
        const name = nodeNameFor(gke.cluster, zone, i);
        out.nodes.push(name);
        out.externalIPs.set(name, externalIPFor(i));
        return gke.addNode({ name, zone, externalIP: externalIPFor(i) });
      }),
    );
  }
  const namespace = opts.namespace ?? 'default';
  for (let k = 0; k < (opts.services ?? 0); k++) {
    const i = (opts.firstService ?? 0) + k;
    const name = serviceNameFor(i);
    const port = (opts.firstPort ?? 8000) + i;
    const svc = await w.addService(name, { namespace, ports: [{ port, name: 'tcp' }], ...(opts.className ? { loadBalancerClass: opts.className } : {}) });
    out.services.push({ namespace, name, port, uid: svc.metadata.uid ?? '' });
  }
  return out;
}
