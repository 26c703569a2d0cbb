// Status and Event actions of one run, and the per-Service explanation `nodelb status` prints.
// Withholds status writes the failed reads make unsafe (pure).
import type { Action, FirewallRuleState, NodeDecision, ProxyPodView, ServiceExplanation } from './model.ts';
import type { ProxyState } from './proxy_readiness.ts';
import type { PlanContext } from './plan_context.ts';
import type { Assessment, Notice } from './validate.ts';
import { isServed } from './plan_context.ts';
import { explainSelection, ingressFor, selectNodes, summariseSelection, type Selection, type SelectionInput } from './select.ts';
import { conditionMessage, goList, ipModeDropped, planStatus, type DesiredCondition } from './status.ts';
import { canonicalIP } from './ip.ts';
import { podSecurityWarning, rejectingPodSecurityLevel } from './pod_security.ts';
import { matchesSelector } from './selectors.ts';
import { stuckWarnings } from './proxy_pods.ts';
import { daemonSetName, serviceKey, serviceRef } from './naming.ts';

export interface ServiceOutcome {
  actions: Action[];
  explanation: ServiceExplanation;
}

function endpointNodes(ctx: PlanContext, a: Assessment): Set<string> | undefined {
  if (a.svc.externalTrafficPolicy !== 'Local') return undefined;
  const nodes = new Set<string>();
  for (const e of ctx.snapshot.endpoints) {
    if (e.namespace === a.svc.namespace && e.service === a.svc.name) for (const n of e.readyNodes) nodes.add(n);
  }
  return nodes;
}

/** Why a status write would be unsafe this run, if it would: the note for the report, and in
 *  short why the Service keeps what it publishes now. */
function statusBlocker(ctx: PlanContext, a: Assessment, write: { readonly from: string[]; readonly to: string[] }): { note: string; kept: string } | undefined {
  const key = serviceKey(a.svc);
  if (isServed(a)) {
    if (ctx.instancesUnknown !== undefined && ctx.nodes.nodes.some((n) => n.gce && matchesSelector(n.node.labels, a.settings.nodeSelector))) {
      return { note: `status of ${key} (the node IPs are unknown: the instance read cannot be trusted)`, kept: ctx.instancesUnknown };
    }
    if (ctx.untrusted.has('endpointslices') && a.svc.externalTrafficPolicy === 'Local') {
      return { note: `status of ${key} (externalTrafficPolicy: Local and the EndpointSlice read cannot be trusted)`, kept: 'EndpointSlice read failed: local endpoints unknown' };
    }
  }
  if (!ctx.heldBack) return undefined;
  const keep = new Set(write.to);
  const removed = write.from.filter((ip) => !keep.has(ip));
  if (removed.length > 0) return { note: `withdrawing ${goList(removed, ', ').slice(1, -1)} from ${key}`, kept: `withdrawal held back: some reads failed this run` };
  return undefined;
}

/** The Service's own warnings, and those of where its proxies run: each becomes a Warning Event
 *  once, and part of the condition message. */
function serviceWarnings(ctx: PlanContext, a: Assessment, served: boolean, proxies: ProxyState, odd: string | undefined): Notice[] {
  const warnings = [...a.warnings];
  if (odd !== undefined) warnings.push({ eventReason: 'ProxiesUnknown', message: odd });
  // Proxies that cannot become Ready without someone acting: said at once, per node, not waited for.
  if (served && proxies.source === 'pods') {
    const wanted = (node: string) => {
      const i = ctx.nodes.position.get(node);
      const f = i === undefined ? undefined : ctx.nodes.nodes[i];
      return f !== undefined && matchesSelector(f.node.labels, a.settings.nodeSelector);
    };
    for (const w of stuckWarnings(proxies.pods, wanted)) warnings.push(w);
  }
  if (served && a.settings.ipMode === 'Proxy' && ipModeDropped(a.svc.ingress)) {
    warnings.push({
      eventReason: 'IPModeNotSupported',
      message: 'ipMode Proxy is not kept by this API server (it needs Kubernetes 1.30 or later): in-cluster traffic to the published IPs still short-circuits to the Service',
    });
  }
  const rejecting = served ? rejectingPodSecurityLevel(ctx.snapshot.namespaces, ctx.config.namespace) : undefined;
  if (rejecting) warnings.push(podSecurityWarning(ctx.config.namespace, rejecting));
  return warnings;
}

/** `creatingDaemonSet`: this run creates the Service's proxies, so an empty status is expected
 *  and said calmly (reason ProxyStarting, no UnAvailableLoadBalancer warning). */
export function planServiceStatus(
  ctx: PlanContext,
  a: Assessment,
  rules: { names: string[]; states?: FirewallRuleState[] },
  creatingDaemonSet: boolean,
): ServiceOutcome {
  const served = isServed(a);
  const dsName = daemonSetName(a.svc.name, a.svc.uid);
  const odd = served ? ctx.odd.get(dsName) : undefined;
  const proxies: ProxyState = served ? ctx.proxies(dsName) : { source: 'pods', pods: [] };
  let condition: DesiredCondition;
  let ingress: ReturnType<typeof ingressFor> = [];
  const warnings = serviceWarnings(ctx, a, served, proxies, odd);
  const notices = [...a.problems, ...warnings];
  const endpoints = served ? endpointNodes(ctx, a) : undefined;
  const input: SelectionInput = {
    index: ctx.nodes,
    families: a.families,
    selector: a.settings.nodeSelector,
    ...(proxies.source === 'pods' ? { pods: proxies.pods } : { pods: [], readyOn: proxies.readyOn }),
    ...(endpoints ? { endpointNodes: endpoints } : {}),
    currentIPs: a.svc.ingress.map((i) => canonicalIP(i.ip ?? '')),
    maxIPs: a.settings.maxIPs,
  };
  let selection: Selection | undefined;
  if (served) {
    selection = selectNodes(input);
    ingress = ingressFor(selection.chosen, a.families, a.settings.ipMode, ctx.ips);
    const n = selection.chosen.length;
    if (n > 0) {
      condition = { status: 'True', reason: 'Published', message: conditionMessage(`serving on ${n} node${n === 1 ? '' : 's'}`, warnings) };
    } else if (creatingDaemonSet) {
      condition = { status: 'False', reason: 'ProxyStarting', message: conditionMessage('creating the proxy DaemonSet; the IPs follow once its pods are Ready', warnings) };
    } else {
      condition = { status: 'False', reason: 'NoEligibleNodes', message: conditionMessage(summariseSelection(input, selection), warnings) };
    }
  } else {
    const first = a.problems[0];
    condition = { status: 'False', reason: first?.conditionReason ?? 'Refused', message: conditionMessage('', notices) };
  }

  const status = planStatus({ svc: a.svc, ingress, condition, notices, quiet: a.quiet, refused: !served, now: ctx.snapshot.now });
  const actions: Action[] = [];
  let kept: string | undefined;
  if (status.write) {
    const blocker =
      odd !== undefined ? { note: `status of ${serviceKey(a.svc)} (the pods of its DaemonSet ${dsName} cannot be found)`, kept: `proxy pods of ${dsName} not found: proxies unknown` } : statusBlocker(ctx, a, status.write);
    if (blocker) {
      ctx.notes.push({ severity: 'WARNING', message: `held back: ${blocker.note}` });
      kept = blocker.kept;
    } else actions.push(status.write, ...status.events);
  }

  const explanation: ServiceExplanation = {
    service: serviceRef(a.svc),
    claimed: true,
    ...(served ? {} : { refused: a.problems.map((p) => p.message).join('; ') }),
    ports: a.svc.ports.map((p) => ({ ...p })),
    warnings: warnings.map((w) => w.message),
    ...(served ? { daemonSet: dsName } : {}),
    firewallRules: rules.names,
    ...(rules.states ? { firewallStates: rules.states } : {}),
    proxyPods: proxies.source === 'pods' ? podCounts(proxies.pods) : { ready: proxies.ready, total: proxies.total },
    ...(ctx.explain ? { nodes: nodeDecisions(ctx, input, selection, odd, dsName) } : {}),
    // A held-back write leaves the Service as it is: show that.
    ingress: (kept !== undefined ? a.svc.ingress : ingress).map((i) => i.ip ?? i.hostname ?? ''),
    ...(kept !== undefined ? { ingressKept: kept } : {}),
  };
  return { actions, explanation };
}

/** Per node, published or why not: only when the plan explains (a million decisions for 1000
 *  Services × 1000 nodes, which a scheduled sync never reads). */
function nodeDecisions(ctx: PlanContext, input: SelectionInput, selection: Selection | undefined, odd: string | undefined, dsName: string): NodeDecision[] {
  if (odd !== undefined) return ctx.nodes.nodes.map((f) => ({ node: f.node.name, externalIPs: [...f.ips.IPv4, ...f.ips.IPv6], published: false, unknown: true, why: `proxy pods of ${dsName} not found: unknown` }));
  return selection ? explainSelection(input, selection) : [];
}

function podCounts(pods: readonly ProxyPodView[]): ServiceExplanation['proxyPods'] {
  let ready = 0;
  let stuck = 0;
  for (const p of pods) {
    if (p.ready) ready++;
    else if (p.stuck !== undefined) stuck++;
  }
  return stuck > 0 ? { ready, total: pods.length, stuck } : { ready, total: pods.length };
}
