// Firewall actions of one run: create missing rules, patch drifted ones, delete ours (by marker
// and cluster id) that no served Service wants. Look-alikes are reported, never touched (pure).
import type { Action, Firewall, FirewallRuleState } from './model.ts';
import type { PlanContext } from './plan_context.ts';
import { holdBack, isServed, whyUnwanted } from './plan_context.ts';
import { desiredFirewalls, detectFirewallTarget, familyOfRuleName, firewallChanges } from './firewall.ts';
import { NAME_PREFIX, ownerFromMarker, parseFirewallMarker, serviceKey, serviceRef } from './naming.ts';

export interface FirewallPlan {
  actions: Action[];
  rulesByService: Map<string, string[]>; // Service UID → desired rule names
  statesByService: Map<string, FirewallRuleState[]>; // Service UID → each rule as observed
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
  const cluster = snapshot.cluster;
  const views = snapshot.firewalls
    .filter((v) => (v.rule.name ?? '').startsWith(NAME_PREFIX))
    .map((v) => ({ rule: v.rule, name: v.rule.name ?? '', marker: v.marker ?? parseFirewallMarker(v.rule.description) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // Foreign look-alikes: said once each, never touched.
  for (const v of views) {
    if (!v.marker) ctx.notes.push({ severity: 'INFO', message: `firewall rule ${v.name} has nodelb's name prefix but no nodelb marker: not touched` });
    else if (v.marker.cluster !== cluster.id) ctx.notes.push({ severity: 'INFO', message: `firewall rule ${v.name} belongs to another cluster (${v.marker.cluster}): not touched` });
  }
  const ours = views.filter((v) => v.marker?.cluster === cluster.id);
  const served = [...ctx.assessments.values()].filter(isServed);
  if (served.length === 0 && ours.length === 0) return empty;

  const instances = [...(snapshot.instances ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (snapshot.instances === undefined) {
    ctx.notes.push({ severity: 'WARNING', message: 'firewall rules are not managed: the nodes are not GCE instances' });
    return empty;
  }
  const target = detectFirewallTarget(instances, cluster);
  if (!target.ok) {
    ctx.notes.push({ severity: 'WARNING', message: `firewall rules are not managed: ${target.problem}` });
    return empty;
  }
  const { project } = target.target;

  const actions: Action[] = [];
  const rulesByService = new Map<string, string[]>();
  const statesByService = new Map<string, FirewallRuleState[]>();
  const wanted = new Set<string>();
  const byName = new Map(views.map((v) => [v.name, v]));
  for (const a of served) {
    const rules = desiredFirewalls(a, target.target, cluster, config);
    rulesByService.set(a.svc.uid, rules.map((r) => r.name ?? ''));
    const states: FirewallRuleState[] = [];
    statesByService.set(a.svc.uid, states);
    const service = serviceRef(a.svc);
    for (const rule of rules) {
      const name = rule.name ?? '';
      wanted.add(name);
      const have = byName.get(name);
      if (!have) {
        states.push({ name, state: 'missing' });
        actions.push({ kind: 'createFirewall', project, rule, service, reason: `open ${describeRule(rule)} for Service ${serviceKey(a.svc)}` });
        continue;
      }
      if (!have.marker || have.marker.cluster !== cluster.id) {
        states.push({ name, state: `not touched: ${have.marker ? "another cluster's rule" : 'no nodelb marker'}` }); // noted above
        continue;
      }
      if (have.marker.uid !== a.svc.uid) {
        states.push({ name, state: `not touched: its marker names uid ${have.marker.uid}` });
        ctx.notes.push({ severity: 'WARNING', message: `firewall rule ${name} is named for Service ${serviceKey(a.svc)} but its marker names uid ${have.marker.uid}: not touched` });
        continue;
      }
      const changes = firewallChanges(rule, have.rule);
      states.push({ name, state: changes.length > 0 ? `drifted: ${changes.join('; ')}` : 'in sync' });
      if (changes.length > 0) {
        actions.push({ kind: 'patchFirewall', project, rule, changes, service, reason: `firewall rule drifted from Service ${serviceKey(a.svc)}: ${changes.join('; ')}` });
      }
    }
  }

  for (const v of ours) {
    if (wanted.has(v.name) || !v.marker) continue;
    const owner = ownerFromMarker(v.marker);
    let why = whyUnwanted(ctx, owner);
    const a = ctx.assessments.get(owner.uid);
    if (a && isServed(a)) {
      const family = v.marker.family ?? familyOfRuleName(v.name);
      why = a.families.includes(family)
        ? `Service ${serviceKey(a.svc)} has no ${family} source range`
        : `Service ${serviceKey(a.svc)} no longer uses ${family}`;
    }
    if (ctx.heldBack) {
      holdBack(ctx, `deleting firewall rule ${v.name} (${why})`);
      continue;
    }
    actions.push({ kind: 'deleteFirewall', project, name: v.name, owner, service: owner, reason: why });
  }
  return { actions, rulesByService, statesByService };
}

function describeRule(rule: Firewall): string {
  const allowed = (rule.allowed ?? []).map((x) => `${x.IPProtocol}:${(x.ports ?? []).join(',')}`).join(' ');
  return `${allowed} from ${(rule.sourceRanges ?? []).join(',')} to nodes tagged ${(rule.targetTags ?? []).join(',')}`;
}
