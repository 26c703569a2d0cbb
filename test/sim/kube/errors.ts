// Kubernetes API errors as the real API server writes them: metav1.Status bodies with the same
// reasons, codes, messages and details (k8s.io/apimachinery/pkg/api/errors). Pure.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Identifies a resource in messages: "daemonsets.apps", "services". */
export interface GroupResource {
  group: string;
  resource: string;
}

export class KubeError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly details: StatusDetails | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: number, reason: string | undefined, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubeError';
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.retryAfterSeconds = details?.retryAfterSeconds;
  }

  toStatus(): StatusBody {
    const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, code: this.code };
    if (this.reason !== undefined) body.reason = this.reason;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

export function notFound(gr: GroupResource, name: string): KubeError {
  return new KubeError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group || undefined, kind: gr.resource });
}

export function alreadyExists(gr: GroupResource, name: string): KubeError {
  return new KubeError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group || undefined, kind: gr.resource });
}

export const CONFLICT_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, why: string = CONFLICT_MESSAGE): KubeError {
  return new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, 'BadRequest', message);
}

export function forbidden(gr: GroupResource, name: string, why: string, causes?: StatusCause[]): KubeError {
  const subject = name === '' ? qualified(gr) : `${qualified(gr)} "${name}"`;
  const details: StatusDetails = { name: name || undefined, group: gr.group || undefined, kind: gr.resource };
  if (causes) details.causes = causes;
  return new KubeError(403, 'Forbidden', `${subject} is forbidden: ${why}`, details);
}

export function namespaceTerminating(gr: GroupResource, name: string, namespace: string): KubeError {
  return forbidden(gr, name, `unable to create new content in namespace ${namespace} because it is being terminated`, [
    { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
  ]);
}

export function methodNotSupported(gr: GroupResource, verb: string): KubeError {
  return new KubeError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, {
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function routeNotFound(): KubeError {
  return new KubeError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unauthorized(): KubeError {
  return new KubeError(401, 'Unauthorized', 'Unauthorized');
}

export function internal(message: string): KubeError {
  // The storage layer's plain errors reach clients as 500 without a reason.
  return new KubeError(500, undefined, message);
}

export function expired(message: string): KubeError {
  return new KubeError(410, 'Expired', message);
}

/** 422 from patch application (a failed JSON-patch `test`, a bad path): as NewGenericServerResponse. */
export function patchRejected(serverMessage: string): KubeError {
  return new KubeError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }],
  });
}

/** Default reason for a status code, as NewGenericServerResponse picks it (used by injected faults). */
export function reasonForCode(code: number): string | undefined {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return undefined;
  }
}

export function defaultMessageForCode(code: number): string {
  switch (code) {
    case 429: return 'Too many requests, please try again later.';
    case 500: return 'Internal error occurred: injected fault';
    case 503: return 'the server is currently unable to handle the request';
    case 504: return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default: return `the server responded with the status code ${code} but did not return more information`;
  }
}
