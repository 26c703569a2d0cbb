// Least privilege, checked against what the code really calls: a full life (cold sync, steady
// sync, a proxy pod not Ready, a change with write conflicts, a deletion, a GCE event) through the
// Functions Framework against the real API server with only manifests/' rights; every Kubernetes
// request in the proxy's call log must be allowed by the real authorizer and by our reading of
// manifests/rbac.yaml, and every rule there must be used; every Compute/Container request maps to
// IAM permissions that must equal the custom role in infra/ (plus clusters.connect, which the DNS
// endpoint checks at Google's front end, outside any call we make).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';
import '../../functions/index.ts';
import type { RunReport } from '../../functions/runtime/report.ts';
import type { CallRecord } from '../sim/faults.ts';
import { loadLogEntry, retargetGce } from '../fixtures/events.ts';
import { accessKey, grantAllows, grantsFor, iamPermissions, kubeAccess, type KubeAccess } from './access.ts';
import { cloudEventRequest, envelopeOf, serve, startFunctionWorld } from './function_world.ts';

const RBAC = new URL('../../manifests/rbac.yaml', import.meta.url);
const IAM_TF = new URL('../../infra/terraform/iam.tf', import.meta.url);
const USER = 'nodelb@PROJECT_ID.iam.gserviceaccount.com'; // the placeholder kustomize replaces

test('the calls of a full sync life are exactly what RBAC and the IAM role grant', async (t) => {
  const w = await startFunctionWorld(['192.0.2.31', '192.0.2.32', '192.0.2.33']);
  const http = await serve('nodelbHttp');
  const events = await serve('nodelbEvent');
  t.after(async () => {
    await http.close();
    await events.close();
    await w.close();
  });
  const { gke, world } = w;
  const log: CallRecord[] = [];
  const step = async (what: string, run: () => Promise<void>) => {
    gke.faults.resetCalls();
    await run();
    log.push(...gke.faults.calls);
    assert.ok(gke.faults.calls.length > 0, `${what} made calls`);
  };
  const sync = async (what: string) => {
    const res = await http.agent.get('/');
    const report = res.body as RunReport;
    assert.equal(res.status, 200, `${what}: ${JSON.stringify(report.clusters?.[0]?.errors)}`);
    assert.equal(report.ok, true, `${what}: ${JSON.stringify(report.clusters?.[0]?.results.filter((r) => r.outcome === 'failed'))}`);
  };

  // Cold: one Service per traffic policy, in two namespaces (Local makes the sync read EndpointSlices).
  await w.addService('web', [80]);
  await world.addService('local', { namespace: 'shop', ports: [{ port: 9000 }], policy: 'Local' });
  await step('cold sync', () => sync('cold sync'));
  await step('steady sync', () => sync('steady sync'));
  // A proxy pod that is not Ready: its DaemonSet's status proves nothing, so its pods are listed.
  await step('proxy pod not Ready', async () => {
    const ds = (await world.daemonSets())[0]?.metadata.name ?? '';
    await gke.kubelets.holdPods(w.nodes[1]!, ds, 'not-ready');
    await world.waitFor('the real controller to count the pod not Ready', async () => {
      const d = (await world.daemonSets()).find((x) => x.metadata.name === ds);
      return d?.status?.numberReady === d?.status?.desiredNumberScheduled - 1;
    });
    await sync('proxy pod not Ready');
    await gke.kubelets.holdPods(w.nodes[1]!, ds, undefined);
  });
  // A change, with the write conflicts concurrent runs cause (the code re-reads by name).
  await step('change with conflicts', async () => {
    const svc = await world.service('web');
    assert.ok(svc);
    svc.spec.ports = [...svc.spec.ports, { name: 'p81', port: 81, protocol: 'TCP', targetPort: 81 }];
    await gke.admin.put('/api/v1/namespaces/default/services/web', svc);
    gke.faults.add({ api: 'kube', method: 'PUT', path: /\/daemonsets\//, status: 409, reason: 'Conflict', times: 1 });
    gke.faults.add({ api: 'kube', method: 'PUT', path: /\/services\/[^/]+\/status$/, status: 409, reason: 'Conflict', times: 1 });
    try {
      await sync('change');
    } finally {
      gke.faults.clear();
    }
  });
  await step('deletion', async () => {
    await world.deleteService('web');
    await sync('deletion');
  });
  await step('GCE event', async () => {
    const node = w.nodes[0]!;
    const entry = retargetGce(loadLogEntry('gce-preempted'), { project: gke.project, zone: w.zoneOf.get(node)!, instance: node });
    const res = await cloudEventRequest(events.agent, envelopeOf(entry));
    assert.equal(res.status, 204, res.text);
  });

  const kubeCalls = log.filter((c) => c.api === 'kube');
  const accesses = new Map<string, KubeAccess>();
  for (const c of kubeCalls) {
    const a = kubeAccess(c.method, c.path, c.query);
    accesses.set(`${accessKey(a)}${a.name ? ` ${a.name}` : ''}`, a);
  }

  await t.test('the real authorizer refused nothing', () => {
    assert.deepEqual(kubeCalls.filter((c) => c.status === 403).map((c) => `${c.method} ${c.path}`), []);
  });

  await t.test('every Kubernetes request is allowed by manifests/rbac.yaml', () => {
    const grants = grantsFor(RBAC, USER);
    assert.ok(grants.length > 0);
    const denied = [...accesses.entries()].filter(([, a]) => !grants.some((g) => grantAllows(g, a))).map(([k]) => k);
    assert.deepEqual(denied, []);
  });

  await t.test('every RBAC rule, resource and verb is used by some request (nothing more than needed)', () => {
    const grants = grantsFor(RBAC, USER);
    const unused: string[] = [];
    for (const g of grants) {
      for (const resource of g.rule.resources) {
        const [res = '', sub = ''] = resource.split('/');
        for (const verb of g.rule.verbs) {
          const used = [...accesses.values()].some(
            (a) => a.verb === verb && a.resource === res && a.subresource === sub && g.rule.apiGroups.includes(a.group) && grantAllows(g, a),
          );
          if (!used) unused.push(`${g.from}: ${verb} ${resource}`);
        }
      }
    }
    assert.deepEqual(unused, []);
  });

  await t.test('the verbs used, for the record', () => {
    const summary = [...new Set([...accesses.values()].map((a) => accessKey({ ...a, namespace: a.namespace === 'nodelb-system' ? a.namespace : a.namespace ? '(service namespace)' : '' })))].sort();
    t.diagnostic(summary.join('\n'));
    // The shape the manifests document: reads are lists (bulk), gets only to confirm, one write path per kind.
    assert.ok(summary.includes('list core/services'));
    assert.ok(summary.includes('update core/services/status in (service namespace)'));
    assert.ok(summary.includes('create core/events in (service namespace)'));
    assert.ok(!summary.some((s) => s.startsWith('patch ') || s.startsWith('watch ')));
  });

  await t.test('the IAM custom role is exactly the permissions the Compute and Container calls need', async () => {
    const needed = new Set<string>(['container.clusters.connect']);
    for (const c of log.filter((x) => x.api !== 'kube')) for (const p of iamPermissions(c)) needed.add(p);
    const tf = (await parse('iam.tf', readFileSync(IAM_TF, 'utf8'))) as { locals: Record<string, unknown>[] };
    const role = tf.locals.find((l) => 'sync_permissions' in l)?.sync_permissions as string[];
    assert.deepEqual([...needed].sort(), [...role].sort());
  });
});
