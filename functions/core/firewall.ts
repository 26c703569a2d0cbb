// GCE firewall rules nodelb wants (one per served Service and IP family), where they go (the
// cluster's network and node tag, read from its instances), and a semantic diff (pure).
import type { ClusterIdentity, Firewall, InstanceView, IPFamily } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import type { Assessment } from './validate.ts';
import { collapsePorts, expandPortEntries, formatPortSet } from './ports.ts';
import { compareIPs, parseCIDR, parseIP } from './ip.ts';
import { encodeFirewallMarker, firewallName, parseFirewallMarker, serviceKey } from './naming.ts';

export interface FirewallTarget {
  network: string; // as the instances report it (a full URL on GCE)
  project: string; // the network's project: the Shared VPC host project when there is one
  tag: string;
}

export type TargetResult = { ok: true; target: FirewallTarget } | { ok: false; problem: string };

const NETWORK = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/]+)$/;
const GKE_NODE_TAG = /^gke-.+-[0-9a-f]{8}-node$/;

function networkKey(url: string, fallbackProject: string): { project: string; key: string } {
  const m = NETWORK.exec(url);
  const project = m?.[1] ?? fallbackProject;
  const name = m?.[2] ?? url.split('/').pop() ?? url;
  return { project, key: `${project}/${name}` };
}

/** The network and the node tag every instance of the cluster shares; never a guess. */
export function detectFirewallTarget(instances: readonly InstanceView[], cluster: ClusterIdentity): TargetResult {
  if (instances.length === 0) return { ok: false, problem: 'the cluster has no GCE instances to read the network and node tag from' };
  const keys = new Set<string>();
  let project = '';
  for (const i of instances) {
    if (!i.network) return { ok: false, problem: `instance ${i.name} reports no network` };
    const n = networkKey(i.network, i.project || cluster.project || '');
    keys.add(n.key);
    project = n.project;
  }
  if (keys.size > 1) return { ok: false, problem: `the cluster's instances are on different networks (${[...keys].sort().join(', ')})` };
  const network = (instances[0] as InstanceView).network as string;

  const common = (instances[0] as InstanceView).tags.filter((t) => instances.every((i) => i.tags.includes(t)));
  const gkeTags = common.filter((t) => GKE_NODE_TAG.test(t));
  let tag: string | undefined = gkeTags.length === 1 ? gkeTags[0] : undefined;
  if (tag === undefined) {
    // cloud-provider-gcp's rule: the longest tag that prefixes the instance name.
    const prefixes = common.filter((t) => instances.every((i) => i.name.startsWith(t))).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    tag = prefixes[0];
  }
  if (tag === undefined) {
    return { ok: false, problem: 'no network tag is common to all the cluster\'s instances (expected gke-<cluster>-<hash>-node)' };
  }
  if (!project) return { ok: false, problem: `cannot tell the project of network ${network}` };
  return { ok: true, target: { network, project, tag } };
}

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '132': 'sctp' };
const protocolName = (p: string | null | undefined) => {
  const s = (p ?? '').toLowerCase();
  return PROTOCOL_NUMBERS[s] ?? s;
};

export function normaliseCIDR(text: string): string {
  const cidr = parseCIDR(text);
  if (cidr) return cidr.text;
  const ip = parseIP(text);
  if (ip) return parseCIDR(`${text.trim()}/${ip.family === 'IPv4' ? 32 : 128}`)?.text ?? text;
  return text.trim();
}

function compareCIDRs(a: string, b: string): number {
  const [ia = '', pa = ''] = a.split('/');
  const [ib = '', pb = ''] = b.split('/');
  return compareIPs(ia, ib) || Number(pa) - Number(pb);
}

/** One rule per family of the Service that has source ranges of that family. */
export function desiredFirewalls(a: Assessment, target: FirewallTarget, cluster: ClusterIdentity, config: PlanConfig): Firewall[] {
  const byProtocol = new Map<string, number[]>();
  for (const p of a.svc.ports) {
    const proto = p.protocol.toLowerCase();
    byProtocol.set(proto, [...(byProtocol.get(proto) ?? []), p.port]);
  }
  const allowed = [...byProtocol.keys()].sort().map((IPProtocol) => ({ IPProtocol, ports: collapsePorts(byProtocol.get(IPProtocol) ?? []) }));
  const rules: Firewall[] = [];
  for (const family of a.families) {
    const ranges = a.sourceRanges?.byFamily[family] ?? [];
    if (ranges.length === 0) continue; // a family with no allowed clients gets no rule at all
    rules.push({
      name: firewallName(cluster.id, a.svc.uid, family),
      description: encodeFirewallMarker({ managedBy: 'nodelb', cluster: cluster.id, service: serviceKey(a.svc), uid: a.svc.uid, family }),
      network: target.network,
      direction: 'INGRESS',
      priority: config.firewallPriority,
      sourceRanges: [...new Set(ranges.map(normaliseCIDR))].sort(compareCIDRs),
      targetTags: [target.tag],
      allowed: allowed.map((x) => ({ IPProtocol: x.IPProtocol, ports: [...x.ports] })),
      disabled: false,
    });
  }
  return rules;
}

export function familyOfRuleName(name: string): IPFamily {
  return name.endsWith('-v6') ? 'IPv6' : 'IPv4';
}

function allowedMap(rule: Firewall): Map<string, Set<number> | 'all'> {
  const out = new Map<string, Set<number> | 'all'>();
  for (const a of rule.allowed ?? []) {
    const proto = protocolName(a.IPProtocol);
    const ports = expandPortEntries(a.ports);
    const have = out.get(proto);
    if (have === 'all' || ports === 'all') out.set(proto, 'all');
    else out.set(proto, new Set([...(have ?? []), ...ports]));
  }
  return out;
}

function describeAllowed(m: Map<string, Set<number> | 'all'>): string {
  const parts = [...m.keys()].sort().map((proto) => `${proto}:${formatPortSet(m.get(proto) ?? 'all')}`);
  return parts.length > 0 ? parts.join('; ') : '(nothing)';
}

function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** What differs, as "field: old → new"; order-insensitive for ports, ranges and tags. */
export function firewallChanges(desired: Firewall, observed: Firewall): string[] {
  const changes: string[] = [];
  const wantMarker = desired.description ?? '';
  const haveMarkerParsed = parseFirewallMarker(observed.description);
  const haveMarker = haveMarkerParsed ? encodeFirewallMarker(haveMarkerParsed) : (observed.description ?? '');
  if (wantMarker !== haveMarker) changes.push(`description: ${haveMarker} → ${wantMarker}`);

  const dirWant = desired.direction ?? 'INGRESS';
  const dirHave = observed.direction ?? 'INGRESS';
  if (dirWant !== dirHave) changes.push(`direction: ${dirHave} → ${dirWant}`);
  const prioWant = desired.priority ?? 1000;
  const prioHave = observed.priority ?? 1000;
  if (prioWant !== prioHave) changes.push(`priority: ${prioHave} → ${prioWant}`);

  const rangesWant = (desired.sourceRanges ?? []).map(normaliseCIDR);
  const rangesHave = (observed.sourceRanges ?? []).map(normaliseCIDR);
  if (!sameSet(rangesWant, rangesHave)) {
    const fmt = (r: string[]) => [...new Set(r)].sort(compareCIDRs).join(',') || '(none)';
    changes.push(`sourceRanges: ${fmt(rangesHave)} → ${fmt(rangesWant)}`);
  }
  const tagsWant = desired.targetTags ?? [];
  const tagsHave = observed.targetTags ?? [];
  if (!sameSet(tagsWant, tagsHave)) {
    const fmt = (t: string[]) => [...new Set(t)].sort().join(',') || '(all instances)';
    changes.push(`targetTags: ${fmt(tagsHave)} → ${fmt(tagsWant)}`);
  }
  const allowWant = allowedMap(desired);
  const allowHave = allowedMap(observed);
  if (describeAllowed(allowWant) !== describeAllowed(allowHave)) {
    changes.push(`allowed: ${describeAllowed(allowHave)} → ${describeAllowed(allowWant)}`);
  }
  if ((observed.disabled ?? false) !== (desired.disabled ?? false)) {
    changes.push(`disabled: ${observed.disabled ?? false} → ${desired.disabled ?? false}`);
  }
  return changes;
}
