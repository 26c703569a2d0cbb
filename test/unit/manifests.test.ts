// manifests/: the namespace admits the proxies (Pod Security "privileged"), the RBAC is bound to
// the function's Google service account, and the kustomization's patches (applied here the way
// kustomize applies JSON 6902 patches) put the configured email into both bindings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';

const DIR = new URL('../../manifests/', import.meta.url);
const PLACEHOLDER = 'nodelb@PROJECT_ID.iam.gserviceaccount.com';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

const load = (file: string): Doc[] => parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((d) => d.toJS() as Doc);

interface Kustomization {
  resources: string[];
  patches: { target: { group?: string; kind: string; name: string }; patch: string }[];
}

/** kustomize build, for what this kustomization uses: resources + JSON 6902 `replace` patches. */
function render(k: Kustomization): Doc[] {
  const docs = k.resources.flatMap(load);
  for (const p of k.patches) {
    const targets = docs.filter((d) => d.kind === p.target.kind && d.metadata.name === p.target.name && (!p.target.group || d.apiVersion.startsWith(`${p.target.group}/`)));
    assert.equal(targets.length, 1, `patch target ${p.target.kind}/${p.target.name} matches one resource`);
    for (const op of parse(p.patch) as { op: string; path: string; value: unknown }[]) {
      assert.equal(op.op, 'replace');
      const keys = op.path.split('/').slice(1);
      let cur: unknown = targets[0];
      for (const key of keys.slice(0, -1)) cur = (cur as Record<string, unknown>)[key];
      const last = keys.at(-1)!;
      assert.ok(cur && typeof cur === 'object' && last in cur, `${op.path} exists (replace needs it)`);
      (cur as Record<string, unknown>)[last] = op.value;
    }
  }
  return docs;
}

const kustomization = () => parse(readFileSync(new URL('kustomization.yaml', DIR), 'utf8')) as Kustomization;

test('the namespace enforces, audits and warns at Pod Security "privileged"', () => {
  const [ns, ...rest] = load('namespace.yaml');
  assert.equal(rest.length, 0);
  assert.equal(ns?.kind, 'Namespace');
  assert.equal(ns?.metadata.name, 'nodelb-system');
  for (const mode of ['enforce', 'audit', 'warn']) assert.equal(ns?.metadata.labels?.[`pod-security.kubernetes.io/${mode}`], 'privileged', mode);
});

test('RBAC: a ClusterRole and a Role in nodelb-system, each bound to the service account as a User', () => {
  const docs = load('rbac.yaml');
  assert.deepEqual(docs.map((d) => d.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  for (const d of docs) assert.equal(d.apiVersion, 'rbac.authorization.k8s.io/v1');
  const role = docs.find((d) => d.kind === 'Role')!;
  assert.equal(role.metadata.namespace, 'nodelb-system');
  for (const b of docs.filter((d) => d.kind.endsWith('Binding'))) {
    const subjects = b.subjects as { kind: string; name: string; apiGroup: string }[];
    assert.deepEqual(subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: PLACEHOLDER }]);
    const ref = b.roleRef as { kind: string; name: string };
    assert.equal(ref.kind, b.kind === 'RoleBinding' ? 'Role' : 'ClusterRole');
    assert.equal(ref.name, 'nodelb');
  }
  assert.equal(docs.find((d) => d.kind === 'RoleBinding')!.metadata.namespace, 'nodelb-system');
  // Nothing that reads secrets or execs into pods, nothing that writes Service specs or nodes.
  const text = readFileSync(new URL('rbac.yaml', DIR), 'utf8');
  for (const forbidden of ['secrets', 'pods/exec', '"*"', 'escalate', 'bind', 'impersonate']) assert.ok(!text.includes(forbidden), forbidden);
});

test('kustomization: both files, and one email (sed step) lands in both bindings', () => {
  const k = kustomization();
  assert.deepEqual(k.resources, ['namespace.yaml', 'rbac.yaml']);
  const raw = readFileSync(new URL('kustomization.yaml', DIR), 'utf8');
  const email = 'nodelb@my-project.iam.gserviceaccount.com';
  // The documented step: sed the placeholder in kustomization.yaml.
  const edited = parse(raw.replaceAll(PLACEHOLDER, email)) as Kustomization;
  const docs = render(edited);
  const bindings = docs.filter((d) => d.kind.endsWith('Binding'));
  assert.equal(bindings.length, 2);
  for (const b of bindings) assert.equal((b.subjects as { name: string }[])[0]!.name, email);
  assert.ok(raw.includes(`s/${PLACEHOLDER}/`), 'the sed step is documented in the file');
  // Unedited, the output binds the placeholder (an account that cannot exist: harmless).
  for (const b of render(k).filter((d) => d.kind.endsWith('Binding'))) assert.equal((b.subjects as { name: string }[])[0]!.name, PLACEHOLDER);
});
