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
  /** Instead of pods, when the DaemonSet's status proves them: per node of `nodes`, 1 where a
   *  Ready proxy pod runs (proxy_readiness.ts). */
  readyOn?: Uint8Array;
  /** externalTrafficPolicy Local: nodes hosting a ready endpoint; undefined for Cluster. */
  endpointNodes?: ReadonlySet<string>;
  currentIPs: Iterable<string>; // canonical IPs in the Service's status now
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

// The proxy pods of one DaemonSet on one node, as flags: this runs for every Service × node, so
// it allocates nothing per node.
const POD_ANY = 1;
const POD_READY = 2;
const POD_PENDING = 4;
const POD_STUCK = 8; // cannot become Ready by waiting (proxy_pods.ts)

/** Node name → position, per node list (a plan passes the same list for every Service). */
const positions = new WeakMap<readonly NodeFacts[], Map<string, number>>();

/** Per node of `nodes` (by position): the flags of the pods there. */
function podFlagsByNode(nodes: readonly NodeFacts[], pods: readonly ProxyPodView[]): Uint8Array {
  let index = positions.get(nodes);
  if (!index) positions.set(nodes, (index = new Map(nodes.map((f, i) => [f.node.name, i]))));
  const flags = new Uint8Array(nodes.length);
  for (const p of pods) {
    const i = p.nodeName ? index.get(p.nodeName) : undefined;
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

const KEYS = 4; // the numeric preferences 1–4; the name breaks ties

/** Preferences 2–4 belong to the node, not the Service: computed once per node list and
 *  settings, with the nodes in that order (then by name), so a Service's ranking is one pass. */
interface NodeRanking {
  keys: Float64Array; // KEYS per node (by position); key 0 is left 0, it depends on the Service
  order: Int32Array; // positions, by preferences 2–4, then name
  /** IP → position, per family: what marks the nodes a Service publishes now. */
  byIP: Record<IPFamily, Map<string, number>>;
}

const rankings = new WeakMap<readonly NodeFacts[], Map<string, NodeRanking>>();

function nodeRanking(nodes: readonly NodeFacts[], input: Pick<SelectionInput, 'staticIPLabel' | 'preferStandardNodes'>): NodeRanking {
  const settings = `${input.staticIPLabel}\u0000${input.preferStandardNodes}`;
  let bySettings = rankings.get(nodes);
  if (!bySettings) rankings.set(nodes, (bySettings = new Map()));
  const known = bySettings.get(settings);
  if (known) return known;
  const keys = new Float64Array(nodes.length * KEYS);
  const byIP: NodeRanking['byIP'] = { IPv4: new Map(), IPv6: new Map() };
  nodes.forEach((f, i) => {
    keys[i * KEYS + 1] = input.staticIPLabel !== '' && !f.staticIP ? 1 : 0;
    keys[i * KEYS + 2] = input.preferStandardNodes && f.spot ? 1 : 0;
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
  const ranking = { keys, order, byIP };
  bySettings.set(settings, ranking);
  return ranking;
}

/** Positions of the nodes whose IP (of the Service's families) the Service publishes now. */
function publishedNow(ranking: NodeRanking, input: Pick<SelectionInput, 'families' | 'currentIPs'>, count: number): Uint8Array {
  const marks = new Uint8Array(count);
  for (const ip of input.currentIPs) {
    for (const family of input.families) {
      const i = ranking.byIP[family].get(ip);
      if (i !== undefined) marks[i] = 1;
    }
  }
  return marks;
}

/** The first preference that tells nodes a and b apart (KEYS: only the name does); key 0 from
 *  the Service's published marks when given. */
function firstDifference(keys: Float64Array, a: number, b: number, published?: Uint8Array): number {
  if (published && published[a] !== published[b]) return 0;
  for (let k = 1; k < KEYS; k++) if (keys[a * KEYS + k] !== keys[b * KEYS + k]) return k;
  return KEYS;
}

const OUTRANKED_BY: Record<(typeof PREFERENCES)[number], string> = {
  'already published': 'the published nodes are kept',
  'static IP': 'nodes with a static IP come first',
  standard: 'standard nodes come before spot',
  older: 'older nodes come first',
  name: 'same age: name order',
};

export function selectNodes(input: SelectionInput): Selection {
  const podFlags = input.readyOn ? input.readyOn.map((r) => (r ? POD_ANY | POD_READY : 0)) : podFlagsByNode(input.nodes, input.pods);
  const isEligible = new Uint8Array(input.nodes.length);
  let eligibleCount = 0;
  for (let i = 0; i < input.nodes.length; i++) {
    if (eligible(input.nodes[i] as NodeFacts, input, podFlags[i] as number)) {
      isEligible[i] = 1;
      eligibleCount++;
    }
  }
  // Already published first, then the node's own preferences: a stable pass over the node
  // order, in place of a sort per Service.
  const ranking = nodeRanking(input.nodes, input);
  const published = publishedNow(ranking, input, input.nodes.length);
  const order: number[] = [];
  for (const wantPublished of [1, 0]) for (const i of ranking.order) if (isEligible[i] && published[i] === wantPublished) order.push(i);
  const taken = input.maxIPs > 0 ? order.slice(0, input.maxIPs) : order;
  const chosen = taken.map((i) => input.nodes[i] as NodeFacts);
  /** Every excluded node with its reasons: only for an explanation or an empty choice. */
  const excludedNodes = () => {
    const excluded = new Map<string, readonly string[]>();
    for (let i = 0; i < input.nodes.length; i++) {
      const facts = input.nodes[i] as NodeFacts;
      // From exclusions() alone, not eligible(): the explanation stays an independent check of
      // the quick test (select.test.ts holds the two to the same answer).
      const reasons = exclusions(facts, input, podFlags[i] as number);
      if (reasons.length > 0) excluded.set(facts.node.name, reasons);
    }
    return excluded;
  };
  // One decision per node and Service (a million for 1000 Services × 1000 nodes) is what
  // `nodelb status` and the HTTP report show; a scheduled sync never reads them. They are made
  // when first read, and whoever keeps a Selection keeps only what the choice needs.
  const explain = (): NodeDecision[] => {
    const excluded = excludedNodes();
    const last = taken[taken.length - 1];
    // A node left out by the cap is told which preference put the last chosen node ahead of it.
    const outranked = new Map(
      order.slice(taken.length).map((i) => [(input.nodes[i] as NodeFacts).node.name, last !== undefined ? OUTRANKED_BY[PREFERENCES[firstDifference(ranking.keys, last, i, published)] ?? 'name'] : '']),
    );
    const chosenNames = new Set(chosen.map((f) => f.node.name));
    return input.nodes.map((facts) => {
      const name = facts.node.name;
      const published = chosenNames.has(name);
      const why = excluded.get(name)?.join('; ') ?? (published ? 'published' : `not chosen: max-ips ${input.maxIPs} (${outranked.get(name) ?? ''})`);
      // facts.ips is sorted per family and IPv4 sorts before IPv6: the order of sortIPs already.
      const externalIPs = (['IPv4', 'IPv6'] as const).filter((f) => input.families.includes(f)).flatMap((f) => facts.ips[f]);
      if (facts.unknown !== undefined) return { node: name, externalIPs, published: false, unknown: true, why: facts.unknown };
      return { node: name, externalIPs, published, why };
    });
  };
  return {
    get decisions() {
      return explain();
    },
    chosen,
    eligible: eligibleCount,
    get summary() {
      return summarise(input.nodes.length, excludedNodes());
    },
  };
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
