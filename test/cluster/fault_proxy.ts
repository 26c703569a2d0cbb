// A thin fault-injecting HTTPS proxy in front of the real kube-apiserver (does I/O): it forwards
// every request unchanged, records it (read or write), and injects only what the real server
// will not do on demand: 5xx, 429 with Retry-After, late or dropped answers, empty lists.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FaultPlan, FaultRule } from '../sim/faults.ts';

export interface FaultProxy {
  url: string; // https://127.0.0.1:PORT
  endpoint: string; // 127.0.0.1:PORT
  port: number;
  /** Every distinct bearer token presented, in order of first use. */
  readonly bearers: string[];
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  upstream: string; // the real API server, https://127.0.0.1:PORT
  ca: string; // trusts the upstream
  cert: string; // served to clients: the API server's own certificate, so clients trust the same CA
  key: string;
  faults: FaultPlan;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A Kubernetes Status body, as the API server sends with an error. */
function statusBody(rule: FaultRule): string {
  const code = rule.status ?? 500;
  const reason = rule.reason ?? (code === 429 ? 'TooManyRequests' : code === 409 ? 'Conflict' : code === 503 ? 'ServiceUnavailable' : code === 504 ? 'Timeout' : 'InternalError');
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: rule.message ?? `injected fault: HTTP ${code}`,
    reason,
    ...(rule.retryAfterSeconds !== undefined ? { details: { retryAfterSeconds: rule.retryAfterSeconds } } : {}),
    code,
  });
}

/** A list answer with its items removed (the "suspicious empty list"); other answers unchanged. */
function emptied(body: Buffer): Buffer {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { items?: unknown[]; metadata?: { continue?: string; remainingItemCount?: number } };
    if (!Array.isArray(doc.items)) return body;
    doc.items = [];
    if (doc.metadata) {
      delete doc.metadata.continue;
      delete doc.metadata.remainingItemCount;
    }
    return Buffer.from(JSON.stringify(doc));
  } catch {
    return body;
  }
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const agent = new Agent({ ca: opts.ca, keepAlive: true, maxSockets: 64 });
  const bearers: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://proxy');
    const write = WRITES.has(method);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && !bearers.includes(bearer)) bearers.push(bearer);
    const fault = opts.faults.match('kube', method, url.pathname, write);
    const record = (status: number, name?: string) =>
      opts.faults.record({ api: 'kube', method, path: url.pathname, query: url.search.slice(1), status, write, ...(name ? { fault: name } : {}) });

    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.drop) {
      record(0, 'drop');
      req.socket.destroy();
      return;
    }
    if (fault?.status) {
      record(fault.status, `status ${fault.status}`);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      req.resume();
      res.writeHead(fault.status, headers).end(statusBody(fault));
      return;
    }
    const emptyList = fault?.emptyList === true && method === 'GET';
    const headers = { ...req.headers, host: upstream.host };
    if (emptyList) delete headers['accept-encoding']; // the answer is rewritten, so take it plain
    const up = request(new URL(req.url ?? '/', upstream), { method, headers, agent }, (upRes) => {
      const status = upRes.statusCode ?? 502;
      record(status, emptyList ? 'emptyList' : fault?.delayMs ? 'delay' : undefined);
      if (!emptyList) {
        res.writeHead(status, upRes.headers);
        upRes.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = emptied(Buffer.concat(chunks));
        const h = { ...upRes.headers, 'content-length': String(body.length) };
        delete h['transfer-encoding'];
        res.writeHead(status, h).end(body);
      });
    });
    up.on('error', (err) => {
      record(502, 'upstream error');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: upstream failed: ${err.message}`);
      else res.destroy();
    });
    req.pipe(up);
  };

  const server: Server = createServer({ cert: opts.cert, key: opts.key }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    endpoint: `127.0.0.1:${port}`,
    port,
    bearers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
