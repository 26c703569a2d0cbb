// Deterministic fault injection and call accounting shared by the simulated APIs. A rule matches
// requests by API, method and path, fires a bounded number of times, and says what goes wrong.

export type SimApi = 'kube' | 'compute' | 'container';

export interface FaultRule {
  api: SimApi;
  method?: string; // GET, POST, PUT, PATCH, DELETE; any when absent
  path?: string | RegExp; // substring or regex on the URL path (no query); any when absent
  /** How many matching requests it affects (default 1; Infinity for "always"). */
  times?: number;
  /** Skip this many matching requests before firing (default 0). */
  after?: number;
  status?: number; // answer with this HTTP status and an API-shaped error body
  reason?: string; // Kubernetes Status.reason or GCE errors[0].reason
  message?: string;
  retryAfterSeconds?: number; // adds a Retry-After header
  delayMs?: number; // answer late (then normally, unless another effect applies)
  drop?: boolean; // destroy the connection without an answer
  /** compute/container: handle the request normally (a write is accepted and applied), then
   *  destroy the connection instead of answering: the "applied, but the answer was lost" case. */
  dropAfterApply?: boolean;
  emptyList?: boolean; // a list answers with no items (the "suspicious empty list")
  /** compute writes: accept (200 + operation), then the operation ends DONE with this error
   *  code and the change is not made. */
  operationError?: string;
}

export interface CallRecord {
  api: SimApi;
  method: string;
  path: string;
  query: string;
  status: number; // 0 when dropped
  write: boolean;
  fault?: string; // which effect was injected
}

interface ArmedRule extends FaultRule {
  seen: number;
  fired: number;
}

/** Holds the fault rules and the call log of one simulated GKE. */
export class FaultPlan {
  private rules: ArmedRule[] = [];
  private crashAt: number | undefined;
  private writesSeen = 0;
  readonly calls: CallRecord[] = [];

  add(rule: FaultRule): this {
    this.rules.push({ ...rule, seen: 0, fired: 0 });
    return this;
  }

  /** The (k+1)-th mutating request and everything after it is dropped unanswered and not
   *  applied, like a sync process killed after its k-th write. Cleared by clear(). */
  crashAfterWrites(k: number): this {
    this.crashAt = this.writesSeen + k;
    return this;
  }

  get crashed(): boolean {
    return this.crashAt !== undefined && this.writesSeen > this.crashAt;
  }

  clear(): void {
    this.rules = [];
    this.crashAt = undefined;
  }

  /** Called by a simulated API for each request; returns the effect to apply, if any. */
  match(api: SimApi, method: string, path: string, write: boolean): FaultRule | undefined {
    if (write) this.writesSeen++;
    if (this.crashAt !== undefined && (this.writesSeen > this.crashAt || (!write && this.crashed))) {
      return { api, drop: true };
    }
    for (const r of this.rules) {
      if (r.api !== api) continue;
      if (r.method !== undefined && r.method !== method) continue;
      if (r.path !== undefined && !(typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path))) continue;
      r.seen++;
      if (r.seen <= (r.after ?? 0)) continue;
      if (r.fired >= (r.times ?? 1)) continue;
      r.fired++;
      return r;
    }
    return undefined;
  }

  record(call: CallRecord): void {
    this.calls.push(call);
  }

  /** Counts since the last reset, by API and read/write. */
  counts(api?: SimApi): { reads: number; writes: number } {
    let reads = 0;
    let writes = 0;
    for (const c of this.calls) {
      if (api !== undefined && c.api !== api) continue;
      if (c.write) writes++;
      else reads++;
    }
    return { reads, writes };
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** Total rules that fired, for reports of how many faults a scenario injected. */
  get firedCount(): number {
    return this.rules.reduce((n, r) => n + r.fired, 0);
  }
}
