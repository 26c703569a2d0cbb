// The HTTP shell shared by the simulated Google REST APIs (does I/O): a loopback server that adds
// latency, checks the Bearer token, applies FaultPlan effects, parses JSON bodies, applies the
// `fields` partial-response parameter, and records every call for accounting.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FaultPlan, FaultRule, SimApi } from '../faults.ts';
import { GoogleApiError, badJson, defaultMessage, invalidCredentials, missingCredentials } from './errors.ts';
import { parseFields, project } from './fields.ts';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown; // parsed JSON, undefined when empty
}

export interface SimResponse {
  status: number;
  body: unknown;
}

export interface GoogleApiServerOptions {
  api: SimApi;
  faults: FaultPlan;
  latencyMs: number;
  /** Accepted Bearer token; any non-empty token when undefined. */
  token?: string;
  /** Whether injected error bodies carry the `status` string (Container yes, Compute no). */
  errorsWithStatus: boolean;
  isWrite(method: string, path: string): boolean;
  /** undefined: no such route (answered with Google's HTML 404 page). */
  handle(req: SimRequest, fault: FaultRule | undefined): Promise<SimResponse | undefined>;
}

export interface GoogleApiServer {
  port: number;
  close(): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const NOT_FOUND_PAGE =
  '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL was not found on this server.  <ins>That’s all we know.</ins>\n';

function describeFault(f: FaultRule): string {
  if (f.drop) return 'drop';
  if (f.operationError !== undefined) return `operationError:${f.operationError}`;
  if (f.status !== undefined) return `status:${f.status}${f.reason ? `:${f.reason}` : ''}`;
  if (f.emptyList) return 'emptyList';
  if (f.dropAfterApply) return 'dropAfterApply';
  if (f.delayMs !== undefined) return `delay:${f.delayMs}`;
  return 'none';
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badJson((e as Error).message);
  }
}

function checkAuth(header: string | undefined, token: string | undefined): GoogleApiError | undefined {
  if (header === undefined || header === '') return missingCredentials();
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m || (token !== undefined && m[1] !== token)) return invalidCredentials();
  return undefined;
}

export async function startGoogleApiServer(opts: GoogleApiServerOptions): Promise<GoogleApiServer> {
  const sockets = new Set<Socket>();

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const write = opts.isWrite(method, path);
    // Set once the request passed auth; read by record() for the call log.
    const matched: { fault?: FaultRule } = {};
    const record = (status: number): void =>
      opts.faults.record({
        api: opts.api,
        method,
        path,
        query: url.search.replace(/^\?/, ''),
        status,
        write,
        ...(matched.fault ? { fault: describeFault(matched.fault) } : {}),
      });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/html; charset=UTF-8' : 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
      record(status);
    };
    const sendError = (e: GoogleApiError, headers: Record<string, string> = {}): void => send(e.code, e.body(), headers);

    if (opts.latencyMs > 0) await sleep(opts.latencyMs);

    const authError = checkAuth(req.headers.authorization, opts.token);
    if (authError) {
      req.resume();
      sendError(authError, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
      return;
    }

    const fault = opts.faults.match(opts.api, method, path, write);
    matched.fault = fault;
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.drop) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined && fault.operationError === undefined) {
      req.resume();
      const err = new GoogleApiError(fault.status, fault.message ?? defaultMessage(fault.status), fault.reason, {
        withStatus: opts.errorsWithStatus,
      });
      sendError(err, fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
      return;
    }

    let answer: SimResponse | undefined;
    try {
      const body = await readBody(req);
      answer = await opts.handle({ method, path, query: url.searchParams, body }, fault);
      if (answer && answer.status === 200) {
        const fields = url.searchParams.get('fields') ?? url.searchParams.get('$fields');
        if (fields !== null) answer = { status: 200, body: project(answer.body, parseFields(fields)) };
      }
    } catch (e) {
      if (e instanceof GoogleApiError) {
        sendError(e);
        return;
      }
      // A bug in the simulator: answer like Google's backend would, and keep it visible in the log.
      console.error('simulated API handler failed:', e);
      sendError(new GoogleApiError(500, 'Internal error. Please try again or contact Google Support.', 'backendError'));
      return;
    }
    if (fault?.dropAfterApply) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (answer === undefined) {
      send(404, NOT_FOUND_PAGE);
      return;
    }
    send(answer.status, answer.body, fault?.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      console.error('simulated API server failed:', e);
      res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
