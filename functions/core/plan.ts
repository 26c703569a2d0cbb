// plan(snapshot, config): the whole decision of one sync, as data (pure, deterministic: no I/O,
// no clock but snapshot.now, inputs sorted): the stages to apply in order (stages.ts). Holds
// back everything destructive when a read failed.
import type { Action, Plan, ReadName, ServiceExplanation, ServiceView, Snapshot } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import type { PlanContext } from './plan_context.ts';
import { ESSENTIAL_READS, assessReads, oddDaemonSets } from './reads.ts';
import { claimService, worthExplaining, type Claim } from './claim.ts';
import { assessService, resolvePortConflicts, type Assessment } from './validate.ts';
import { assessNodes } from './nodes.ts';
import { planDaemonSets } from './plan_daemonsets.ts';
import { planFirewalls } from './plan_firewalls.ts';
import { planServiceStatus } from './plan_status.ts';
import { indexNodes, ipCatalog } from './node_index.ts';
import { proxyStates } from './proxy_readiness.ts';
import { planRelease } from './plan_release.ts';
import { serviceKey, serviceRef } from './naming.ts';
import { toStages } from './stages.ts';

const byKey = (a: ServiceView, b: ServiceView) => {
  const ka = serviceKey(a);
  const kb = serviceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
};

export interface PlanOptions {
  /** Every Service's per-node decisions (ServiceExplanation.nodes), for `nodelb status` and the
   *  JSON reports: Services × nodes of them, so a sync that shows none does not make them. */
  explain?: boolean;
}

export function plan(snapshot: Snapshot, config: PlanConfig, options: PlanOptions = {}): Plan {
  const reads = assessReads(snapshot, config);
  const notes: Plan['notes'] = [...reads.notes];
  const heldBack = reads.untrusted.size > 0;
  const missing = ESSENTIAL_READS.filter((r) => reads.untrusted.has(r));
  if (missing.length > 0) {
    const unknown = `nothing planned: without ${missing.join(', ')} nodelb cannot tell what exists`;
    notes.push({ severity: 'WARNING', message: unknown });
    return { stages: [], services: [], notes, heldBack, unknown };
  }

  const services = [...snapshot.services].sort(byKey);
  const namespaces = new Map(snapshot.namespaces.map((n) => [n.name, n]));
  const claims = new Map<string, Claim>();
  const assessments = new Map<string, Assessment>();
  for (const svc of services) {
    const claim = claimService(svc, config);
    claims.set(svc.uid, claim);
    if (claim.claimed) assessments.set(svc.uid, assessService(svc, config, namespaces.get(svc.namespace)));
  }
  resolvePortConflicts([...assessments.values()]);
  const instancesUnknown = reads.untrusted.has('instances') ? unknownBecause(reads.suspicious, 'instances', 'node IPs unknown') : undefined;
  const nodes = assessNodes(snapshot, config, instancesUnknown);

  const odd = oddDaemonSets(snapshot, config.namespace);
  for (const message of odd.values()) notes.push({ severity: 'WARNING', message });
  const ctx: PlanContext = {
    snapshot,
    odd,
    config,
    untrusted: reads.untrusted,
    heldBack,
    notes,
    servicesByUid: new Map(services.map((s) => [s.uid, s])),
    claims,
    assessments,
    ...(instancesUnknown !== undefined ? { instancesUnknown } : {}),
    nodes: indexNodes(nodes, config),
    ips: ipCatalog(nodes),
    explain: options.explain === true,
    proxies: proxyStates(snapshot, nodes.map((f) => f.node)),
  };
  const daemonSets = planDaemonSets(ctx);
  const firewalls = planFirewalls(ctx);

  const actions: Action[] = [...daemonSets.actions, ...firewalls.actions];
  const creating = new Set(daemonSets.actions.flatMap((a) => (a.kind === 'createDaemonSet' && a.service ? [a.service.uid] : [])));
  const explanations: ServiceExplanation[] = [];
  for (const svc of services) {
    const claim = claims.get(svc.uid);
    const a = assessments.get(svc.uid);
    if (a) {
      const rules = { names: firewalls.rulesByService.get(svc.uid) ?? [], states: firewalls.statesByService.get(svc.uid) };
      const outcome = planServiceStatus(ctx, a, rules, creating.has(svc.uid));
      actions.push(...outcome.actions);
      explanations.push(outcome.explanation);
    } else if (claim && !claim.claimed) {
      const release = planRelease(ctx, svc);
      if (release) actions.push(release);
      if (!worthExplaining(svc, config)) continue;
      explanations.push({
        service: serviceRef(svc),
        claimed: false,
        unclaimedBecause: claim.why,
        ports: svc.ports.map((p) => ({ ...p })),
        warnings: [],
        firewallRules: [],
        proxyPods: { ready: 0, total: 0 },
        ...(ctx.explain ? { nodes: [] } : {}),
        ingress: [],
      });
    }
  }
  return { stages: toStages(actions), services: explanations, notes, heldBack };
}

/** The plan with every Service's per-node decisions: what `nodelb status` and the JSON reports
 *  show (a planner for runtime/sync.ts's SyncOptions.planner). */
export function planExplained(snapshot: Snapshot, config: PlanConfig): Plan {
  return plan(snapshot, config, { explain: true });
}

/** "instance read failed: node IPs unknown", or "…looked wrong" for a distrusted answer. */
function unknownBecause(suspicious: ReadonlySet<ReadName>, read: ReadName, what: string): string {
  const singular = read.replace(/s$/, '').replace(/ie$/, 'y');
  return `${singular} read ${suspicious.has(read) ? 'looked wrong' : 'failed'}: ${what}`;
}
