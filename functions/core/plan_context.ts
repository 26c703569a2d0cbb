// What the parts of one planning run share: the inputs, the verdict on each Service, and the
// words for "why is this object of ours no longer wanted" (pure).
import type { Plan, ReadName, ServiceRef, ServiceView, Snapshot } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import type { Claim } from './claim.ts';
import type { Assessment } from './validate.ts';
import type { ProxyState } from './proxy_readiness.ts';
import type { IPCatalog, NodeIndex } from './node_index.ts';
import { serviceKey } from './naming.ts';

export interface PlanContext {
  snapshot: Snapshot;
  config: PlanConfig;
  untrusted: ReadonlySet<ReadName>;
  heldBack: boolean;
  notes: Plan['notes'];
  servicesByUid: ReadonlyMap<string, ServiceView>;
  claims: ReadonlyMap<string, Claim>; // by Service UID
  assessments: ReadonlyMap<string, Assessment>; // claimed Services, by UID
  /** Our DaemonSets whose pods cannot be found by label (reads.ts): by name, why. */
  odd: ReadonlyMap<string, string>;
  /** Set when the instance read cannot be trusted: why the node IPs are unknown, in words. */
  instancesUnknown?: string;
  /** The plan's nodes (sorted by name), indexed once per plan, and their IPs in sortIPs order. */
  nodes: NodeIndex;
  ips: IPCatalog;
  /** Per-node decisions wanted in the explanations (plan.ts PlanOptions). */
  explain: boolean;
  /** Where each DaemonSet (by name) runs Ready proxies, over the plan's sorted nodes. */
  proxies: (daemonSet: string) => ProxyState;
}

/** Claimed and not refused: nodelb runs a proxy for it and opens its ports. */
export function isServed(a: Assessment | undefined): boolean {
  return a !== undefined && a.problems.length === 0;
}

/** Why nodelb no longer serves the Service an object of ours was made for. */
export function whyUnwanted(ctx: PlanContext, owner: ServiceRef): string {
  const key = owner.namespace || owner.name ? serviceKey(owner) : '(unknown Service)';
  const svc = ctx.servicesByUid.get(owner.uid);
  if (!svc) return `Service ${key} (uid ${owner.uid}) no longer exists`;
  if (svc.deleting) return `Service ${serviceKey(svc)} is being deleted`;
  const claim = ctx.claims.get(owner.uid);
  if (claim && !claim.claimed) return `Service ${serviceKey(svc)} is not nodelb's any more: ${claim.why}`;
  const a = ctx.assessments.get(owner.uid);
  if (a && a.problems.length > 0) return `Service ${serviceKey(svc)} is refused: ${a.problems.map((p) => p.message).join('; ')}`;
  return `it is not the object nodelb wants for Service ${serviceKey(svc)}`;
}

export function holdBack(ctx: PlanContext, what: string): void {
  ctx.notes.push({ severity: 'WARNING', message: `held back: ${what} (some reads failed this run)` });
}
