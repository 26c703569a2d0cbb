// GCE global operations (in-memory state and timers): every write is accepted as an Operation in
// status RUNNING and its change is applied when the operation completes, `operationMs` later
// (0: completed before the accepting response is sent, so anyone who asks sees DONE). An
// operation can fail after acceptance: it ends DONE with `error` and the change is not made.
// `requestId` retries within the window get the original operation back and change nothing.
import { COMPUTE_URL, gceTimestamp, newId, newOperationName } from './ids.ts';
import { GoogleApiError, notFound } from './errors.ts';

export interface OperationError {
  errors: { code: string; message: string }[];
}

export interface OperationJson {
  kind: 'compute#operation';
  id: string;
  name: string;
  operationType: string;
  targetLink: string;
  targetId?: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  user: string;
  progress: number;
  insertTime: string;
  startTime: string;
  endTime?: string;
  selfLink: string;
  error?: OperationError;
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
}

export interface OperationStoreOptions {
  operationMs: number;
  /** How long `wait` blocks at most before answering with a still-running operation. */
  waitCapMs: number;
  requestIdWindowMs: number;
  user: string;
}

export interface StartOperation {
  project: string;
  operationType: string;
  targetLink: string;
  targetId?: string;
  /** Identifies the resource, to refuse a second change while one is pending. */
  targetKey: string;
  requestId?: string;
  /** Makes the change; may throw GoogleApiError, which fails the operation. */
  apply: () => void;
  /** Fail after acceptance (injected fault): error code, message, HTTP status. */
  failure?: { code: string; message: string; httpStatus: number };
}

interface OperationRecord {
  project: string;
  json: OperationJson;
  targetKey: string;
  timer?: NodeJS.Timeout;
  done: Promise<void>;
  resolveDone: () => void;
  complete?: () => void;
}

const HTTP_MESSAGES: Record<number, string> = {
  400: 'BAD REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION FAILED',
  429: 'TOO MANY REQUESTS',
  500: 'INTERNAL SERVER ERROR',
  503: 'SERVICE UNAVAILABLE',
};

const OPERATION_CODE_BY_REASON: Record<string, string> = {
  alreadyExists: 'RESOURCE_ALREADY_EXISTS',
  notFound: 'RESOURCE_NOT_FOUND',
  resourceNotReady: 'RESOURCE_NOT_READY',
  invalid: 'INVALID_FIELD_VALUE',
};

const HTTP_STATUS_BY_OPERATION_CODE: Record<string, number> = {
  QUOTA_EXCEEDED: 403,
  RESOURCE_ALREADY_EXISTS: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_NOT_FOUND: 404,
  RESOURCE_NOT_READY: 400,
  INVALID_FIELD_VALUE: 400,
  CONDITION_NOT_MET: 412,
  INTERNAL_ERROR: 500,
};

export function httpStatusForOperationCode(code: string): number {
  return HTTP_STATUS_BY_OPERATION_CODE[code] ?? 400;
}

export function defaultOperationMessage(code: string, resource: string): string {
  if (code === 'QUOTA_EXCEEDED') return "Quota 'FIREWALLS' exceeded.  Limit: 200.0 globally.";
  if (code === 'RESOURCE_ALREADY_EXISTS' || code === 'ALREADY_EXISTS') return `The resource '${resource}' already exists`;
  if (code === 'RESOURCE_NOT_FOUND') return `The resource '${resource}' was not found`;
  if (code === 'INTERNAL_ERROR') return 'Internal error. Please try again or contact Google Support.';
  return `Operation on '${resource}' failed: ${code}`;
}

export class OperationStore {
  private readonly opts: OperationStoreOptions;
  private readonly byName = new Map<string, OperationRecord>(); // key: project/name
  private readonly pendingByTarget = new Map<string, OperationRecord>();
  private readonly byRequestId = new Map<string, { key: string; at: number }>();
  private earlyWaits = 0;
  private closed = false;

  constructor(opts: OperationStoreOptions) {
    this.opts = opts;
  }

  /** The operation a previous request with this id created, if still within the window. */
  findByRequestId(project: string, requestId: string): OperationJson | undefined {
    const hit = this.byRequestId.get(`${project}/${requestId}`);
    if (!hit) return undefined;
    if (Date.now() - hit.at > this.opts.requestIdWindowMs) {
      this.byRequestId.delete(`${project}/${requestId}`);
      return undefined;
    }
    const rec = this.byName.get(hit.key);
    return rec ? structuredClone(rec.json) : undefined;
  }

  /** The not-yet-DONE operation on a resource, if any. */
  pendingType(targetKey: string): string | undefined {
    return this.pendingByTarget.get(targetKey)?.json.operationType;
  }

  start(s: StartOperation): OperationJson {
    const now = Date.now();
    const name = newOperationName(now);
    const json: OperationJson = {
      kind: 'compute#operation',
      id: newId(),
      name,
      operationType: s.operationType,
      targetLink: s.targetLink,
      ...(s.targetId !== undefined ? { targetId: s.targetId } : {}),
      status: 'RUNNING',
      user: this.opts.user,
      progress: 0,
      insertTime: gceTimestamp(now),
      startTime: gceTimestamp(now),
      selfLink: `${COMPUTE_URL}/projects/${s.project}/global/operations/${name}`,
    };
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const rec: OperationRecord = { project: s.project, json, targetKey: s.targetKey, done, resolveDone };
    const key = `${s.project}/${name}`;
    this.byName.set(key, rec);
    if (s.requestId !== undefined) this.byRequestId.set(`${s.project}/${s.requestId}`, { key, at: now });
    const accepted = structuredClone(json);
    this.pendingByTarget.set(s.targetKey, rec);
    const complete = (): void => this.complete(rec, s);
    rec.complete = complete;
    if (this.opts.operationMs <= 0) complete();
    else rec.timer = setTimeout(complete, this.opts.operationMs);
    return accepted;
  }

  private complete(rec: OperationRecord, s: StartOperation): void {
    rec.timer = undefined;
    const resource = s.targetLink.replace(`${COMPUTE_URL}/`, '');
    let failure = s.failure;
    if (!failure) {
      try {
        s.apply();
      } catch (e) {
        if (!(e instanceof GoogleApiError)) throw e;
        const code = OPERATION_CODE_BY_REASON[e.reason] ?? e.reason.toUpperCase();
        failure = { code, message: e.message, httpStatus: e.code };
      }
    }
    const json = rec.json;
    json.status = 'DONE';
    json.progress = 100;
    json.endTime = gceTimestamp(Date.now());
    if (failure) {
      json.error = { errors: [{ code: failure.code, message: failure.message || defaultOperationMessage(failure.code, resource) }] };
      json.httpErrorStatusCode = failure.httpStatus;
      json.httpErrorMessage = HTTP_MESSAGES[failure.httpStatus] ?? 'ERROR';
    }
    if (this.pendingByTarget.get(rec.targetKey) === rec) this.pendingByTarget.delete(rec.targetKey);
    rec.resolveDone();
  }

  get(project: string, name: string): OperationJson {
    const rec = this.byName.get(`${project}/${name}`);
    if (!rec) throw notFound(`projects/${project}/global/operations/${name}`);
    return structuredClone(rec.json);
  }

  /** Blocks until DONE or `waitCapMs`; answers at once while early returns are armed. */
  async wait(project: string, name: string): Promise<OperationJson> {
    const rec = this.byName.get(`${project}/${name}`);
    if (!rec) throw notFound(`projects/${project}/global/operations/${name}`);
    if (rec.json.status !== 'DONE' && this.earlyWaits > 0) {
      this.earlyWaits--;
      return structuredClone(rec.json);
    }
    if (rec.json.status !== 'DONE' && !this.closed) {
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((r) => (timer = setTimeout(r, this.opts.waitCapMs)));
      await Promise.race([rec.done, cap]);
      clearTimeout(timer);
    }
    return structuredClone(rec.json);
  }

  /** The next `n` waits on a running operation return immediately (GCE may return early). */
  returnWaitEarly(n: number): void {
    this.earlyWaits += n;
  }

  list(project?: string): OperationJson[] {
    return [...this.byName.values()].filter((r) => project === undefined || r.project === project).map((r) => structuredClone(r.json));
  }

  /** Completes every pending operation now (deterministic tests with a long operationMs). */
  finishPending(): void {
    for (const rec of [...this.pendingByTarget.values()]) {
      if (rec.timer) {
        clearTimeout(rec.timer);
        rec.complete?.();
      }
    }
  }

  /** Resolves when every operation accepted so far is DONE. */
  async settle(): Promise<void> {
    await Promise.all([...this.pendingByTarget.values()].map((r) => r.done));
  }

  /** Stops timers; pending operations stay RUNNING forever and waiters are released. */
  close(): void {
    this.closed = true;
    for (const rec of this.byName.values()) {
      if (rec.timer) clearTimeout(rec.timer);
      rec.resolveDone();
    }
  }
}
