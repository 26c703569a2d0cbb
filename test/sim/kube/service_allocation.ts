// Service-specific storage rules: IP family defaulting, ClusterIP and NodePort allocation on
// create, carrying allocated values over on update (patchAllocatedValues), dropping fields that
// no longer apply when the type changes, and releasing what a deleted Service held.
import { isIP } from 'node:net';
import { invalid, type FieldError } from './field_errors.ts';
import type { ServiceAllocator } from './allocator.ts';
import type { WireService, WireServiceSpec } from './types.ts';

type Family = 'IPv4' | 'IPv6';

function familyOf(ip: string): Family {
  return isIP(ip) === 6 ? 'IPv6' : 'IPv4';
}

function externallyReachable(spec: WireServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

function wantsNodePorts(spec: WireServiceSpec): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/** Copies what the old object had allocated into an update that left it out. */
export function carryAllocatedValues(next: WireService, prev: WireService): void {
  const spec = (next.spec ??= {});
  const old = prev.spec ?? {};
  if ((spec.clusterIP === undefined || spec.clusterIP === '') && old.clusterIP !== undefined) {
    spec.clusterIP = old.clusterIP;
    spec.clusterIPs ??= old.clusterIPs;
  }
  if ((spec.clusterIPs === undefined || spec.clusterIPs.length === 0) && old.clusterIPs !== undefined && spec.clusterIP === old.clusterIP) {
    spec.clusterIPs = old.clusterIPs;
  }
  spec.ipFamilies ??= old.ipFamilies;
  if (externallyReachable(spec)) {
    for (const p of spec.ports ?? []) {
      if (p.nodePort !== undefined && p.nodePort !== 0) continue;
      const match = (old.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (match?.nodePort !== undefined) p.nodePort = match.nodePort;
    }
    if (spec.externalTrafficPolicy === 'Local' && spec.healthCheckNodePort === undefined && old.healthCheckNodePort !== undefined) {
      spec.healthCheckNodePort = old.healthCheckNodePort;
    }
  }
}

/** Fields that only make sense for some types are dropped when the type changes away. */
export function dropTypeDependentFields(next: WireService, prev: WireService): void {
  const spec = next.spec ?? {};
  const old = prev.spec ?? {};
  if (spec.type === old.type) return;
  if (spec.type !== 'LoadBalancer') {
    if (spec.loadBalancerClass === old.loadBalancerClass) delete spec.loadBalancerClass;
    if (spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  }
  if (!externallyReachable(spec)) {
    for (const p of spec.ports ?? []) delete p.nodePort;
    if (spec.externalTrafficPolicy === old.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local') delete spec.healthCheckNodePort;
}

/** Fills ipFamilies from the policy (or from explicit clusterIPs) before validation. */
export function defaultIPFamilies(svc: WireService): void {
  const spec = (svc.spec ??= {});
  if (spec.type === 'ExternalName') return;
  if (spec.ipFamilies !== undefined && spec.ipFamilies.length > 0) return;
  const explicit = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None' && ip !== '');
  if (explicit.length > 0) spec.ipFamilies = explicit.map(familyOf);
  else spec.ipFamilies = spec.ipFamilyPolicy === 'PreferDualStack' || spec.ipFamilyPolicy === 'RequireDualStack' ? ['IPv4', 'IPv6'] : ['IPv4'];
}

export interface Allocation {
  ips: string[];
  nodePorts: number[];
}

/** Allocates what the Service lacks; on any error releases what it claimed and returns errors. */
export function allocate(svc: WireService, alloc: ServiceAllocator, held: Allocation): { errors: FieldError[]; claimed: Allocation } {
  const spec = (svc.spec ??= {});
  const claimed: Allocation = { ips: [], nodePorts: [] };
  const errors: FieldError[] = [];
  const rollback = (): void => {
    for (const ip of claimed.ips) alloc.releaseIP(ip);
    for (const p of claimed.nodePorts) alloc.releaseNodePort(p);
  };
  if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
    const families = (spec.ipFamilies ?? ['IPv4']) as Family[];
    const requested = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    const ips: string[] = [];
    families.forEach((fam, i) => {
      const want = requested[i];
      if (want !== undefined && want !== '') {
        if (!held.ips.includes(want)) {
          const err = isIP(want) === 0 ? invalid(`spec.clusterIPs[${i}]`, want, 'must be a valid IP address') : alloc.claimIP(want, 'spec.clusterIPs');
          if (err) errors.push(err);
          else claimed.ips.push(want);
        }
        ips.push(want);
      } else {
        const ip = alloc.allocateIP(fam);
        claimed.ips.push(ip);
        ips.push(ip);
      }
    });
    spec.clusterIPs = ips;
    spec.clusterIP = ips[0];
  } else if (spec.clusterIP === 'None') {
    spec.clusterIPs = ['None'];
  }
  if (wantsNodePorts(spec)) {
    (spec.ports ?? []).forEach((p, i) => {
      if (p.nodePort !== undefined && p.nodePort !== 0) {
        if (held.nodePorts.includes(p.nodePort) || claimed.nodePorts.includes(p.nodePort)) return;
        const err = alloc.claimNodePort(p.nodePort, `spec.ports[${i}].nodePort`);
        if (err) errors.push(err);
        else claimed.nodePorts.push(p.nodePort);
      } else {
        p.nodePort = alloc.allocateNodePort();
        claimed.nodePorts.push(p.nodePort);
      }
    });
  }
  if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
    if (spec.healthCheckNodePort === undefined || spec.healthCheckNodePort === 0) {
      spec.healthCheckNodePort = alloc.allocateNodePort();
      claimed.nodePorts.push(spec.healthCheckNodePort);
    } else if (!held.nodePorts.includes(spec.healthCheckNodePort)) {
      const err = alloc.claimNodePort(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      if (err) errors.push(err);
      else claimed.nodePorts.push(spec.healthCheckNodePort);
    }
  }
  if (errors.length > 0) rollback();
  return { errors, claimed };
}

export function heldBy(svc: WireService | undefined): Allocation {
  const spec = svc?.spec ?? {};
  const ips = (spec.clusterIPs ?? []).filter((ip) => ip !== 'None' && ip !== '');
  const nodePorts = (spec.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p !== 0);
  if (spec.healthCheckNodePort) nodePorts.push(spec.healthCheckNodePort);
  return { ips, nodePorts };
}

/** Releases what `prev` held and `next` (if any) no longer holds. */
export function releaseUnused(prev: WireService, next: WireService | undefined, alloc: ServiceAllocator): void {
  const before = heldBy(prev);
  const after = heldBy(next);
  for (const ip of before.ips) if (!after.ips.includes(ip)) alloc.releaseIP(ip);
  for (const p of before.nodePorts) if (!after.nodePorts.includes(p)) alloc.releaseNodePort(p);
}

export function clusterIPChanged(next: WireService, prev: WireService): FieldError | undefined {
  const a = next.spec?.clusterIP;
  const b = prev.spec?.clusterIP;
  if (a !== undefined && a !== '' && b !== undefined && a !== b && next.spec?.type !== 'ExternalName' && prev.spec?.type !== 'ExternalName') {
    return invalid('spec.clusterIPs[0]', a, 'may not change once set');
  }
  return undefined;
}
