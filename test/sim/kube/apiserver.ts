// The simulated API server's request semantics, independent of HTTP: create, get, list, update,
// patch, delete and the status subresource, with namespace lifecycle admission, preconditions,
// resourceVersions, validation, and the DaemonSet controller run after each relevant write.
import { ServiceAllocator } from './allocator.ts';
import { IdGenerator, SimClock } from './clock.ts';
import { DaemonSetController } from './daemonset_controller.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  internal,
  KubeError,
  methodNotSupported,
  namespaceTerminating,
  notFound,
  type GroupResource,
} from './errors.ts';
import { invalidObject } from './field_errors.ts';
import { decodeContinue, encodeContinue, listTable, type ListPage } from './list.ts';
import { jsonPatch, mergePatch, deepEqual } from './patch.ts';
import { findPod, listPods, renderPod, type PodContext } from './pods.ts';
import { RESOURCES, type ResourceInfo, type ResourceName } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { objectKey, Revision, Table, type StoredObject } from './store.ts';
import { STRATEGIES, type Strategy } from './strategies.ts';
import { encodeSuffix } from './pod_slots.ts';
import { validateObjectMeta } from './validation_meta.ts';
import { isObject, type WireDaemonSet, type WireNode, type WireObject } from './types.ts';

export type StoredResource = Exclude<ResourceName, 'pods'>;
export type PatchType = 'json' | 'merge' | 'strategic';

export interface ListRequest {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: string[]; // item JSON
  resourceVersion: string;
  continue?: string;
}

export interface DeleteResult {
  /** The deleted (or, for namespaces, terminating) object, or undefined when a Status answers. */
  object?: WireObject;
  status?: Record<string, unknown>;
}

export interface WriteOptions {
  dryRun?: boolean;
}

function gr(info: ResourceInfo): GroupResource {
  return { group: info.group, resource: info.resource };
}

function stripTypeMeta(body: unknown, info: ResourceInfo): WireObject {
  if (!isObject(body)) throw badRequest(`the body of the request was in an unknown format - it must be a JSON object`);
  const { apiVersion, kind, ...rest } = body;
  if (kind !== undefined && kind !== info.kind) {
    throw badRequest(`the kind in the request body (${String(kind)}) does not match the resource (${info.kind})`);
  }
  if (apiVersion !== undefined && apiVersion !== info.apiVersion) {
    throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${info.apiVersion})`);
  }
  const obj = structuredClone(rest) as WireObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (!isObject(obj.metadata)) throw badRequest('metadata must be an object');
  delete obj.metadata.managedFields;
  delete obj.metadata.selfLink;
  return obj;
}

export class KubeApiServer {
  readonly clock: SimClock;
  readonly ids: IdGenerator;
  readonly revision = new Revision();
  readonly allocator: ServiceAllocator;
  readonly controller: DaemonSetController;
  readonly tables: Record<StoredResource, Table>;
  private readonly podCtx: PodContext;

  constructor(opts: { clock?: SimClock; seed?: number } = {}) {
    this.clock = opts.clock ?? new SimClock();
    this.ids = new IdGenerator(opts.seed);
    this.allocator = new ServiceAllocator(() => this.ids.nextInt());
    this.tables = { namespaces: new Table(), nodes: new Table(), services: new Table(), events: new Table(), endpointslices: new Table(), daemonsets: new Table() };
    this.controller = new DaemonSetController(
      { nextRv: () => this.revision.next(), now: () => this.clock.now(), writeStatus: (key, status) => this.writeDaemonSetStatus(key, status) },
      this.ids.nextInt(),
    );
    this.podCtx = { controller: this.controller, iso: (ms) => this.clock.iso(ms), nodeCount: () => this.controller.nodes.size };
  }

  get resourceVersion(): string {
    return String(this.revision.current);
  }

  // ---- reads -------------------------------------------------------------------------------

  getStored(info: ResourceInfo, namespace: string | undefined, name: string): StoredObject {
    const entry = this.table(info).get(objectKey(info.namespaced ? namespace : undefined, name));
    if (!entry) throw notFound(gr(info), name);
    return entry;
  }

  /** Item JSON of one object (pods rendered from their slots). */
  getJson(info: ResourceInfo, namespace: string | undefined, name: string): string {
    if (info.resource === 'pods') {
      const pod = findPod(this.controller, namespace ?? '', name);
      if (!pod) throw notFound(gr(info), name);
      return renderPod(this.podCtx, pod.ds, pod.idx);
    }
    const entry = this.getStored(info, namespace, name);
    return this.table(info).json(entry);
  }

  list(info: ResourceInfo, req: ListRequest): ListResult {
    const labels = req.labelSelector ? parseLabelSelector(req.labelSelector) : [];
    const fields = req.fieldSelector ? parseFieldSelector(req.fieldSelector, info.fieldSelectors) : [];
    const limit = req.limit !== undefined && req.limit > 0 ? Math.floor(req.limit) : 0;
    const token = req.continue ? decodeContinue(req.continue, this.clock.now()) : undefined;
    const query = { namespace: info.namespaced ? req.namespace : undefined, labels, fields, limit, after: token?.after };
    const page: ListPage = info.resource === 'pods' ? listPods(this.podCtx, query) : listTable(info, this.table(info), query);
    const rv = token?.rv ?? this.revision.current;
    const result: ListResult = { items: page.items, resourceVersion: String(rv) };
    if (page.more && page.lastKey !== undefined) {
      result.continue = encodeContinue({ rv, after: page.lastKey, issuedMs: token?.issuedMs ?? this.clock.now() });
    }
    return result;
  }

  // ---- writes ------------------------------------------------------------------------------

  create(info: ResourceInfo, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): WireObject {
    if (info.resource === 'pods') throw methodNotSupported(gr(info), 'create');
    const strategy = this.strategy(info);
    const obj = stripTypeMeta(body, info);
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
      this.admitNamespace(info, namespace ?? '', meta.name ?? '');
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      throw internal('resourceVersion should not be set on objects to be created');
    }
    if ((meta.name ?? '') === '' && meta.generateName) meta.name = this.generateName(meta.generateName);
    meta.uid = this.ids.uuid();
    meta.creationTimestamp = this.clock.iso();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.generation;
    strategy.prepareCreate(obj);
    const errors = [...validateObjectMeta(meta, info.nameRule), ...strategy.validateCreate(obj)];
    const name = meta.name ?? '';
    if (errors.length > 0) throw invalidObject(info.kind, info.group, name, errors);
    const key = objectKey(meta.namespace, name);
    if (this.table(info).has(key)) throw alreadyExists(gr(info), name);
    if (opts.dryRun) return obj;
    const commitErrors = strategy.commit(obj, undefined, { allocator: this.allocator });
    if (commitErrors.length > 0) throw invalidObject(info.kind, info.group, name, commitErrors);
    meta.resourceVersion = String(this.revision.next());
    this.table(info).put(key, obj);
    this.afterWrite(info, key, obj, undefined, false);
    return obj;
  }

  update(info: ResourceInfo, namespace: string | undefined, name: string, body: unknown, subresource?: 'status', opts: WriteOptions = {}): { object: WireObject; created: boolean } {
    if (info.resource === 'pods') throw methodNotSupported(gr(info), 'update');
    const strategy = this.strategy(info);
    const obj = stripTypeMeta(body, info);
    const meta = obj.metadata;
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const existing = this.table(info).get(key);
    if (!existing) {
      if (info.allowCreateOnUpdate && subresource === undefined) {
        delete meta.resourceVersion;
        meta.name = name;
        return { object: this.create(info, namespace, obj, opts), created: true };
      }
      throw notFound(gr(info), name);
    }
    const prev = existing.obj;
    if (info.namespaced) this.admitNamespace(info, namespace ?? '', name, true);
    this.checkPreconditions(info, name, prev, meta.uid, meta.resourceVersion);
    let next: WireObject;
    let errors;
    if (subresource === 'status') {
      next = { ...structuredClone(prev), status: obj.status };
      errors = strategy.validateStatus(next, prev);
    } else {
      next = obj;
      next.metadata = {
        ...meta,
        name,
        namespace: prev.metadata.namespace,
        uid: prev.metadata.uid,
        creationTimestamp: prev.metadata.creationTimestamp,
        generation: prev.metadata.generation,
      };
      if (prev.metadata.namespace === undefined) delete next.metadata.namespace;
      if (prev.metadata.generation === undefined) delete next.metadata.generation;
      if (prev.metadata.deletionTimestamp !== undefined) next.metadata.deletionTimestamp = prev.metadata.deletionTimestamp;
      else delete next.metadata.deletionTimestamp;
      strategy.prepareUpdate(next, prev);
      errors = [...validateObjectMeta(next.metadata, info.nameRule), ...strategy.validateUpdate(next, prev)];
    }
    if (errors.length > 0) throw invalidObject(info.kind, info.group, name, errors);
    next.metadata.resourceVersion = prev.metadata.resourceVersion;
    if (deepEqual(next, prev)) return { object: prev, created: false }; // a no-op write keeps the revision
    if (opts.dryRun) return { object: next, created: false };
    const commitErrors = strategy.commit(next, prev, { allocator: this.allocator });
    if (commitErrors.length > 0) throw invalidObject(info.kind, info.group, name, commitErrors);
    next.metadata.resourceVersion = String(this.revision.next());
    this.table(info).put(key, next);
    this.afterWrite(info, key, next, prev, subresource === 'status');
    return { object: next, created: false };
  }

  patch(info: ResourceInfo, namespace: string | undefined, name: string, type: PatchType, body: unknown, subresource?: 'status', opts: WriteOptions = {}): WireObject {
    if (info.resource === 'pods') throw methodNotSupported(gr(info), 'patch');
    const existing = this.getStored(info, namespace, name);
    const current = { apiVersion: info.apiVersion, kind: info.kind, ...structuredClone(existing.obj) };
    const patched = type === 'json' ? jsonPatch(current, body) : mergePatch(current, body);
    if (!isObject(patched)) throw badRequest('the patched object is not a JSON object');
    if (patched.metadata === undefined) patched.metadata = {};
    return this.update(info, namespace, name, patched, subresource, opts).object;
  }

  delete(info: ResourceInfo, namespace: string | undefined, name: string, options: unknown, opts: WriteOptions = {}): DeleteResult {
    if (info.resource === 'pods') return this.deletePod(info, namespace ?? '', name);
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const existing = this.getStored(info, namespace, name);
    const prev = existing.obj;
    const pre = isObject(options) && isObject(options.preconditions) ? options.preconditions : {};
    this.checkPreconditions(info, name, prev, typeof pre.uid === 'string' ? pre.uid : undefined, typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined);
    if (opts.dryRun) return info.returnDeletedObject ? { object: prev } : { status: this.successStatus(info, prev) };
    if (info.resource === 'namespaces') {
      if (prev.metadata.deletionTimestamp !== undefined) return { object: prev };
      const next: WireObject = {
        ...structuredClone(prev),
        metadata: { ...structuredClone(prev.metadata), deletionTimestamp: this.clock.iso(), resourceVersion: String(this.revision.next()) },
        status: { phase: 'Terminating' },
      };
      this.table(info).put(key, next);
      return { object: next };
    }
    this.table(info).delete(key);
    this.revision.next();
    this.strategy(info).onDelete(prev, { allocator: this.allocator });
    this.afterDelete(info, key, prev);
    return info.returnDeletedObject ? { object: prev } : { status: this.successStatus(info, prev) };
  }

  /** A write by a system component (kubelet, node lifecycle controller, test harness): the
   *  object is stored whole, status and deletionTimestamp included, after ObjectMeta and create
   *  validation; uid and creationTimestamp stay those of the stored object unless given. */
  systemPut(info: ResourceInfo, body: WireObject): WireObject {
    if (info.resource === 'pods') throw methodNotSupported(gr(info), 'update');
    const obj = stripTypeMeta(body, info);
    const meta = obj.metadata;
    const name = meta.name ?? '';
    const key = objectKey(info.namespaced ? meta.namespace : undefined, name);
    const prev = this.table(info).get(key)?.obj;
    if (info.namespaced && !prev) this.admitNamespace(info, meta.namespace ?? '', name);
    meta.uid ??= prev?.metadata.uid ?? this.ids.uuid();
    meta.creationTimestamp ??= prev?.metadata.creationTimestamp ?? this.clock.iso();
    const errors = [...validateObjectMeta(meta, info.nameRule), ...this.strategy(info).validateCreate(obj)];
    if (errors.length > 0) throw invalidObject(info.kind, info.group, name, errors);
    meta.resourceVersion = prev?.metadata.resourceVersion;
    if (prev && deepEqual(obj, prev)) return prev;
    meta.resourceVersion = String(this.revision.next());
    this.table(info).put(key, obj);
    this.afterWrite(info, key, obj, prev, false);
    return obj;
  }

  /** Removes a namespace and everything in it at once (the namespace controller's end state). */
  purgeNamespace(name: string): void {
    for (const res of ['services', 'events', 'endpointslices', 'daemonsets'] as const) {
      const info = RESOURCES[res];
      const table = this.tables[res];
      for (const key of [...table.keys()]) {
        if (!key.startsWith(`${name}/`)) continue;
        const entry = table.get(key);
        table.delete(key);
        this.revision.next();
        if (entry) {
          this.strategy(info).onDelete(entry.obj, { allocator: this.allocator });
          this.afterDelete(info, key, entry.obj);
        }
      }
    }
    if (this.tables.namespaces.delete(name)) this.revision.next();
  }

  // ---- internals ---------------------------------------------------------------------------

  private table(info: ResourceInfo): Table {
    return this.tables[info.resource as StoredResource];
  }

  private strategy(info: ResourceInfo): Strategy {
    return STRATEGIES[info.resource as StoredResource];
  }

  private generateName(prefix: string): string {
    // A clash with an existing name answers AlreadyExists, as on a real server.
    return prefix + encodeSuffix(this.ids.nextInt() % 14348907);
  }

  /** NamespaceLifecycle admission: no content in missing or terminating namespaces. */
  private admitNamespace(info: ResourceInfo, namespace: string, name: string, updating = false): void {
    const ns = this.tables.namespaces.get(namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (updating) return;
    if ((ns.obj.status as { phase?: string } | undefined)?.phase === 'Terminating') throw namespaceTerminating(gr(info), name, namespace);
  }

  private checkPreconditions(info: ResourceInfo, name: string, prev: WireObject, uid: string | undefined, rv: string | undefined): void {
    if (uid !== undefined && uid !== '' && uid !== prev.metadata.uid) {
      throw conflict(gr(info), name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${prev.metadata.uid ?? ''}`);
    }
    if (rv !== undefined && rv !== '' && rv !== prev.metadata.resourceVersion) {
      if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${rv}`);
      throw conflict(gr(info), name);
    }
  }

  private successStatus(info: ResourceInfo, prev: WireObject): Record<string, unknown> {
    const details: Record<string, unknown> = { name: prev.metadata.name, kind: info.resource, uid: prev.metadata.uid };
    if (info.group !== '') details.group = info.group;
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
  }

  private afterWrite(info: ResourceInfo, key: string, obj: WireObject, _prev: WireObject | undefined, statusOnly: boolean): void {
    if (info.resource === 'daemonsets') {
      if (statusOnly) this.controller.refreshStatus(key);
      else this.controller.upsertDaemonSet(obj as WireDaemonSet);
    } else if (info.resource === 'nodes') {
      this.controller.upsertNode(obj as WireNode);
    }
  }

  private afterDelete(info: ResourceInfo, key: string, prev: WireObject): void {
    if (info.resource === 'daemonsets') this.controller.removeDaemonSet(key);
    else if (info.resource === 'nodes') this.controller.removeNode(prev.metadata.name ?? '');
  }

  private deletePod(info: ResourceInfo, namespace: string, name: string): DeleteResult {
    const pod = findPod(this.controller, namespace, name);
    if (!pod) throw notFound(gr(info), name);
    const json = renderPod(this.podCtx, pod.ds, pod.idx);
    this.controller.recreatePod(pod.ds, pod.idx);
    return { object: JSON.parse(json) as WireObject };
  }

  /** The controller's status write: a new stored object, so earlier answers stay as they were. */
  private writeDaemonSetStatus(key: string, status: Record<string, number>): void {
    const entry = this.tables.daemonsets.get(key);
    if (!entry) return;
    const obj = entry.obj;
    const next: WireObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.revision.next()) }, status };
    this.tables.daemonsets.put(key, next);
  }
}

export { KubeError };
