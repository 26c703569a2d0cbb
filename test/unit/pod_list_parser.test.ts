// The streaming PodList parser must read exactly what JSON.parse + toProxyPodView read, however
// the body is cut into chunks, and must not be fooled by the same keys elsewhere in a pod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { PodListParser, type PodListMeta } from '../../functions/adapters/pod_list_parser.ts';
import { toProxyPodView } from '../../functions/adapters/kube_views.ts';
import type { ProxyPodView } from '../../functions/core/model.ts';

function pod(i: number, over: { ready?: boolean; phase?: string; node?: string | null; ds?: string } = {}): V1Pod {
  const ds = over.ds ?? `nodelb-svc-${i % 3}-0123abcd`;
  const node = over.node === null ? undefined : (over.node ?? `gke-demo-default-pool-1a2b3c4d-${i}`);
  return {
    metadata: {
      name: `${ds}-x${i}`,
      namespace: 'nodelb-system',
      labels: { 'app.kubernetes.io/managed-by': 'nodelb', 'nodelb.dev/daemonset': ds, 'controller-revision-hash': 'abc' },
      // Look-alikes outside the fields we read must change nothing.
      annotations: { 'nodelb.dev/daemonset': 'not-this-one', phase: 'Failed', note: 'say "hi" \\ \u00e9 \n', nodeName: 'decoy' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds, uid: 'u', controller: true }],
    },
    spec: {
      ...(node ? { nodeName: node } : {}),
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['decoy-node'] }] }] } } },
      containers: [{ name: 'lb-tcp-80', image: 'rancher/klipper-lb:v0.4.17', env: [{ name: 'SRC_PORT', value: '80' }], readinessProbe: { exec: { command: ['sh', '-c', 'test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1'] } } }],
      tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    },
    status: {
      phase: over.phase ?? 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { status: over.ready === false ? 'False' : 'True', type: 'Ready', reason: over.ready === false ? 'ContainersNotReady' : undefined },
        { type: 'ContainersReady', status: 'True' },
      ],
      containerStatuses: [{ name: 'lb-tcp-80', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: {} }, started: true, lastState: {} }],
      hostIP: '10.128.0.2',
    },
  } as unknown as V1Pod;
}

/** A daemon pod the scheduler cannot place: unbound, pinned by affinity, PodScheduled=False. */
function unschedulable(i: number): V1Pod {
  const p = pod(i, { phase: 'Pending', node: null, ready: false });
  p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms = [
    { matchFields: [{ key: 'other.field', operator: 'In', values: ['not-this'] }] },
    { matchFields: [{ values: ['pinned-node'], operator: 'In', key: 'metadata.name' }] },
  ];
  p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports." }] };
  return p;
}

/** A proxy whose container (or init container) keeps failing. */
function failing(i: number, reason: string, init = false): V1Pod {
  const p = pod(i, { ready: false });
  const statuses = [{ name: 'c', ready: false, restartCount: 7, image: 'x', imageID: '', state: { waiting: { reason, message: 'back-off 5m0s' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }];
  p.status = { ...p.status, ...(init ? { initContainerStatuses: statuses, containerStatuses: [] } : { containerStatuses: statuses }) } as V1Pod['status'];
  return p;
}

const pods: V1Pod[] = [
  pod(0),
  pod(1, { ready: false }),
  pod(2, { phase: 'Pending', node: null, ready: false }),
  unschedulable(6),
  failing(7, 'CrashLoopBackOff'),
  failing(8, 'ImagePullBackOff', true),
  failing(10, 'ContainerCreating'),
  pod(3, { ds: 'nodelb-odd-\u00e9t\u00e9-0000beef' }),
  { metadata: { name: 'bare' } } as V1Pod, // no labels, spec or status at all
  pod(5),
];

function parse(text: string, chunkSizes: number[]): { views: ProxyPodView[]; meta: PodListMeta } {
  const views: ProxyPodView[] = [];
  const parser = new PodListParser((v) => views.push(v));
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const size = chunkSizes[k % chunkSizes.length] ?? 1;
    parser.push(new Uint8Array(bytes.subarray(at, at + size)));
    at += size;
  }
  return { views, meta: parser.end() };
}

const expected = pods.map(toProxyPodView);

test('stuck pods: the pinned node of an unbound pod, Unschedulable, and failing containers; a starting one is not stuck', () => {
  const byName = (i: number) => expected[pods.findIndex((p) => p.metadata?.name?.endsWith(`-x${i}`))];
  assert.deepEqual(byName(6), { daemonSet: 'nodelb-svc-0-0123abcd', nodeName: 'pinned-node', ready: false, phase: 'Pending', stuck: 'Unschedulable' });
  assert.equal(byName(7)?.stuck, 'CrashLoopBackOff');
  assert.equal(byName(8)?.stuck, 'ImagePullBackOff');
  assert.equal(byName(10)?.stuck, undefined, 'ContainerCreating clears by itself');
  assert.equal(byName(2)?.nodeName, 'decoy-node', 'an unbound pod is placed by its pinned node');
  assert.equal(byName(0)?.nodeName, 'gke-demo-default-pool-1a2b3c4d-0', 'a bound pod by spec.nodeName, never its affinity');
});

test('reads the same views as JSON.parse + toProxyPodView, for every way of cutting the body', () => {
  const text = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' }, items: pods });
  for (const sizes of [[text.length], [1], [2, 3, 5, 7], [64], [1000, 1], [333]]) {
    const { views, meta } = parse(text, sizes);
    assert.deepEqual(views, expected, `chunks ${sizes.join(',')}`);
    assert.deepEqual(meta, { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' });
  }
});

test('accepts whitespace, metadata after the items, no continue, and escaped key spellings', () => {
  const pretty = JSON.stringify({ kind: 'PodList', items: pods, metadata: { resourceVersion: '7' } }, null, 2);
  const { views, meta } = parse(pretty, [17]);
  assert.deepEqual(views, expected);
  assert.deepEqual(meta, { resourceVersion: '7' });
  const escaped = JSON.stringify({ items: [pod(9)] }).replace('"nodeName"', '"node\\u004eame"');
  assert.deepEqual(parse(escaped, [5]).views, [toProxyPodView(pod(9))]);
});

test('interns repeated names: a million pods share a thousand strings', () => {
  const text = JSON.stringify({ items: [pod(0, { node: 'n1' }), pod(3, { node: 'n1' })].map((p) => ({ ...p, metadata: { ...p.metadata, labels: { 'nodelb.dev/daemonset': 'ds' } } })) });
  const { views } = parse(text, [7]);
  assert.equal(views.length, 2);
  assert.equal(views[0]?.nodeName, 'n1');
  assert.equal(views[0]?.daemonSet, views[1]?.daemonSet);
});

test('a body cut short is an error, not a shorter list', () => {
  const text = JSON.stringify({ metadata: {}, items: pods });
  for (const cut of [text.length - 1, Math.floor(text.length / 2), 10]) {
    const parser = new PodListParser(() => undefined);
    parser.push(Buffer.from(text.slice(0, cut)));
    assert.throws(() => parser.end(), /truncated/);
  }
  assert.throws(() => new PodListParser(() => undefined).end(), /truncated/, 'an empty body');
});

test('values of the wrong type are skipped, never misread', () => {
  const odd = { metadata: { labels: { 'nodelb.dev/daemonset': ['x'] } }, spec: { nodeName: { a: 'b' } }, status: { phase: 3, conditions: { type: 'Ready', status: 'True' } } };
  const { views } = parse(JSON.stringify({ items: [odd, 'not a pod', 7] }), [3]);
  assert.deepEqual(views, [{ daemonSet: '', ready: false, phase: 'Unknown' }]);
});
