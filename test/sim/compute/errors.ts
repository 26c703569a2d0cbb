// Google API error bodies as the simulated Compute and Container APIs send them (pure).
// Compute's backend errors carry no `status` string (recorded GCE answers have none), so the
// REST client maps them by HTTP code: 404 → gRPC 5, 409 → 10 (ABORTED), 403 → 7. Errors made by
// Google's front end (auth, JSON parsing) and all Container API errors do carry `status`.

export interface GoogleErrorItem {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorItem[]; status?: string };
}

const GRPC_STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_REASON_BY_HTTP: Record<number, string> = {
  400: 'invalid',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  409: 'alreadyExists',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'backendError',
  503: 'backendError',
  504: 'backendError',
};

const DEFAULT_MESSAGE_BY_HTTP: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  429: 'Rate Limit Exceeded',
  500: 'Internal Error',
  502: 'Bad Gateway',
  503: 'Backend Error',
  504: 'Deadline Exceeded',
};

// Quota and rate errors live in the usageLimits domain; everything else in global.
const USAGE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
  'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED',
  'RESOURCE_OPERATION_RATE_EXCEEDED',
]);

/** An error a simulated handler throws; the server turns it into the HTTP answer. */
export class GoogleApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly domain: string;
  readonly withStatus: boolean;
  readonly extra: Partial<GoogleErrorItem>;

  constructor(code: number, message: string, reason?: string, opts: { withStatus?: boolean; domain?: string; extra?: Partial<GoogleErrorItem> } = {}) {
    super(message);
    this.name = 'GoogleApiError';
    this.code = code;
    this.reason = reason ?? DEFAULT_REASON_BY_HTTP[code] ?? 'unknown';
    this.domain = opts.domain ?? (USAGE_LIMIT_REASONS.has(this.reason) ? 'usageLimits' : 'global');
    this.withStatus = opts.withStatus ?? false;
    this.extra = opts.extra ?? {};
  }

  body(): GoogleErrorBody {
    const item: GoogleErrorItem = { message: this.message, domain: this.domain, reason: this.reason, ...this.extra };
    const error: GoogleErrorBody['error'] = { code: this.code, message: this.message, errors: [item] };
    if (this.withStatus) error.status = GRPC_STATUS_BY_HTTP[this.code] ?? 'UNKNOWN';
    return { error };
  }
}

export function defaultMessage(code: number): string {
  return DEFAULT_MESSAGE_BY_HTTP[code] ?? `HTTP ${code}`;
}

// --- Compute (GCE) messages, worded as GCE words them where we have seen them ---

export function notFound(resource: string): GoogleApiError {
  return new GoogleApiError(404, `The resource '${resource}' was not found`, 'notFound');
}

export function alreadyExists(resource: string): GoogleApiError {
  return new GoogleApiError(409, `The resource '${resource}' already exists`, 'alreadyExists');
}

export function resourceNotReady(resource: string): GoogleApiError {
  return new GoogleApiError(400, `The resource '${resource}' is not ready`, 'resourceNotReady');
}

/** GCE's validation failure: "Invalid value for field 'resource.x': 'v'. Why." */
export function invalidField(field: string, value: unknown, why: string): GoogleApiError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new GoogleApiError(400, `Invalid value for field '${field}': '${shown}'. ${why}`, 'invalid');
}

export function requiredField(field: string): GoogleApiError {
  return new GoogleApiError(400, `Required field '${field}' not specified`, 'required');
}

/** The front end rejects JSON that names a field the message type does not have. */
export function unknownJsonField(name: string, at: string): GoogleApiError {
  return new GoogleApiError(400, `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`, 'invalid', {
    withStatus: true,
  });
}

export function unknownQueryParameter(name: string): GoogleApiError {
  return new GoogleApiError(400, `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`, 'invalid', {
    withStatus: true,
  });
}

export function badJson(detail: string): GoogleApiError {
  return new GoogleApiError(400, `Invalid JSON payload received. ${detail}`, 'invalid', { withStatus: true });
}

const AUTH_HINT =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export function missingCredentials(): GoogleApiError {
  return new GoogleApiError(401, `Request is missing required authentication credential. ${AUTH_HINT}`, 'required', {
    withStatus: true,
    extra: { message: 'Login Required.', location: 'Authorization', locationType: 'header' },
  });
}

export function invalidCredentials(): GoogleApiError {
  return new GoogleApiError(401, `Request had invalid authentication credentials. ${AUTH_HINT}`, 'authError', {
    withStatus: true,
    extra: { message: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
  });
}
