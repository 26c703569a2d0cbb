// The simulated Kubernetes API server driven through the real @kubernetes/client-node 2.x over
// HTTPS: CRUD and conflicts, patches, pagination, selectors, the status subresource, validation,
// the DaemonSet controller stand-in, namespace lifecycle, faults, and the GKE composition.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from '../sim/kube.ts';
import { startSimulatedGke } from '../sim/gke.ts';
import { seedWorld } from '../sim/scenario.ts';
import { RESOURCES } from '../sim/kube/resources.ts';

interface Clients {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  discovery: k8s.DiscoveryV1Api;
}

function clients(server: string, caData: string, token: string): Clients {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server, caData, skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'sim', user: 'u' }],
    currentContext: 'c',
  });
  return { core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), discovery: kc.makeApiClient(k8s.DiscoveryV1Api) };
}

async function withSim(fn: (sim: KubeSim, c: Clients) => Promise<void>, opts: Parameters<typeof startKubeSim>[0] = {}): Promise<void> {
  const sim = await startKubeSim({ seed: 42, ...opts });
  // These tests count the Services they make; the API server's own default/kubernetes would
  // only get in the way.
  sim.control.deleteService('default', 'kubernetes');
  sim.api.delete(RESOURCES.endpointslices, 'default', 'kubernetes', undefined);
  try {
    await fn(sim, clients(sim.url, sim.caData, sim.token));
  } finally {
    await sim.close();
  }
}

interface Failure {
  code: number;
  status: { kind: string; status: string; reason?: string; message: string; code: number; details?: { causes?: { field?: string; reason?: string }[]; retryAfterSeconds?: number } };
  headers: Record<string, string>;
}

async function apiError(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof k8s.ApiException) {
      const err = e as k8s.ApiException<string>;
      // client-node leaves the body out of some answers (401 among them).
      const status = typeof err.body === 'string' ? (JSON.parse(err.body) as Failure['status']) : undefined;
      return { code: err.code, status: status ?? { kind: '', status: '', message: '', code: err.code }, headers: err.headers };
    }
    throw e;
  }
  return assert.fail('expected the call to fail with an ApiException');
}

/** client-node returns model class instances; compare their JSON shape. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null)) as unknown;
}

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function lbService(name: string, port = 80): k8s.V1Service {
  return { metadata: { name }, spec: { type: 'LoadBalancer', loadBalancerClass: 'nodelb.dev/node-ip', ports: [{ port, protocol: 'TCP' }] } };
}

function daemonSet(name: string, opts: { port?: number; nodeSelector?: Record<string, string>; tolerations?: k8s.V1Toleration[]; image?: string } = {}): k8s.V1DaemonSet {
  const labels = { 'app.kubernetes.io/managed-by': 'nodelb', 'nodelb.dev/daemonset': name };
  const port = opts.port ?? 80;
  return {
    metadata: { name, labels },
    spec: {
      selector: { matchLabels: { 'nodelb.dev/daemonset': name } },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: opts.nodeSelector,
          tolerations: opts.tolerations,
          containers: [
            {
              name: `lb-tcp-${port}`,
              image: opts.image ?? 'rancher/klipper-lb:v0.4.17',
              ports: [{ containerPort: port, hostPort: port, protocol: 'TCP' }],
              env: [{ name: 'SRC_PORT', value: String(port) }, { name: 'HOST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } }],
            },
          ],
        },
      },
    },
  };
}

function addNodes(sim: KubeSim, n: number, extra: (i: number) => Partial<Parameters<KubeSim['control']['addNode']>[0]> = () => ({})): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `node-${i}`;
    sim.control.addNode({ name, internalIP: `10.0.0.${i + 2}`, externalIP: `203.0.113.${i + 1}`, ...extra(i) });
    names.push(name);
  }
  return names;
}

async function proxyPods(c: Clients, ds: string): Promise<k8s.V1Pod[]> {
  const res = await c.core.listNamespacedPod({ namespace: 'nodelb-system', labelSelector: `nodelb.dev/daemonset=${ds}` });
  return res.items;
}

function isReady(pod: k8s.V1Pod): boolean {
  return pod.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
}

describe('sim kube: auth and discovery', () => {
  it('accepts the configured bearer, refuses others with a 401 Status, and records bearers', async () => {
    await withSim(async (sim, c) => {
      const ns = await c.core.listNamespace();
      assert.deepEqual(ns.items.map((n) => n.metadata?.name), ['default', 'kube-system', 'nodelb-system']);
      assert.equal(ns.items.find((n) => n.metadata?.name === 'nodelb-system')?.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
      const bad = clients(sim.url, sim.caData, 'wrong');
      const e = await apiError(bad.core.listNamespace());
      assert.equal(e.code, 401);
      assert.deepEqual(sim.faults.calls.at(-1), { api: 'kube', method: 'GET', path: '/api/v1/namespaces', query: '', status: 401, write: false });
      assert.deepEqual(sim.bearers, ['sim-token', 'wrong']);
      assert.equal(sim.clusterUid, sim.control.get('namespaces', undefined, 'kube-system')?.metadata.uid);
    });
  });
});

describe('sim kube: create, get, update, patch, delete', () => {
  it('creates with defaults and allocation, 409 on a duplicate, 404 in a missing namespace', async () => {
    await withSim(async (_sim, c) => {
      const svc = await c.core.createNamespacedService({ namespace: 'default', body: lbService('web') });
      assert.equal(svc.spec?.type, 'LoadBalancer');
      assert.match(svc.spec?.clusterIP ?? '', /^10\.(9[6-9]|10[0-9]|11[01])\./);
      assert.deepEqual(svc.spec?.ipFamilies, ['IPv4']);
      assert.equal(svc.spec?.externalTrafficPolicy, 'Cluster');
      assert.equal(svc.spec?.sessionAffinity, 'None');
      const nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
      assert.ok(nodePort >= 30000 && nodePort <= 32767);
      assert.match(svc.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
      const got = await c.core.readNamespacedService({ namespace: 'default', name: 'web' });
      assert.equal(got.metadata?.resourceVersion, svc.metadata?.resourceVersion);
      const dup = await apiError(c.core.createNamespacedService({ namespace: 'default', body: lbService('web') }));
      assert.equal(dup.code, 409);
      assert.equal(dup.status.reason, 'AlreadyExists');
      assert.equal(dup.status.message, 'services "web" already exists');
      const missing = await apiError(c.core.createNamespacedService({ namespace: 'nope', body: lbService('web') }));
      assert.equal(missing.code, 404);
      assert.equal(missing.status.message, 'namespaces "nope" not found');
      const notThere = await apiError(c.core.readNamespacedService({ namespace: 'default', name: 'ghost' }));
      assert.equal(notThere.code, 404);
      assert.equal(notThere.status.reason, 'NotFound');
    });
  });

  it('answers 409 Conflict to a stale resourceVersion and allows an unconditional PUT', async () => {
    await withSim(async (_sim, c) => {
      const ds = await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('a') });
      const first = await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'a' });
      assert.ok(first.spec?.template.spec?.containers[0]);
      first.spec.template.spec.containers[0].image = 'rancher/klipper-lb:v0.4.18';
      const updated = await c.apps.replaceNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'a', body: first });
      assert.notEqual(updated.metadata?.resourceVersion, first.metadata?.resourceVersion);
      assert.equal(updated.metadata?.generation, 2);
      assert.equal(updated.metadata?.annotations?.['deprecated.daemonset.template.generation'], '2');
      const stale = structuredClone(first);
      stale.spec!.template.spec!.containers[0]!.image = 'rancher/klipper-lb:v0.4.19';
      const e = await apiError(c.apps.replaceNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'a', body: stale }));
      assert.equal(e.code, 409);
      assert.equal(e.status.reason, 'Conflict');
      assert.equal(e.status.message, 'Operation cannot be fulfilled on daemonsets.apps "a": the object has been modified; please apply your changes to the latest version and try again');
      const unconditional = daemonSet('a', { image: 'rancher/klipper-lb:v0.4.19' });
      const ok = await c.apps.replaceNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'a', body: unconditional });
      assert.equal(ok.metadata?.uid, ds.metadata?.uid);
      assert.equal(ok.metadata?.generation, 3);
    });
  });

  it('keeps the resourceVersion when an update changes nothing', async () => {
    await withSim(async (sim, c) => {
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('same') });
      const before = await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'same' });
      const rv = sim.control.resourceVersion;
      const after = await c.apps.replaceNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'same', body: daemonSet('same') });
      assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
      assert.equal(sim.control.resourceVersion, rv);
    });
  });

  it('applies merge and JSON patches, with resourceVersion and test-op preconditions', async () => {
    await withSim(async (_sim, c) => {
      const svc = await c.core.createNamespacedService({ namespace: 'default', body: lbService('web') });
      const patched = await c.core.patchNamespacedService({ namespace: 'default', name: 'web', body: { metadata: { labels: { team: 'a' } } } }, mergePatch);
      assert.equal(patched.metadata?.labels?.team, 'a');
      const stale = await apiError(
        c.core.patchNamespacedService({ namespace: 'default', name: 'web', body: { metadata: { resourceVersion: svc.metadata?.resourceVersion, labels: { team: 'b' } } } }, mergePatch),
      );
      assert.equal(stale.code, 409);
      assert.equal(stale.status.reason, 'Conflict');
      const jsonPatched = await c.core.patchNamespacedService({
        namespace: 'default',
        name: 'web',
        body: [
          { op: 'test', path: '/metadata/labels/team', value: 'a' },
          { op: 'replace', path: '/metadata/labels/team', value: 'c' },
        ],
      });
      assert.equal(jsonPatched.metadata?.labels?.team, 'c');
      const failedTest = await apiError(
        c.core.patchNamespacedService({ namespace: 'default', name: 'web', body: [{ op: 'test', path: '/metadata/labels/team', value: 'a' }, { op: 'remove', path: '/metadata/labels/team' }] }),
      );
      assert.equal(failedTest.code, 422);
      const still = await c.core.readNamespacedService({ namespace: 'default', name: 'web' });
      assert.equal(still.metadata?.labels?.team, 'c');
    });
  });

  it('deletes with 404 for missing objects and honours uid and resourceVersion preconditions', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 2);
      const ds = await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('gone') });
      assert.equal((await proxyPods(c, 'gone')).length, 2);
      const wrongUid = await apiError(
        c.apps.deleteNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'gone', body: { preconditions: { uid: '00000000-0000-4000-8000-000000000000' } } }),
      );
      assert.equal(wrongUid.code, 409);
      assert.match(wrongUid.status.message, /Precondition failed: UID in precondition/);
      const wrongRv = await apiError(c.apps.deleteNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'gone', body: { preconditions: { resourceVersion: '1' } } }));
      assert.equal(wrongRv.code, 409);
      const status = await c.apps.deleteNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'gone', body: { preconditions: { uid: ds.metadata?.uid } } });
      assert.equal(status.status, 'Success');
      assert.equal(status.details?.uid, ds.metadata?.uid);
      assert.equal((await proxyPods(c, 'gone')).length, 0);
      const again = await apiError(c.apps.deleteNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'gone' }));
      assert.equal(again.code, 404);
      assert.equal(again.status.message, 'daemonsets.apps "gone" not found');
    });
  });

  it('answers 500 to a create that carries a resourceVersion, as the storage layer does', async () => {
    await withSim(async (_sim, c) => {
      const body = lbService('rv');
      body.metadata!.resourceVersion = '5';
      const e = await apiError(c.core.createNamespacedService({ namespace: 'default', body }));
      assert.equal(e.code, 500);
      assert.equal(e.status.message, 'resourceVersion should not be set on objects to be created');
    });
  });
});

describe('sim kube: lists', () => {
  it('pages with limit and continue, keeping the first page resourceVersion, and expires old tokens', async () => {
    await withSim(async (sim, c) => {
      for (let i = 0; i < 7; i++) await c.core.createNamespacedService({ namespace: 'default', body: lbService(`s${i}`, 1000 + i) });
      const names: string[] = [];
      let cont: string | undefined;
      let rv: string | undefined;
      let pages = 0;
      do {
        const page = await c.core.listServiceForAllNamespaces({ limit: 3, _continue: cont });
        rv ??= page.metadata?.resourceVersion;
        assert.equal(page.metadata?.resourceVersion, rv);
        names.push(...page.items.map((s) => s.metadata?.name ?? ''));
        cont = page.metadata?._continue;
        pages++;
        if (pages === 1) await c.core.createNamespacedService({ namespace: 'default', body: lbService('zz', 2000) });
      } while (cont);
      assert.equal(pages, 3);
      assert.deepEqual(names, ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 'zz']);
      const first = await c.core.listNamespacedService({ namespace: 'default', limit: 2 });
      sim.control.advance(6 * 60 * 1000);
      const old = await apiError(c.core.listNamespacedService({ namespace: 'default', limit: 2, _continue: first.metadata?._continue }));
      assert.equal(old.code, 410);
      assert.equal(old.status.reason, 'Expired');
      const garbage = await apiError(c.core.listNamespacedService({ namespace: 'default', _continue: 'not-a-token' }));
      assert.equal(garbage.code, 400);
    });
  });

  it('filters by equality and set-based label selectors and by field selectors', async () => {
    await withSim(async (_sim, c) => {
      const mk = (name: string, labels: Record<string, string>): Promise<k8s.V1Service> =>
        c.core.createNamespacedService({ namespace: 'default', body: { metadata: { name, labels }, spec: { ports: [{ port: 80 }] } } });
      await mk('a', { tier: 'web', env: 'prod' });
      await mk('b', { tier: 'db', env: 'prod' });
      await mk('c', { tier: 'web' });
      const names = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
        (await c.core.listNamespacedService({ namespace: 'default', labelSelector, fieldSelector })).items.map((s) => s.metadata?.name ?? '');
      assert.deepEqual(await names('tier=web'), ['a', 'c']);
      assert.deepEqual(await names('tier!=web'), ['b']);
      assert.deepEqual(await names('tier in (web,db),env'), ['a', 'b']);
      assert.deepEqual(await names('env notin (prod)'), ['c']);
      assert.deepEqual(await names('!env'), ['c']);
      assert.deepEqual(await names(undefined, 'metadata.name=b'), ['b']);
      assert.deepEqual(await names('tier=web', 'metadata.name!=a'), ['c']);
      const bad = await apiError(c.core.listNamespacedService({ namespace: 'default', labelSelector: 'tier in web' }));
      assert.equal(bad.code, 400);
      const badField = await apiError(c.core.listNamespacedService({ namespace: 'default', fieldSelector: 'spec.nope=1' }));
      assert.equal(badField.code, 400);
      assert.equal(badField.status.message, 'field label not supported: spec.nope');
    });
  });

  it('lists EndpointSlices set through the control API, by service-name label', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 2);
      await c.core.createNamespacedService({ namespace: 'default', body: lbService('web') });
      sim.control.setEndpoints('default', 'web', [{ nodeName: 'node-0' }, { nodeName: 'node-1', ready: false }]);
      const res = await c.discovery.listEndpointSliceForAllNamespaces({ labelSelector: 'kubernetes.io/service-name=web' });
      assert.equal(res.items.length, 1);
      const eps = res.items[0]?.endpoints ?? [];
      assert.deepEqual(eps.map((e) => [e.nodeName, e.conditions?.ready, e.targetRef?.kind]), [['node-0', true, 'Pod'], ['node-1', false, 'Pod']]);
    });
  });
});

describe('sim kube: status subresource', () => {
  it('writes only status through /status and ignores status on the main resource', async () => {
    await withSim(async (_sim, c) => {
      await c.core.createNamespacedService({ namespace: 'default', body: lbService('web') });
      const svc = await c.core.readNamespacedService({ namespace: 'default', name: 'web' });
      svc.status = { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } };
      svc.spec!.ports![0]!.port = 81;
      svc.metadata!.labels = { sneaky: 'yes' };
      const written = await c.core.replaceNamespacedServiceStatus({ namespace: 'default', name: 'web', body: svc });
      assert.deepEqual(plain(written.status?.loadBalancer?.ingress), [{ ip: '203.0.113.7', ipMode: 'VIP' }]);
      assert.equal(written.spec?.ports?.[0]?.port, 80);
      assert.equal(written.metadata?.labels, undefined);
      const main = await c.core.readNamespacedService({ namespace: 'default', name: 'web' });
      main.status = { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } };
      main.metadata!.labels = { team: 'x' };
      const afterMain = await c.core.replaceNamespacedService({ namespace: 'default', name: 'web', body: main });
      assert.equal(afterMain.metadata?.labels?.team, 'x');
      assert.deepEqual(afterMain.status?.loadBalancer?.ingress?.map((i) => i.ip), ['203.0.113.7']);
      const stale = await apiError(c.core.replaceNamespacedServiceStatus({ namespace: 'default', name: 'web', body: svc }));
      assert.equal(stale.code, 409);
      const patched = await c.core.patchNamespacedServiceStatus({ namespace: 'default', name: 'web', body: { status: { loadBalancer: { ingress: [] } } } }, mergePatch);
      assert.deepEqual(patched.status?.loadBalancer?.ingress ?? [], []);
    });
  });

  it('validates Service status: IPs, ipMode, conditions, and LoadBalancer type', async () => {
    await withSim(async (_sim, c) => {
      await c.core.createNamespacedService({ namespace: 'default', body: lbService('web') });
      await c.core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'plain' }, spec: { ports: [{ port: 80 }] } } });
      const write = (name: string, status: k8s.V1ServiceStatus): Promise<k8s.V1Service> =>
        c.core.patchNamespacedServiceStatus({ namespace: 'default', name, body: { status } }, mergePatch);
      const badIp = await apiError(write('web', { loadBalancer: { ingress: [{ ip: '203.0.113.300' }] } }));
      assert.equal(badIp.code, 422);
      assert.equal(badIp.status.details?.causes?.[0]?.field, 'status.loadBalancer.ingress[0].ip');
      const modeWithoutIp = await apiError(write('web', { loadBalancer: { ingress: [{ hostname: 'lb.example.com', ipMode: 'Proxy' }] } }));
      assert.equal(modeWithoutIp.code, 422);
      assert.equal(modeWithoutIp.status.details?.causes?.[0]?.field, 'status.loadBalancer.ingress[0].ipMode');
      const badMode = await apiError(write('web', { loadBalancer: { ingress: [{ ip: '203.0.113.1', ipMode: 'Magic' }] } }));
      assert.equal(badMode.code, 422);
      const noReason = await apiError(write('web', { conditions: [{ type: 'nodelb.dev/Ready', status: 'True', reason: '', message: '', lastTransitionTime: new Date() }] }));
      assert.equal(noReason.code, 422);
      assert.equal(noReason.status.details?.causes?.[0]?.field, 'status.conditions[0].reason');
      const notLb = await apiError(write('plain', { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } }));
      assert.equal(notLb.code, 422);
      const ok = await write('web', { conditions: [{ type: 'nodelb.dev/Ready', status: 'True', reason: 'Published', message: 'ok', lastTransitionTime: new Date('2025-01-01T00:00:00.123Z') }] });
      assert.equal(ok.status?.conditions?.[0]?.lastTransitionTime?.toISOString(), '2025-01-01T00:00:00.000Z');
    });
  });
});

describe('sim kube: validation', () => {
  it('rejects what the real API server rejects, with 422 Invalid and field causes', async () => {
    await withSim(async (_sim, c) => {
      const longSvc = await apiError(c.core.createNamespacedService({ namespace: 'default', body: lbService('x'.repeat(64)) }));
      assert.equal(longSvc.code, 422);
      assert.equal(longSvc.status.reason, 'Invalid');
      assert.equal(longSvc.status.details?.causes?.[0]?.field, 'metadata.name');
      const longLabel = daemonSet('ok');
      longLabel.metadata!.labels = { 'nodelb.dev/daemonset': 'y'.repeat(64) };
      const labelErr = await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: longLabel }));
      assert.equal(labelErr.code, 422);
      assert.equal(labelErr.status.details?.causes?.[0]?.field, 'metadata.labels');
      const dup = daemonSet('dup');
      dup.spec!.template.spec!.initContainers = [{ name: 'lb-tcp-80', image: 'busybox' }];
      const dupErr = await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: dup }));
      assert.equal(dupErr.code, 422);
      assert.ok(dupErr.status.details?.causes?.some((x) => x.field === 'spec.template.spec.containers[0].name' && x.reason === 'FieldValueDuplicate'));
      const bigPort = daemonSet('big', { port: 80 });
      bigPort.spec!.template.spec!.containers[0]!.ports![0]!.hostPort = 70000;
      const portErr = await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: bigPort }));
      assert.equal(portErr.code, 422);
      assert.equal(portErr.status.details?.causes?.[0]?.field, 'spec.template.spec.containers[0].ports[0].hostPort');
      const twice = daemonSet('twice');
      twice.spec!.template.spec!.containers.push({ name: 'other', image: 'x', ports: [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }] });
      const twiceErr = await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: twice }));
      assert.equal(twiceErr.code, 422);
      assert.match(twiceErr.status.message, /Duplicate value: "TCP\/\/80"/);
      const mismatch = daemonSet('mismatch');
      mismatch.spec!.selector = { matchLabels: { other: 'x' } };
      assert.equal((await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: mismatch }))).code, 422);
      const badEnv = daemonSet('env');
      badEnv.spec!.template.spec!.containers[0]!.env = [{ name: '1BAD', value: 'x' }];
      assert.equal((await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: badEnv }))).code, 422);
      const badStrategy = daemonSet('strategy');
      badStrategy.spec!.updateStrategy = { type: 'Sometimes' };
      assert.equal((await apiError(c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: badStrategy }))).code, 422);
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('immutable') });
      // Re-read: the controller's status write has moved the resourceVersion since the create.
      const created = await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'immutable' });
      created.spec!.selector = { matchLabels: { 'nodelb.dev/daemonset': 'immutable', extra: 'x' } };
      created.spec!.template.metadata!.labels = { ...created.spec!.template.metadata!.labels, extra: 'x' };
      const selErr = await apiError(c.apps.replaceNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'immutable', body: created }));
      assert.equal(selErr.code, 422);
      assert.match(selErr.status.message, /field is immutable/);
    });
  });

  it('fills DaemonSet defaults the way the API server does', async () => {
    await withSim(async (_sim, c) => {
      const ds = await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('defaults') });
      assert.equal(ds.spec?.updateStrategy?.type, 'RollingUpdate');
      assert.equal(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, 1);
      assert.equal(ds.spec?.revisionHistoryLimit, 10);
      const pod = ds.spec?.template.spec;
      assert.equal(pod?.restartPolicy, 'Always');
      assert.equal(pod?.dnsPolicy, 'ClusterFirst');
      assert.equal(pod?.containers[0]?.imagePullPolicy, 'IfNotPresent');
      assert.equal(pod?.containers[0]?.terminationMessagePath, '/dev/termination-log');
      assert.equal(pod?.containers[0]?.env?.[1]?.valueFrom?.fieldRef?.apiVersion, 'v1');
    });
  });

  it('checks that an Event lives in the namespace of its object', async () => {
    await withSim(async (_sim, c) => {
      const event = (ns: string): k8s.CoreV1Event => ({
        metadata: { generateName: 'web.' },
        involvedObject: { kind: 'Service', namespace: ns, name: 'web', apiVersion: 'v1' },
        reason: 'NoNodes',
        message: 'no node can serve',
        type: 'Warning',
      });
      const e = await apiError(c.core.createNamespacedEvent({ namespace: 'nodelb-system', body: event('default') }));
      assert.equal(e.code, 422);
      assert.equal(e.status.details?.causes?.[0]?.field, 'involvedObject.namespace');
      const ok = await c.core.createNamespacedEvent({ namespace: 'default', body: event('default') });
      assert.match(ok.metadata?.name ?? '', /^web\.[a-z0-9]{5}$/);
    });
  });
});

describe('sim kube: DaemonSet controller', () => {
  it('runs one Ready pod per eligible node, pinned like the real controller pins it', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 3, (i) => ({ labels: { pool: i === 2 ? 'b' : 'a' } }));
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('all') });
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('pool-a', { port: 81, nodeSelector: { pool: 'a' } }) });
      const all = await proxyPods(c, 'all');
      assert.deepEqual(all.map((p) => p.spec?.nodeName).sort(), ['node-0', 'node-1', 'node-2']);
      assert.ok(all.every((p) => p.status?.phase === 'Running' && isReady(p)));
      const pod = all.find((p) => p.spec?.nodeName === 'node-1');
      assert.equal(pod?.status?.hostIP, '10.0.0.3');
      assert.deepEqual(plain(pod?.status?.hostIPs), [{ ip: '10.0.0.3' }]);
      assert.equal(pod?.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
      assert.equal(pod?.metadata?.labels?.['nodelb.dev/daemonset'], 'all');
      assert.match(pod?.metadata?.name ?? '', /^all-[2-9b-z]{5}$/);
      assert.deepEqual(pod?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values, ['node-1']);
      const one = await c.core.readNamespacedPod({ namespace: 'nodelb-system', name: pod?.metadata?.name ?? '' });
      assert.equal(one.metadata?.uid, pod?.metadata?.uid);
      assert.deepEqual((await proxyPods(c, 'pool-a')).map((p) => p.spec?.nodeName).sort(), ['node-0', 'node-1']);
      const status = (await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'pool-a' })).status;
      assert.equal(status?.desiredNumberScheduled, 2);
      assert.equal(status?.numberReady, 2);
      assert.equal(status?.observedGeneration, 1);
      const onNode = await c.core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-2' });
      assert.deepEqual(onNode.items.map((p) => p.metadata?.labels?.['nodelb.dev/daemonset']), ['all']);
    });
  });

  it('respects taints and tolerations, and still runs on cordoned nodes', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 3, (i) => (i === 0 ? { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } : i === 1 ? { unschedulable: true } : {}));
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('plain') });
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('tolerant', { port: 81, tolerations: [{ key: 'dedicated', operator: 'Exists' }] }) });
      assert.deepEqual((await proxyPods(c, 'plain')).map((p) => p.spec?.nodeName).sort(), ['node-1', 'node-2']);
      assert.deepEqual((await proxyPods(c, 'tolerant')).map((p) => p.spec?.nodeName).sort(), ['node-0', 'node-1', 'node-2']);
      const cordoned = await c.core.readNode({ name: 'node-1' });
      assert.ok(cordoned.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
      sim.control.updateNode('node-0', { taints: [] });
      assert.equal((await proxyPods(c, 'plain')).length, 3);
    });
  });

  it('leaves a pod Pending when an older pod or a foreign reservation holds its host port', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 2);
      sim.control.setForeignHostPorts('node-1', [{ port: 443 }]);
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('first', { port: 443 }) });
      sim.control.advance(1000);
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('second', { port: 443 }) });
      const first = await proxyPods(c, 'first');
      const byNode = (pods: k8s.V1Pod[], node: string): k8s.V1Pod | undefined => pods.find((p) => p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0] === node);
      assert.equal(byNode(first, 'node-0')?.status?.phase, 'Running');
      const blocked = byNode(first, 'node-1');
      assert.equal(blocked?.status?.phase, 'Pending');
      assert.equal(blocked?.spec?.nodeName, undefined);
      const cond = blocked?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      assert.equal(cond?.status, 'False');
      assert.equal(cond?.reason, 'Unschedulable');
      assert.match(cond?.message ?? '', /didn't have free ports for the requested pod ports/);
      const second = await proxyPods(c, 'second');
      assert.ok(second.every((p) => p.status?.phase === 'Pending' && !isReady(p)));
      const status = (await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'second' })).status;
      assert.equal(status?.desiredNumberScheduled, 2);
      assert.equal(status?.numberReady, 0);
      await c.apps.deleteNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'first' });
      const freed = await proxyPods(c, 'second');
      assert.deepEqual(freed.map((p) => p.status?.phase).sort(), ['Pending', 'Running']);
      sim.control.setForeignHostPorts('node-1', []);
      assert.ok((await proxyPods(c, 'second')).every((p) => p.status?.phase === 'Running'));
    });
  });

  it('marks pods not Ready on a NotReady node or under a readiness override', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 2);
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('r') });
      sim.control.updateNode('node-0', { ready: false });
      let pods = await proxyPods(c, 'r');
      const onZero = pods.find((p) => p.spec?.nodeName === 'node-0');
      assert.equal(onZero?.status?.phase, 'Running');
      assert.equal(isReady(onZero!), false);
      assert.equal(isReady(pods.find((p) => p.spec?.nodeName === 'node-1')!), true);
      // The kept pod on the NotReady node no longer counts as desired, as in updateDaemonSetStatus.
      const counted = (await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'r' })).status;
      assert.deepEqual([counted?.desiredNumberScheduled, counted?.numberMisscheduled, counted?.numberReady], [1, 1, 1]);
      // A DaemonSet created while the node is NotReady gets no pod there (not-ready:NoSchedule).
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('late', { port: 81 }) });
      assert.deepEqual((await proxyPods(c, 'late')).map((p) => p.spec?.nodeName), ['node-1']);
      sim.control.setPodReady('nodelb-system', 'r', 'node-1', false);
      pods = await proxyPods(c, 'r');
      const onOne = pods.find((p) => p.spec?.nodeName === 'node-1');
      assert.equal(isReady(onOne!), false);
      assert.equal(onOne?.status?.containerStatuses?.[0]?.ready, false);
      assert.equal((await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 'r' })).status?.numberReady, 0);
      sim.control.updateNode('node-0', { ready: true });
      sim.control.setPodReady('nodelb-system', 'r', 'node-1', undefined);
      assert.ok((await proxyPods(c, 'r')).every(isReady));
    });
  });

  it('replaces pods on a template change and removes them with their node', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 3);
      await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet('t') });
      const before = (await proxyPods(c, 't')).map((p) => p.metadata?.name).sort();
      await c.apps.replaceNamespacedDaemonSet({ namespace: 'nodelb-system', name: 't', body: daemonSet('t', { image: 'rancher/klipper-lb:v0.4.18' }) });
      const after = await proxyPods(c, 't');
      assert.equal(after.length, 3);
      assert.ok(after.every((p) => !before.includes(p.metadata?.name) && p.spec?.containers[0]?.image === 'rancher/klipper-lb:v0.4.18'));
      assert.ok(after.every((p) => p.metadata?.labels?.['pod-template-generation'] === '2'));
      sim.control.deleteNode('node-2');
      assert.deepEqual((await proxyPods(c, 't')).map((p) => p.spec?.nodeName).sort(), ['node-0', 'node-1']);
      assert.equal((await c.apps.readNamespacedDaemonSet({ namespace: 'nodelb-system', name: 't' })).status?.desiredNumberScheduled, 2);
    });
  });

  it('pages through pods in name order without loss or repetition', async () => {
    await withSim(async (sim, c) => {
      addNodes(sim, 7);
      for (const [i, n] of ['a', 'b', 'c'].entries()) await c.apps.createNamespacedDaemonSet({ namespace: 'nodelb-system', body: daemonSet(n, { port: 80 + i }) });
      const names: string[] = [];
      let cont: string | undefined;
      do {
        const page = await c.core.listNamespacedPod({ namespace: 'nodelb-system', limit: 4, _continue: cont });
        names.push(...page.items.map((p) => p.metadata?.name ?? ''));
        cont = page.metadata?._continue;
      } while (cont);
      assert.equal(names.length, 21);
      assert.equal(new Set(names).size, 21);
      assert.deepEqual(names, [...names].sort());
    });
  });
});

describe('sim kube: namespaces', () => {
  it('forbids new content in a terminating namespace with the real message', async () => {
    await withSim(async (sim, c) => {
      sim.control.addNamespace('doomed');
      await c.core.deleteNamespace({ name: 'doomed' });
      const ns = await c.core.readNamespace({ name: 'doomed' });
      assert.equal(ns.status?.phase, 'Terminating');
      const e = await apiError(
        c.core.createNamespacedEvent({ namespace: 'doomed', body: { metadata: { name: 'x.1' }, involvedObject: { kind: 'Service', namespace: 'doomed', name: 'x' }, reason: 'R', message: 'm' } }),
      );
      assert.equal(e.code, 403);
      assert.equal(e.status.reason, 'Forbidden');
      assert.equal(e.status.message, 'events "x.1" is forbidden: unable to create new content in namespace doomed because it is being terminated');
      sim.control.deleteNamespace('doomed');
      assert.equal((await apiError(c.core.readNamespace({ name: 'doomed' }))).code, 404);
    });
  });
});

describe('sim kube: faults', () => {
  it('answers an injected 429 with Retry-After, and empty lists on request', async () => {
    await withSim(async (sim, c) => {
      sim.faults.add({ api: 'kube', method: 'GET', path: '/api/v1/services', status: 429, retryAfterSeconds: 3 });
      const e = await apiError(c.core.listServiceForAllNamespaces());
      assert.equal(e.code, 429);
      assert.equal(e.status.reason, 'TooManyRequests');
      assert.equal(e.headers['retry-after'], '3');
      assert.equal(e.status.details?.retryAfterSeconds, 3);
      assert.equal((await c.core.listServiceForAllNamespaces()).items.length, 0);
      await c.core.createNamespacedService({ namespace: 'default', body: lbService('web') });
      sim.faults.add({ api: 'kube', path: '/api/v1/services', emptyList: true });
      assert.equal((await c.core.listServiceForAllNamespaces()).items.length, 0);
      assert.equal((await c.core.listServiceForAllNamespaces()).items.length, 1);
      const recorded = sim.faults.calls.filter((x) => x.path === '/api/v1/services');
      assert.deepEqual(recorded.map((x) => [x.status, x.fault ?? '']), [[429, 'status 429'], [200, ''], [200, 'emptyList'], [200, '']]);
    });
  });

  it('drops connections (a network error for the client) and crashes after k writes', async () => {
    await withSim(async (sim, c) => {
      sim.faults.add({ api: 'kube', method: 'POST', drop: true });
      await assert.rejects(c.core.createNamespacedService({ namespace: 'default', body: lbService('lost') }), (err: unknown) => !(err instanceof k8s.ApiException));
      assert.equal(sim.control.get('services', 'default', 'lost'), undefined);
      sim.faults.crashAfterWrites(2);
      await c.core.createNamespacedService({ namespace: 'default', body: lbService('one', 81) });
      await c.core.createNamespacedService({ namespace: 'default', body: lbService('two', 82) });
      await assert.rejects(c.core.createNamespacedService({ namespace: 'default', body: lbService('three', 83) }));
      await assert.rejects(c.core.listNamespacedService({ namespace: 'default' }));
      assert.deepEqual(sim.control.list('services', 'default').map((s) => s.metadata.name), ['one', 'two']);
      sim.faults.clear();
      assert.equal((await c.core.listNamespacedService({ namespace: 'default' })).items.length, 2);
      assert.equal(sim.faults.calls.filter((x) => x.status === 0).length, 3);
    });
  });
});

describe('sim kube: composed GKE', () => {
  it('keeps Node and GCE instance in step, writes a usable kubeconfig, and seeds worlds', async () => {
    const gke = await startSimulatedGke({ seed: 3 });
    try {
      const world = seedWorld(gke, { nodes: 6, services: 2 });
      assert.equal(world.nodes.length, 6);
      assert.equal(new Set(world.externalIPs.values()).size, 6);
      const path = gke.writeKubeconfig(mkdtempSync(join(tmpdir(), 'sim-kube-')));
      assert.match(readFileSync(path, 'utf8'), /certificate-authority-data: /);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(path);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const nodes = await core.listNode();
      assert.equal(nodes.items.length, 6);
      const first = world.nodes[0] ?? '';
      assert.equal(nodes.items.find((n) => n.metadata?.name === first)?.spec?.providerID?.startsWith(`gce://${gke.project}/`), true);
      const svcs = await core.listServiceForAllNamespaces({ fieldSelector: 'spec.type=LoadBalancer' });
      assert.deepEqual(svcs.items.map((s) => [s.spec?.loadBalancerClass, s.spec?.ports?.[0]?.port]), [['nodelb.dev/node-ip', 8000], ['nodelb.dev/node-ip', 8001]]);
      gke.setExternalIP(first, '192.0.2.99', { nodeLags: true });
      const inst = gke.gce.listInstances(gke.project).find((i) => i.name === first);
      assert.equal(inst?.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP, '192.0.2.99');
      const lagging = await core.readNode({ name: first });
      assert.equal(lagging.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address, world.externalIPs.get(first));
      gke.setExternalIP(first, '192.0.2.99');
      const caught = await core.readNode({ name: first });
      assert.equal(caught.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address, '192.0.2.99');
      gke.removeNode(first);
      assert.equal((await core.listNode()).items.length, 5);
      assert.equal(gke.gce.listInstances(gke.project).some((i) => i.name === first), false);
      assert.equal(gke.nodeTag, 'gke-demo-1a2b3c4d-node');
    } finally {
      await gke.close();
    }
  });
});
