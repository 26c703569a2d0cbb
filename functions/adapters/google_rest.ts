// A minimal JSON-over-HTTPS client for Google REST APIs (Compute, Container): bearer token from
// the TokenSource, per-request timeout, call counting, and Google's error body parsed so each
// adapter can classify it. Uses the built-in fetch (no gaxios/gax import cost). Does I/O.
import type { ApiError, ApiName } from '../platform/errors.ts';
import type { TokenSource } from './auth.ts';
import type { CallCounter } from '../platform/calls.ts';
import { networkError } from './http_errors.ts';

/** Google's JSON error: {error: {code, message, status, errors: [{reason, message, domain}]}}. */
export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  errors?: { reason?: string; message?: string; domain?: string }[];
}

export interface HttpFailure {
  status: number;
  error: GoogleErrorBody;
  retryAfter: string | null;
}

export interface RestClient {
  request<T>(req: RestRequest): Promise<T>;
  readonly baseUrl: string;
}

export interface RestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string; // appended to the base URL, starts with "/"
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  write: boolean; // for call accounting
  op: string;
  timeoutMs?: number;
  /** Turns a non-2xx answer into the ApiError to throw. */
  classify(failure: HttpFailure): ApiError;
}

export function createRestClient(opts: {
  api: ApiName;
  baseUrl: string;
  tokens: TokenSource;
  counter: CallCounter;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): RestClient {
  const doFetch = opts.fetch ?? fetch;
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    async request<T>(req: RestRequest): Promise<T> {
      const token = await opts.tokens.token();
      const url = baseUrl + req.path + queryString(req.query);
      if (req.write) opts.counter.write(opts.api);
      else opts.counter.read(opts.api);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, {
          method: req.method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
          signal: AbortSignal.timeout(req.timeoutMs ?? opts.timeoutMs ?? 60_000),
        });
        text = await res.text();
      } catch (e) {
        throw networkError(opts.api, req.op, e, new URL(baseUrl).host);
      }
      if (res.ok) return (text === '' ? {} : JSON.parse(text)) as T;
      throw req.classify({ status: res.status, error: parseErrorBody(text), retryAfter: res.headers.get('retry-after') });
    },
  };
}

/** encodeURIComponent rather than URLSearchParams: Google filters contain spaces, and "+" for a
 *  space is form encoding, not something every Google front end undoes. */
function queryString(query: RestRequest['query']): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== '') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

export function parseErrorBody(text: string): GoogleErrorBody {
  try {
    const parsed = JSON.parse(text) as { error?: GoogleErrorBody | string; error_description?: string };
    if (parsed && typeof parsed.error === 'object') return parsed.error;
    if (typeof parsed.error === 'string') return { message: parsed.error_description ?? parsed.error };
  } catch {
    // not JSON: a proxy or load balancer page
  }
  return { message: text.slice(0, 300) };
}
