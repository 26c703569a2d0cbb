// ComputeApi as a lean REST client: aggregated instance list and firewall list (all pages),
// firewall insert/patch/delete with a caller-kept requestId, then a wait on the global operation
// until DONE. Typed with @google-cloud/compute's published types only (type import). Does I/O.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { protos } from '@google-cloud/compute';
import { ApiError } from '../platform/errors.ts';
import { systemClock, type Clock, type Deadline } from '../platform/clock.ts';
import type { ComputeApi, Firewall, Instance } from './apis.ts';
import type { TokenSource } from './auth.ts';
import type { CallCounter } from '../platform/calls.ts';
import { computeError, gcloudFirewall, operationError, type ComputeOp } from './compute_errors.ts';
import { createRestClient, type RestClient } from './google_rest.ts';

type Operation = protos.google.cloud.compute.v1.IOperation;
type InstanceAggregatedList = protos.google.cloud.compute.v1.IInstanceAggregatedList;
type FirewallList = protos.google.cloud.compute.v1.IFirewallList;

export interface ComputeApiOptions {
  baseUrl: string; // e.g. https://compute.googleapis.com/compute/v1
  tokens: TokenSource;
  counter: CallCounter;
  clock?: Clock;
  /** Give up waiting on one operation after this long (a retryable error: the requestId makes
   *  the retry pick up the same operation). */
  operationTimeoutMs?: number;
  /** The sync's deadline: an operation still running then is left to finish on its own (its
   *  requestId and the next sync's list make that safe) rather than holding the sync past it. */
  deadline?: Deadline;
  /** Firewall write requests in flight (default 8). Only the request holds a slot: the waits on
   *  the operations that follow run in parallel, so a hundred rules take one operation's time
   *  (about 2 s on GCE), not a hundred / 8 of them. */
  writeConcurrency?: number;
  fetch?: typeof fetch;
}

const PAGE = 500;
const WRITE_PERMISSION = 'compute.networks.updatePolicy';

// eslint-disable-next-line max-lines-per-function -- one small method per Compute call, sharing the client, counter and write bound
export function createComputeApi(opts: ComputeApiOptions): ComputeApi {
  const rest = createRestClient({ api: 'compute', baseUrl: opts.baseUrl, tokens: opts.tokens, counter: opts.counter, fetch: opts.fetch });
  const clock = opts.clock ?? systemClock;
  const operationTimeoutMs = opts.operationTimeoutMs ?? 300_000;
  const p = (project: string) => `/projects/${encodeURIComponent(project)}`;
  const writeSlot = pLimit(Math.max(1, opts.writeConcurrency ?? 8));
  /** requestIds whose operation ended in an error, and the id that replaces each: GCE answers a
   *  repeat of such an id with the same failed operation, so a retry has to be a new request. */
  const spent = new Map<string, string>();
  const currentId = (id: string): string => {
    let cur = id;
    for (let next = spent.get(cur); next !== undefined; next = spent.get(cur)) cur = next;
    return cur;
  };

  return {
    async listInstances(project, filter) {
      const call: ComputeOp = { op: `list instances of project ${project}`, project, permissions: ['compute.instances.list'] };
      const out: Instance[] = [];
      let pageToken: string | undefined;
      do {
        const page = await rest.request<InstanceAggregatedList>({
          method: 'GET',
          path: `${p(project)}/aggregated/instances`,
          query: { filter, maxResults: PAGE, pageToken },
          write: false,
          op: call.op,
          classify: (f) => computeError(f, call),
        });
        const unreachable = [...(page.unreachables ?? [])];
        for (const [scope, scoped] of Object.entries(page.items ?? {})) {
          // Zones without instances answer with a NO_RESULTS_ON_PAGE warning and are skipped;
          // an unreachable zone means the list is partial, which must not look like "no nodes".
          if (scoped.warning?.code === 'UNREACHABLE') unreachable.push(scope);
          out.push(...(scoped.instances ?? []));
        }
        if (unreachable.length > 0)
          throw new ApiError({
            api: 'compute',
            op: call.op,
            reason: 'UNREACHABLE',
            message: `${call.op}: partial result, unreachable: ${unreachable.join(', ')}`,
            retryable: true,
          });
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      return out;
    },

    async listFirewalls(project, filter) {
      const call: ComputeOp = { op: `list firewall rules of project ${project}`, project, permissions: ['compute.firewalls.list'] };
      const out: Firewall[] = [];
      let pageToken: string | undefined;
      do {
        const page = await rest.request<FirewallList>({
          method: 'GET',
          path: `${p(project)}/global/firewalls`,
          query: { filter, maxResults: PAGE, pageToken },
          write: false,
          op: call.op,
          classify: (f) => computeError(f, call),
        });
        out.push(...(page.items ?? []));
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      return out;
    },

    async insertFirewall(project, rule, requestId) {
      const name = rule.name ?? '';
      const call: ComputeOp = {
        op: `insert firewall rule ${name}`,
        project,
        permissions: ['compute.firewalls.create', WRITE_PERMISSION],
        byHand: gcloudFirewall('create', project, name, rule),
        firewallWrite: true,
      };
      await mutate(call, { method: 'POST', path: `${p(project)}/global/firewalls`, body: rule, requestId }, 'alreadyExists', 'ALREADY_EXISTS');
    },

    async patchFirewall(project, name, rule, requestId) {
      const call: ComputeOp = {
        op: `patch firewall rule ${name}`,
        project,
        permissions: ['compute.firewalls.update', WRITE_PERMISSION],
        byHand: gcloudFirewall('update', project, name, rule),
        firewallWrite: true,
      };
      await mutate(call, { method: 'PATCH', path: `${p(project)}/global/firewalls/${encodeURIComponent(name)}`, body: rule, requestId });
    },

    async deleteFirewall(project, name, requestId) {
      const call: ComputeOp = {
        op: `delete firewall rule ${name}`,
        project,
        permissions: ['compute.firewalls.delete', WRITE_PERMISSION],
        byHand: gcloudFirewall('delete', project, name),
        firewallWrite: true,
      };
      await mutate(call, { method: 'DELETE', path: `${p(project)}/global/firewalls/${encodeURIComponent(name)}`, requestId }, 'notFound', 'RESOURCE_NOT_FOUND');
    },
  };

  /** One write: request, then wait for its operation. `doneReason`/`doneCode`: the HTTP reason
   *  and operation code that mean "already as wanted" (insert of an existing rule, delete of a
   *  missing one), which a concurrent run or an earlier attempt may have caused. */
  async function mutate(
    call: ComputeOp,
    req: { method: 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown; requestId: string },
    doneReason?: string,
    doneCode?: string,
  ): Promise<void> {
    let op: Operation;
    const requestId = currentId(req.requestId);
    try {
      op = await writeSlot(() =>
        rest.request<Operation>({
          method: req.method,
          path: req.path,
          query: { requestId },
          body: req.body,
          write: true,
          op: call.op,
          classify: (f) => computeError(f, call),
        }),
      );
    } catch (e) {
      if (doneReason && e instanceof ApiError && e.reason === doneReason) return;
      throw e;
    }
    const done = await waitForOperation(rest, call, op);
    const code = done.error?.errors?.[0]?.code;
    if (!done.error?.errors?.length || (doneCode !== undefined && code === doneCode)) return;
    spent.set(requestId, randomUUID());
    throw operationError(done, call);
  }

  async function waitForOperation(client: RestClient, call: ComputeOp, first: Operation): Promise<Operation> {
    const started = clock.now();
    let op = first;
    const pending = (cause?: unknown) =>
      new ApiError({
        api: 'compute',
        op: call.op,
        reason: 'OPERATION_PENDING',
        message: `${call.op}: operation ${op.name ?? ''} still ${String(op.status)} at the sync's deadline; the next sync sees how it ended`,
        retryable: true,
        cause,
      });
    while (op.status !== 'DONE') {
      if (opts.deadline?.expired()) throw pending();
      if (clock.now() - started > operationTimeoutMs)
        throw new ApiError({
          api: 'compute',
          op: call.op,
          reason: 'OPERATION_TIMEOUT',
          message: `${call.op}: operation ${op.name ?? ''} still ${String(op.status)} after ${operationTimeoutMs} ms`,
          retryable: true,
        });
      const asked = clock.now();
      try {
        op = await client.request<Operation>({
          method: 'POST',
          path: `/projects/${encodeURIComponent(call.project)}/global/operations/${encodeURIComponent(op.name ?? '')}/wait`,
          write: false,
          op: `${call.op} (wait)`,
          // The server holds a wait for up to about two minutes; we hold it no longer than the budget.
          timeoutMs: Math.max(1, Math.min(150_000, opts.deadline?.remaining() ?? Infinity)),
          classify: (f) => computeError(f, { ...call, permissions: ['compute.globalOperations.get'], byHand: undefined }),
        });
      } catch (e) {
        if (opts.deadline?.expired()) throw pending(e);
        throw e;
      }
      // wait may answer early; a quick non-DONE answer should not turn into a busy loop.
      if (op.status !== 'DONE' && clock.now() - asked < 500) await clock.sleep(500);
    }
    return op;
  }
}
