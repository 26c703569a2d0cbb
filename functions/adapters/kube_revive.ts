// Makes parsed JSON what client-node's types declare: every field typed Date (metadata
// creation/deletion, condition transition and heartbeat times, taints' timeAdded) becomes a
// Date, for the kinds the client returns. managedFields (server-side apply bookkeeping, often
// the biggest part of an object) is never read, so it is dropped instead of revived; a status
// write that leaves it out leaves it unchanged on the server. Pure (mutates what it is given).
// test/unit/kube_revive.test.ts checks these paths against client-node's own type metadata.
import type { V1DaemonSet, V1EndpointSlice, V1Namespace, V1Node, V1ObjectMeta, V1Service } from '@kubernetes/client-node';

type Loose = Record<string, unknown>;

function date(obj: Loose | undefined, key: string): void {
  const v = obj?.[key];
  if (typeof v === 'string') (obj as Loose)[key] = new Date(v);
}

function meta(m: V1ObjectMeta | undefined): void {
  if (!m) return;
  date(m as Loose, 'creationTimestamp');
  date(m as Loose, 'deletionTimestamp');
  if (m.managedFields !== undefined) delete m.managedFields;
}

function each(list: unknown, ...keys: string[]): void {
  if (!Array.isArray(list)) return;
  for (const item of list) for (const k of keys) date(item as Loose, k);
}

export function reviveService(s: V1Service): V1Service {
  meta(s.metadata);
  each(s.status?.conditions, 'lastTransitionTime');
  return s;
}

export function reviveNamespace(n: V1Namespace): V1Namespace {
  meta(n.metadata);
  each(n.status?.conditions, 'lastTransitionTime');
  return n;
}

export function reviveNode(n: V1Node): V1Node {
  meta(n.metadata);
  each(n.spec?.taints, 'timeAdded');
  each(n.status?.conditions, 'lastHeartbeatTime', 'lastTransitionTime');
  return n;
}

export function reviveDaemonSet(d: V1DaemonSet): V1DaemonSet {
  meta(d.metadata);
  meta(d.spec?.template?.metadata);
  for (const v of d.spec?.template?.spec?.volumes ?? []) meta(v.ephemeral?.volumeClaimTemplate?.metadata);
  each(d.status?.conditions, 'lastTransitionTime');
  return d;
}

export function reviveEndpointSlice(e: V1EndpointSlice): V1EndpointSlice {
  meta(e.metadata);
  return e;
}
