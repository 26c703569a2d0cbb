// apply.ts against in-memory fakes: stages in the planner's order, isolation of failures, conflict recovery,
// confirmed deletions, AlreadyExists adoption, requestId reuse, dry run and the time budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1DaemonSet, V1Service } from '@kubernetes/client-node';
import type { ComputeApi, KubeApi } from '../../functions/adapters/apis.ts';
import { applyStages, type ApplyContext } from '../../functions/runtime/apply.ts';
import { toStages } from '../../functions/core/stages.ts';
import { deadlineIn, fakeClock } from '../../functions/platform/clock.ts';
import { ApiError } from '../../functions/platform/errors.ts';
import { silentLogger } from '../../functions/platform/log.ts';
import { retrying } from '../../functions/runtime/retry.ts';
import { parseConfig } from '../../functions/config.ts';
import type { Action } from '../../functions/core/model.ts';

const config = { ...parseConfig({}), concurrency: 4 };
const ref = { namespace: 'shop', name: 'web', uid: 'uid-web' };

function service(uid = 'uid-web', rv = '10', extra: Partial<V1Service['spec']> = {}): V1Service {
  return {
    metadata: { namespace: 'shop', name: 'web', uid, resourceVersion: rv, labels: { app: 'web' } },
    spec: { type: 'LoadBalancer', loadBalancerClass: config.loadBalancerClass, ports: [{ port: 80, protocol: 'TCP' }], ...extra },
    status: { loadBalancer: {} },
  };
}

function daemonSet(name = 'nodelb-web-uid-web', image = 'img:1'): V1DaemonSet {
  return {
    metadata: { namespace: 'nodelb-system', name, labels: { 'nodelb.dev/service-uid': 'uid-web', 'app.kubernetes.io/managed-by': 'nodelb' } },
    spec: {
      selector: { matchLabels: { 'nodelb.dev/daemonset': name } },
      template: { metadata: { labels: { 'nodelb.dev/daemonset': name } }, spec: { containers: [{ name: 'lb-tcp-80', image }] } },
    },
  };
}

const kubeError = (status: number, reason: string) =>
  new ApiError({ api: 'kube', op: 'x', message: `${status} ${reason}`, status, reason, retryable: status >= 500 });

/** A KubeApi whose every method records its call and delegates to an override, if any. */
function fakeKube(overrides: Partial<KubeApi> = {}): { kube: KubeApi; calls: string[] } {
  const calls: string[] = [];
  const notUsed = (name: string) => async () => {
    throw new Error(`unexpected ${name}`);
  };
  const base: KubeApi = {
    listServices: notUsed('listServices'),
    listNamespaces: notUsed('listNamespaces'),
    listNodes: notUsed('listNodes'),
    listDaemonSets: notUsed('listDaemonSets'),
    listProxyPods: notUsed('listProxyPods'),
    listEndpointSlices: notUsed('listEndpointSlices'),
    getService: async () => undefined,
    getDaemonSet: async () => undefined,
    createDaemonSet: async (ds) => ds,
    replaceDaemonSet: async (ds) => ds,
    deleteDaemonSet: async () => {},
    writeServiceStatus: async () => undefined,
    createEvent: async () => {},
  };
  const kube = new Proxy({ ...base, ...overrides }, {
    get(target, prop) {
      const fn = target[prop as keyof KubeApi] as (...a: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return fn(...args);
      };
    },
  });
  return { kube, calls };
}

function ctx(kube: KubeApi, more: Partial<ApplyContext> = {}): ApplyContext {
  const clock = fakeClock();
  return {
    kube,
    rawServices: new Map([['uid-web', service()]]),
    daemonSets: [],
    config,
    clock,
    deadline: deadlineIn(clock, 60_000),
    logger: silentLogger,
    dryRun: false,
    ...more,
  };
}

const writeStatus = (ips: string[]): Action => ({
  kind: 'writeStatus',
  reason: 'nodes changed',
  service: ref,
  resourceVersion: '10',
  ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' as const })),
  conditions: [],
  from: [],
  to: ips,
});
const event: Action = { kind: 'recordEvent', reason: 'tell', service: ref, type: 'Normal', eventReason: 'UpdatedLoadBalancer', message: 'hi' };
const createDs: Action = { kind: 'createDaemonSet', reason: 'new Service', service: ref, daemonSet: daemonSet() };

/** The product's path: the planner's stages, applied in order. */
async function applyActions(actions: readonly Action[], c: ApplyContext) {
  return (await applyStages(toStages(actions), c)).results;
}

test('runs the stages in order: DaemonSet/firewall writes, then status, then events; results follow the stages', async () => {
  const { kube, calls } = fakeKube();
  const results = await applyActions([event, writeStatus(['1.2.3.4']), createDs], ctx(kube));
  assert.deepEqual(calls, ['createDaemonSet', 'writeServiceStatus', 'createEvent']);
  assert.deepEqual(results.map((r) => [r.stage, r.kind, r.outcome]), [
    ['objects', 'createDaemonSet', 'applied'],
    ['new-status', 'writeStatus', 'applied'],
    ['new-events', 'recordEvent', 'applied'],
  ]);
});

test('the status and Events of a new Service wait for its proxies when the sync says so; deletions still run last', async () => {
  const { kube, calls } = fakeKube({ getService: async () => undefined });
  const other = { namespace: 'shop', name: 'old', uid: 'uid-old' };
  const del: Action = { kind: 'deleteDaemonSet', reason: 'Service gone', service: other, namespace: 'nodelb-system', name: 'nodelb-old', owner: other };
  const asked: string[][] = [];
  const { results, deferred } = await applyStages(toStages([event, writeStatus(['1.2.3.4']), createDs, del]), ctx(kube, { rawServices: new Map([['uid-web', service()]]) }), (done) => {
    asked.push(done.map((r) => r.kind));
    return true;
  });
  assert.deepEqual(asked, [['createDaemonSet']], 'asked once, after the objects stage');
  assert.deepEqual(deferred.map((s) => s.name), ['new-status', 'new-events']);
  assert.deepEqual(results.map((r) => [r.stage, r.kind]), [['objects', 'createDaemonSet'], ['deletions', 'deleteDaemonSet']]);
  assert.deepEqual(calls.filter((c) => c !== 'getService'), ['createDaemonSet', 'deleteDaemonSet']);
});

test('every result names its Service and carries the change, also when dry-run or failed', async () => {
  const { kube } = fakeKube({
    createEvent: async () => {
      throw kubeError(500, 'InternalError');
    },
  });
  const actions = [event, { ...writeStatus(['1.2.3.4']), from: ['5.6.7.8'] } as Action, createDs];
  for (const dryRun of [false, true]) {
    const results = await applyActions(actions, ctx(kube, { dryRun }));
    assert.deepEqual(
      results.map((r) => [r.kind, r.service, r.change]),
      [
        ['createDaemonSet', 'shop/web', undefined],
        ['writeStatus', 'shop/web', '[5.6.7.8] → [1.2.3.4]'],
        ['recordEvent', 'shop/web', 'Normal UpdatedLoadBalancer: hi'],
      ],
      dryRun ? 'dry run' : 'applied and failed alike',
    );
  }
});

test('one failure does not stop the others, and says whether a retry can help', async () => {
  const { kube } = fakeKube({
    createDaemonSet: async () => {
      throw new ApiError({ api: 'kube', op: 'create', message: 'forbidden', status: 403, retryable: false, fix: 'kubectl apply -k manifests/' });
    },
  });
  const results = await applyActions([createDs, writeStatus(['1.2.3.4'])], ctx(kube));
  assert.equal(results[0]?.outcome, 'failed');
  assert.equal(results[0]?.retryable, false);
  assert.equal(results[0]?.fix, 'kubectl apply -k manifests/');
  assert.equal(results[1]?.outcome, 'applied');
});

test('the status body is the whole Service as read, with the observed resourceVersion', async () => {
  const bodies: V1Service[] = [];
  const { kube } = fakeKube({ writeServiceStatus: async (s) => void bodies.push(s) });
  await applyActions([writeStatus(['1.2.3.4'])], ctx(kube));
  assert.equal(bodies[0]?.metadata?.resourceVersion, '10');
  assert.deepEqual(bodies[0]?.metadata?.labels, { app: 'web' }); // PUT /status would otherwise drop them
  assert.deepEqual(bodies[0]?.status?.loadBalancer?.ingress, [{ ip: '1.2.3.4', ipMode: 'VIP' }]);
});

test('a 409 Conflict on status re-reads the Service and writes again with the fresh resourceVersion', async () => {
  const rvs: string[] = [];
  const { kube, calls } = fakeKube({
    writeServiceStatus: async (s) => {
      rvs.push(s.metadata?.resourceVersion ?? '');
      if (rvs.length === 1) throw kubeError(409, 'Conflict');
    },
    getService: async () => service('uid-web', '11'),
  });
  const [r] = await applyActions([writeStatus(['1.2.3.4'])], ctx(kube));
  assert.equal(r?.outcome, 'applied');
  assert.deepEqual(rvs, ['10', '11']);
  assert.deepEqual(calls, ['writeServiceStatus', 'getService', 'writeServiceStatus']);
});

test('after a conflict, a recreated (other UID) or unclaimed Service is left alone', async () => {
  for (const fresh of [service('uid-other', '11'), service('uid-web', '11', { type: 'ClusterIP' })]) {
    const { kube, calls } = fakeKube({
      writeServiceStatus: async () => {
        throw kubeError(409, 'Conflict');
      },
      getService: async () => fresh,
    });
    const [r] = await applyActions([writeStatus(['1.2.3.4'])], ctx(kube));
    assert.equal(r?.outcome, 'skipped');
    assert.deepEqual(calls, ['writeServiceStatus', 'getService']);
  }
});

test('a deletion whose Service was missing from the list is confirmed by a GET first', async () => {
  const del: Action = { kind: 'deleteDaemonSet', reason: 'Service gone', namespace: 'nodelb-system', name: 'nodelb-web-uid-web', owner: ref };
  const delRule: Action = { kind: 'deleteFirewall', reason: 'Service gone', project: 'p', name: 'nodelb-abc-uidweb', owner: ref };
  const compute = { deleteFirewall: async () => {} } as unknown as ComputeApi;

  // Still there and claimed: the list was partial. Nothing is deleted, and one GET serves both.
  const still = fakeKube({ getService: async () => service() });
  const held = await applyActions([del, delRule], ctx(still.kube, { rawServices: new Map(), compute }));
  assert.deepEqual(held.map((r) => r.outcome), ['skipped', 'skipped']);
  assert.deepEqual(still.calls, ['getService']);

  // Really gone: deleted, with the listed DaemonSet's UID as precondition.
  const uids: (string | undefined)[] = [];
  const gone = fakeKube({ getService: async () => undefined, deleteDaemonSet: async (_ns, _n, uid) => void uids.push(uid) });
  const listed = daemonSet();
  listed.metadata = { ...listed.metadata, uid: 'ds-uid-1' };
  const done = await applyActions([del], ctx(gone.kube, { rawServices: new Map(), daemonSets: [listed] }));
  assert.equal(done[0]?.outcome, 'applied');
  assert.deepEqual(uids, ['ds-uid-1']);
});

test('create AlreadyExists: adopts an identical DaemonSet, updates a different one', async () => {
  const same = fakeKube({
    createDaemonSet: async () => {
      throw kubeError(409, 'AlreadyExists');
    },
    getDaemonSet: async () => daemonSet(),
  });
  const [a] = await applyActions([createDs], ctx(same.kube));
  assert.equal(a?.outcome, 'applied');
  assert.deepEqual(same.calls, ['createDaemonSet', 'getDaemonSet']);

  const replaced: V1DaemonSet[] = [];
  const differs = fakeKube({
    createDaemonSet: async () => {
      throw kubeError(409, 'AlreadyExists');
    },
    getDaemonSet: async () => {
      const live = daemonSet('nodelb-web-uid-web', 'img:old');
      live.metadata = { ...live.metadata, resourceVersion: '77' };
      return live;
    },
    replaceDaemonSet: async (ds) => (replaced.push(ds), ds),
  });
  const [b] = await applyActions([createDs], ctx(differs.kube));
  assert.equal(b?.outcome, 'applied');
  assert.equal(replaced[0]?.metadata?.resourceVersion, '77');
  assert.equal(replaced[0]?.spec?.template.spec?.containers[0]?.image, 'img:1');
});

test('a firewall write keeps one requestId across retries', async () => {
  const ids: string[] = [];
  const flaky = {
    insertFirewall: async (_p: string, _r: unknown, id: string) => {
      ids.push(id);
      if (ids.length === 1) throw new ApiError({ api: 'compute', op: 'insert', message: 'reset', retryable: true });
    },
  } as unknown as ComputeApi;
  const clock = fakeClock();
  const compute = retrying(flaky, 'compute', { clock, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 });
  let n = 0;
  const [r] = await applyActions(
    [{ kind: 'createFirewall', reason: 'new', service: ref, project: 'p', rule: { name: 'nodelb-x' } }],
    ctx(fakeKube().kube, { compute, newRequestId: () => `req-${++n}` }),
  );
  assert.equal(r?.outcome, 'applied');
  assert.deepEqual(ids, ['req-1', 'req-1']);
});

test('an Event refused by a terminating namespace is skipped; refused by RBAC, it fails with the fix', async () => {
  // Both are 403 Forbidden on the real API server; only the message tells them apart.
  const refuse = (message: string) =>
    fakeKube({
      createEvent: async () => {
        throw new ApiError({ api: 'kube', op: 'create event in shop', message, status: 403, reason: 'Forbidden', retryable: false, fix: 'grant "create" on "events": kubectl apply -k manifests/' });
      },
    }).kube;
  const [terminating] = await applyActions([event], ctx(refuse('create event in shop: 403 Forbidden: unable to create new content in namespace shop because it is being terminated')));
  assert.equal(terminating?.outcome, 'skipped');
  const [rbac] = await applyActions([event], ctx(refuse('create event in shop: 403 Forbidden: events is forbidden: User "nodelb@p.iam.gserviceaccount.com" cannot create resource "events"')));
  assert.equal(rbac?.outcome, 'failed');
  assert.match(rbac?.fix ?? '', /"create" on "events"/);
  const { kube } = fakeKube({
    createEvent: async () => {
      throw kubeError(404, 'NotFound');
    },
  });
  const [gone] = await applyActions([event], ctx(kube));
  assert.equal(gone?.outcome, 'skipped', 'the namespace is already gone');
});

test('dry run calls nothing; a spent budget starts nothing', async () => {
  const dry = fakeKube();
  const results = await applyActions([createDs, writeStatus(['1.2.3.4']), event], ctx(dry.kube, { dryRun: true }));
  assert.deepEqual(results.map((r) => r.outcome), ['dry-run', 'dry-run', 'dry-run']);
  assert.deepEqual(dry.calls, []);

  const late = fakeKube();
  const clock = fakeClock();
  const deadline = deadlineIn(clock, 100);
  clock.advance(200);
  const skipped = await applyActions([createDs], ctx(late.kube, { clock, deadline }));
  assert.equal(skipped[0]?.outcome, 'skipped');
  assert.deepEqual(late.calls, []);
});
