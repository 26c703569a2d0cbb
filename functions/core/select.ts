// Which nodes a Service publishes: eligibility per node (with the reason when not), then a stable
// choice under the max-ips cap so that one node changing changes one IP, not the set (pure).
import type { IngressView, IPFamily, NodeDecision, ProxyPodView } from './model.ts';
import type { Selector } from './selectors.ts';
import type { NodeFacts } from './nodes.ts';
import { matchesSelector } from './selectors.ts';
import { describeSelector } from './annotations.ts';
import { sortIPs } from './ip.ts';
import { firstDifference, type IPCatalog, type NodeIndex } from './node_index.ts';

export interface SelectionInput {
  index: NodeIndex; // the plan's nodes, built once per plan (node_index.ts)
  families: readonly IPFamily[];
  selector: Selector;
  pods: readonly ProxyPodView[]; // of this Service's DaemonSet
  /** Instead of pods, when the DaemonSet's status proves them: per node of `index.nodes`, 1
   *  where a Ready proxy pod runs (proxy_readiness.ts). */
  readyOn?: Uint8Array;
  /** externalTrafficPolicy Local: nodes hosting a ready endpoint; undefined for Cluster. */
  endpointNodes?: ReadonlySet<string>;
  currentIPs: Iterable<string>; // canonical IPs in the Service's status now
  maxIPs: number; // 0: all
}

/** The choice, and per node (by position) what explaining it needs: explainSelection and
 *  summariseSelection read it when asked; a plan keeps only `chosen`. */
export interface Selection {
  chosen: NodeFacts[];
  eligible: number;
  podFlags: Uint8Array;
  /** Eligible positions, most preferred first; the first `taken` are chosen. */
  order: readonly number[];
  taken: number;
  published: Uint8Array; // 1 where the Service publishes the node's IP now
}

// The proxy pods of one DaemonSet on one node, as flags: this runs for every Service × node, so
// it allocates nothing per node.
const POD_ANY = 1;
const POD_READY = 2;
const POD_PENDING = 4;
const POD_STUCK = 8; // cannot become Ready by waiting (proxy_pods.ts)

/** Per node of the index (by position): the flags of the pods there. */
function podFlagsByNode(index: NodeIndex, pods: readonly ProxyPodView[]): Uint8Array {
  const flags = new Uint8Array(index.nodes.length);
  for (const p of pods) {
    const i = p.nodeName ? index.position.get(p.nodeName) : undefined;
    if (i !== undefined) flags[i] = (flags[i] as number) | POD_ANY | (p.ready ? POD_READY : 0) | (p.phase === 'Pending' ? POD_PENDING : 0) | (p.stuck !== undefined ? POD_STUCK : 0);
  }
  return flags;
}

function podProblem(flags: number): string | undefined {
  if (flags & POD_READY) return undefined;
  if (!(flags & POD_ANY)) return 'no proxy pod';
  if (flags & POD_STUCK) return 'proxy pod cannot run here: unschedulable or keeps failing (see the warning)';
  if (flags & POD_PENDING) return 'proxy pod Pending';
  return 'proxy pod not Ready';
}

function ipsOf(facts: NodeFacts, families: readonly IPFamily[]): string[] {
  return families.length === 1 ? facts.ips[families[0] as IPFamily] : families.flatMap((f) => facts.ips[f]);
}

/** Whether the node can serve this Service: exclusions() without building the reasons, since
 *  this runs for every Service × node (a million times for 1000 × 1000). */
function eligible(facts: NodeFacts, input: SelectionInput, podFlags: number): boolean {
  return (
    facts.problems.length === 0 &&
    (podFlags & POD_READY) !== 0 &&
    matchesSelector(facts.node.labels, input.selector) &&
    ipsOf(facts, input.families).length > 0 &&
    (!input.endpointNodes || input.endpointNodes.has(facts.node.name))
  );
}

/** Why the node cannot serve this Service (empty: it can). */
function exclusions(facts: NodeFacts, input: SelectionInput, podFlags: number): readonly string[] {
  let reasons: string[] | undefined;
  if (facts.unknown !== undefined) return [facts.unknown];
  const add = (reason: string) => (reasons ??= [...facts.problems]).push(reason);
  if (!matchesSelector(facts.node.labels, input.selector)) {
    add(`does not match the node selector ${describeSelector(input.selector)}`);
    return reasons ?? facts.problems; // no proxy pod is expected there: saying so would only add noise
  }
  if (ipsOf(facts, input.families).length === 0) add(`no external ${input.families.join('/')} address`);
  const pod = podProblem(podFlags);
  if (pod) add(pod);
  if (input.endpointNodes && !input.endpointNodes.has(facts.node.name)) {
    add('no ready endpoint of the Service here (externalTrafficPolicy: Local)');
  }
  return reasons ?? facts.problems;
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

/** Positions of the nodes whose IP (of the Service's families) the Service publishes now. */
function publishedNow(index: NodeIndex, input: Pick<SelectionInput, 'families' | 'currentIPs'>): Uint8Array {
  const marks = new Uint8Array(index.nodes.length);
  for (const ip of input.currentIPs) {
    for (const family of input.families) {
      const i = index.byIP[family].get(ip);
      if (i !== undefined) marks[i] = 1;
    }
  }
  return marks;
}

const OUTRANKED_BY: Record<(typeof PREFERENCES)[number], string> = {
  'already published': 'the published nodes are kept',
  'static IP': 'nodes with a static IP come first',
  standard: 'standard nodes come before spot',
  older: 'older nodes come first',
  name: 'same age: name order',
};

export function selectNodes(input: SelectionInput): Selection {
  const { nodes } = input.index;
  const podFlags = input.readyOn ? input.readyOn.map((r) => (r ? POD_ANY | POD_READY : 0)) : podFlagsByNode(input.index, input.pods);
  const isEligible = new Uint8Array(nodes.length);
  let eligibleCount = 0;
  for (let i = 0; i < nodes.length; i++) {
    if (eligible(nodes[i] as NodeFacts, input, podFlags[i] as number)) {
      isEligible[i] = 1;
      eligibleCount++;
    }
  }
  // Already published first, then the node's own preferences: a stable pass over the node
  // order, in place of a sort per Service.
  const published = publishedNow(input.index, input);
  const order: number[] = [];
  for (const wantPublished of [1, 0]) for (const i of input.index.order) if (isEligible[i] && published[i] === wantPublished) order.push(i);
  const taken = input.maxIPs > 0 ? Math.min(order.length, input.maxIPs) : order.length;
  const chosen = order.slice(0, taken).map((i) => nodes[i] as NodeFacts);
  return { chosen, eligible: eligibleCount, podFlags, order, taken, published };
}

/** Every excluded node with its reasons: for an explanation or an empty choice. From
 *  exclusions() alone, not eligible(): the explanation stays an independent check of the quick
 *  test (select.test.ts holds the two to the same answer). */
function excludedNodes(input: SelectionInput, selection: Selection): Map<string, readonly string[]> {
  const excluded = new Map<string, readonly string[]>();
  input.index.nodes.forEach((facts, i) => {
    const reasons = exclusions(facts, input, selection.podFlags[i] as number);
    if (reasons.length > 0) excluded.set(facts.node.name, reasons);
  });
  return excluded;
}

/** One decision per node: what `nodelb status` and the HTTP report show. A million for 1000
 *  Services × 1000 nodes, so made only when a plan is asked to explain (plan.ts). */
export function explainSelection(input: SelectionInput, selection: Selection): NodeDecision[] {
  const { nodes, keys } = input.index;
  const excluded = excludedNodes(input, selection);
  const last = selection.order[selection.taken - 1];
  // A node left out by the cap is told which preference put the last chosen node ahead of it.
  const outranked = new Map(
    selection.order.slice(selection.taken).map((i) => [(nodes[i] as NodeFacts).node.name, last !== undefined ? OUTRANKED_BY[PREFERENCES[firstDifference(keys, last, i, selection.published)] ?? 'name'] : '']),
  );
  const chosenNames = new Set(selection.chosen.map((f) => f.node.name));
  return nodes.map((facts) => {
    const name = facts.node.name;
    const published = chosenNames.has(name);
    const why = excluded.get(name)?.join('; ') ?? (published ? 'published' : `not chosen: max-ips ${input.maxIPs} (${outranked.get(name) ?? ''})`);
    // facts.ips is sorted per family and IPv4 sorts before IPv6: the order of sortIPs already.
    const externalIPs = (['IPv4', 'IPv6'] as const).filter((f) => input.families.includes(f)).flatMap((f) => facts.ips[f]);
    if (facts.unknown !== undefined) return { node: name, externalIPs, published: false, unknown: true, why: facts.unknown };
    return { node: name, externalIPs, published, why };
  });
}

/** "no eligible node (3 nodes): 2 not Ready, 1 proxy pod not Ready": why nothing was chosen. */
export function summariseSelection(input: SelectionInput, selection: Selection): string {
  return summarise(input.index.nodes.length, excludedNodes(input, selection));
}

function summarise(total: number, excluded: Map<string, readonly string[]>): string {
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
export function ingressFor(chosen: readonly NodeFacts[], families: readonly IPFamily[], ipMode: 'VIP' | 'Proxy', catalog?: IPCatalog): IngressView[] {
  return families.flatMap((family) => {
    const ips = chosen.flatMap((f) => f.ips[family]);
    const ranks = catalog ? ranksOf(ips, catalog) : undefined;
    if (catalog && ranks) {
      ranks.sort();
      const views = ipMode === 'Proxy' ? catalog.proxy : catalog.vip;
      const out: IngressView[] = [];
      for (let i = 0; i < ranks.length; i++) if (i === 0 || ranks[i] !== ranks[i - 1]) out.push(views[ranks[i] as number] as IngressView);
      return out;
    }
    return sortIPs(ips).map((ip) => (ipMode === 'Proxy' ? { ip, ipMode: 'Proxy' as const } : { ip }));
  });
}

/** The catalog ranks of `ips`, or undefined if one is not in it. */
function ranksOf(ips: readonly string[], catalog: IPCatalog): Int32Array | undefined {
  const ranks = new Int32Array(ips.length);
  for (let i = 0; i < ips.length; i++) {
    const r = catalog.rank.get(ips[i] as string);
    if (r === undefined) return undefined;
    ranks[i] = r;
  }
  return ranks;
}
