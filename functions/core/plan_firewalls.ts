// Firewall actions of one run: create missing rules, patch drifted ones, delete ours (by marker
// and cluster id) that no served Service wants. Look-alikes are reported, never touched (pure).
import type { Action, Firewall, FirewallRuleState } from './model.ts';
import type { PlanContext } from './plan_context.ts';
import { holdBack, isServed, whyUnwanted } from './plan_context.ts';
import { desiredFirewalls, detectFirewallTarget, familyOfRuleName, firewallChanges, type FirewallTarget } from './firewall.ts';
import type { Assessment } from './validate.ts';
import { NAME_PREFIX, ownerFromMarker, parseFirewallMarker, serviceKey, serviceRef } from './naming.ts';

export interface FirewallPlan {
  actions: Action[];
  rulesByService: Map<string, string[]>; // Service UID → desired rule names
  statesByService: Map<string, FirewallRuleState[]>; // Service UID → each rule as observed
}

interface RuleView {
  rule: Firewall;
  name: string;
  marker: ReturnType<typeof parseFirewallMarker>;
}

export function planFirewalls(ctx: PlanContext): FirewallPlan {
  const { snapshot, config } = ctx;
  const empty: FirewallPlan = { actions: [], rulesByService: new Map(), statesByService: new Map() };
  if (!config.manageFirewall || snapshot.firewalls === undefined) return empty;
  for (const read of ['firewalls', 'instances'] as const) {
    if (ctx.untrusted.has(read)) {
      ctx.notes.push({ severity: 'WARNING', message: `firewall rules are left as they are: the ${read} read cannot be trusted this run` });
      return empty;
    }
  }
  const views = prefixedRules(ctx);
  const ours = views.filter((v) => v.marker?.cluster === snapshot.cluster.id);
  const served = [...ctx.assessments.values()].filter(isServed);
  if (served.length === 0 && ours.length === 0) return empty;
  const target = firewallTarget(ctx);
  if (target === undefined) return empty;

  const plan: FirewallPlan = { actions: [], rulesByService: new Map(), statesByService: new Map() };
  const byName = new Map(views.map((v) => [v.name, v]));
  for (const a of served) planServiceRules(ctx, a, target, byName, plan);
  const wanted = new Set([...plan.rulesByService.values()].flat());
  for (const v of ours) {
    const action = wanted.has(v.name) ? undefined : planUnwanted(ctx, v, target.project);
    if (action) plan.actions.push(action);
  }
  return plan;
}

/** Rules with nodelb's name prefix, sorted; foreign look-alikes are said once each, never touched. */
function prefixedRules(ctx: PlanContext): RuleView[] {
  const cluster = ctx.snapshot.cluster;
  const views = (ctx.snapshot.firewalls ?? [])
    .filter((v) => (v.rule.name ?? '').startsWith(NAME_PREFIX))
    .map((v) => ({ rule: v.rule, name: v.rule.name ?? '', marker: v.marker ?? parseFirewallMarker(v.rule.description) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const v of views) {
    if (!v.marker) ctx.notes.push({ severity: 'INFO', message: `firewall rule ${v.name} has nodelb's name prefix but no nodelb marker: not touched` });
    else if (v.marker.cluster !== cluster.id) ctx.notes.push({ severity: 'INFO', message: `firewall rule ${v.name} belongs to another cluster (${v.marker.cluster}): not touched` });
  }
  return views;
}

/** Where the rules live and whom they target, from the nodes' network; undefined (with a note) when unknown. */
function firewallTarget(ctx: PlanContext): FirewallTarget | undefined {
  const { snapshot } = ctx;
  if (snapshot.instances === undefined) {
    ctx.notes.push({ severity: 'WARNING', message: 'firewall rules are not managed: the nodes are not GCE instances' });
    return undefined;
  }
  const instances = [...snapshot.instances].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const target = detectFirewallTarget(instances, snapshot.cluster);
  if (!target.ok) {
    ctx.notes.push({ severity: 'WARNING', message: `firewall rules are not managed: ${target.problem}` });
    return undefined;
  }
  return target.target;
}

/** One served Service: create its missing rules, patch drifted ones, record each rule's state. */
function planServiceRules(ctx: PlanContext, a: Assessment, target: FirewallTarget, byName: ReadonlyMap<string, RuleView>, plan: FirewallPlan): void {
  const cluster = ctx.snapshot.cluster;
  const { project } = target;
  const rules = desiredFirewalls(a, target, cluster, ctx.config);
  plan.rulesByService.set(a.svc.uid, rules.map((r) => r.name ?? ''));
  const states: FirewallRuleState[] = [];
  plan.statesByService.set(a.svc.uid, states);
  const service = serviceRef(a.svc);
  for (const rule of rules) {
    const name = rule.name ?? '';
    const have = byName.get(name);
    if (!have) {
      states.push({ name, state: 'missing' });
      plan.actions.push({ kind: 'createFirewall', project, rule, service, reason: `open ${describeRule(rule)} for Service ${serviceKey(a.svc)}` });
    } else if (!have.marker || have.marker.cluster !== cluster.id) {
      states.push({ name, state: `not touched: ${have.marker ? "another cluster's rule" : 'no nodelb marker'}` }); // noted in prefixedRules
    } else if (have.marker.uid !== a.svc.uid) {
      states.push({ name, state: `not touched: its marker names uid ${have.marker.uid}` });
      ctx.notes.push({ severity: 'WARNING', message: `firewall rule ${name} is named for Service ${serviceKey(a.svc)} but its marker names uid ${have.marker.uid}: not touched` });
    } else {
      const changes = firewallChanges(rule, have.rule);
      states.push({ name, state: changes.length > 0 ? `drifted: ${changes.join('; ')}` : 'in sync' });
      if (changes.length > 0) plan.actions.push({ kind: 'patchFirewall', project, rule, changes, service, reason: `firewall rule drifted from Service ${serviceKey(a.svc)}: ${changes.join('; ')}` });
    }
  }
}

/** A rule of ours no served Service wants: deleted, unless deletions are held back this run. */
function planUnwanted(ctx: PlanContext, v: RuleView, project: string): Action | undefined {
  if (!v.marker) return undefined;
  const owner = ownerFromMarker(v.marker);
  let why = whyUnwanted(ctx, owner);
  const a = ctx.assessments.get(owner.uid);
  if (a && isServed(a)) {
    const family = v.marker.family ?? familyOfRuleName(v.name);
    why = a.families.includes(family) ? `Service ${serviceKey(a.svc)} has no ${family} source range` : `Service ${serviceKey(a.svc)} no longer uses ${family}`;
  }
  if (ctx.heldBack) {
    holdBack(ctx, `deleting firewall rule ${v.name} (${why})`);
    return undefined;
  }
  return { kind: 'deleteFirewall', project, name: v.name, owner, service: owner, reason: why };
}

function describeRule(rule: Firewall): string {
  const allowed = (rule.allowed ?? []).map((x) => `${x.IPProtocol}:${(x.ports ?? []).join(',')}`).join(' ');
  return `${allowed} from ${(rule.sourceRanges ?? []).join(',')} to nodes tagged ${(rule.targetTags ?? []).join(',')}`;
}
