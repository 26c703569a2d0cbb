// Classifies Compute Engine errors by HTTP status AND errors[0].reason (a 403 is sometimes a
// rate limit, not a permission problem), and writes the fix for permission errors: the IAM
// permission, where to grant it, and the gcloud command that would make the change by hand. Pure.
import { ApiError } from '../platform/errors.ts';
import type { Firewall } from './apis.ts';
import type { GoogleErrorBody, HttpFailure } from './google_rest.ts';
import { parseRetryAfter } from './http_errors.ts';

/** What a Compute call needs, so a 403 can say which permission and what to run instead. */
export interface ComputeOp {
  op: string;
  project: string;
  permissions: string[]; // IAM permissions the call needs
  byHand?: string; // gcloud command doing the same change
  firewallWrite?: boolean; // Shared VPC: firewall permissions belong in the host project
}

const RETRYABLE_403 = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED',
  'RESOURCE_OPERATION_RATE_EXCEEDED',
]);

/** Operation error codes worth another try (the same requestId makes the retry safe). */
const RETRYABLE_OPERATION_CODES = new Set([
  'RESOURCE_NOT_READY',
  'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED',
  'RESOURCE_OPERATION_RATE_EXCEEDED',
  'RATE_LIMIT_EXCEEDED',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
]);

export function firstReason(error: GoogleErrorBody): string | undefined {
  return error.errors?.[0]?.reason ?? error.status;
}

export function computeError(f: HttpFailure, call: ComputeOp): ApiError {
  const reason = firstReason(f.error);
  const message = `${call.op}: ${f.status}${reason ? ` ${reason}` : ''}${f.error.message ? `: ${f.error.message}` : ''}`;
  const base = { api: 'compute' as const, op: call.op, status: f.status, reason, message };
  const retryAfterMs = parseRetryAfter(f.retryAfter);
  if (f.status === 403 && reason !== undefined && RETRYABLE_403.has(reason)) return new ApiError({ ...base, retryable: true, retryAfterMs });
  if (f.status === 403) return new ApiError({ ...base, retryable: false, fix: permissionFix(call) });
  if (f.status === 401)
    return new ApiError({
      ...base,
      retryable: false,
      fix: 'the access token was refused: check GOOGLE_OAUTH_ACCESS_TOKEN (it expires after about an hour) or the Application Default Credentials',
    });
  if ((f.status === 400 || f.status === 409) && reason === 'resourceNotReady') return new ApiError({ ...base, retryable: true, retryAfterMs });
  const retryable = f.status === 429 || f.status >= 500;
  return new ApiError({ ...base, retryable, retryAfterMs: retryable ? retryAfterMs : undefined });
}

/** A DONE operation that carries error.errors: the change was not made. */
export function operationError(
  op: { name?: string | null; httpErrorStatusCode?: number | null; error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null },
  call: ComputeOp,
): ApiError {
  const first = op.error?.errors?.[0];
  const code = first?.code ?? 'UNKNOWN';
  const status = op.httpErrorStatusCode ?? undefined;
  const retryable = RETRYABLE_OPERATION_CODES.has(code) || (status !== undefined && status >= 500);
  let fix: string | undefined;
  if (code === 'QUOTA_EXCEEDED')
    fix = `raise the "Firewall rules" quota of project ${call.project} (IAM & Admin → Quotas) or delete unused firewall rules`;
  else if (status === 403 || code === 'PERMISSION_DENIED' || code === 'FORBIDDEN') fix = permissionFix(call);
  return new ApiError({
    api: 'compute',
    op: call.op,
    status,
    reason: code,
    message: `${call.op}: operation ${op.name ?? ''} failed with ${code}${first?.message ? `: ${first.message}` : ''}`,
    retryable,
    fix,
  });
}

function permissionFix(call: ComputeOp): string {
  const where = call.firewallWrite
    ? `in project ${call.project} (on Shared VPC: the host project that owns the network)`
    : `in project ${call.project}`;
  const grant = `grant the function's service account ${call.permissions.join(' and ')} ${where} (the custom role in infra/)`;
  return call.byHand ? `${grant}; or make the change by hand: ${call.byHand}` : grant;
}

const lastSegment = (url: string | null | undefined) => (url ?? '').split('/').filter((s) => s !== '').pop() ?? '';
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function allowFlag(rule: Firewall): string {
  return (rule.allowed ?? [])
    .flatMap((a) => {
      const proto = (a.IPProtocol ?? 'tcp').toLowerCase();
      return a.ports && a.ports.length > 0 ? a.ports.map((p) => `${proto}:${p}`) : [proto];
    })
    .join(',');
}

/** gcloud equivalents of our firewall writes, for people whose policy forbids us the permission. */
export function gcloudFirewall(kind: 'create' | 'update' | 'delete', project: string, name: string, rule?: Firewall): string {
  if (kind === 'delete' || !rule) return `gcloud compute firewall-rules delete ${name} --project=${project} --quiet`;
  const flags = [
    `--project=${project}`,
    ...(kind === 'create' ? [`--network=${lastSegment(rule.network)}`, '--direction=INGRESS'] : []),
    `--allow=${allowFlag(rule)}`,
    `--source-ranges=${(rule.sourceRanges ?? []).join(',')}`,
    `--target-tags=${(rule.targetTags ?? []).join(',')}`,
    ...(rule.priority !== undefined && rule.priority !== null ? [`--priority=${rule.priority}`] : []),
    ...(rule.description ? [`--description=${shellQuote(rule.description)}`] : []),
  ];
  return `gcloud compute firewall-rules ${kind} ${name} ${flags.join(' ')}`;
}
