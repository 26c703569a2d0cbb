// One error type per boundary: ApiError carries what retry and reporting decide on (api, op,
// HTTP status, provider reason, whether a retry can help, and the fix for permission errors).

export type ApiName = 'kube' | 'compute' | 'container' | 'auth' | 'pubsub';

export class ApiError extends Error {
  readonly api: ApiName;
  readonly op: string; // e.g. "list services", "insert firewall nodelb-…"
  readonly status?: number; // HTTP status; undefined for network errors
  readonly reason?: string; // Kubernetes Status.reason or GCE errors[].reason
  readonly retryable: boolean;
  readonly retryAfterMs?: number; // from Retry-After
  readonly fix?: string; // what a human should do (permission errors)

  constructor(init: {
    api: ApiName;
    op: string;
    message: string;
    status?: number;
    reason?: string;
    retryable: boolean;
    retryAfterMs?: number;
    fix?: string;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'ApiError';
    this.api = init.api;
    this.op = init.op;
    this.status = init.status;
    this.reason = init.reason;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.fix = init.fix;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Message for logs and Events: the error, then the fix when there is one. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.fix ? `${e.message} (fix: ${e.fix})` : e.message;
  return e instanceof Error ? e.message : String(e);
}
