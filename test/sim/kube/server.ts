// The HTTPS front of the simulated Kubernetes API server: bearer-token authentication, fault
// injection and call accounting (FaultPlan), fixed latency, JSON in and out (gzip for large
// answers, as the real server does), and dispatch of each route to the API semantics. Does I/O.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { FaultPlan, FaultRule } from '../faults.ts';
import type { KubeApiServer, PatchType } from './apiserver.ts';
import { apiGroupListDoc, apiVersionsDoc, resourceListDoc, versionDoc } from './discovery.ts';
import { badRequest, defaultMessageForCode, KubeError, methodNotSupported, reasonForCode, routeNotFound, unauthorized } from './errors.ts';
import { route, type Route } from './router.ts';
import { testTls } from './tls.ts';

export interface KubeServerOptions {
  api: KubeApiServer;
  faults: FaultPlan;
  token: string;
  latencyMs?: number;
  port?: number;
}

export interface KubeServer {
  url: string; // https://127.0.0.1:PORT
  port: number;
  caData: string;
  /** Every distinct bearer token presented, in order of first use. */
  bearers: string[];
  lastBearer: string | undefined;
  close(): Promise<void>;
}

const GZIP_THRESHOLD = 128 * 1024;

interface Answer {
  code: number;
  body: string;
  headers?: Record<string, string>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function errorAnswer(e: KubeError): Answer {
  const headers: Record<string, string> = {};
  if (e.retryAfterSeconds !== undefined) headers['Retry-After'] = String(e.retryAfterSeconds);
  return { code: e.code, body: JSON.stringify(e.toStatus()), headers };
}

function faultError(rule: FaultRule): KubeError {
  const code = rule.status ?? 500;
  const details = rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : undefined;
  return new KubeError(code, rule.reason ?? reasonForCode(code), rule.message ?? defaultMessageForCode(code), details);
}

function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function patchTypeOf(contentType: string): PatchType {
  const ct = contentType.split(';')[0]?.trim() ?? '';
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  throw new KubeError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
}

function withTypeMeta(kind: string, apiVersion: string, itemJson: string): string {
  return itemJson === '{}' ? `{"kind":"${kind}","apiVersion":"${apiVersion}"}` : `{"kind":"${kind}","apiVersion":"${apiVersion}",${itemJson.slice(1)}`;
}

function listJson(listKind: string, apiVersion: string, rv: string, cont: string | undefined, items: string[]): string {
  const meta = cont !== undefined ? `{"resourceVersion":"${rv}","continue":"${cont}"}` : `{"resourceVersion":"${rv}"}`;
  return `{"kind":"${listKind}","apiVersion":"${apiVersion}","metadata":${meta},"items":[${items.join(',')}]}`;
}

function handle(api: KubeApiServer, r: Route, method: string, query: URLSearchParams, headers: IncomingMessage['headers'], body: Buffer, serverAddress: string, emptyList: boolean): Answer {
  const ok = (code: number, value: object | string): Answer => ({ code, body: typeof value === 'string' ? value : JSON.stringify(value) });
  if (r.kind === 'unknown') throw routeNotFound();
  if (r.kind === 'discovery') {
    if (method !== 'GET') throw routeNotFound();
    switch (r.doc) {
      case 'version': return ok(200, versionDoc());
      case 'healthz': return ok(200, 'ok');
      case 'api': return ok(200, apiVersionsDoc(serverAddress));
      case 'apis': return ok(200, apiGroupListDoc());
      case 'group': {
        const doc = resourceListDoc(r.group ?? '');
        if (!doc) throw routeNotFound();
        return ok(200, doc);
      }
    }
  }
  const info = r.info;
  const gr = { group: info.group, resource: info.resource };
  const dryRun = query.get('dryRun') === 'All';
  const ns = r.namespace;
  if (ns !== undefined && ns === '') throw routeNotFound();
  if (r.kind === 'collection') {
    if (method === 'GET') {
      if (query.get('watch') === 'true' || query.get('watch') === '1') throw methodNotSupported(gr, 'watch');
      if (emptyList) return ok(200, listJson(info.listKind, info.apiVersion, api.resourceVersion, undefined, []));
      const limitText = query.get('limit');
      const limit = limitText === null ? undefined : Number(limitText);
      if (limit !== undefined && !Number.isFinite(limit)) throw badRequest(`invalid limit: ${limitText}`);
      const res = api.list(info, {
        namespace: ns,
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
        limit,
        continue: query.get('continue') ?? undefined,
      });
      return ok(200, listJson(info.listKind, info.apiVersion, res.resourceVersion, res.continue, res.items));
    }
    if (method === 'POST') {
      if (info.namespaced && ns === undefined) throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
      requireJson(headers);
      const obj = api.create(info, ns, parseJson(body), { dryRun });
      return ok(201, withTypeMeta(info.kind, info.apiVersion, JSON.stringify(obj)));
    }
    throw methodNotSupported(gr, method === 'DELETE' ? 'deletecollection' : method.toLowerCase());
  }
  const sub = r.subresource;
  switch (method) {
    case 'GET':
      return ok(200, withTypeMeta(info.kind, info.apiVersion, api.getJson(info, ns, r.name)));
    case 'PUT': {
      requireJson(headers);
      const res = api.update(info, ns, r.name, parseJson(body), sub, { dryRun });
      return ok(res.created ? 201 : 200, withTypeMeta(info.kind, info.apiVersion, JSON.stringify(res.object)));
    }
    case 'PATCH': {
      const type = patchTypeOf(String(headers['content-type'] ?? ''));
      const obj = api.patch(info, ns, r.name, type, parseJson(body), sub, { dryRun });
      return ok(200, withTypeMeta(info.kind, info.apiVersion, JSON.stringify(obj)));
    }
    case 'DELETE': {
      if (sub !== undefined) throw methodNotSupported(gr, 'delete');
      const res = api.delete(info, ns, r.name, parseJson(body), { dryRun });
      if (res.object) return ok(200, withTypeMeta(info.kind, info.apiVersion, JSON.stringify(res.object)));
      return ok(200, res.status ?? {});
    }
    default:
      throw methodNotSupported(gr, method.toLowerCase());
  }
}

function requireJson(headers: IncomingMessage['headers']): void {
  const ct = String(headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (ct !== 'application/json') {
    throw new KubeError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`);
  }
}

export async function startKubeServer(opts: KubeServerOptions): Promise<KubeServer> {
  const tls = testTls();
  const bearers: string[] = [];
  const state = { lastBearer: undefined as string | undefined, address: '' };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://sim');
    const path = url.pathname;
    const write = method !== 'GET';
    const body = await readBody(req);
    const record = (status: number, fault?: string): void => {
      opts.faults.record({ api: 'kube', method, path, query: url.search.replace(/^\?/, ''), status, write, ...(fault !== undefined ? { fault } : {}) });
    };
    const send = (a: Answer, fault?: string): void => {
      let payload: Buffer = Buffer.from(a.body);
      const headers: Record<string, string> = { 'Content-Type': a.code === 200 && path.endsWith('z') ? 'text/plain' : 'application/json', 'Cache-Control': 'no-cache, private', ...a.headers };
      if (payload.length > GZIP_THRESHOLD && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        payload = gzipSync(payload, { level: 1 });
        headers['Content-Encoding'] = 'gzip';
      }
      headers['Content-Length'] = String(payload.length);
      res.writeHead(a.code, headers);
      res.end(payload);
      record(a.code, fault);
    };

    const auth = String(req.headers.authorization ?? '');
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (bearer !== undefined) {
      state.lastBearer = bearer;
      if (!bearers.includes(bearer)) bearers.push(bearer);
    }
    if (bearer !== opts.token && path !== '/healthz' && path !== '/readyz' && path !== '/livez') {
      send(errorAnswer(unauthorized()));
      return;
    }
    if (opts.latencyMs) await sleep(opts.latencyMs);
    const fault = opts.faults.match('kube', method, path, write);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.drop) {
      req.socket.destroy();
      record(0, 'drop');
      return;
    }
    if (fault?.status !== undefined) {
      send(errorAnswer(faultError(fault)), `status ${fault.status}`);
      return;
    }
    const r = route(path);
    const emptyList = fault?.emptyList === true && r.kind === 'collection' && method === 'GET';
    const faultName = emptyList ? 'emptyList' : fault?.delayMs ? 'delay' : undefined;
    try {
      send(handle(opts.api, r, method, url.searchParams, req.headers, body, state.address, emptyList), faultName);
    } catch (e) {
      if (e instanceof KubeError) send(errorAnswer(e), faultName);
      else {
        const message = e instanceof Error ? e.stack ?? e.message : String(e);
        send(errorAnswer(new KubeError(500, 'InternalError', `Internal error occurred: ${message}`)), faultName);
      }
    }
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert, keepAlive: true }, (req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end(String(e));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  state.address = `127.0.0.1:${port}`;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caData: tls.caData,
    bearers,
    get lastBearer() {
      return state.lastBearer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
