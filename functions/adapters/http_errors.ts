// Shared pieces of error mapping for every adapter: Retry-After parsing and the classification
// of network failures (refused/reset/timeout are transient; TLS trust failures are not). Pure.
import { ApiError, type ApiName } from '../platform/errors.ts';

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

/** Walks the `cause` chain (undici wraps the socket error in "fetch failed"). */
export function errorCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

function innermostMessage(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof Error && cur.message) msg = cur.message;
    cur = (cur as { cause?: unknown }).cause;
  }
  return msg;
}

/** A failure with no HTTP answer: connection refused, reset, DNS, timeout, TLS. */
export function networkError(api: ApiName, op: string, e: unknown, where: string): ApiError {
  const codes = errorCodes(e);
  const tls = codes.find((c) => TLS_CODES.has(c));
  const timeout = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
  const detail = timeout ? 'request timed out' : innermostMessage(e);
  return new ApiError({
    api,
    op,
    message: `${op}: ${detail}${codes.length > 0 ? ` (${codes.join(', ')})` : ''} talking to ${where}`,
    reason: tls ?? codes[codes.length - 1] ?? (timeout ? 'Timeout' : undefined),
    retryable: tls === undefined,
    fix: tls
      ? `the server's certificate is not trusted: check the cluster CA (GKE: masterAuth.clusterCaCertificate for IP endpoints, the system trust store for the DNS endpoint) or the kubeconfig's certificate-authority-data`
      : undefined,
    cause: e,
  });
}
