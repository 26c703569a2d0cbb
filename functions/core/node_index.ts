// The plan's nodes indexed once per plan: position by name, the node-only preferences of the
// stable choice, and the IP catalogue every Service's ingress list is sorted by (pure).
import type { IngressView, IPFamily } from './model.ts';
import type { NodeFacts } from './nodes.ts';
import { sortIPs } from './ip.ts';

/** Preferences 2–4 of select.ts (static IP, standard, older) belong to the node, not the
 *  Service: computed once per plan, so that a Service's ranking is one pass over `order`. */
export const KEYS = 4; // the numeric preferences 1–4; key 0 (already published) is the Service's

export interface NodeIndex {
  nodes: readonly NodeFacts[]; // sorted by name
  position: ReadonlyMap<string, number>; // node name → index in `nodes`
  keys: Float64Array; // KEYS per node (by position); key 0 is left 0
  order: Int32Array; // positions, by preferences 2–4, then name
  /** IP → position, per family: what marks the nodes a Service publishes now. */
  byIP: Record<IPFamily, ReadonlyMap<string, number>>;
}

export interface NodePreferences {
  staticIPLabel: string; // '' : no static-IP preference
  preferStandardNodes: boolean;
}

export function indexNodes(nodes: readonly NodeFacts[], prefs: NodePreferences): NodeIndex {
  const keys = new Float64Array(nodes.length * KEYS);
  const byIP: Record<IPFamily, Map<string, number>> = { IPv4: new Map(), IPv6: new Map() };
  nodes.forEach((f, i) => {
    keys[i * KEYS + 1] = prefs.staticIPLabel !== '' && !f.staticIP ? 1 : 0;
    keys[i * KEYS + 2] = prefs.preferStandardNodes && f.spot ? 1 : 0;
    keys[i * KEYS + 3] = f.createdAt;
    for (const family of ['IPv4', 'IPv6'] as const) for (const ip of f.ips[family]) byIP[family].set(ip, i);
  });
  const order = Int32Array.from(nodes, (_, i) => i).sort((a, b) => {
    const k = firstDifference(keys, a, b);
    if (k < KEYS) return (keys[a * KEYS + k] as number) - (keys[b * KEYS + k] as number);
    const na = (nodes[a] as NodeFacts).node.name;
    const nb = (nodes[b] as NodeFacts).node.name;
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
  return { nodes, position: new Map(nodes.map((f, i) => [f.node.name, i])), keys, order, byIP };
}

/** The first preference that tells nodes a and b apart (KEYS: only the name does); key 0 from
 *  the Service's published marks when given. */
export function firstDifference(keys: Float64Array, a: number, b: number, published?: Uint8Array): number {
  if (published && published[a] !== published[b]) return 0;
  for (let k = 1; k < KEYS; k++) if (keys[a * KEYS + k] !== keys[b * KEYS + k]) return k;
  return KEYS;
}

/** Every node IP of one plan, in sortIPs order, with one IngressView per IP and mode: a plan
 *  sorts each Service's IPs by this rank instead of parsing every address again (Services ×
 *  nodes parses), and Services publishing the same node share its entry. */
export interface IPCatalog {
  rank: ReadonlyMap<string, number>;
  vip: readonly IngressView[]; // by rank
  proxy: readonly IngressView[];
}

export function ipCatalog(nodes: readonly NodeFacts[]): IPCatalog {
  const sorted = sortIPs(nodes.flatMap((f) => [...f.ips.IPv4, ...f.ips.IPv6]));
  return {
    rank: new Map(sorted.map((ip, i) => [ip, i])),
    vip: sorted.map((ip) => ({ ip })),
    proxy: sorted.map((ip) => ({ ip, ipMode: 'Proxy' as const })),
  };
}
