// Which Services are nodelb's to serve, and in words why the others are not (pure).
// Everything not claimed is never written to: no DaemonSet, no rule, no status, no event.
import type { ServiceView } from './model.ts';
import type { PlanConfig } from './plan_config.ts';

export type Claim = { claimed: true } | { claimed: false; why: string };

export function claimService(svc: ServiceView, config: Pick<PlanConfig, 'loadBalancerClass'>): Claim {
  // A Service on its way out is treated as gone: what we made for it goes, nothing is written to it.
  if (svc.deleting) return { claimed: false, why: 'the Service is being deleted' };
  if (svc.type !== 'LoadBalancer') return { claimed: false, why: `type is ${svc.type}, not LoadBalancer` };
  if (svc.loadBalancerClass === undefined || svc.loadBalancerClass === '') {
    return { claimed: false, why: "no loadBalancerClass: GKE's own load balancer controller serves it" };
  }
  if (svc.loadBalancerClass !== config.loadBalancerClass) {
    return { claimed: false, why: `loadBalancerClass ${svc.loadBalancerClass} belongs to another controller (nodelb serves ${config.loadBalancerClass})` };
  }
  return { claimed: true };
}

/** Whether `nodelb status` should list the Service at all (other Service types are noise). */
export function worthExplaining(svc: ServiceView, config: PlanConfig): boolean {
  if (svc.deleting) return false;
  return svc.type === 'LoadBalancer' || svc.loadBalancerClass === config.loadBalancerClass;
}
