// Names, labels and ownership markers of everything nodelb creates, and the short hashes they
// use (pure; node:crypto's sha256 is deterministic, so it is allowed here).
import { createHash } from 'node:crypto';
import type { FirewallMarker, IPFamily, ServiceRef } from './model.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'nodelb';
export const SERVICE_NAMESPACE_LABEL = 'nodelb.dev/service-namespace';
export const SERVICE_NAME_LABEL = 'nodelb.dev/service-name';
export const SERVICE_UID_LABEL = 'nodelb.dev/service-uid';
export const DAEMONSET_LABEL = 'nodelb.dev/daemonset';
export const SPEC_HASH_ANNOTATION = 'nodelb.dev/spec-hash';
export const POOL_NODE_LABEL = 'nodelb.dev/pool';
export const SERVING_CONDITION = 'nodelb.dev/Serving';
export const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';
export const NAME_PREFIX = 'nodelb-';

const MAX_NAME = 63; // DNS label (DaemonSet names end up in pod names and labels) and GCE names
export const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** JSON with object keys sorted at every level, so equal values always hash the same. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** `nodelb-<service name cut short>-<first 8 of UID>`, at most 63 characters (like servicelb's svclb-…). */
export function daemonSetName(serviceName: string, uid: string): string {
  const suffix = `-${uid.slice(0, 8).toLowerCase()}`;
  const room = MAX_NAME - NAME_PREFIX.length - suffix.length;
  const cut = serviceName.slice(0, room).replace(/-+$/, '');
  return `${NAME_PREFIX}${cut}${suffix}`;
}

/** `nodelb-<8-hex hash of cluster id>-<UID without dashes>[-v6]`: GCE's name rules, ≤ 63. */
export function firewallName(clusterId: string, uid: string, family: IPFamily): string {
  const suffix = family === 'IPv6' ? '-v6' : '';
  const head = `${NAME_PREFIX}${shortHash(clusterId)}-`;
  const id = uid.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, MAX_NAME - head.length - suffix.length);
  return `${head}${id}${suffix}`;
}

export function serviceKey(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

export function serviceRef(svc: { namespace: string; name: string; uid: string }): ServiceRef {
  return { namespace: svc.namespace, name: svc.name, uid: svc.uid };
}

/** The firewall description: fixed key order, so the text itself is stable and comparable. */
export function encodeFirewallMarker(marker: FirewallMarker): string {
  const { managedBy, cluster, service, uid, family } = marker;
  return JSON.stringify({ managedBy, cluster, service, uid, family });
}

/** undefined unless the description is a complete nodelb marker. */
export function parseFirewallMarker(description: string | null | undefined): FirewallMarker | undefined {
  if (!description) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(description);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.managedBy !== MANAGED_BY_VALUE) return undefined;
  if (typeof v.cluster !== 'string' || typeof v.service !== 'string' || typeof v.uid !== 'string') return undefined;
  if (v.family !== 'IPv4' && v.family !== 'IPv6') return undefined;
  return { managedBy: 'nodelb', cluster: v.cluster, service: v.service, uid: v.uid, family: v.family };
}

/** The ServiceRef recorded in an owned DaemonSet's labels. */
export function ownerFromLabels(labels: Record<string, string> | undefined): ServiceRef {
  return {
    namespace: labels?.[SERVICE_NAMESPACE_LABEL] ?? '',
    name: labels?.[SERVICE_NAME_LABEL] ?? '',
    uid: labels?.[SERVICE_UID_LABEL] ?? '',
  };
}

export function ownerFromMarker(marker: FirewallMarker): ServiceRef {
  const slash = marker.service.indexOf('/');
  return {
    namespace: slash < 0 ? '' : marker.service.slice(0, slash),
    name: slash < 0 ? marker.service : marker.service.slice(slash + 1),
    uid: marker.uid,
  };
}
