// Maps what the Kubernetes client throws (HttpStatusError with the raw Status body, or a
// network failure) to ApiError: Conflict vs AlreadyExists by Status.reason, 403 with the missing RBAC
// rule, 401 with the identity fix, 429/5xx/network retryable with Retry-After. Pure.
import { ApiError, isApiError } from '../platform/errors.ts';
import { networkError, parseRetryAfter } from './http_errors.ts';

/** What a call needs from RBAC, so a 403 can name the missing rule. */
export interface KubeOp {
  op: string; // "list services", "replace daemonset nodelb-system/x"
  verb: string; // RBAC verb
  resource: string; // RBAC resource, e.g. "services/status"
  group?: string; // API group ('' for core)
  namespace?: string; // undefined: cluster-wide
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number };
}

/** kube_http.ts's HttpStatusError, or anything shaped like client-node's ApiException. */
interface ApiExceptionLike {
  code: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function isApiException(e: unknown): e is ApiExceptionLike & Error {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'number' && 'headers' in e;
}

function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return parsed && typeof parsed === 'object' ? (parsed as StatusBody) : {};
    } catch {
      return { message: body.slice(0, 300) };
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : {};
}

export const RBAC_FIX = 'kubectl apply -k manifests/';

export function kubeError(e: unknown, call: KubeOp, server = 'the Kubernetes API'): ApiError {
  if (isApiError(e)) return e;
  if (!isApiException(e)) return networkError('kube', call.op, e, server);
  const status = e.code;
  const body = parseStatus(e.body);
  const reason = body.reason ?? defaultReason(status);
  const headerRetry = parseRetryAfter(e.headers?.['retry-after']);
  const bodyRetry = body.details?.retryAfterSeconds !== undefined ? body.details.retryAfterSeconds * 1000 : undefined;
  const message = `${call.op}: ${status} ${reason}${body.message ? `: ${body.message}` : ''}`;
  const base = { api: 'kube' as const, op: call.op, status, reason, message, cause: e };

  if (status === 403) return new ApiError({ ...base, retryable: false, fix: rbacFix(call) });
  if (status === 401)
    return new ApiError({
      ...base,
      retryable: false,
      fix:
        'the API server did not accept the credentials. On GKE the token needs the userinfo.email scope ' +
        '(otherwise GKE sees a numeric id and RBAC on the email never matches), the service account needs ' +
        `container.clusters.get in the cluster's project, and manifests/ must bind its email as an RBAC User (${RBAC_FIX})`,
    });
  // 410 Expired: a list's continue token outlived etcd compaction; listing again from the start works.
  const retryable = status === 429 || status >= 500 || status === 410;
  return new ApiError({ ...base, retryable, retryAfterMs: retryable ? (headerRetry ?? bodyRetry) : undefined });
}

function defaultReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[status] ?? `HTTP${status}`;
}

function rbacFix(call: KubeOp): string {
  const group = call.group ? ` in API group "${call.group}"` : '';
  const where = call.namespace ? ` in namespace "${call.namespace}"` : ' cluster-wide';
  return `grant the function's identity "${call.verb}" on "${call.resource}"${group}${where} (the RBAC in manifests/): ${RBAC_FIX}`;
}

export const isNotFound = (e: unknown): boolean => isApiError(e) && e.api === 'kube' && e.status === 404;
export const isConflict = (e: unknown): boolean => isApiError(e) && e.status === 409 && e.reason !== 'AlreadyExists';
export const isAlreadyExists = (e: unknown): boolean => isApiError(e) && e.status === 409 && e.reason === 'AlreadyExists';
