// Which client addresses may reach a Service: spec.loadBalancerSourceRanges, else the legacy
// annotation, else the defaults (pure). Invalid text fails closed: the caller refuses the Service.
import type { IPFamily, ServiceView } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import { parseCIDR } from './ip.ts';
import { SOURCE_RANGES_ANNOTATION } from './naming.ts';

export interface SourceRanges {
  origin: 'spec' | 'annotation' | 'default';
  all: string[]; // normalised CIDRs in the given order (SRC_RANGES for klipper-lb)
  byFamily: Record<IPFamily, string[]>;
}

export type SourceRangesResult = { ok: true; ranges: SourceRanges } | { ok: false; error: string };

export function effectiveSourceRanges(svc: ServiceView, config: PlanConfig): SourceRangesResult {
  const fromSpec = svc.loadBalancerSourceRanges.map((s) => s.trim()).filter((s) => s !== '');
  const annotation = (svc.annotations[SOURCE_RANGES_ANNOTATION] ?? '').trim();
  let origin: SourceRanges['origin'];
  let texts: string[];
  if (fromSpec.length > 0) {
    origin = 'spec';
    texts = fromSpec;
  } else if (annotation !== '') {
    origin = 'annotation';
    texts = annotation.split(',').map((s) => s.trim()).filter((s) => s !== '');
  } else {
    // Like servicelb: the IPv6 default only joins when the Service has an IPv6 family.
    const all = [config.defaultSourceRanges.IPv4];
    if (svc.ipFamilies.includes('IPv6')) all.push(config.defaultSourceRanges.IPv6);
    return {
      ok: true,
      ranges: {
        origin: 'default',
        all,
        byFamily: { IPv4: [config.defaultSourceRanges.IPv4], IPv6: [config.defaultSourceRanges.IPv6] },
      },
    };
  }
  const where = origin === 'spec' ? 'spec.loadBalancerSourceRanges' : `annotation ${SOURCE_RANGES_ANNOTATION}`;
  const all: string[] = [];
  const byFamily: Record<IPFamily, string[]> = { IPv4: [], IPv6: [] };
  for (const text of texts) {
    const cidr = parseCIDR(text);
    if (cidr === undefined) {
      return { ok: false, error: `${where}: "${text}" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/32); nothing is opened` };
    }
    if (all.includes(cidr.text)) continue;
    all.push(cidr.text);
    byFamily[cidr.family].push(cidr.text);
  }
  return { ok: true, ranges: { origin, all, byFamily } };
}
