// `nodelb status`: a dry-run report turned into the operator's view of each Service (IPs, the
// nodes and why each is in or out, proxy pods, firewall rules and their state, warnings), as
// data for --output json and as text. Pure.
import type { FirewallRuleState, NodeDecision } from '../core/model.ts';
import type { ActionSummary, ClusterReport, RunReport } from '../runtime/report.ts';
import { formatIPs, formatPorts, marker } from './format_sync.ts';
import { indent, paint, renderTable, type TextOptions } from './table.ts';

export interface FirewallState {
  name: string;
  state: string; // "in sync", "to create", "to patch: …"
}

export interface ServiceStatus {
  namespace: string;
  name: string;
  claimed: boolean;
  unclaimedBecause?: string;
  refused?: string;
  externalIPs: string[]; // what nodelb publishes once the pending actions are done (with ingressKept: now)
  /** Why externalIPs are what the Service publishes now, left as they are this run. */
  ingressKept?: string;
  ports: string; // kubectl style
  daemonSet?: string;
  proxyPods: { ready: number; total: number; stuck?: number };
  nodes: NodeDecision[];
  firewallRules: FirewallState[];
  warnings: string[];
  pending: ActionSummary[]; // what a sync would still do for this Service
}

export interface ClusterStatus {
  cluster: string;
  ok: boolean;
  inSync: boolean; // nothing left to do
  services: ServiceStatus[];
  /** Why the Services are unknown (the cluster could not be read or planned). */
  unknown?: string;
  otherActions: ActionSummary[]; // pending actions of no listed Service (e.g. leftovers of deleted Services)
  notes: ClusterReport['plan']['notes'];
  heldBack: boolean;
  prerequisites: ClusterReport['prerequisites'];
  errors: ClusterReport['errors'];
}

export interface StatusView {
  outcome: RunReport['outcome'];
  ok: boolean;
  service?: string; // namespace/name when only that Service was asked for
  clusters: ClusterStatus[];
}

const FIREWALL_VERBS: Partial<Record<ActionSummary['kind'], string>> = {
  createFirewall: 'to create',
  patchFirewall: 'to patch',
  deleteFirewall: 'to delete',
};

/** A pending write says what a sync would do; else the planner's observation ("in sync", or why
 *  it is left as it is). */
function firewallState(name: string, actions: readonly ActionSummary[], observed: readonly FirewallRuleState[] | undefined): FirewallState {
  const a = actions.find((x) => FIREWALL_VERBS[x.kind] !== undefined && (x.target === name || x.target.endsWith(`/${name}`)));
  if (!a) return { name, state: observed?.find((o) => o.name === name)?.state ?? 'in sync' };
  return { name, state: `${FIREWALL_VERBS[a.kind]}${a.detail ? `: ${a.detail}` : ''}` };
}

/** `service`: only that Service (namespace/name). */
export function statusView(report: RunReport, service?: { namespace: string; name: string }): StatusView {
  const clusters = report.clusters.map((c): ClusterStatus => {
    const actions = c.plan.actions;
    const wanted = c.plan.services.filter((s) => !service || (s.service.namespace === service.namespace && s.service.name === service.name));
    const keys = new Set(c.plan.services.map((s) => `${s.service.namespace}/${s.service.name}`));
    return {
      cluster: c.cluster,
      ok: c.ok,
      inSync: c.ok && actions.length === 0,
      services: wanted.map((s) => {
        const key = `${s.service.namespace}/${s.service.name}`;
        return {
          namespace: s.service.namespace,
          name: s.service.name,
          claimed: s.claimed,
          ...(s.unclaimedBecause !== undefined && { unclaimedBecause: s.unclaimedBecause }),
          ...(s.refused !== undefined && { refused: s.refused }),
          externalIPs: s.ingress,
          ...(s.ingressKept !== undefined && { ingressKept: s.ingressKept }),
          ports: formatPorts(s.ports),
          ...(s.daemonSet !== undefined && { daemonSet: s.daemonSet }),
          proxyPods: s.proxyPods,
          nodes: s.nodes ?? [], // the CLI plans with planExplained: present
          firewallRules: s.firewallRules.map((r) => firewallState(r, actions, s.firewallStates)),
          warnings: s.warnings,
          pending: actions.filter((a) => a.service === key),
        };
      }),
      ...(c.plan.unknown !== undefined && { unknown: c.plan.unknown }),
      otherActions: service ? [] : actions.filter((a) => a.service === undefined || !keys.has(a.service)),
      notes: c.plan.notes,
      heldBack: c.plan.heldBack,
      prerequisites: c.prerequisites,
      errors: c.errors,
    };
  });
  return { outcome: report.outcome, ok: report.ok, ...(service && { service: `${service.namespace}/${service.name}` }), clusters };
}

function formatService(s: ServiceStatus, opts: TextOptions): string[] {
  // The IPs are the ones nodelb computes; while a status write is pending the Service still
  // shows the old ones (the pending line below says which).
  const after = s.pending.some((a) => a.kind === 'writeStatus') ? ' (after the pending write)' : '';
  const ips = s.ingressKept !== undefined ? `${s.externalIPs.join(',') || '<none>'} (as published now; ${s.ingressKept})` : `${formatIPs(s.externalIPs)}${after}`;
  const out = [paint('bold', `${s.namespace}/${s.name}`, opts) + `   EXTERNAL-IP ${ips}   PORT(S) ${s.ports || '-'}`];
  if (s.refused) out.push(...indent(s.refused, `  ${paint('red', 'refused', opts)}: `, '    ', opts.width));
  if (s.daemonSet) out.push(`  proxy pods: ${s.proxyPods.ready}/${s.proxyPods.total} ready${proxyDetail(s.proxyPods)} (DaemonSet ${s.daemonSet})`);
  if (s.nodes.length > 0)
    out.push(
      renderTable(
        ['NODE', 'EXTERNAL-IP', 'PUBLISHED', 'WHY'],
        s.nodes.map((n) => [n.node, n.externalIPs.join(',') || (n.unknown ? '?' : '-'), n.unknown ? '?' : n.published ? 'yes' : 'no', n.why]),
        opts,
        '  ',
      ),
    );
  if (s.firewallRules.length > 0) out.push(renderTable(['FIREWALL RULE', 'STATE'], s.firewallRules.map((r) => [r.name, r.state]), opts, '  '));
  for (const w of s.warnings) out.push(...indent(w, `  ${paint('yellow', 'warning', opts)}: `, '    ', opts.width));
  for (const a of s.pending) out.push(...indent(`${marker(a.kind)} ${a.kind} ${a.target}${a.detail ? ` ${a.detail}` : ''}`, '  pending: ', '    ', opts.width));
  return out;
}

/** ", 1 cannot run": pods that will not become Ready by waiting (the warnings name the nodes).
 *  The others not Ready may be starting or held: the node table says which node, not a guess why. */
function proxyDetail(p: ServiceStatus['proxyPods']): string {
  const stuck = p.stuck ?? 0;
  return stuck > 0 ? `, ${stuck} cannot run` : '';
}

export function formatStatusText(view: StatusView, opts: TextOptions): string {
  const blocks: string[] = [];
  for (const c of view.clusters) {
    const claimed = c.services.filter((s) => s.claimed);
    const others = c.services.filter((s) => !s.claimed);
    const state = !c.ok ? paint('red', 'cannot read everything', opts) : c.inSync ? 'in sync' : 'changes pending (run nodelb sync)';
    const lines = [paint('bold', `Cluster ${c.cluster}`, opts), `  ${state}`];
    if (claimed.length === 0 && others.length === 0)
      lines.push('', c.unknown ?? (view.service ? `no LoadBalancer Service ${view.service}` : 'no Service of this load balancer class'));
    for (const s of claimed) lines.push('', ...formatService(s, opts));
    const w = opts.width;
    if (others.length > 0)
      lines.push('', paint('bold', 'Left alone', opts), ...others.flatMap((s) => indent(`${s.namespace}/${s.name}: ${s.unclaimedBecause ?? 'not claimed'}`, '  ', '    ', w)));
    if (c.otherActions.length > 0)
      lines.push('', paint('bold', 'Other pending changes', opts), ...c.otherActions.flatMap((a) => indent(`${marker(a.kind)} ${a.kind} ${a.target}: ${a.reason}`, '  ', '    ', w)));
    const fix = (f: string | undefined) => (f ? indent(`fix: ${f}`, '    ', '      ', w) : []);
    const notes = [
      ...c.notes.flatMap((n) => indent(n.message, `  ${n.severity === 'WARNING' ? paint('yellow', 'warning', opts) : 'note'}: `, '    ', w)),
      ...c.errors.flatMap((e) => [...indent(e.message, `  ${paint('red', 'error', opts)} (${e.stage}): `, '    ', w), ...fix(e.fix)]),
      ...c.prerequisites.flatMap((p) => [...indent(p.message, `  ${p.blocking ? paint('red', 'missing', opts) : 'check'}: `, '    ', w), ...fix(p.fix)]),
    ];
    if (notes.length > 0) lines.push('', paint('bold', 'Notes', opts), ...notes);
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
