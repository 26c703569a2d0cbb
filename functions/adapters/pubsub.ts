// Publishes to a Pub/Sub topic over the REST API (`POST {endpoint}/projects/P/topics/T:publish`)
// with the function's own token: what the scheduled fan-out needs, without loading the Pub/Sub
// client library (gRPC, ~seconds of start-up). Works against the emulator. Does I/O.
import { ApiError } from '../platform/errors.ts';
import type { TokenSource } from './auth.ts';
import { parseErrorBody } from './google_rest.ts';
import { networkError } from './http_errors.ts';

export interface PublishOptions {
  endpoint: string; // https://pubsub.googleapis.com/v1, or http://127.0.0.1:8085/v1
  topic: string; // projects/P/topics/T
  tokens: TokenSource;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Publishes one request's messages; returns the message ids. Throws ApiError (retryable for
 *  429, 5xx and network failures: the caller fails the delivery so Pub/Sub redelivers it). */
export interface PubSubMessage {
  data: string; // base64
  attributes: Record<string, string>;
}

export async function publish(messages: readonly PubSubMessage[], opts: PublishOptions): Promise<string[]> {
  const op = `publish ${messages.length} message(s) to ${opts.topic}`;
  const url = `${opts.endpoint.replace(/\/+$/, '')}/${opts.topic}:publish`;
  const token = await opts.tokens.token();
  let res: Response;
  let text: string;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ messages }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
    text = await res.text();
  } catch (e) {
    throw networkError('pubsub', op, e, new URL(url).host);
  }
  if (res.ok) return ((JSON.parse(text || '{}') as { messageIds?: string[] }).messageIds ?? []);
  const err = parseErrorBody(text);
  const forbidden = res.status === 403;
  throw new ApiError({
    api: 'pubsub',
    op,
    status: res.status,
    reason: err.status,
    message: `${op}: HTTP ${res.status} ${err.message ?? ''}`.trim(),
    retryable: res.status === 429 || res.status >= 500,
    fix: forbidden ? `grant the function's service account roles/pubsub.publisher on ${opts.topic} (infra/ does)` : undefined,
  });
}
