// The in-process control API of the simulated Kubernetes API server, for tests, the demo and the
// benchmark: nodes, Services, EndpointSlices, namespaces, foreign host ports, pod readiness, the
// clock, and direct (copied) reads of what is stored. Writes go through the same API semantics
// as HTTP requests, without auth, faults or latency.
import type { KubeApiServer } from './apiserver.ts';
import { buildNode, type NodeSpec } from './node_objects.ts';
import { RESOURCES, type ResourceName } from './resources.ts';
import { objectKey } from './store.ts';
import type { WireEndpointSlice, WireEvent, WireNamespace, WireObject, WireService } from './types.ts';

export type { NodeSpec } from './node_objects.ts';

export interface ServiceSpecInput {
  namespace?: string; // default "default"
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: WireService['spec'];
  /** Written through the status subresource after creation. */
  status?: WireService['status'];
}

export interface EndpointInput {
  nodeName: string;
  ready?: boolean; // default true
  ip?: string;
  podName?: string;
  zone?: string;
}

export class KubeControl {
  private readonly api: KubeApiServer;
  private readonly nodeSpecs = new Map<string, NodeSpec>();

  constructor(api: KubeApiServer) {
    this.api = api;
  }

  // ---- clock -------------------------------------------------------------------------------

  get clock(): { now(): number; advance(ms: number): void; iso(): string } {
    const c = this.api.clock;
    return { now: () => c.now(), advance: (ms) => c.advance(ms), iso: () => c.iso() };
  }

  advance(ms: number): void {
    this.api.clock.advance(ms);
  }

  get resourceVersion(): string {
    return this.api.resourceVersion;
  }

  // ---- nodes -------------------------------------------------------------------------------

  addNode(spec: NodeSpec): WireObject {
    this.nodeSpecs.set(spec.name, { ...spec });
    return this.clone(this.api.systemPut(RESOURCES.nodes, buildNode(spec, this.api.clock.iso())));
  }

  /** Changes some fields of a node added with addNode (labels and taints are replaced whole). */
  updateNode(name: string, patch: Partial<Omit<NodeSpec, 'name'>>): WireObject {
    const spec = this.nodeSpecs.get(name);
    if (!spec) throw new Error(`updateNode: no node ${name} added through the control API`);
    const next: NodeSpec = { ...spec, ...patch, name };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
    this.nodeSpecs.set(name, next);
    const stored = this.api.tables.nodes.get(name)?.obj;
    const built = buildNode(next, this.api.clock.iso());
    if (stored) {
      built.metadata.uid = stored.metadata.uid;
      built.metadata.creationTimestamp = stored.metadata.creationTimestamp;
      keepTransitionTimes(built, stored);
    }
    return this.clone(this.api.systemPut(RESOURCES.nodes, built));
  }

  nodeSpec(name: string): NodeSpec | undefined {
    const s = this.nodeSpecs.get(name);
    return s ? { ...s } : undefined;
  }

  deleteNode(name: string): boolean {
    this.nodeSpecs.delete(name);
    if (!this.api.tables.nodes.has(name)) return false;
    this.api.delete(RESOURCES.nodes, undefined, name, undefined);
    return true;
  }

  /** Host ports on a node held by something that is not a pod the simulator knows. */
  setForeignHostPorts(nodeName: string, ports: { port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[]): void {
    this.api.controller.setForeignPorts(nodeName, ports);
  }

  /** Readiness override for the pod of DaemonSet namespace/name on a node; undefined clears. */
  setPodReady(namespace: string, daemonSet: string, nodeName: string, ready: boolean | undefined): void {
    this.api.controller.setPodReady(`${namespace}/${daemonSet}`, nodeName, ready);
  }

  // ---- services and endpoints ----------------------------------------------------------------

  addService(input: ServiceSpecInput): WireService {
    const namespace = input.namespace ?? 'default';
    const body: WireService = { metadata: { name: input.name, namespace, labels: input.labels, annotations: input.annotations }, spec: structuredClone(input.spec) };
    if (!input.labels) delete body.metadata.labels;
    if (!input.annotations) delete body.metadata.annotations;
    let obj = this.api.create(RESOURCES.services, namespace, body);
    if (input.status) obj = this.api.update(RESOURCES.services, namespace, input.name, { ...obj, status: input.status }, 'status').object;
    return this.clone(obj) as WireService;
  }

  /** Read-modify-write of a Service's main resource (unconditional, like a PUT without
   *  resourceVersion); type and class changes follow the real API rules. */
  updateService(namespace: string, name: string, mutate: (svc: WireService) => void): WireService {
    const current = this.clone(this.api.getStored(RESOURCES.services, namespace, name).obj) as WireService;
    mutate(current);
    delete current.metadata.resourceVersion;
    return this.clone(this.api.update(RESOURCES.services, namespace, name, current).object) as WireService;
  }

  deleteService(namespace: string, name: string): boolean {
    if (!this.api.tables.services.has(objectKey(namespace, name))) return false;
    this.api.delete(RESOURCES.services, namespace, name, undefined);
    return true;
  }

  /** Replaces the EndpointSlices of a Service with one slice holding these endpoints. */
  setEndpoints(namespace: string, service: string, endpoints: EndpointInput[], opts: { addressType?: 'IPv4' | 'IPv6'; ports?: { name?: string; port: number; protocol?: string }[] } = {}): WireEndpointSlice {
    const addressType = opts.addressType ?? 'IPv4';
    const sliceName = `${service}-sim`;
    for (const key of [...this.api.tables.endpointslices.keys()]) {
      const obj = this.api.tables.endpointslices.get(key)?.obj;
      if (obj?.metadata.namespace === namespace && obj.metadata.labels?.['kubernetes.io/service-name'] === service && obj.metadata.name !== sliceName) {
        this.api.delete(RESOURCES.endpointslices, namespace, obj.metadata.name ?? '', undefined);
      }
    }
    const svc = this.api.tables.services.get(objectKey(namespace, service))?.obj as WireService | undefined;
    const ports = opts.ports ?? (svc?.spec?.ports ?? []).map((p) => ({ name: p.name ?? '', port: typeof p.targetPort === 'number' ? p.targetPort : (p.port ?? 0), protocol: p.protocol ?? 'TCP' }));
    const slice: WireEndpointSlice = {
      metadata: {
        name: sliceName,
        namespace,
        labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      },
      addressType,
      endpoints: endpoints.map((e, i) => {
        const ready = e.ready !== false;
        const ip = e.ip ?? (addressType === 'IPv4' ? `10.64.${(i >> 8) & 255}.${(i & 255) + 1}` : `fd10::${(i + 1).toString(16)}`);
        const podName = e.podName ?? `${service}-${e.nodeName}`.slice(0, 63).replace(/-+$/, '');
        return {
          addresses: [ip],
          conditions: { ready, serving: ready, terminating: false },
          nodeName: e.nodeName,
          ...(e.zone ? { zone: e.zone } : {}),
          targetRef: { kind: 'Pod', namespace, name: podName, uid: this.api.ids.uuid() },
        };
      }),
      ports,
    };
    const existing = this.api.tables.endpointslices.get(objectKey(namespace, sliceName));
    const out = existing
      ? this.api.update(RESOURCES.endpointslices, namespace, sliceName, slice).object
      : this.api.create(RESOURCES.endpointslices, namespace, slice);
    return this.clone(out) as WireEndpointSlice;
  }

  // ---- namespaces --------------------------------------------------------------------------

  addNamespace(name: string, labels?: Record<string, string>): WireNamespace {
    const obj = this.api.create(RESOURCES.namespaces, undefined, { metadata: { name, ...(labels ? { labels } : {}) } });
    return this.clone(obj) as WireNamespace;
  }

  /** Marks a namespace Terminating (as a DELETE does); its content stays until deleteNamespace. */
  terminateNamespace(name: string): WireNamespace {
    const res = this.api.delete(RESOURCES.namespaces, undefined, name, undefined);
    return this.clone(res.object ?? { metadata: {} }) as WireNamespace;
  }

  /** Removes a namespace and all its content at once. */
  deleteNamespace(name: string): void {
    this.api.purgeNamespace(name);
  }

  // ---- reads -------------------------------------------------------------------------------

  get<T = WireObject>(resource: ResourceName, namespace: string | undefined, name: string): T | undefined {
    const info = RESOURCES[resource];
    try {
      return JSON.parse(this.api.getJson(info, namespace, name)) as T;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  /** Everything of a resource (in a namespace when given), in API order. */
  list<T = WireObject>(resource: ResourceName, namespace?: string, labelSelector?: string): T[] {
    const res = this.api.list(RESOURCES[resource], { namespace, labelSelector });
    return res.items.map((j) => JSON.parse(j) as T);
  }

  /** Number of pods the DaemonSet controller currently holds (without rendering them). */
  podCount(): number {
    let n = 0;
    for (const ds of this.api.controller.sets.values()) n += ds.slots.pods;
    return n;
  }

  /** The most recent events, newest last. */
  events(limit = 50): WireEvent[] {
    const all = [...this.api.tables.events.values()].map((e) => e.obj as WireEvent);
    all.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    return all.slice(-limit).map((e) => this.clone(e) as WireEvent);
  }

  private clone(obj: WireObject): WireObject {
    return structuredClone(obj);
  }
}

/** A rebuilt node keeps the times of conditions and taints that did not change. */
function keepTransitionTimes(next: WireObject, prev: WireObject): void {
  if (next.metadata.deletionTimestamp !== undefined && prev.metadata.deletionTimestamp !== undefined) {
    next.metadata.deletionTimestamp = prev.metadata.deletionTimestamp;
  }
  type Taint = { key: string; effect: string; timeAdded?: string };
  const prevTaints = (prev.spec as { taints?: Taint[] } | undefined)?.taints ?? [];
  for (const t of (next.spec as { taints?: Taint[] } | undefined)?.taints ?? []) {
    const old = prevTaints.find((p) => p.key === t.key && p.effect === t.effect);
    if (old) {
      if (old.timeAdded === undefined) delete t.timeAdded;
      else t.timeAdded = old.timeAdded;
    }
  }
  type Cond = { type: string; status: string; lastTransitionTime?: string; lastHeartbeatTime?: string };
  const prevConds = ((prev.status as { conditions?: Cond[] } | undefined)?.conditions ?? []);
  for (const c of (next.status as { conditions?: Cond[] } | undefined)?.conditions ?? []) {
    const old = prevConds.find((p) => p.type === c.type);
    if (old && old.status === c.status) {
      c.lastTransitionTime = old.lastTransitionTime;
      c.lastHeartbeatTime = old.lastHeartbeatTime;
    }
  }
}
