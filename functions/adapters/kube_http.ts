// One HTTP exchange with the Kubernetes API server over node:http(s), authenticated by the
// credentials of either mode (kube_credentials.ts): a non-2xx answer becomes HttpStatusError
// (shaped like client-node's ApiException, which kube_errors.ts maps); the caller reads the answer
// (readText), streams it (lists) or drains it. Does I/O.
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeCredentials } from './kube_credentials.ts';

export type Query = Record<string, string | undefined>;

/** A non-2xx answer: code, raw body and headers, as kubeError expects. */
export class HttpStatusError extends Error {
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

export interface KubeRequest {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  /** Default application/json; a merge or apply patch says so here. */
  contentType?: string;
  /** Covers the request and the reading of its answer. */
  signal: AbortSignal;
}

export type KubeHttp = (req: KubeRequest) => Promise<IncomingMessage>;

/** Resolves with the answer once its status is a 2xx; the caller reads (or drains) the body. */
export function kubeHttp(credentials: KubeCredentials): KubeHttp {
  const base = new URL(credentials.server);
  const request = base.protocol === 'http:' ? httpRequest : httpsRequest;
  const prefix = base.pathname.replace(/\/+$/, '');
  return async ({ method, path, query = {}, body, contentType = 'application/json', signal }) => {
    const { agent, headers, auth } = await credentials.forRequest();
    const qs = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
      .join('&');
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || (base.protocol === 'http:' ? 80 : 443),
          method,
          path: `${prefix}${path}${qs ? `?${qs}` : ''}`,
          agent,
          auth,
          signal,
          headers: {
            ...headers,
            accept: 'application/json',
            'user-agent': 'nodelb',
            ...(payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {}),
          },
        },
        resolve,
      );
      req.on('error', reject);
      req.end(payload);
    });
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw new HttpStatusError(status, await readText(res), headersOf(res));
  };
}

export async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads to the end (so the connection is reused) and keeps nothing. */
export async function drain(res: IncomingMessage): Promise<void> {
  for await (const _chunk of res);
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' || Array.isArray(v)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
