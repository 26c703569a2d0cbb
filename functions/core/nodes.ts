// What each node can offer, independent of any Service: its health, its external IPs per family
// (from the GCE instance when we have it, else from Node.status.addresses) and its preferences (pure).
import type { InstanceView, IPFamily, NodeView, Snapshot } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import { canonicalIP, ipFamilyOf, sortIPs } from './ip.ts';

export const AUTOSCALER_TAINTS = ['ToBeDeletedByClusterAutoscaler', 'DeletionCandidateOfClusterAutoscaler'];

export interface NodeFacts {
  node: NodeView;
  gce: boolean; // providerID gce://…
  instanceName: string; // the GCE instance this node is (or would be)
  instance?: InstanceView;
  ips: Record<IPFamily, string[]>; // canonical, sorted
  /** Why the node cannot serve any Service; empty when it is healthy. */
  problems: string[];
  /** Set when what the node offers cannot be known this run ("instance read failed: node IPs
   *  unknown"): it is neither published nor excluded by this plan, and said so. */
  unknown?: string;
  spot: boolean;
  staticIP: boolean;
  createdAt: number; // ms since the epoch; unparsable timestamps sort last
}

const PROVIDER_ID = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/;

export function parseProviderID(providerID: string | undefined): { project: string; zone: string; name: string } | undefined {
  const m = PROVIDER_ID.exec(providerID ?? '');
  return m ? { project: m[1] ?? '', zone: m[2] ?? '', name: m[3] ?? '' } : undefined;
}

export function isGceNode(node: NodeView): boolean {
  return (node.providerID ?? '').startsWith('gce://');
}

function findInstance(node: NodeView, instances: readonly InstanceView[], byName?: ReadonlyMap<string, InstanceView[]>): InstanceView | undefined {
  const id = parseProviderID(node.providerID);
  const name = id?.name ?? node.name;
  const named = byName ? (byName.get(name) ?? []) : instances.filter((i) => i.name === name);
  if (id) {
    const exact = named.find((i) => i.zone === id.zone && i.project === id.project);
    if (exact) return exact;
  }
  return named.length === 1 ? named[0] : undefined;
}

/** Instances by name, so that matching N nodes is not N × N. */
function instancesByName(instances: readonly InstanceView[]): Map<string, InstanceView[]> {
  const out = new Map<string, InstanceView[]>();
  for (const i of instances) {
    const list = out.get(i.name);
    if (list) list.push(i);
    else out.set(i.name, [i]);
  }
  return out;
}

function addressIPs(node: NodeView, config: PlanConfig): Record<IPFamily, string[]> {
  const of = (type: string, family: IPFamily) =>
    node.addresses.filter((a) => a.type === type && ipFamilyOf(a.address) === family).map((a) => canonicalIP(a.address));
  const ips: Record<IPFamily, string[]> = { IPv4: [], IPv6: [] };
  for (const family of ['IPv4', 'IPv6'] as const) {
    let list = of('ExternalIP', family);
    // Opt-in only: an internal address in public DNS is usually a mistake (servicelb does it silently).
    if (list.length === 0 && config.allowInternalIPs) list = of('InternalIP', family);
    ips[family] = sortIPs(list);
  }
  return ips;
}

export function assessNode(node: NodeView, snapshot: Snapshot, config: PlanConfig, byName?: ReadonlyMap<string, InstanceView[]>, instancesUnknown?: string): NodeFacts {
  const gce = isGceNode(node);
  const unknown = gce && instancesUnknown !== undefined ? instancesUnknown : undefined;
  const instanceName = parseProviderID(node.providerID)?.name ?? node.name;
  const useInstance = gce && snapshot.instances !== undefined;
  const instance = useInstance ? findInstance(node, snapshot.instances ?? [], byName) : undefined;
  const problems: string[] = [];
  if (!node.ready) problems.push('not Ready');
  if (node.deleting) problems.push('being deleted');
  if (node.unschedulable) problems.push('cordoned');
  for (const taint of node.taints) {
    if (AUTOSCALER_TAINTS.includes(taint.key)) problems.push(`being removed by the cluster autoscaler (${taint.key})`);
  }
  // Without a trusted instance list a missing instance is not news: saying "deleted" would guess.
  if (useInstance && !instance && unknown === undefined) problems.push('GCE instance not found (deleted)');
  if (instance && instance.status !== 'RUNNING') problems.push(`GCE instance is ${instance.status}`);
  if (snapshot.goingAway.includes(instanceName)) problems.push('GCE instance is going away (stop, preemption or deletion reported)');

  const ips: Record<IPFamily, string[]> = useInstance
    ? { IPv4: sortIPs((instance?.externalIPv4 ?? []).map(canonicalIP)), IPv6: sortIPs((instance?.externalIPv6 ?? []).map(canonicalIP)) }
    : addressIPs(node, config);
  const spot =
    instance?.spot === true ||
    node.labels['cloud.google.com/gke-spot'] === 'true' ||
    node.labels['cloud.google.com/gke-preemptible'] === 'true';
  const staticIP = config.staticIPLabel !== '' && node.labels[config.staticIPLabel] !== undefined;
  const created = Date.parse(node.creationTimestamp);
  const createdAt = Number.isNaN(created) ? Number.MAX_SAFE_INTEGER : created;
  return { node, gce, instanceName, ...(instance ? { instance } : {}), ips, problems, ...(unknown !== undefined ? { unknown } : {}), spot, staticIP, createdAt };
}

/** `instancesUnknown`: the instance read cannot be trusted this run, in words. */
export function assessNodes(snapshot: Snapshot, config: PlanConfig, instancesUnknown?: string): NodeFacts[] {
  const byName = instancesByName(snapshot.instances ?? []);
  return [...snapshot.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((n) => assessNode(n, snapshot, config, byName, instancesUnknown));
}
