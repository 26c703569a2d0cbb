// URL routing of the simulated Compute API (pure dispatch over the stores): which paths exist,
// which query parameters each accepts (GCE rejects unknown ones), which requests are writes,
// and the list/get/write handlers that shape GCE's JSON answers.
import type { FaultRule } from '../faults.ts';
import type { SimRequest, SimResponse } from './http.ts';
import { COMPUTE_URL, isValidRequestId } from './ids.ts';
import { invalidField, notFound, unknownQueryParameter } from './errors.ts';
import { compileFilter } from './filter.ts';
import { orderKey, paginate, parsePageRequest } from './paging.ts';
import { FIREWALL_FIELDS } from './firewall_rules.ts';
import type { FirewallStore, WriteOptions } from './firewalls.ts';
import { INSTANCE_FIELDS, type InstanceStore } from './instances.ts';
import { httpStatusForOperationCode, type OperationStore } from './operations.ts';
import type { ProjectRegistry } from './projects.ts';
import type { Instance } from '../../../functions/adapters/apis.ts';

export interface ComputeState {
  projects: ProjectRegistry;
  instances: InstanceStore;
  firewalls: FirewallStore;
  operations: OperationStore;
}

const SYSTEM_PARAMS = new Set([
  'alt',
  '$alt',
  'prettyPrint',
  '$prettyPrint',
  'fields',
  '$fields',
  'key',
  'quotaUser',
  'userIp',
  'callback',
  '$callback',
  'access_token',
  'oauth_token',
  'upload_protocol',
  'uploadType',
  '$.xgafv',
]);
const LIST_PARAMS = ['filter', 'maxResults', 'orderBy', 'pageToken', 'returnPartialSuccess'];
const AGGREGATED_PARAMS = [...LIST_PARAMS, 'includeAllScopes', 'serviceProjectNumber'];
const WRITE_PARAMS = ['requestId'];

const OPERATION_READ = /\/global\/operations\/[^/]+(?:\/wait)?$/;

/** Writes are mutating calls; operation get and wait are reads even when POSTed. */
export function isComputeWrite(method: string, path: string): boolean {
  return method !== 'GET' && !OPERATION_READ.test(path);
}

function checkParams(query: URLSearchParams, allowed: string[]): void {
  for (const k of query.keys()) if (!SYSTEM_PARAMS.has(k) && !allowed.includes(k)) throw unknownQueryParameter(k);
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function writeOptions(req: SimRequest, fault: FaultRule | undefined): WriteOptions {
  const requestId = req.query.get('requestId') ?? undefined;
  if (requestId !== undefined && !isValidRequestId(requestId)) {
    throw invalidField('requestId', requestId, 'The request ID must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000).');
  }
  const code = fault?.operationError;
  return {
    requestId,
    ...(code !== undefined ? { failure: { code, message: fault?.message ?? '', httpStatus: fault?.status ?? httpStatusForOperationCode(code) } } : {}),
  };
}

function aggregatedInstances(s: ComputeState, project: string, req: SimRequest, empty: boolean): SimResponse {
  checkParams(req.query, AGGREGATED_PARAMS);
  const scope = `projects/${project}/aggregated/instances`;
  const match = compileFilter(req.query.get('filter'), INSTANCE_FIELDS);
  const pageReq = parsePageRequest(req.query, scope);
  // Paged across zones: sorted by zone first, then as orderBy says within a zone.
  type Zoned = { zone: string; instance: Instance; name?: string | null; creationTimestamp?: string | null };
  const order = orderKey<Zoned>(req.query.get('orderBy'), (e) => [e.zone]);
  const candidates = empty ? [] : s.instances.listShared(project).filter((e) => match(e.instance));
  const zoned: Zoned[] = candidates.map((e) => ({ ...e, name: e.instance.name, creationTimestamp: e.instance.creationTimestamp }));
  const page = paginate(zoned, pageReq, order, req.query, scope);
  const zones = new Set(s.projects.zones(project));
  for (const e of candidates) zones.add(e.zone);
  const items: Record<string, unknown> = {};
  for (const zone of [...zones].sort()) {
    const onPage = page.items.filter((e) => e.zone === zone).map((e) => e.instance);
    const key = `zones/${zone}`;
    items[key] =
      onPage.length > 0
        ? { instances: onPage }
        : { warning: { code: 'NO_RESULTS_ON_PAGE', message: `There are no results for scope '${key}' on this page.`, data: [{ key: 'scope', value: key }] } };
  }
  return ok({
    kind: 'compute#instanceAggregatedList',
    id: scope,
    items,
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink: `${COMPUTE_URL}/${scope}`,
  });
}

function requireZone(s: ComputeState, project: string, zone: string): void {
  if (!s.projects.zones(project).includes(zone)) throw invalidField('zone', zone, 'Unknown zone.');
}

function zoneInstances(s: ComputeState, project: string, zone: string, req: SimRequest, empty: boolean): SimResponse {
  checkParams(req.query, LIST_PARAMS);
  requireZone(s, project, zone);
  const scope = `projects/${project}/zones/${zone}/instances`;
  const match = compileFilter(req.query.get('filter'), INSTANCE_FIELDS);
  const pageReq = parsePageRequest(req.query, scope);
  const all = empty ? [] : s.instances.listShared(project, zone).map((e) => e.instance).filter((i) => match(i));
  const page = paginate(all, pageReq, orderKey<Instance>(req.query.get('orderBy')), req.query, scope);
  return ok({
    kind: 'compute#instanceList',
    id: scope,
    ...(page.items.length > 0 ? { items: page.items } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink: `${COMPUTE_URL}/${scope}`,
  });
}

function listFirewalls(s: ComputeState, project: string, req: SimRequest, empty: boolean): SimResponse {
  checkParams(req.query, LIST_PARAMS);
  const scope = `projects/${project}/global/firewalls`;
  const match = compileFilter(req.query.get('filter'), FIREWALL_FIELDS);
  const pageReq = parsePageRequest(req.query, scope);
  const all = empty ? [] : s.firewalls.listShared(project).filter((r) => match(r));
  const page = paginate(all, pageReq, orderKey(req.query.get('orderBy')), req.query, scope);
  return ok({
    kind: 'compute#firewallList',
    id: scope,
    ...(page.items.length > 0 ? { items: page.items } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink: `${COMPUTE_URL}/${scope}`,
  });
}

/** Dedupe by requestId first: a retried write gets its original operation back. */
function write(s: ComputeState, project: string, req: SimRequest, fault: FaultRule | undefined, run: (w: WriteOptions) => unknown): SimResponse {
  checkParams(req.query, WRITE_PARAMS);
  const w = writeOptions(req, fault);
  if (w.requestId !== undefined) {
    const previous = s.operations.findByRequestId(project, w.requestId);
    if (previous) return ok(previous);
  }
  return ok(run(w));
}

const P = '/compute/v1/projects/([^/]+)';
const ROUTES: { re: RegExp; handle: (s: ComputeState, m: string[], req: SimRequest, fault: FaultRule | undefined) => SimResponse | Promise<SimResponse | undefined> | undefined }[] = [
  {
    re: new RegExp(`^${P}/aggregated/instances$`),
    handle: (s, [p = ''], req, f) => (req.method === 'GET' ? aggregatedInstances(s, p, req, Boolean(f?.emptyList)) : undefined),
  },
  {
    re: new RegExp(`^${P}/zones/([^/]+)/instances$`),
    handle: (s, [p = '', z = ''], req, f) => (req.method === 'GET' ? zoneInstances(s, p, z, req, Boolean(f?.emptyList)) : undefined),
  },
  {
    re: new RegExp(`^${P}/zones/([^/]+)/instances/([^/]+)$`),
    handle: (s, [p = '', z = '', name = ''], req) => {
      if (req.method !== 'GET') return undefined;
      checkParams(req.query, []);
      requireZone(s, p, z);
      const inst = s.instances.get({ project: p, zone: z, name });
      if (!inst) throw notFound(`projects/${p}/zones/${z}/instances/${name}`);
      return ok(inst);
    },
  },
  {
    re: new RegExp(`^${P}/global/firewalls$`),
    handle: (s, [p = ''], req, f) => {
      if (req.method === 'GET') return listFirewalls(s, p, req, Boolean(f?.emptyList));
      if (req.method === 'POST') return write(s, p, req, f, (w) => s.firewalls.insert(p, req.body ?? {}, w));
      return undefined;
    },
  },
  {
    re: new RegExp(`^${P}/global/firewalls/([^/]+)$`),
    handle: (s, [p = '', name = ''], req, f) => {
      switch (req.method) {
        case 'GET': {
          checkParams(req.query, []);
          const rule = s.firewalls.get(p, name);
          if (!rule) throw notFound(`projects/${p}/global/firewalls/${name}`);
          return ok(rule);
        }
        case 'PATCH':
          return write(s, p, req, f, (w) => s.firewalls.patch(p, name, req.body ?? {}, w));
        case 'PUT':
          return write(s, p, req, f, (w) => s.firewalls.update(p, name, req.body ?? {}, w));
        case 'DELETE':
          return write(s, p, req, f, (w) => s.firewalls.delete(p, name, w));
        default:
          return undefined;
      }
    },
  },
  {
    re: new RegExp(`^${P}/global/operations/([^/]+)$`),
    handle: (s, [p = '', op = ''], req) => {
      if (req.method !== 'GET') return undefined;
      checkParams(req.query, []);
      return ok(s.operations.get(p, op));
    },
  },
  {
    re: new RegExp(`^${P}/global/operations/([^/]+)/wait$`),
    handle: async (s, [p = '', op = ''], req) => {
      if (req.method !== 'POST') return undefined;
      checkParams(req.query, []);
      return ok(await s.operations.wait(p, op));
    },
  },
];

export async function routeCompute(s: ComputeState, req: SimRequest, fault: FaultRule | undefined): Promise<SimResponse | undefined> {
  for (const r of ROUTES) {
    const m = r.re.exec(req.path);
    if (!m) continue;
    const groups = m.slice(1).map((g) => decodeURIComponent(g));
    s.projects.require(groups[0] ?? '');
    return r.handle(s, groups, req, fault);
  }
  return undefined;
}
