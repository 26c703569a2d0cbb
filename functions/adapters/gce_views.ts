// Translates Compute Engine instances and firewall rules into the planner's views. Pure.
import type { FirewallView, InstanceView } from '../core/model.ts';
import { parseFirewallMarker } from '../core/naming.ts';
import type { Firewall, Instance } from './apis.ts';

const lastSegment = (url: string | null | undefined) => (url ?? '').split('/').filter((s) => s !== '').pop() ?? '';

/** "https://…/projects/P/zones/Z" or "projects/P/…" → P. */
export function projectOf(url: string | null | undefined): string | undefined {
  return /(?:^|\/)projects\/([^/]+)/.exec(url ?? '')?.[1];
}

export function toInstanceView(i: Instance, fallbackProject: string): InstanceView {
  const nics = i.networkInterfaces ?? [];
  const v4 = nics.flatMap((n) => (n.accessConfigs ?? []).map((a) => a.natIP).filter((ip): ip is string => !!ip));
  const v6 = nics.flatMap((n) =>
    [...(n.ipv6AccessConfigs ?? []), ...(n.accessConfigs ?? [])].map((a) => a.externalIpv6).filter((ip): ip is string => !!ip),
  );
  return {
    name: i.name ?? '',
    project: projectOf(i.selfLink) ?? projectOf(i.zone) ?? fallbackProject,
    zone: lastSegment(i.zone),
    status: String(i.status ?? 'UNKNOWN'),
    creationTimestamp: i.creationTimestamp ?? '',
    externalIPv4: [...new Set(v4)],
    externalIPv6: [...new Set(v6)],
    network: nics[0]?.network ?? undefined,
    tags: i.tags?.items ?? [],
    labels: i.labels ?? {},
    spot: i.scheduling?.preemptible === true || i.scheduling?.provisioningModel === 'SPOT',
  };
}

export function toFirewallView(rule: Firewall): FirewallView {
  const marker = parseFirewallMarker(rule.description);
  return marker ? { rule, marker } : { rule };
}
