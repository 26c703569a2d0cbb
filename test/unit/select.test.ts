// Stable selection under the max-ips cap: keep published nodes, prefer static and standard
// nodes, then the oldest; one node changing changes one IP; preferences never shrink the set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPFamily } from '../../functions/core/model.ts';
import type { NodeFacts } from '../../functions/core/nodes.ts';
import { assessNode } from '../../functions/core/nodes.ts';
import { explainSelection, ingressFor, selectNodes, summariseSelection, type SelectionInput } from '../../functions/core/select.ts';
import { indexNodes, type NodePreferences } from '../../functions/core/node_index.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aDualStackService, aGkeNode, aPod, aService, aSnapshot, anInstance } from './builders.ts';
import { converge } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();

interface N {
  name: string;
  ip: number;
  created?: string; // day of January 2024
  spot?: boolean;
  static?: boolean;
}

function facts(nodes: N[]): NodeFacts[] {
  return nodes.map((n) => {
    const { node, instance } = aGkeNode(n.name, n.ip, {
      node: { creationTimestamp: `2024-01-${n.created ?? '10'}T00:00:00Z`, labels: n.static ? { kubip_assigned: 'yes' } : {} },
      instance: { spot: n.spot ?? false },
    });
    return assessNode(node, aSnapshot({ instances: [instance] }), config);
  });
}

type Over = Partial<Omit<SelectionInput, 'index'> & NodePreferences>;

/** A selection over `f` (pods Ready on every node unless said), with the plan's node index. */
function input(f: NodeFacts[], over: Over = {}): SelectionInput {
  const { staticIPLabel = 'kubip_assigned', preferStandardNodes = true, ...rest } = over;
  return { index: indexNodes(f, { staticIPLabel, preferStandardNodes }), families: ['IPv4'], selector: {}, pods: f.map((x) => aPod('ds', x.node.name)), currentIPs: new Set(), maxIPs: 0, ...rest };
}

/** The decisions of a selection, as `nodelb status` shows them. */
function explained(i: SelectionInput) {
  return explainSelection(i, selectNodes(i));
}

function choose(nodes: N[], over: Over = {}): string[] {
  return selectNodes(input(facts(nodes), over)).chosen.map((x) => x.node.name);
}

const ip = (n: number) => `203.0.113.${n}`;

const rows: { nodes: N[]; over?: Over; want: string[]; reason: string }[] = [
  { nodes: [{ name: 'a', ip: 1 }, { name: 'b', ip: 2 }, { name: 'c', ip: 3 }], want: ['a', 'b', 'c'], reason: 'no cap: every eligible node' },
  { nodes: [{ name: 'a', ip: 1, created: '15' }, { name: 'b', ip: 2, created: '11' }, { name: 'c', ip: 3, created: '12' }], over: { maxIPs: 2 }, want: ['b', 'c'], reason: 'cap: the oldest first' },
  { nodes: [{ name: 'b', ip: 2 }, { name: 'a', ip: 1 }, { name: 'c', ip: 3 }], over: { maxIPs: 2 }, want: ['a', 'b'], reason: 'same age: the name breaks the tie' },
  { nodes: [{ name: 'a', ip: 1, created: '11' }, { name: 'b', ip: 2, created: '12' }, { name: 'c', ip: 3, created: '13' }], over: { maxIPs: 2, currentIPs: new Set([ip(3)]) }, want: ['c', 'a'], reason: 'a published node is kept before older ones' },
  { nodes: [{ name: 'a', ip: 1, created: '11' }, { name: 'b', ip: 2, created: '12', static: true }], over: { maxIPs: 1 }, want: ['b'], reason: 'static-IP node preferred over an older one' },
  { nodes: [{ name: 'a', ip: 1, created: '11' }, { name: 'b', ip: 2, created: '12', static: true }], over: { maxIPs: 1, staticIPLabel: '' }, want: ['a'], reason: 'static preference off when the label is empty' },
  { nodes: [{ name: 'a', ip: 1, created: '11', spot: true }, { name: 'b', ip: 2, created: '12' }], over: { maxIPs: 1 }, want: ['b'], reason: 'standard before spot' },
  { nodes: [{ name: 'a', ip: 1, created: '11', spot: true }, { name: 'b', ip: 2, created: '12' }], over: { maxIPs: 1, preferStandardNodes: false }, want: ['a'], reason: 'spot preference off' },
  { nodes: [{ name: 'a', ip: 1, spot: true }, { name: 'b', ip: 2, spot: true }], over: { maxIPs: 1 }, want: ['a'], reason: 'only spot nodes: still one published (a preference never empties the set)' },
  { nodes: [{ name: 'a', ip: 1, spot: true }, { name: 'b', ip: 2 }], want: ['b', 'a'], reason: 'no cap: spot nodes still published, preference only orders' },
  { nodes: [{ name: 'a', ip: 1, created: '11' }, { name: 'b', ip: 2, created: '12', spot: true }], over: { maxIPs: 1, currentIPs: new Set([ip(2)]) }, want: ['b'], reason: 'a published spot node is kept: stability beats preference' },
  // "Enough standard nodes" = at least the cap: fewer, and spot nodes fill the remaining places.
  { nodes: [{ name: 's1', ip: 1, created: '11', spot: true }, { name: 's2', ip: 2, created: '12', spot: true }, { name: 'std', ip: 3, created: '13' }], over: { maxIPs: 2 }, want: ['std', 's1'], reason: 'fewer standard nodes than the cap: the oldest spot node fills the place' },
  { nodes: [{ name: 's1', ip: 1, created: '11', spot: true }, { name: 'a', ip: 2, created: '12' }, { name: 'b', ip: 3, created: '13' }], over: { maxIPs: 2 }, want: ['a', 'b'], reason: 'as many standard nodes as the cap: no spot node' },
  { nodes: [{ name: 'a', ip: 1, created: '11' }, { name: 'b', ip: 2, created: '12' }], over: { maxIPs: 2, staticIPLabel: 'kubip_assigned' }, want: ['a', 'b'], reason: 'no node has a static IP: every eligible node still published (preference never empties)' },
  { nodes: [{ name: 'a', ip: 1, created: '11', spot: true }, { name: 'b', ip: 2, created: '12', spot: true }], over: { maxIPs: 0 }, want: ['a', 'b'], reason: 'only spot nodes, uncapped: all published' },
  { nodes: [{ name: 'a', ip: 1, created: '11', static: true }, { name: 'b', ip: 2, created: '12' }], over: { maxIPs: 1, currentIPs: new Set([ip(2)]) }, want: ['b'], reason: 'a published node is kept even when a static-IP node is eligible (stability first)' },
  { nodes: [{ name: 'a', ip: 1, created: '13', static: true }, { name: 'b', ip: 2, created: '12', spot: true, static: true }, { name: 'c', ip: 3, created: '11' }], over: { maxIPs: 2 }, want: ['a', 'b'], reason: 'static IP ranks before standard, standard before age' },
];
for (const row of rows) {
  test(`selection: ${row.reason}`, () => assert.deepEqual(choose(row.nodes, row.over), row.want));
}

test('selection: when a published node leaves, exactly one IP is replaced', () => {
  const nodes: N[] = [1, 2, 3, 4, 5].map((i) => ({ name: `n${i}`, ip: i, created: String(10 + i) }));
  const before = choose(nodes, { maxIPs: 3, currentIPs: new Set([ip(2), ip(4), ip(5)]) });
  assert.deepEqual(before.sort(), ['n2', 'n4', 'n5'], 'the published set is kept as is');
  const after = choose(nodes.filter((n) => n.name !== 'n4'), { maxIPs: 3, currentIPs: new Set([ip(2), ip(4), ip(5)]) });
  assert.deepEqual(after.sort(), ['n1', 'n2', 'n5'], 'n4 replaced by the oldest unpublished node, n2 and n5 stay');
});

test('selection: an unpublished node changing causes no churn', () => {
  const nodes: N[] = [1, 2, 3].map((i) => ({ name: `n${i}`, ip: i, created: String(10 + i) }));
  const current = new Set([ip(2), ip(3)]);
  const before = choose(nodes, { maxIPs: 2, currentIPs: current });
  const after = choose([...nodes.slice(1), { name: 'n0', ip: 9, created: '01' }], { maxIPs: 2, currentIPs: current });
  assert.deepEqual(after, before, 'a new, older node does not displace published ones');
});

test('selection: with static-IP nodes published, DNS changes only when a static-IP node goes away', () => {
  const nodes: N[] = [
    { name: 'plain-old', ip: 1, created: '01' },
    { name: 'static-1', ip: 2, created: '05', static: true },
    { name: 'static-2', ip: 3, created: '06', static: true },
    { name: 'static-3', ip: 4, created: '07', static: true },
    { name: 'plain-new', ip: 5, created: '08' },
  ];
  const first = choose(nodes, { maxIPs: 2 });
  assert.deepEqual(first, ['static-1', 'static-2'], 'static-IP nodes over an older plain one');
  const current = new Set([ip(2), ip(3)]);
  const plainGone = choose(nodes.filter((n) => !n.name.startsWith('plain')), { maxIPs: 2, currentIPs: current });
  assert.deepEqual(plainGone, ['static-1', 'static-2'], 'plain nodes coming and going change nothing');
  const staticGone = choose(nodes.filter((n) => n.name !== 'static-1'), { maxIPs: 2, currentIPs: current });
  assert.deepEqual(staticGone, ['static-2', 'static-3'], 'one static node gone: replaced by the next static one, one IP changes');
});

test('selection: not-chosen nodes say why', () => {
  const f = facts([{ name: 'a', ip: 1 }, { name: 'b', ip: 2 }]);
  const decisions = explained(input(f, { maxIPs: 1, staticIPLabel: '' }));
  assert.deepEqual(decisions.map((d) => [d.node, d.published, d.why]), [['a', true, 'published'], ['b', false, 'not chosen: max-ips 1 (same age: name order)']]);
});

const whyRows: { nodes: N[]; over?: Over; want: string; reason: string }[] = [
  { nodes: [{ name: 'a', ip: 1, created: '12' }, { name: 'b', ip: 2, created: '11' }], over: { currentIPs: new Set([ip(1)]) }, want: 'the published nodes are kept', reason: 'an older node waits behind a published one' },
  { nodes: [{ name: 'a', ip: 1, created: '12', static: true }, { name: 'b', ip: 2, created: '11' }], want: 'nodes with a static IP come first', reason: 'static IP' },
  { nodes: [{ name: 'a', ip: 1, created: '12' }, { name: 'b', ip: 2, created: '11', spot: true }], want: 'standard nodes come before spot', reason: 'spot' },
  { nodes: [{ name: 'a', ip: 1, created: '11' }, { name: 'b', ip: 2, created: '12' }], want: 'older nodes come first', reason: 'age' },
];
for (const row of whyRows) {
  test(`selection: a node left out by the cap names the preference that outranked it: ${row.reason}`, () => {
    const f = facts(row.nodes);
    const decisions = explained(input(f, { maxIPs: 1, ...row.over }));
    assert.equal(decisions.find((d) => !d.published)?.why, `not chosen: max-ips 1 (${row.want})`);
  });
}

test('selection: ties are broken the same way whatever the input order', () => {
  const nodes: N[] = [
    { name: 'd', ip: 4, created: '11' },
    { name: 'b', ip: 2, created: '11' },
    { name: 'e', ip: 5, created: '11', spot: true },
    { name: 'a', ip: 1, created: '12' },
    { name: 'c', ip: 3, created: '11' },
  ];
  const want = choose(nodes, { maxIPs: 3 });
  assert.deepEqual(want, ['b', 'c', 'd'], 'same age: by name; spot and younger last');
  for (let shift = 1; shift < nodes.length; shift++) {
    const rotated = [...nodes.slice(shift), ...nodes.slice(0, shift)];
    assert.deepEqual(choose(rotated, { maxIPs: 3 }), want, `rotation ${shift}`);
    assert.deepEqual(choose([...rotated].reverse(), { maxIPs: 3 }), want, `reversed rotation ${shift}`);
  }
});

test('selection: the cap is respected whatever the number of eligible nodes', () => {
  const nodes: N[] = [1, 2, 3, 4, 5].map((i) => ({ name: `n${i}`, ip: i, created: String(10 + i), spot: i % 2 === 0 }));
  for (let cap = 0; cap <= 7; cap++) {
    for (let count = 0; count <= nodes.length; count++) {
      const got = choose(nodes.slice(0, count), { maxIPs: cap });
      assert.equal(got.length, cap === 0 ? count : Math.min(cap, count), `cap ${cap}, ${count} eligible`);
    }
  }
});

test('selection: nodes outside the selector are excluded with the selector named', () => {
  const f = facts([{ name: 'a', ip: 1 }]);
  const i = input(f, { selector: { 'nodelb.dev/pool': 'blue' }, pods: [], staticIPLabel: '' });
  assert.equal(explained(i)[0]?.why, 'does not match the node selector nodelb.dev/pool=blue');
  assert.match(summariseSelection(i, selectNodes(i)), /no eligible node \(1 node\): 1 does not match/);
});

test('ingress: families in spec.ipFamilies order, each sorted numerically', () => {
  const mk = (name: string, v4: string, v6: string) =>
    assessNode(aGkeNode(name, 1).node, aSnapshot({ instances: [anInstance({ name, externalIPv4: [v4], externalIPv6: [v6] })] }), config);
  const chosen = [mk('a', '203.0.113.10', '2600:1900::10'), mk('b', '203.0.113.9', '2600:1900::9')];
  const ips = (families: IPFamily[]) => ingressFor(chosen, families, 'VIP').map((i) => i.ip);
  assert.deepEqual(ips(['IPv4', 'IPv6']), ['203.0.113.9', '203.0.113.10', '2600:1900::9', '2600:1900::10'], 'IPv4 first, numeric (9 before 10)');
  assert.deepEqual(ips(['IPv6', 'IPv4']), ['2600:1900::9', '2600:1900::10', '203.0.113.9', '203.0.113.10'], 'IPv6 first when the Service says so');
  assert.deepEqual(ips(['IPv4']), ['203.0.113.9', '203.0.113.10'], 'a family the Service lacks is left out');
});

test('ingress: ipMode only when Proxy (from config or annotation)', () => {
  const chosen = [assessNode(aGkeNode('a', 1).node, aSnapshot({ instances: [aGkeNode('a', 1).instance] }), config)];
  assert.deepEqual(ingressFor(chosen, ['IPv4'], 'VIP'), [{ ip: '203.0.113.1' }]);
  assert.deepEqual(ingressFor(chosen, ['IPv4'], 'Proxy'), [{ ip: '203.0.113.1', ipMode: 'Proxy' }]);
  const svc = aService({ annotations: { 'nodelb.dev/ip-mode': 'Proxy' } });
  const { node, instance } = aGkeNode('a', 1);
  const world = converge(aSnapshot({ services: [svc], nodes: [node], instances: [instance] }), config).snapshot;
  assert.deepEqual(world.services[0]?.ingress, [{ ip: '203.0.113.1', ipMode: 'Proxy' }], 'the annotation wins over the VIP default');
});

test('max-ips through the plan: annotation overrides the global cap', () => {
  const nodes = [1, 2, 3].map((i) => aGkeNode(`n${i}`, i));
  const svc = aService({ annotations: { 'nodelb.dev/max-ips': '1' } });
  const world = converge(aSnapshot({ services: [svc], nodes: nodes.map((n) => n.node), instances: nodes.map((n) => n.instance) }), aConfig({ maxIPs: 2 })).snapshot;
  assert.equal(world.services[0]?.ingress.length, 1);
});

test('dual-stack Service: a node with only IPv4 is still published for IPv4', () => {
  const svc = aDualStackService();
  const a = aGkeNode('a', 1, { instance: { externalIPv6: ['2600:1900::1'] } });
  const b = aGkeNode('b', 2);
  const world = converge(aSnapshot({ services: [svc], nodes: [a.node, b.node], instances: [a.instance, b.instance] }), config).snapshot;
  assert.deepEqual(world.services[0]?.ingress.map((i) => i.ip), ['203.0.113.1', '203.0.113.2', '2600:1900::1']);
  const p = plan(world, config);
  assert.deepEqual(actionsOf(p), []);
});

test('the quick eligibility check and the explained reasons agree on every node (they are two functions)', () => {
  const world = [
    aGkeNode('ok', 1),
    aGkeNode('not-ready', 2, { node: { ready: false } }),
    aGkeNode('cordoned', 3, { node: { unschedulable: true } }),
    aGkeNode('no-ip', 4, { instance: { externalIPv4: [] } }),
    aGkeNode('other-pool', 5, { node: { labels: { 'nodelb.dev/pool': 'green' } } }),
    aGkeNode('no-pod', 6),
    aGkeNode('pod-not-ready', 7),
    aGkeNode('no-endpoint', 8),
    aGkeNode('stopping', 9, { instance: { status: 'STOPPING' } }),
  ];
  const snapshot = aSnapshot({ instances: world.map((w) => w.instance) });
  const f = world.map((w) => assessNode(w.node, snapshot, config));
  const names = f.map((x) => x.node.name);
  const pods = names.filter((n) => n !== 'no-pod').map((n) => aPod('ds', n, { ready: n !== 'pod-not-ready' }));
  for (const [what, over, chosen] of [
    ['pods, Local', { pods, endpointNodes: new Set(names.filter((n) => n !== 'no-endpoint')) }, ['ok', 'other-pool']],
    ['pods, selector', { pods, selector: { 'nodelb.dev/pool': '!green' } }, ['ok', 'no-endpoint']],
    ['status proof', { pods: [], readyOn: Uint8Array.from(names, (n) => (n === 'no-pod' ? 0 : 1)) }, ['ok', 'other-pool', 'pod-not-ready', 'no-endpoint']],
  ] as const) {
    const i = input(f, { staticIPLabel: '', ...over });
    const r = selectNodes(i);
    const decisions = explainSelection(i, r);
    const explainedEligible = decisions.filter((d) => d.published).map((d) => d.node);
    assert.deepEqual(r.chosen.map((x) => x.node.name).sort(), [...explainedEligible].sort(), `${what}: chosen = published in the explanation`);
    assert.equal(r.eligible, explainedEligible.length, `${what}: uncapped, every eligible node is chosen`);
    for (const d of decisions) assert.equal(d.published, d.why === 'published', `${what}: ${d.node}: ${d.why}`);
    assert.ok(decisions.filter((d) => !d.published).length >= 5, `${what}: most nodes are excluded, each with a reason`);
    assert.deepEqual(r.chosen.map((x) => x.node.name).sort(), [...chosen].sort(), `${what}: exactly the nodes that can serve`);
  }
});
