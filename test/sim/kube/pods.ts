// Daemon pods generated on demand from the controller's compact slots: JSON rendering (metadata,
// spec with the node pinned the way the controller pins it, status for Running / not Ready /
// Pending), lookup by name, and list pages in name order with label and field selectors.
import { hex8 as hex, mix32 } from './clock.ts';
import type { DaemonSetController, DaemonSetState, NodeState } from './daemonset_controller.ts';
import { decodeSuffix, encodeSuffix, orderCode, orderIndex, podUid, READY, SCHEDULED, STARTED, suffixCode } from './pod_slots.ts';
import { matchesLabels, type FieldRequirement, type LabelSelector } from './selectors.ts';
import type { WirePodSpec } from './types.ts';

const NODE_MARK = '\u0001NODE\u0001';
const NODE_MARK_JSON = JSON.stringify(NODE_MARK).slice(1, -1);

interface RenderCache {
  labels: Record<string, string>;
  metaTail: string; // ,"generateName":…,"labels":…,"ownerReferences":…
  specBound: string[]; // spec JSON split around the node name
  specUnbound: string[];
  containers: { name: string; image: string }[];
  initContainers: { name: string; image: string }[];
  qosClass: string;
  unreadyNames: string;
}

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (const ch of String(h >>> 0)) out += alphabet[Number(ch) % 27];
  return out;
}

function podSpec(ds: DaemonSetState, bound: boolean): WirePodSpec {
  const spec: WirePodSpec = structuredClone(ds.template.spec ?? {});
  const affinity = spec.affinity ?? {};
  affinity.nodeAffinity = {
    ...affinity.nodeAffinity,
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [NODE_MARK] }] }],
    },
  };
  const out: WirePodSpec = { ...spec, affinity, tolerations: ds.tolerations };
  out.serviceAccountName ??= 'default';
  out.serviceAccount ??= out.serviceAccountName;
  out.enableServiceLinks ??= true;
  out.priority ??= 0;
  out.preemptionPolicy ??= 'PreemptLowerPriority';
  if (bound) out.nodeName = NODE_MARK;
  else delete out.nodeName;
  return out;
}

function cacheFor(ds: DaemonSetState): RenderCache {
  if (ds.render) return ds.render as RenderCache;
  const templateMeta = ds.template.metadata ?? {};
  const revisionHash = hashText(JSON.stringify(ds.template));
  const labels = { ...templateMeta.labels, 'controller-revision-hash': revisionHash, 'pod-template-generation': String(ds.templateGeneration) };
  const owner = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.name, uid: ds.uid, controller: true, blockOwnerDeletion: true }];
  let metaTail = `,"generateName":${JSON.stringify(`${ds.name}-`)},"namespace":${JSON.stringify(ds.namespace)},"labels":${JSON.stringify(labels)}`;
  if (templateMeta.annotations && Object.keys(templateMeta.annotations).length > 0) metaTail += `,"annotations":${JSON.stringify(templateMeta.annotations)}`;
  metaTail += `,"ownerReferences":${JSON.stringify(owner)}`;
  const containers = (ds.template.spec?.containers ?? []).map((c) => ({ name: c.name ?? '', image: c.image ?? '' }));
  const initContainers = (ds.template.spec?.initContainers ?? []).map((c) => ({ name: c.name ?? '', image: c.image ?? '' }));
  const hasResources = [...(ds.template.spec?.containers ?? []), ...(ds.template.spec?.initContainers ?? [])].some((c) => {
    const r = c.resources as { requests?: object; limits?: object } | undefined;
    return (r?.requests && Object.keys(r.requests).length > 0) || (r?.limits && Object.keys(r.limits).length > 0);
  });
  const cache: RenderCache = {
    labels,
    metaTail,
    specBound: JSON.stringify(podSpec(ds, true)).split(NODE_MARK_JSON),
    specUnbound: JSON.stringify(podSpec(ds, false)).split(NODE_MARK_JSON),
    containers,
    initContainers,
    qosClass: hasResources ? 'Burstable' : 'BestEffort',
    unreadyNames: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
  };
  ds.render = cache;
  return cache;
}

export function podLabels(ds: DaemonSetState): Record<string, string> {
  return cacheFor(ds).labels;
}

function podIP(ds: DaemonSetState, node: NodeState): string {
  if (ds.hostNetwork) return node.hostIPs[0] ?? '';
  const n = ((node.idx * 2048 + (ds.denseIdx % 2048)) % (1 << 23)) + (10 << 24) + (128 << 16);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}


export interface PodContext {
  controller: DaemonSetController;
  iso: (ms: number) => string;
  nodeCount: () => number;
}

export function podName(ctl: DaemonSetController, ds: DaemonSetState, idx: number): string {
  return `${ds.name}-${encodeSuffix(suffixCode(ds.slots.seq[idx] ?? 0, ctl.salt))}`;
}

export function phaseOf(ds: DaemonSetState, idx: number): string {
  const flags = ds.slots.flags[idx] ?? 0;
  return (flags & SCHEDULED) !== 0 && (flags & STARTED) !== 0 ? 'Running' : 'Pending';
}

function statusJson(ctx: PodContext, ds: DaemonSetState, node: NodeState, idx: number, cache: RenderCache, uid: string): string {
  const s = ds.slots;
  const flags = s.flags[idx] ?? 0;
  const seq = s.seq[idx] ?? 0;
  const created = ctx.iso(s.created[idx] ?? 0);
  const changed = ctx.iso(s.changed[idx] ?? 0);
  const cond = (type: string, status: string, time: string, extra = ''): string =>
    `{"type":"${type}","status":"${status}","lastProbeTime":null,"lastTransitionTime":"${time}"${extra}}`;
  if ((flags & SCHEDULED) === 0) {
    const n = ctx.nodeCount();
    const others = n > 1 ? `, ${n - 1} node(s) didn't match Pod's node affinity/selector` : '';
    const message = `0/${n} nodes are available: 1 node(s) didn't have free ports for the requested pod ports${others}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
    return `{"phase":"Pending","conditions":[${cond('PodScheduled', 'False', changed, `,"reason":"Unschedulable","message":${JSON.stringify(message)}`)}],"qosClass":"${cache.qosClass}"}`;
  }
  const hostIPs = node.hostIPs.map((ip) => `{"ip":"${ip}"}`).join(',');
  const hostIP = node.hostIPs[0] ?? '';
  if ((flags & STARTED) === 0) {
    return `{"phase":"Pending","conditions":[${cond('PodScheduled', 'True', created)}],"hostIP":"${hostIP}","hostIPs":[${hostIPs}],"qosClass":"${cache.qosClass}"}`;
  }
  const ready = (flags & READY) !== 0;
  const probeFailing = !ready && node.ready;
  const containersReady = ready || !probeFailing;
  const notReadyExtra = `,"reason":"ContainersNotReady","message":${JSON.stringify(cache.unreadyNames)}`;
  const ip = podIP(ds, node);
  const conditions = [
    cond('PodReadyToStartContainers', 'True', created),
    cond('Initialized', 'True', created),
    cond('Ready', ready ? 'True' : 'False', ready ? created : changed, probeFailing ? notReadyExtra : ''),
    cond('ContainersReady', containersReady ? 'True' : 'False', containersReady ? created : changed, probeFailing ? notReadyExtra : ''),
    cond('PodScheduled', 'True', created),
  ].join(',');
  const uidHex = uid.replace(/-/g, '');
  const cid = (i: number): string => `containerd://${hex(mix32(seq * 31 + i))}${uidHex}${hex(i)}${hex(seq)}`;
  const inits = cache.initContainers
    .map((c, i) => `{"name":${JSON.stringify(c.name)},"state":{"terminated":{"exitCode":0,"reason":"Completed","startedAt":"${created}","finishedAt":"${created}","containerID":"${cid(100 + i)}"}},"lastState":{},"ready":true,"restartCount":0,"image":${JSON.stringify(c.image)},"imageID":"","containerID":"${cid(100 + i)}","started":false}`)
    .join(',');
  const mains = cache.containers
    .map((c, i) => `{"name":${JSON.stringify(c.name)},"state":{"running":{"startedAt":"${created}"}},"lastState":{},"ready":${containersReady},"restartCount":0,"image":${JSON.stringify(c.image)},"imageID":"","containerID":"${cid(i)}","started":true}`)
    .join(',');
  return `{"phase":"Running","conditions":[${conditions}],"hostIP":"${hostIP}","hostIPs":[${hostIPs}],"podIP":"${ip}","podIPs":[{"ip":"${ip}"}],"startTime":"${created}"${inits ? `,"initContainerStatuses":[${inits}]` : ''},"containerStatuses":[${mains}],"qosClass":"${cache.qosClass}"}`;
}

/** The pod JSON (no kind/apiVersion, as list items are) for the slot of `ds` on node `idx`. */
export function renderPod(ctx: PodContext, ds: DaemonSetState, idx: number): string {
  const node = ctx.controller.nodeByIdx[idx];
  if (!node) return '{}';
  const cache = cacheFor(ds);
  const s = ds.slots;
  const seq = s.seq[idx] ?? 0;
  const name = podName(ctx.controller, ds, idx);
  const nodeJson = JSON.stringify(node.name).slice(1, -1);
  const bound = ((s.flags[idx] ?? 0) & SCHEDULED) !== 0;
  const spec = (bound ? cache.specBound : cache.specUnbound).join(nodeJson);
  const uid = podUid(seq, ctx.controller.salt);
  const meta = `{"name":"${name}","uid":"${uid}","resourceVersion":"${s.rv[idx] ?? 0}","creationTimestamp":"${ctx.iso(s.created[idx] ?? 0)}"${cache.metaTail}}`;
  return `{"metadata":${meta},"spec":${spec},"status":${statusJson(ctx, ds, node, idx, cache, uid)}}`;
}

/** Finds the DaemonSet and node index of a pod name in a namespace. */
export function findPod(ctl: DaemonSetController, namespace: string, name: string): { ds: DaemonSetState; idx: number } | undefined {
  if (name.length < 7 || name[name.length - 6] !== '-') return undefined;
  const ds = ctl.sets.get(`${namespace}/${name.slice(0, -6)}`);
  const code = decodeSuffix(name.slice(-5));
  if (!ds || code === undefined) return undefined;
  const order = ds.slots.sortedByName(ctl.salt);
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (orderCode(order[mid] ?? 0) < code) lo = mid + 1;
    else hi = mid;
  }
  const entry = order[lo];
  if (entry === undefined || orderCode(entry) !== code) return undefined;
  return { ds, idx: orderIndex(entry) };
}

export interface PodListQuery {
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldRequirement[];
  limit: number; // 0: no limit
  after: string | undefined; // "namespace/podName" of the last item of the previous page
}

export interface PodListPage {
  items: string[];
  lastKey: string | undefined;
  more: boolean;
}

/** Pods in (namespace, DaemonSet name, pod name) order: the API's name order whenever no
 *  DaemonSet's name is another's name plus a dash-suffix. */
export function listPods(ctx: PodContext, q: PodListQuery): PodListPage {
  const ctl = ctx.controller;
  const items: string[] = [];
  let lastKey: string | undefined;
  let afterNs = '';
  let afterDs: string | undefined;
  let afterCode = -1;
  if (q.after !== undefined) {
    const slash = q.after.indexOf('/');
    afterNs = q.after.slice(0, slash);
    const pod = q.after.slice(slash + 1);
    afterDs = pod.slice(0, -6);
    afterCode = decodeSuffix(pod.slice(-5)) ?? -1;
  }
  const nodeNameEq = q.fields.find((f) => f.field === 'spec.nodeName' && f.op === '=');
  const onlyNode = nodeNameEq ? ctl.nodes.get(nodeNameEq.value) : undefined;
  if (nodeNameEq && !onlyNode) return { items, lastKey: undefined, more: false };
  const namespaces = q.namespace !== undefined ? [q.namespace] : [...ctl.byNamespace.keys()].sort();
  for (const ns of namespaces) {
    if (q.after !== undefined && ns < afterNs) continue;
    for (const ds of ctl.byNamespace.get(ns) ?? []) {
      let minCode = -1;
      if (q.after !== undefined && ns === afterNs && afterDs !== undefined) {
        const a = `${ds.name}-`;
        const b = `${afterDs}-`;
        if (a < b) continue;
        if (a === b) minCode = afterCode;
      }
      if (!matchesLabels(podLabels(ds), q.labels)) continue;
      const order = ds.slots.sortedByName(ctl.salt);
      for (let i = 0; i < order.length; i++) {
        const entry = order[i] ?? 0;
        if (orderCode(entry) <= minCode) continue;
        const idx = orderIndex(entry);
        if (onlyNode && idx !== onlyNode.idx) continue;
        if (q.fields.length > 0 && !podMatchesFields(ctx, ds, idx, q.fields)) continue;
        if (q.limit > 0 && items.length >= q.limit) return { items, lastKey, more: true };
        items.push(renderPod(ctx, ds, idx));
        lastKey = `${ns}/${ds.name}-${encodeSuffix(orderCode(entry))}`;
      }
    }
  }
  return { items, lastKey, more: false };
}

function podMatchesFields(ctx: PodContext, ds: DaemonSetState, idx: number, fields: FieldRequirement[]): boolean {
  for (const f of fields) {
    const have = podField(ctx, ds, idx, f.field);
    if (f.op === '=' ? have !== f.value : have === f.value) return false;
  }
  return true;
}

export function podField(ctx: PodContext, ds: DaemonSetState, idx: number, field: string): string {
  const flags = ds.slots.flags[idx] ?? 0;
  const node = ctx.controller.nodeByIdx[idx];
  switch (field) {
    case 'metadata.name': return podName(ctx.controller, ds, idx);
    case 'metadata.namespace': return ds.namespace;
    case 'spec.nodeName': return (flags & SCHEDULED) !== 0 ? (node?.name ?? '') : '';
    case 'status.phase': return phaseOf(ds, idx);
    case 'spec.hostNetwork': return String(ds.hostNetwork);
    case 'status.podIP': return (flags & STARTED) !== 0 && (flags & SCHEDULED) !== 0 && node ? podIP(ds, node) : '';
    default: return '';
  }
}
