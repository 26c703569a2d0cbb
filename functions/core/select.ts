// Which nodes a Service publishes: eligibility per node (with the reason when not), then a stable
// choice under the max-ips cap so that one node changing changes one IP, not the set (pure).
import type { IngressView, IPFamily, NodeDecision, ProxyPodView } from './model.ts';
import type { Selector } from './selectors.ts';
import type { NodeFacts } from './nodes.ts';
import { matchesSelector } from './selectors.ts';
import { describeSelector } from './annotations.ts';
import { sortIPs } from './ip.ts';

export interface SelectionInput {
  nodes: readonly NodeFacts[]; // sorted by name
  families: readonly IPFamily[];
  selector: Selector;
  pods: readonly ProxyPodView[]; // of this Service's DaemonSet
  /** externalTrafficPolicy Local: nodes hosting a ready endpoint; undefined for Cluster. */
  endpointNodes?: ReadonlySet<string>;
  currentIPs: ReadonlySet<string>; // canonical IPs in the Service's status now
  maxIPs: number; // 0: all
  staticIPLabel: string;
  preferStandardNodes: boolean;
}

export interface Selection {
  decisions: NodeDecision[];
  chosen: NodeFacts[];
  eligible: number;
  /** "no eligible node (3 nodes): 2 not Ready, 1 proxy pod not Ready" when nothing is chosen. */
  summary: string;
}

function podProblem(here: readonly ProxyPodView[]): string | undefined {
  if (here.some((p) => p.ready)) return undefined;
  if (here.length === 0) return 'no proxy pod';
  if (here.some((p) => p.phase === 'Pending')) return 'proxy pod Pending';
  return 'proxy pod not Ready';
}

function ipsOf(facts: NodeFacts, families: readonly IPFamily[]): string[] {
  return families.length === 1 ? facts.ips[families[0] as IPFamily] : families.flatMap((f) => facts.ips[f]);
}

function exclusions(facts: NodeFacts, input: SelectionInput, podsHere: readonly ProxyPodView[]): string[] {
  const reasons = [...facts.problems];
  if (!matchesSelector(facts.node.labels, input.selector)) {
    reasons.push(`does not match the node selector ${describeSelector(input.selector)}`);
    return reasons; // no proxy pod is expected there: saying so would only add noise
  }
  if (ipsOf(facts, input.families).length === 0) reasons.push(`no external ${input.families.join('/')} address`);
  const pod = podProblem(podsHere);
  if (pod) reasons.push(pod);
  if (input.endpointNodes && !input.endpointNodes.has(facts.node.name)) {
    reasons.push('no ready endpoint of the Service here (externalTrafficPolicy: Local)');
  }
  return reasons;
}

/** Order of preference, most preferred first. Preferences only order the list; the cap alone
 *  decides how many are taken, so a preference can never empty the set.
 *  1. already published (its IP is in the status now): stability first, so a node that stays
 *     healthy is never displaced, not even by a static-IP or standard node that appears later;
 *  2. a reserved static IP (the static-IP label): DNS then changes only when such a node goes;
 *  3. standard before spot/preemptible. "Enough standard nodes" therefore means: at least the
 *     cap. With fewer, spot nodes fill the remaining places; uncapped, every eligible node is
 *     published, spot ones included (a spot node serves while it lives, and its preemption is
 *     acted on from the GCE event);
 *  4. the oldest (creationTimestamp); 5. the name, so ties break the same way every run. */
const PREFERENCES = ['already published', 'static IP', 'standard', 'older', 'name'] as const;

interface Ranked {
  f: NodeFacts;
  keys: number[];
}

function rank(
  nodes: readonly NodeFacts[],
  input: Pick<SelectionInput, 'families' | 'currentIPs' | 'staticIPLabel' | 'preferStandardNodes'>,
): Ranked[] {
  const keyed = nodes.map((f) => ({
    f,
    keys: [
      ipsOf(f, input.families).some((ip) => input.currentIPs.has(ip)) ? 0 : 1,
      input.staticIPLabel !== '' && !f.staticIP ? 1 : 0,
      input.preferStandardNodes && f.spot ? 1 : 0,
      f.createdAt,
    ],
  }));
  keyed.sort((a, b) => {
    const i = firstDifference(a, b);
    if (i < a.keys.length) return (a.keys[i] ?? 0) - (b.keys[i] ?? 0);
    return a.f.node.name < b.f.node.name ? -1 : a.f.node.name > b.f.node.name ? 1 : 0;
  });
  return keyed;
}

/** Index of the first preference that tells a and b apart (keys.length: only the name does). */
function firstDifference(a: Ranked, b: Ranked): number {
  const i = a.keys.findIndex((k, j) => k !== b.keys[j]);
  return i < 0 ? a.keys.length : i;
}

const OUTRANKED_BY: Record<(typeof PREFERENCES)[number], string> = {
  'already published': 'the published nodes are kept',
  'static IP': 'nodes with a static IP come first',
  standard: 'standard nodes come before spot',
  older: 'older nodes come first',
  name: 'same age: name order',
};

export function selectNodes(input: SelectionInput): Selection {
  const excluded = new Map<string, string[]>();
  const eligible: NodeFacts[] = [];
  const podsByNode = new Map<string, ProxyPodView[]>();
  for (const p of input.pods) {
    if (!p.nodeName) continue;
    const list = podsByNode.get(p.nodeName);
    if (list) list.push(p);
    else podsByNode.set(p.nodeName, [p]);
  }
  for (const facts of input.nodes) {
    const reasons = exclusions(facts, input, podsByNode.get(facts.node.name) ?? []);
    if (reasons.length > 0) excluded.set(facts.node.name, reasons);
    else eligible.push(facts);
  }
  const ranked = rank(eligible, input);
  const taken = input.maxIPs > 0 ? ranked.slice(0, input.maxIPs) : ranked;
  const chosen = taken.map((r) => r.f);
  const chosenNames = new Set(chosen.map((f) => f.node.name));
  const last = taken[taken.length - 1];
  // A node left out by the cap is told which preference put the last chosen node ahead of it.
  const outranked = new Map(
    ranked.slice(taken.length).map((r) => [r.f.node.name, last ? OUTRANKED_BY[PREFERENCES[firstDifference(last, r)] ?? 'name'] : '']),
  );
  const decisions: NodeDecision[] = input.nodes.map((facts) => {
    const name = facts.node.name;
    const published = chosenNames.has(name);
    const why = excluded.get(name)?.join('; ') ?? (published ? 'published' : `not chosen: max-ips ${input.maxIPs} (${outranked.get(name) ?? ''})`);
    // facts.ips is sorted per family and IPv4 sorts before IPv6: the order of sortIPs already.
    const externalIPs = (['IPv4', 'IPv6'] as const).filter((f) => input.families.includes(f)).flatMap((f) => facts.ips[f]);
    return { node: name, externalIPs, published, why };
  });
  return { decisions, chosen, eligible: eligible.length, summary: summarise(input.nodes.length, excluded) };
}

function summarise(total: number, excluded: Map<string, string[]>): string {
  if (total === 0) return 'no eligible node: the cluster has no nodes';
  const counts = new Map<string, number>();
  for (const reasons of excluded.values()) {
    const first = reasons[0] ?? 'excluded';
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([r, n]) => `${n} ${r}`);
  return `no eligible node (${total} node${total === 1 ? '' : 's'}): ${parts.join(', ')}`;
}

/** The ingress list: the chosen nodes' IPs for each family in spec.ipFamilies order, each family
 *  sorted numerically; ipMode only when Proxy (VIP is the API default, so leaving it out is the same). */
export function ingressFor(chosen: readonly NodeFacts[], families: readonly IPFamily[], ipMode: 'VIP' | 'Proxy'): IngressView[] {
  return families.flatMap((family) =>
    sortIPs(chosen.flatMap((f) => f.ips[family])).map((ip) => (ipMode === 'Proxy' ? { ip, ipMode: 'Proxy' as const } : { ip })),
  );
}
