// Turns the fault proxy's and the Google sims' call log into what authorisation sees: Kubernetes RBAC requests
// (verb, group, resource, subresource, namespace, name) and GCP IAM permissions, and evaluates
// manifests/rbac.yaml the way the RBAC authoriser does. Pure apart from reading the manifest.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { CallRecord } from '../sim/faults.ts';

export interface KubeAccess {
  verb: string;
  group: string; // '' for core
  resource: string;
  subresource: string; // '' when none
  namespace: string; // '' for cluster-scoped and all-namespace requests
  name: string; // '' for collections
}

/** HTTP method + API path → the request RBAC authorises (k8s.io/apiserver RequestInfo rules). */
export function kubeAccess(method: string, path: string, query = ''): KubeAccess {
  const parts = path.split('/').filter((p) => p !== '');
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else {
    throw new Error(`not a Kubernetes resource path: ${path}`);
  }
  let namespace = '';
  // /namespaces/NS/RESOURCE… is namespaced; /namespaces and /namespaces/NS are the Namespace objects.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = rest;
  const watch = /(^|&)watch=(true|1)(&|$)/.test(query);
  const verb = (() => {
    switch (method) {
      case 'GET':
        return name ? 'get' : watch ? 'watch' : 'list';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return name ? 'delete' : 'deletecollection';
      default:
        throw new Error(`unexpected method ${method}`);
    }
  })();
  return { verb, group, resource, subresource, namespace, name };
}

export const accessKey = (a: KubeAccess): string =>
  `${a.verb} ${a.group || 'core'}/${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}`;

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** One rule as granted to the subject: cluster-wide (ClusterRole via ClusterRoleBinding) or in
 *  one namespace (Role via RoleBinding). */
export interface Grant {
  from: string; // "ClusterRole/nodelb rule 2"
  namespace?: string;
  rule: PolicyRule;
}

interface K8sDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; apiGroup?: string; namespace?: string }[];
}

/** The rules bound to `user` by the manifest's bindings. */
export function grantsFor(manifestPath: string | URL, user: string): Grant[] {
  const docs = parseAllDocuments(readFileSync(manifestPath, 'utf8')).map((d) => d.toJS() as K8sDoc);
  const roles = new Map(docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role').map((d) => [`${d.kind}/${d.metadata?.namespace ?? ''}/${d.metadata?.name}`, d]));
  const grants: Grant[] = [];
  for (const b of docs) {
    if (b.kind !== 'ClusterRoleBinding' && b.kind !== 'RoleBinding') continue;
    if (!b.subjects?.some((s) => s.kind === 'User' && s.name === user)) continue;
    const ns = b.kind === 'RoleBinding' ? (b.metadata?.namespace ?? '') : '';
    const ref = b.roleRef!;
    const role = roles.get(`${ref.kind}/${ref.kind === 'Role' ? ns : ''}/${ref.name}`);
    if (!role) throw new Error(`${b.kind} ${b.metadata?.name} refers to a missing ${ref.kind} ${ref.name}`);
    (role.rules ?? []).forEach((rule, i) =>
      grants.push({ from: `${ref.kind}/${ref.name} rule ${i + 1}`, ...(b.kind === 'RoleBinding' ? { namespace: ns } : {}), rule }),
    );
  }
  return grants;
}

const has = (list: readonly string[] | undefined, v: string) => (list ?? []).includes('*') || (list ?? []).includes(v);

/** Does this grant authorise the request? (rbac/v1 semantics: group, resource[/subresource],
 *  verb, resourceNames, and the RoleBinding's namespace.) */
export function grantAllows(g: Grant, a: KubeAccess): boolean {
  if (g.namespace !== undefined && g.namespace !== a.namespace) return false;
  if (!has(g.rule.apiGroups, a.group)) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!has(g.rule.resources, res)) return false;
  if (!has(g.rule.verbs, a.verb)) return false;
  const names = g.rule.resourceNames ?? [];
  if (names.length > 0 && !names.includes(a.name)) return false;
  return true;
}

/** The IAM permissions a Compute or Container REST call needs (the methods' documented
 *  permissions; firewall writes also need networks.updatePolicy on the rule's network). */
export function iamPermissions(call: Pick<CallRecord, 'api' | 'method' | 'path'>): string[] {
  const { api, method, path } = call;
  if (api === 'container') {
    if (method === 'GET' && /\/projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+$/.test(path)) return ['container.clusters.get'];
  } else if (api === 'compute') {
    if (method === 'GET' && /\/projects\/[^/]+\/aggregated\/instances$/.test(path)) return ['compute.instances.list'];
    if (method === 'GET' && /\/projects\/[^/]+\/zones\/[^/]+\/instances$/.test(path)) return ['compute.instances.list'];
    if (method === 'GET' && /\/projects\/[^/]+\/zones\/[^/]+\/instances\/[^/]+$/.test(path)) return ['compute.instances.get'];
    if (method === 'GET' && /\/projects\/[^/]+\/global\/firewalls$/.test(path)) return ['compute.firewalls.list'];
    if (method === 'GET' && /\/projects\/[^/]+\/global\/firewalls\/[^/]+$/.test(path)) return ['compute.firewalls.get'];
    if (method === 'POST' && /\/projects\/[^/]+\/global\/firewalls$/.test(path)) return ['compute.firewalls.create', 'compute.networks.updatePolicy'];
    if ((method === 'PATCH' || method === 'PUT') && /\/projects\/[^/]+\/global\/firewalls\/[^/]+$/.test(path))
      return ['compute.firewalls.update', 'compute.networks.updatePolicy'];
    if (method === 'DELETE' && /\/projects\/[^/]+\/global\/firewalls\/[^/]+$/.test(path)) return ['compute.firewalls.delete', 'compute.networks.updatePolicy'];
    if (/\/projects\/[^/]+\/global\/operations\/[^/]+(\/wait)?$/.test(path)) return ['compute.globalOperations.get'];
  }
  throw new Error(`no IAM mapping for ${api} ${method} ${path}`);
}
