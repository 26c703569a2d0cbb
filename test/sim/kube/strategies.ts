// Per-resource write rules (the registry "strategies" of the real API server): defaulting,
// which fields a write may change, generation bumps, validation, Service allocation. Pure apart
// from the allocator state it is handed.
import { defaultDaemonSet, defaultServiceSpec, defaultServiceStatus } from './defaults.ts';
import type { FieldError } from './field_errors.ts';
import { normalizeMicroTime, normalizeTime } from './times.ts';
import { deepEqual } from './patch.ts';
import type { ResourceName } from './resources.ts';
import type { ServiceAllocator } from './allocator.ts';
import { allocate, carryAllocatedValues, clusterIPChanged, defaultIPFamilies, dropTypeDependentFields, heldBy, releaseUnused } from './service_allocation.ts';
import {
  validateDaemonSetSpec,
  validateDaemonSetStatus,
  validateDaemonSetUpdate,
  validateEndpointSlice,
  validateEvent,
  validateNode,
  validateService,
  validateServiceStatus,
} from './validation.ts';
import type { WireDaemonSet, WireEndpointSlice, WireEvent, WireNamespace, WireNode, WireObject, WireService } from './types.ts';

export interface StrategyContext {
  allocator: ServiceAllocator;
}

export interface Strategy {
  prepareCreate(obj: WireObject): void;
  validateCreate(obj: WireObject): FieldError[];
  prepareUpdate(next: WireObject, prev: WireObject): void;
  validateUpdate(next: WireObject, prev: WireObject): FieldError[];
  validateStatus(next: WireObject, prev: WireObject): FieldError[];
  /** Last step before storing (allocation); returns errors that reject the write. */
  commit(next: WireObject, prev: WireObject | undefined, ctx: StrategyContext): FieldError[];
  onDelete(prev: WireObject, ctx: StrategyContext): void;
}

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

const base: Strategy = {
  prepareCreate: () => {},
  validateCreate: () => [],
  prepareUpdate: () => {},
  validateUpdate: () => [],
  validateStatus: () => [],
  commit: () => [],
  onDelete: () => {},
};

const daemonsets: Strategy = {
  ...base,
  prepareCreate(obj) {
    const ds = obj as WireDaemonSet;
    defaultDaemonSet(ds);
    ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    ds.metadata.generation = 1;
    ds.metadata.annotations = { ...ds.metadata.annotations, [TEMPLATE_GENERATION]: '1' };
  },
  validateCreate: (obj) => validateDaemonSetSpec(obj as WireDaemonSet),
  prepareUpdate(next, prev) {
    const ds = next as WireDaemonSet;
    const old = prev as WireDaemonSet;
    defaultDaemonSet(ds);
    ds.status = old.status;
    const templateGeneration = Number(old.metadata.annotations?.[TEMPLATE_GENERATION] ?? '1');
    const templateChanged = !deepEqual(ds.spec?.template, old.spec?.template);
    ds.metadata.annotations = {
      ...ds.metadata.annotations,
      [TEMPLATE_GENERATION]: String(templateChanged ? templateGeneration + 1 : templateGeneration),
    };
    const generation = old.metadata.generation ?? 1;
    ds.metadata.generation = deepEqual(ds.spec, old.spec) ? generation : generation + 1;
  },
  validateUpdate: (next, prev) => validateDaemonSetUpdate(next as WireDaemonSet, prev as WireDaemonSet),
  validateStatus: (next) => validateDaemonSetStatus(next as WireDaemonSet),
};

const services: Strategy = {
  ...base,
  prepareCreate(obj) {
    const svc = obj as WireService;
    defaultServiceSpec(svc);
    defaultIPFamilies(svc);
    svc.status = { loadBalancer: {} };
  },
  validateCreate: (obj) => validateService(obj as WireService),
  prepareUpdate(next, prev) {
    const svc = next as WireService;
    const old = prev as WireService;
    carryAllocatedValues(svc, old);
    dropTypeDependentFields(svc, old);
    defaultServiceSpec(svc);
    defaultIPFamilies(svc);
    svc.status = old.status;
  },
  validateUpdate(next, prev) {
    const errs = validateService(next as WireService, prev as WireService);
    const ipErr = clusterIPChanged(next as WireService, prev as WireService);
    if (ipErr) errs.push(ipErr);
    return errs;
  },
  validateStatus(next) {
    const svc = next as WireService;
    defaultServiceStatus((svc.status ??= {}));
    for (const c of svc.status.conditions ?? []) c.lastTransitionTime = normalizeTime(c.lastTransitionTime) as string | undefined;
    return validateServiceStatus(svc);
  },
  commit(next, prev, ctx) {
    const svc = next as WireService;
    const { errors } = allocate(svc, ctx.allocator, heldBy(prev as WireService | undefined));
    if (errors.length === 0 && prev !== undefined) releaseUnused(prev as WireService, svc, ctx.allocator);
    return errors;
  },
  onDelete(prev, ctx) {
    releaseUnused(prev as WireService, undefined, ctx.allocator);
  },
};

const namespaces: Strategy = {
  ...base,
  prepareCreate(obj) {
    const ns = obj as WireNamespace;
    ns.spec = { finalizers: ['kubernetes'] };
    ns.status = { phase: 'Active' };
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
  },
  prepareUpdate(next, prev) {
    const ns = next as WireNamespace;
    ns.status = (prev as WireNamespace).status;
    ns.spec ??= (prev as WireNamespace).spec;
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
  },
};

const nodes: Strategy = {
  ...base,
  validateCreate: (obj) => validateNode(obj as WireNode),
  prepareUpdate(next, prev) {
    next.status = prev.status;
  },
  validateUpdate: (next) => validateNode(next as WireNode),
};

function normalizeEventTimes(ev: WireEvent): void {
  ev.firstTimestamp = normalizeTime(ev.firstTimestamp) as string | null | undefined;
  ev.lastTimestamp = normalizeTime(ev.lastTimestamp) as string | null | undefined;
  ev.eventTime = normalizeMicroTime(ev.eventTime) as string | null | undefined;
}

const events: Strategy = {
  ...base,
  prepareCreate: (obj) => normalizeEventTimes(obj as WireEvent),
  validateCreate: (obj) => validateEvent(obj as WireEvent),
  prepareUpdate: (next) => normalizeEventTimes(next as WireEvent),
  validateUpdate: (next) => validateEvent(next as WireEvent),
};

const endpointslices: Strategy = {
  ...base,
  prepareCreate(obj) {
    obj.metadata.generation = 1;
    for (const p of (obj as WireEndpointSlice).ports ?? []) p.protocol ??= 'TCP';
  },
  validateCreate: (obj) => validateEndpointSlice(obj as WireEndpointSlice),
  prepareUpdate(next, prev) {
    for (const p of (next as WireEndpointSlice).ports ?? []) p.protocol ??= 'TCP';
    const strip = (o: WireObject): unknown => ({ ...o, metadata: undefined });
    const generation = prev.metadata.generation ?? 1;
    next.metadata.generation = deepEqual(strip(next), strip(prev)) ? generation : generation + 1;
  },
  validateUpdate: (next, prev) => validateEndpointSlice(next as WireEndpointSlice, prev as WireEndpointSlice),
};

export const STRATEGIES: Record<Exclude<ResourceName, 'pods'>, Strategy> = {
  daemonsets,
  services,
  namespaces,
  nodes,
  events,
  endpointslices,
};
