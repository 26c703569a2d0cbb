// Refusals and warnings for claimed Services (pure): every rule that decides "nodelb serves
// nothing for this one", plus port conflicts between Services. One bad Service never stops others.
import type { IPFamily, NamespaceView, Protocol, ServiceView } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import { parseServiceAnnotations, type ServiceSettings } from './annotations.ts';
import { effectiveSourceRanges, type SourceRanges } from './source_ranges.ts';
import { collapsePorts, deniedRangeFor, formatRange } from './ports.ts';
import { serviceKey } from './naming.ts';

export type ConditionReason = 'Refused' | 'InvalidConfiguration' | 'PortConflict';

/** One thing to tell the Service's owner: the Event reason and the words. */
export interface Notice {
  eventReason: string;
  message: string;
}

export interface Problem extends Notice {
  conditionReason: ConditionReason;
}

export interface Assessment {
  svc: ServiceView;
  settings: ServiceSettings;
  sourceRanges?: SourceRanges; // undefined when they are invalid
  families: IPFamily[]; // spec.ipFamilies, or guessed from the cluster IPs
  clusterIPs: string[];
  problems: Problem[]; // any → refused
  warnings: Notice[]; // served anyway
  /** Namespace terminating: Events cannot be created there, so say nothing. */
  quiet: boolean;
}

/** GCE accepts at most 100 ports or port ranges in one rule. */
export const GCE_MAX_PORT_ENTRIES = 100;

/** Each notice becomes an Event and a part of the condition message, which the API server caps
 *  at 32 KiB: a Service with 1000 denied ports or a 40 kB malformed annotation must still get
 *  its refusal written. So: at most this many notices of one kind, then one that counts the rest,
 *  and no notice longer than MAX_NOTICE_CHARS. Deterministic, so a later run recognises them. */
export const MAX_NOTICES_PER_REASON = 3;
export const MAX_NOTICE_CHARS = 500;

export function boundNotices<T extends Notice>(list: readonly T[]): T[] {
  const count = new Map<string, number>();
  for (const n of list) count.set(n.eventReason, (count.get(n.eventReason) ?? 0) + 1);
  const kept = new Map<string, number>();
  const out: T[] = [];
  for (const n of list) {
    const k = (kept.get(n.eventReason) ?? 0) + 1;
    kept.set(n.eventReason, k);
    const clipped = n.message.length > MAX_NOTICE_CHARS ? `${n.message.slice(0, MAX_NOTICE_CHARS)}… (${n.message.length} characters)` : n.message;
    if (k <= MAX_NOTICES_PER_REASON) out.push({ ...n, message: clipped });
    else if (k === MAX_NOTICES_PER_REASON + 1) {
      const rest = (count.get(n.eventReason) ?? 0) - MAX_NOTICES_PER_REASON;
      out.push({ ...n, message: `and ${rest} more ${n.eventReason} problem${rest === 1 ? '' : 's'} like the above` });
    }
  }
  return out;
}

export function assessService(svc: ServiceView, config: PlanConfig, namespace: NamespaceView | undefined): Assessment {
  const problems: Problem[] = [];
  const warnings: Notice[] = [];
  const refuse = (eventReason: string, conditionReason: ConditionReason, message: string) =>
    problems.push({ eventReason, conditionReason, message });

  const clusterIPs = (svc.clusterIPs.length > 0 ? svc.clusterIPs : svc.clusterIP ? [svc.clusterIP] : []).filter(
    (ip) => ip !== '' && ip !== 'None',
  );
  const families: IPFamily[] =
    svc.ipFamilies.length > 0 ? [...svc.ipFamilies] : clusterIPs.some((ip) => ip.includes(':')) ? ['IPv6'] : ['IPv4'];

  if (config.allowedNamespaces.length > 0 && !config.allowedNamespaces.includes(svc.namespace)) {
    refuse('NamespaceNotAllowed', 'Refused', `namespace ${svc.namespace} may not request nodelb load balancers (allowed: ${config.allowedNamespaces.join(', ')})`);
  }
  const quiet = namespace?.terminating === true;
  if (quiet) refuse('NamespaceTerminating', 'Refused', `namespace ${svc.namespace} is terminating`);

  if (svc.clusterIP === 'None' || clusterIPs.length === 0) {
    refuse('NoClusterIP', 'InvalidConfiguration', 'the Service has no cluster IP (headless): there is nothing to forward traffic to');
  }
  if (svc.ports.length === 0) refuse('NoPorts', 'InvalidConfiguration', 'the Service has no ports');
  if (svc.ports.length > config.maxPortsPerService) {
    refuse('TooManyPorts', 'Refused', `the Service has ${svc.ports.length} ports; at most ${config.maxPortsPerService} are allowed`);
  }
  for (const p of svc.ports) {
    const denied = deniedRangeFor(p.port, config.deniedPorts);
    if (denied) refuse('PortDenied', 'Refused', `port ${p.port}/${p.protocol} is denied (deny-list entry ${formatRange(denied)})`);
    if (p.protocol === 'SCTP' && !config.allowSCTP) {
      refuse('UnsupportedProtocol', 'Refused', `port ${p.port}/SCTP: SCTP is not enabled for nodelb`);
    }
    if (svc.externalTrafficPolicy === 'Local' && !(p.nodePort && p.nodePort > 0)) {
      refuse(
        'MissingNodePort',
        'InvalidConfiguration',
        `port ${p.port}/${p.protocol} has no nodePort, which externalTrafficPolicy: Local needs (is allocateLoadBalancerNodePorts false?)`,
      );
    }
  }
  if (config.manageFirewall) {
    const entries = countPortEntries(svc.ports);
    if (entries > GCE_MAX_PORT_ENTRIES) {
      refuse('TooManyPorts', 'Refused', `the ports need ${entries} port entries in one firewall rule; GCE allows ${GCE_MAX_PORT_ENTRIES}`);
    }
  }

  const ranges = effectiveSourceRanges(svc, config);
  if (!ranges.ok) refuse('InvalidSourceRanges', 'InvalidConfiguration', ranges.error);
  else {
    for (const family of families) {
      if (ranges.ranges.byFamily[family].length === 0) {
        warnings.push({
          eventReason: 'NoSourceRangesForFamily',
          message: `the source ranges hold no ${family} range, so no ${family} client is let in`,
        });
      }
    }
  }

  const annotations = parseServiceAnnotations(svc.annotations, config);
  for (const message of annotations.problems) refuse('InvalidAnnotation', 'InvalidConfiguration', message);
  for (const key of annotations.unknown) {
    warnings.push({ eventReason: 'UnknownAnnotation', message: `annotation ${key} is not a nodelb setting and is ignored` });
  }

  // Not honoured on purpose: nodelb publishes node IPs, it cannot hand out a requested address,
  // and the field is deprecated upstream. Serving anyway is more useful than refusing.
  if (svc.loadBalancerIP) {
    warnings.push({ eventReason: 'LoadBalancerIPIgnored', message: 'loadBalancerIP is not supported (node IPs are published)' });
  }
  if (svc.externalIPs.length > 0) {
    warnings.push({
      eventReason: 'ExternalIPsSet',
      message: 'spec.externalIPs is set: ExternalDNS publishes externalIPs instead of the load balancer status',
    });
  }

  return {
    svc,
    settings: annotations.settings,
    ...(ranges.ok ? { sourceRanges: ranges.ranges } : {}),
    families,
    clusterIPs,
    problems: boundNotices(problems),
    warnings: boundNotices(warnings),
    quiet,
  };
}

export function countPortEntries(ports: readonly { protocol: Protocol; port: number }[]): number {
  const byProtocol = new Map<Protocol, number[]>();
  for (const p of ports) byProtocol.set(p.protocol, [...(byProtocol.get(p.protocol) ?? []), p.port]);
  let entries = 0;
  for (const list of byProtocol.values()) entries += collapsePorts(list).length;
  return entries;
}

/** Two Services can share a node unless both name a pool and the pools differ (servicelb's lbpool). */
function canOverlap(a: ServiceSettings, b: ServiceSettings): boolean {
  return !(a.pool !== undefined && b.pool !== undefined && a.pool !== b.pool);
}

export function olderFirst(a: ServiceView, b: ServiceView): number {
  const ta = Date.parse(a.creationTimestamp);
  const tb = Date.parse(b.creationTimestamp);
  if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  const ka = serviceKey(a);
  const kb = serviceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Adds a PortConflict problem to every Service that asks for a port+protocol an older one
 *  (that is otherwise served) already holds on nodes they could share. Mutates the assessments. */
export function resolvePortConflicts(assessments: Assessment[]): void {
  const holders = new Map<string, Assessment[]>(); // "443/TCP" → Services serving it
  for (const a of [...assessments].sort((x, y) => olderFirst(x.svc, y.svc))) {
    if (a.problems.length > 0) continue; // a refused Service serves nothing, so it holds nothing
    const conflicts: Problem[] = [];
    for (const p of a.svc.ports) {
      const key = `${p.port}/${p.protocol}`;
      const holder = (holders.get(key) ?? []).find((h) => canOverlap(h.settings, a.settings));
      if (holder) {
        conflicts.push({ eventReason: 'PortConflict', conditionReason: 'PortConflict', message: `port ${key} is already served by ${serviceKey(holder.svc)}` });
      }
    }
    if (conflicts.length > 0) {
      a.problems.push(...boundNotices(conflicts));
      continue;
    }
    for (const p of a.svc.ports) {
      const key = `${p.port}/${p.protocol}`;
      holders.set(key, [...(holders.get(key) ?? []), a]);
    }
  }
}
