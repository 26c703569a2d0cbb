// KubeApi, the one Kubernetes client of both modes: plain REST over kube_http.ts with the
// credentials of either (kube_credentials.ts), client-node used for its types only. Lists go
// one page at a time (limit/continue); each item is parsed on its own as the page streams in
// (json_items.ts) and folded at once: nodes and proxy pods into views, Services' equal ingress
// entries shared. Objects returned are revived to their declared types (kube_revive.ts). Every
// request is counted. Does I/O.
//
// Why REST, not client-node's API classes: importing client-node costs ~85 MiB of resident
// memory and ~0.4 s, a third of a 256 MiB function before it has read anything; the calls a
// sync makes are a dozen plain requests. Why item by item, not JSON.parse of a page: measured
// by bench/list_parse.ts (README, "Dependencies, and why").
import type { CoreV1Event, V1DaemonSet, V1EndpointSlice, V1LoadBalancerIngress, V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ProxyPodView } from '../core/model.ts';
import type { KubeApi } from './apis.ts';
import type { CallCounter } from '../platform/calls.ts';
import type { KubeCredentials } from './kube_credentials.ts';
import { isAlreadyExists, isNotFound, kubeError, type KubeOp } from './kube_errors.ts';
import { drain, kubeHttp, readText, type Query } from './kube_http.ts';
import { reviveDaemonSet, reviveEndpointSlice, reviveNamespace, reviveNode, reviveService } from './kube_revive.ts';
import { JsonListSplitter } from './json_items.ts';
import { objectIds as ids, toNodeView, toProxyPodView } from './kube_views.ts';

/** Items per page of every list. */
export const PAGE_SIZE = 500;
/** Proxy pods per page. Items are parsed one by one, so a bigger page costs no memory; it saves
 *  round trips, one page at a time: a 100 000-pod list takes 50 instead of 200. */
export const POD_PAGE_SIZE = 2000;

export interface RestKubeApiOptions {
  credentials: KubeCredentials;
  counter: CallCounter;
  pageSize?: number; // default PAGE_SIZE
  podPageSize?: number; // default POD_PAGE_SIZE
  /** Per request (each page of a list): a hung API server becomes a retryable timeout instead
   *  of a sync that waits until the function is killed. Default 60 s, as for Compute. */
  requestTimeoutMs?: number;
}

interface ListEnvelope {
  metadata?: { continue?: string };
}

// eslint-disable-next-line max-lines-per-function -- one short method per Kubernetes call (13), sharing the HTTP client, page sizes and counter
export function createRestKubeApi(opts: RestKubeApiOptions): KubeApi {
  const server = opts.credentials.server;
  const http = kubeHttp(opts.credentials);
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const limit = String(opts.pageSize ?? PAGE_SIZE);
  const podLimit = String(opts.podPageSize ?? POD_PAGE_SIZE);
  const counter = opts.counter;

  /** One request; its answer parsed, or drained and dropped ('discard'). */
  async function call<T>(op: KubeOp, write: boolean, method: string, path: string, o: { query?: Query; body?: unknown; answer?: 'parse' | 'discard' } = {}): Promise<T> {
    if (write) counter.write('kube');
    else counter.read('kube');
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await http({ method, path, query: o.query, body: o.body, signal });
      if (o.answer === 'discard') {
        await drain(res);
        return undefined as T;
      }
      const t = await readText(res);
      return (t === '' ? {} : JSON.parse(t)) as T;
    } catch (e) {
      throw kubeError(signal.aborted ? signal.reason : e, op, server);
    }
  }

  /** Lists page by page; each item is parsed alone as its bytes arrive and folded at once, so
   *  neither a page's text nor its objects are ever held whole. */
  async function listAll<T, R>(op: KubeOp, path: string, query: Query, fold: (item: T) => R, pageSize = limit): Promise<R[]> {
    const out: R[] = [];
    let cont: string | undefined;
    do {
      counter.read('kube');
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const res = await http({ method: 'GET', path, query: { ...query, limit: pageSize, continue: cont }, signal });
        const splitter = new JsonListSplitter((bytes) => out.push(fold(JSON.parse(bytes.toString('utf8')) as T)));
        for await (const chunk of res) splitter.push(chunk as Buffer);
        cont = splitter.end<ListEnvelope>().metadata?.continue || undefined; // end() throws on a body cut short
      } catch (e) {
        throw kubeError(signal.aborted ? signal.reason : e, op, server);
      }
    } while (cont);
    return out;
  }

  const ns = (namespace: string) => encodeURIComponent(namespace);
  const daemonSets = (namespace: string) => `/apis/apps/v1/namespaces/${ns(namespace)}/daemonsets`;
  const dsOp = (verb: string, namespace: string, name: string): KubeOp => ({ op: `${verb} daemonset ${namespace}/${name}`, verb, resource: 'daemonsets', group: 'apps', namespace });

  return {
    listServices: () => {
      const shared = new Map<string, V1LoadBalancerIngress>();
      return listAll({ op: 'list services', verb: 'list', resource: 'services' }, '/api/v1/services', {}, (s: V1Service) => shareIngress(reviveService(s), shared));
    },
    listNamespaces: () => listAll({ op: 'list namespaces', verb: 'list', resource: 'namespaces' }, '/api/v1/namespaces', {}, (n: V1Namespace) => reviveNamespace(n)),
    listNodes: () => listAll({ op: 'list nodes', verb: 'list', resource: 'nodes' }, '/api/v1/nodes', {}, (n: V1Node) => toNodeView(reviveNode(n))),
    listDaemonSets: (namespace, labelSelector) =>
      listAll({ op: `list daemonsets in ${namespace}`, verb: 'list', resource: 'daemonsets', group: 'apps', namespace }, daemonSets(namespace), { labelSelector }, (d: V1DaemonSet) =>
        reviveDaemonSet(d),
      ),
    listEndpointSlices: () =>
      listAll({ op: 'list endpointslices', verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' }, '/apis/discovery.k8s.io/v1/endpointslices', {}, (e: V1EndpointSlice) =>
        reviveEndpointSlice(e),
      ),
    // Proxy pods can number Services × nodes (a million at 1000 × 1000): each becomes a compact
    // view whose strings are shared, so a million views hold a few thousand names.
    listProxyPods: (namespace, labelSelector) => {
      const strings = new Map<string, string>();
      const intern = (s: string) => strings.get(s) ?? (strings.set(s, s), s);
      return listAll({ op: `list pods in ${namespace}`, verb: 'list', resource: 'pods', namespace }, `/api/v1/namespaces/${ns(namespace)}/pods`, { labelSelector }, (p: V1Pod) => {
        const v: ProxyPodView = toProxyPodView(p);
        v.daemonSet = intern(v.daemonSet);
        v.phase = intern(v.phase);
        if (v.nodeName !== undefined) v.nodeName = intern(v.nodeName);
        return v;
      }, podLimit);
    },

    async getService(namespace, name) {
      const op = { op: `get service ${namespace}/${name}`, verb: 'get', resource: 'services', namespace };
      try {
        return reviveService(await call<V1Service>(op, false, 'GET', `/api/v1/namespaces/${ns(namespace)}/services/${encodeURIComponent(name)}`));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },

    async getDaemonSet(namespace, name) {
      try {
        return reviveDaemonSet(await call<V1DaemonSet>(dsOp('get', namespace, name), false, 'GET', `${daemonSets(namespace)}/${encodeURIComponent(name)}`));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },

    async createDaemonSet(ds: V1DaemonSet) {
      const { namespace, name } = ids(ds);
      return reviveDaemonSet(await call<V1DaemonSet>(dsOp('create', namespace, name), true, 'POST', daemonSets(namespace), { body: ds }));
    },

    async replaceDaemonSet(ds: V1DaemonSet) {
      const { namespace, name } = ids(ds);
      return reviveDaemonSet(await call<V1DaemonSet>(dsOp('update', namespace, name), true, 'PUT', `${daemonSets(namespace)}/${encodeURIComponent(name)}`, { body: ds }));
    },

    async deleteDaemonSet(namespace, name, uid) {
      try {
        // The uid precondition makes the API server refuse (409) if the name now belongs to a
        // DaemonSet created after we decided to delete this one.
        await call(dsOp('delete', namespace, name), true, 'DELETE', `${daemonSets(namespace)}/${encodeURIComponent(name)}`, {
          query: { propagationPolicy: 'Background' },
          body: uid ? { preconditions: { uid } } : undefined,
          answer: 'discard',
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },

    async writeServiceStatus(service: V1Service) {
      const { namespace, name } = ids(service);
      const op = { op: `update status of service ${namespace}/${name}`, verb: 'update', resource: 'services/status', namespace };
      // The answer is the whole Service again (40 KB with 1000 IPs): nothing in it is used.
      await call(op, true, 'PUT', `/api/v1/namespaces/${ns(namespace)}/services/${encodeURIComponent(name)}/status`, { body: service, answer: 'discard' });
    },

    async createEvent(namespace, event: CoreV1Event) {
      const op = { op: `create event in ${namespace}`, verb: 'create', resource: 'events', namespace };
      try {
        await call(op, true, 'POST', `/api/v1/namespaces/${ns(namespace)}/events`, { body: event, answer: 'discard' });
      } catch (e) {
        // Same deterministic name: another run already recorded this very event.
        if (!isAlreadyExists(e)) throw e;
      }
    },
  };
}

/** Services mostly publish the same node IPs: equal plain ingress entries (ip, hostname, ipMode)
 *  become one object, so a 1000-node cluster's Services hold a thousand, not a million. */
function shareIngress(s: V1Service, shared: Map<string, V1LoadBalancerIngress>): V1Service {
  const ingress = s.status?.loadBalancer?.ingress;
  if (!s.status?.loadBalancer || !ingress) return s;
  const one = (e: V1LoadBalancerIngress): V1LoadBalancerIngress => {
    if (Object.keys(e).some((k) => k !== 'ip' && k !== 'hostname' && k !== 'ipMode')) return e; // ports: keep as is
    // No key string per entry for the usual IP-only entries: a million of them at 1000 × 1000.
    const key = e.hostname === undefined && e.ip !== undefined ? (e.ipMode === 'VIP' ? e.ip : e.ipMode === undefined ? `${e.ip}\u0000` : `${e.ip}\u0000${e.ipMode}`) : `\u0000${e.ip ?? ''}\u0000${e.hostname ?? ''}\u0000${e.ipMode ?? ''}`;
    const known = shared.get(key);
    if (known) return known;
    shared.set(key, e);
    return e;
  };
  s.status.loadBalancer.ingress = ingress.map(one);
  return s;
}
