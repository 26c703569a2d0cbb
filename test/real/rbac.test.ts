// RBAC for real: the API server's own authorizer evaluates manifests/. nodelb's identity (a
// static token for its Google service account's email) can do nothing until manifests/ binds
// it; with the binding a full sync succeeds; with any one verb removed, a sync that needs it
// fails with an error naming the verb and resource, and the fix text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { PROXY_NS, startRealWorld, type RealWorld } from '../cluster/world.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';

let w: RealWorld;
let round = 0;

before(async () => {
  w = await startRealWorld({ bind: false });
  for (let i = 1; i <= 2; i++) await w.gke.addNode({ name: `node-${i}`, externalIP: `34.0.1.${i}` });
});
after(() => w?.close());

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

function docs(yaml: string): Doc[] {
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Doc);
}

function everything(r: ClusterReport): string {
  return JSON.stringify({ errors: r.errors, results: r.results.filter((x) => x.outcome !== 'applied'), prerequisites: r.prerequisites });
}

function canI(verb: string, resource: string, namespace?: string): boolean {
  try {
    const [res, sub] = resource.split('/');
    const args = ['auth', 'can-i', verb, res ?? resource, ...(sub ? [`--subresource=${sub}`] : []), '--as', w.gke.nodelbUser];
    const out = w.kubectl([...args, ...(namespace ? ['-n', namespace] : ['--all-namespaces'])]);
    return out.trim() === 'yes';
  } catch {
    return false; // kubectl exits 1 for "no"
  }
}

/**
 * A world where one sync needs every verb: a new Service (create DaemonSet, write status, Event),
 * the keeper's DaemonSet drifted and its first update answered 409 (update, then get to re-read),
 * an orphaned DaemonSet (get the Service to confirm it is gone, delete), a Local Service (slices).
 */
async function arrangeEveryVerb(): Promise<void> {
  round++;
  if (round === 1) {
    await w.addService('keeper', { ports: [{ port: 6000 }] });
    await w.addService('keeper-local', { ports: [{ port: 6001 }], policy: 'Local' });
    await w.addBackends('keeper-local', ['node-1']);
  }
  await w.addService(`fresh-${round}`, { ports: [{ port: 7000 + round }] });
  const keeper = (await w.daemonSets()).find((d) => d.metadata.labels?.['nodelb.dev/service-name'] === 'keeper');
  if (keeper) {
    keeper.spec.template.spec.containers[0].image = `example.invalid/drift:${round}`;
    await w.gke.admin.put(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets/${keeper.metadata.name}`, keeper);
    w.gke.faults.add({ api: 'kube', method: 'PUT', path: `/daemonsets/${keeper.metadata.name}`, status: 409, reason: 'Conflict', times: 1 });
  }
  if (round > 1) await w.gke.admin.delete(`/api/v1/namespaces/default/services/fresh-${round - 1}`);
}

test('without the binding nodelb can read nothing, and says which permission is missing', async () => {
  const r = await w.sync('gke');
  assert.ok(r.errors.length > 0 || r.prerequisites.length > 0, everything(r));
  assert.match(everything(r), /grant the function's identity \\?"list\\?" on \\?"services\\?"/);
  assert.match(everything(r), /kubectl apply -k manifests\//);
});

test('with manifests/ applied, a full sync succeeds with only that identity', async () => {
  w.applyManifests();
  await w.waitFor('RBAC to allow listing services', async () => canI('list', 'services'));
  await arrangeEveryVerb();
  let r = await w.sync('gke');
  assert.deepEqual(r.errors, [], everything(r));
  r = await w.sync('gke'); // publish once the new proxies are Ready
  assert.deepEqual(r.errors, [], everything(r));
  assert.ok((await w.ingress(`fresh-${round}`)).length > 0, everything(r));
  assert.deepEqual(w.gke.proxy.bearers, [w.gke.token], 'every Kubernetes request of nodelb carried its own token');
});

test('removing any one verb of manifests/rbac.yaml fails a sync that needs it, naming the verb and resource', async () => {
  const full = w.manifestsYaml();
  const roles = docs(full).filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
  const cases: { role: Doc; rule: number; verb: string; resource: string }[] = [];
  for (const role of roles)
    (role.rules ?? []).forEach((rule, i) => {
      for (const verb of rule.verbs) for (const resource of rule.resources) cases.push({ role, rule: i, verb, resource });
    });
  assert.ok(cases.length >= 10, `found ${cases.length} verb/resource pairs`);
  const missed: string[] = [];
  for (const c of cases) {
    const cut: Doc = structuredClone(c.role);
    const rule = cut.rules?.[c.rule];
    assert.ok(rule);
    rule.verbs = rule.verbs.filter((v) => v !== c.verb);
    if (rule.resources.length > 1) throw new Error('one resource per rule keeps this test exact');
    if (rule.verbs.length === 0) cut.rules = cut.rules?.filter((_, i) => i !== c.rule);
    w.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', ...cut }));
    const ns = c.role.kind === 'Role' ? c.role.metadata.namespace : undefined;
    await w.waitFor(`RBAC to deny ${c.verb} ${c.resource}`, async () => !canI(c.verb, c.resource, ns));

    await arrangeEveryVerb();
    const r = await w.sync('gke');
    const text = everything(r);
    const named = new RegExp(`\\\\"${c.verb}\\\\" on \\\\"${c.resource.replace('/', '\\/')}\\\\"`).test(text);
    if (!named || r.ok) missed.push(`${c.verb} ${c.resource}: ok=${r.ok} ${text.slice(0, 400)}`);

    w.kubectl(['apply', '-f', '-'], full);
    await w.waitFor(`RBAC to allow ${c.verb} ${c.resource} again`, async () => canI(c.verb, c.resource, ns));
    w.gke.faults.clear();
    const again = await w.sync('gke');
    assert.deepEqual(again.errors, [], `after restoring ${c.verb} ${c.resource}: ${everything(again)}`);
  }
  assert.deepEqual(missed, [], 'each removed verb must fail the sync and be named');
});
