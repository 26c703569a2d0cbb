// Status nodelb left on a Service it no longer claims (type changed away from LoadBalancer, or
// class changed through a round trip): remove the nodelb.dev/Serving condition and, when no
// other load balancer can own the field, the node IPs nodelb published (pure). The condition
// is nodelb's marker: a Service without it is never written to.
import type { Action, ServiceView } from './model.ts';
import type { PlanContext } from './plan_context.ts';
import { servingCondition } from './status.ts';
import { serviceKey, serviceRef } from './naming.ts';

export function planRelease(ctx: PlanContext, svc: ServiceView): Action | undefined {
  if (svc.deleting) return undefined; // on its way out: nothing to clean on it
  const ours = servingCondition(svc);
  if (!ours) return undefined;
  // A LoadBalancer of another class has another controller writing the ingress list: leave it.
  const ingress = svc.type === 'LoadBalancer' ? svc.ingress : [];
  const ips = (list: typeof svc.ingress) => list.map((i) => i.ip ?? i.hostname ?? '').filter((s) => s !== '');
  const from = ips(svc.ingress);
  const to = ips(ingress);
  const claim = ctx.claims.get(svc.uid);
  const why = claim && !claim.claimed ? claim.why : 'it is not nodelb’s any more';
  if (ctx.heldBack && from.length > to.length) {
    ctx.notes.push({ severity: 'WARNING', message: `held back: withdrawing ${from.join(', ')} from ${serviceKey(svc)} (some reads failed this run)` });
    return undefined;
  }
  return {
    kind: 'writeStatus',
    service: serviceRef(svc),
    resourceVersion: svc.resourceVersion,
    ingress: ingress.map((i) => ({ ...i })),
    conditions: svc.conditions.filter((c) => c !== ours),
    from,
    to,
    reason: `${from.length > to.length ? `withdraw ${from.join(', ')} and ` : ''}remove condition ${ours.type}: ${why}`,
  };
}
