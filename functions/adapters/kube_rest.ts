// KubeApi as a lean REST client over node:https, for GKE mode (the function): the cluster's CA
// from getCluster, the Google token per request, plain JSON with @kubernetes/client-node's types
// only (type imports). Same calls, paths, counting and error mapping as kube.ts, which stays for
// kubeconfig mode (exec plugins, client certificates). Does I/O.
//
// Why: importing client-node costs ~85 MiB of resident memory and ~0.4 s, a third of a 256 MiB
// function before it has read anything; the calls a sync makes are a dozen plain REST requests.
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { CoreV1Event, V1DaemonSet, V1EndpointSlice, V1LoadBalancerIngress, V1Namespace, V1Node, V1Service } from '@kubernetes/client-node';
import type { KubeApi } from './apis.ts';
import type { TokenSource } from './auth.ts';
import type { CallCounter } from '../platform/calls.ts';
import { isAlreadyExists, isNotFound, kubeError, type KubeOp } from './kube_errors.ts';
import { objectIds as ids } from './kube_views.ts';
import { JsonListSplitter } from './json_items.ts';
import { listPodPages, POD_PAGE_SIZE } from './pod_pages.ts';

export interface RestKubeApiOptions {
  server: string; // https://host[:port]
  caData?: string; // base64 PEM; undefined: the system trust store (GKE's DNS endpoint)
  tokens: TokenSource;
  counter: CallCounter;
  pageSize?: number; // default 500
  podPageSize?: number; // default POD_PAGE_SIZE (pod_pages.ts)
  requestTimeoutMs?: number; // per request (each page of a list), default 60 s
}

/** A non-2xx answer, shaped like client-node's ApiException so kubeError maps both alike. */
class HttpStatusError extends Error {
  readonly code: number;
  readonly body: string;
  readonly headers: Record<string, string>;
  constructor(code: number, body: string, headers: Record<string, string>) {
    super(`HTTP ${code}`);
    this.name = 'HttpStatusError';
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}

interface ListPage<T> {
  items?: T[];
  metadata?: { continue?: string };
}

type Query = Record<string, string | undefined>;

export function createRestKubeApi(opts: RestKubeApiOptions): KubeApi {
  const base = new URL(opts.server);
  const server = opts.server;
  const agent = new Agent({ keepAlive: true, ca: opts.caData ? Buffer.from(opts.caData, 'base64').toString('utf8') : undefined });
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const limit = String(opts.pageSize ?? 500);
  const podLimit = String(opts.podPageSize ?? POD_PAGE_SIZE);
  const counter = opts.counter;

  /** Sends one request; resolves with the answer once its status is known (2xx only). `signal`
   *  covers the request and the reading of its body. */
  async function open(method: string, path: string, query: Query, body: unknown, signal: AbortSignal): Promise<IncomingMessage> {
    const token = await opts.tokens.token();
    const qs = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
      .join('&');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          protocol: 'https:',
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || 443,
          method,
          path: `${base.pathname.replace(/\/+$/, '')}${path}${qs ? `?${qs}` : ''}`,
          agent,
          signal,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'user-agent': 'nodelb',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        resolve,
      );
      req.on('error', reject);
      req.end(payload);
    });
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw new HttpStatusError(status, await text(res), headersOf(res));
  }

  async function call<T>(op: KubeOp, write: boolean, method: string, path: string, query: Query = {}, body?: unknown, answer: 'parse' | 'discard' = 'parse'): Promise<T> {
    if (write) counter.write('kube');
    else counter.read('kube');
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await open(method, path, query, body, timeout);
      if (answer === 'discard') {
        for await (const _chunk of res); // read to the end (the connection is reused), keep nothing
        return undefined as T;
      }
      const t = await text(res);
      return (t === '' ? {} : JSON.parse(t)) as T;
    } catch (e) {
      throw kubeError(timeout.aborted ? timeout.reason : e, op, server);
    }
  }

  /** Lists page by page; each page's items are parsed one by one as they arrive (json_items.ts),
   *  so a page is never one big string and `fold` can share what items repeat. */
  async function listAll<T>(op: KubeOp, path: string, query: Query = {}, pageSize = limit, fold: (item: T) => T = (x) => x): Promise<T[]> {
    const out: T[] = [];
    let cont: string | undefined;
    do {
      counter.read('kube');
      const timeout = AbortSignal.timeout(timeoutMs);
      let page: ListPage<T>;
      try {
        const res = await open('GET', path, { ...query, limit: pageSize, continue: cont }, undefined, timeout);
        const splitter = new JsonListSplitter((bytes) => out.push(fold(withoutManagedFields(JSON.parse(bytes.toString('utf8')) as T))));
        for await (const chunk of res) splitter.push(chunk as Buffer);
        page = splitter.end<ListPage<T>>();
      } catch (e) {
        throw kubeError(timeout.aborted ? timeout.reason : e, op, server);
      }
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return out;
  }

  const ns = (namespace: string) => encodeURIComponent(namespace);
  const daemonSets = (namespace: string) => `/apis/apps/v1/namespaces/${ns(namespace)}/daemonsets`;

  return {
    listServices: () => {
      const shared = new Map<string, V1LoadBalancerIngress>();
      return listAll<V1Service>({ op: 'list services', verb: 'list', resource: 'services' }, '/api/v1/services', {}, limit, (s) => shareIngress(s, shared));
    },
    listNamespaces: () => listAll<V1Namespace>({ op: 'list namespaces', verb: 'list', resource: 'namespaces' }, '/api/v1/namespaces'),
    listNodes: () => listAll<V1Node>({ op: 'list nodes', verb: 'list', resource: 'nodes' }, '/api/v1/nodes'),
    listDaemonSets: (namespace, labelSelector) =>
      listAll<V1DaemonSet>({ op: `list daemonsets in ${namespace}`, verb: 'list', resource: 'daemonsets', group: 'apps', namespace }, daemonSets(namespace), { labelSelector }),
    listEndpointSlices: () =>
      listAll<V1EndpointSlice>({ op: 'list endpointslices', verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' }, '/apis/discovery.k8s.io/v1/endpointslices'),

    async listProxyPods(namespace, labelSelector) {
      const op = { op: `list pods in ${namespace}`, verb: 'list', resource: 'pods', namespace };
      const path = `/api/v1/namespaces/${ns(namespace)}/pods`;
      const timeouts: AbortSignal[] = [];
      try {
        return await listPodPages(async (c, signal) => {
          counter.read('kube');
          const timeout = AbortSignal.timeout(timeoutMs);
          timeouts.push(timeout);
          return open('GET', path, { labelSelector, limit: podLimit, continue: c }, undefined, AbortSignal.any([timeout, signal]));
        });
      } catch (e) {
        // A body cut short or a reset mid-page is retryable, as is a page that took too long.
        throw kubeError(timeouts.find((t) => t.aborted)?.reason ?? e, op, server);
      }
    },

    async getService(namespace, name) {
      const op = { op: `get service ${namespace}/${name}`, verb: 'get', resource: 'services', namespace };
      try {
        return await call<V1Service>(op, false, 'GET', `/api/v1/namespaces/${ns(namespace)}/services/${encodeURIComponent(name)}`);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },

    async getDaemonSet(namespace, name) {
      const op = { op: `get daemonset ${namespace}/${name}`, verb: 'get', resource: 'daemonsets', group: 'apps', namespace };
      try {
        return await call<V1DaemonSet>(op, false, 'GET', `${daemonSets(namespace)}/${encodeURIComponent(name)}`);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },

    createDaemonSet(ds: V1DaemonSet) {
      const { namespace, name } = ids(ds);
      const op = { op: `create daemonset ${namespace}/${name}`, verb: 'create', resource: 'daemonsets', group: 'apps', namespace };
      return call<V1DaemonSet>(op, true, 'POST', daemonSets(namespace), {}, ds);
    },

    replaceDaemonSet(ds: V1DaemonSet) {
      const { namespace, name } = ids(ds);
      const op = { op: `update daemonset ${namespace}/${name}`, verb: 'update', resource: 'daemonsets', group: 'apps', namespace };
      return call<V1DaemonSet>(op, true, 'PUT', `${daemonSets(namespace)}/${encodeURIComponent(name)}`, {}, ds);
    },

    async deleteDaemonSet(namespace, name, uid) {
      const op = { op: `delete daemonset ${namespace}/${name}`, verb: 'delete', resource: 'daemonsets', group: 'apps', namespace };
      try {
        // The uid precondition makes the API server refuse (409) if the name now belongs to a
        // DaemonSet created after we decided to delete this one.
        await call(op, true, 'DELETE', `${daemonSets(namespace)}/${encodeURIComponent(name)}`, { propagationPolicy: 'Background' }, uid ? { preconditions: { uid } } : undefined);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },

    async writeServiceStatus(service: V1Service) {
      const { namespace, name } = ids(service);
      const op = { op: `update status of service ${namespace}/${name}`, verb: 'update', resource: 'services/status', namespace };
      // The answer is the whole Service again (40 KB with 1000 IPs): nothing in it is used.
      await call<void>(op, true, 'PUT', `/api/v1/namespaces/${ns(namespace)}/services/${encodeURIComponent(name)}/status`, {}, service, 'discard');
    },

    async createEvent(namespace, event: CoreV1Event) {
      const op = { op: `create event in ${namespace}`, verb: 'create', resource: 'events', namespace };
      try {
        await call(op, true, 'POST', `/api/v1/namespaces/${ns(namespace)}/events`, {}, event, 'discard');
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

/** managedFields (server-side apply bookkeeping, often the biggest part of an object) is never
 *  read, and a status write that leaves it out leaves it unchanged on the server. */
function withoutManagedFields<T>(item: T): T {
  const meta = (item as { metadata?: { managedFields?: unknown } }).metadata;
  if (meta?.managedFields !== undefined) delete meta.managedFields;
  return item;
}

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' || Array.isArray(v)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
