// A tiny in-memory world for convergence tests: apply a plan's actions to a snapshot the way the
// API servers would (resourceVersion checks, server-side defaults), with a stand-in DaemonSet
// controller that runs Ready pods on the nodes a DaemonSet can use.
import type { V1DaemonSet, V1NodeSelectorRequirement } from '@kubernetes/client-node';
import type { Action, NodeView, Plan, ProxyPodView, Snapshot } from '../../functions/core/model.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { plan } from '../../functions/core/plan.ts';
import { DAEMONSET_LABEL, parseFirewallMarker } from '../../functions/core/naming.ts';
import { actionsOf } from '../../functions/core/stages.ts';

export interface RecordedEvent {
  service: string;
  type: string;
  reason: string;
  message: string;
}

/** What the API server adds to a DaemonSet we send it; the planner must not mistake it for drift. */
function withServerDefaults(ds: V1DaemonSet, resourceVersion: string): V1DaemonSet {
  const out = structuredClone(ds);
  out.metadata = { ...out.metadata, resourceVersion, uid: `ds-${out.metadata?.name}`, generation: Number(resourceVersion), creationTimestamp: new Date(0) };
  const spec = out.spec;
  if (!spec) return out;
  spec.revisionHistoryLimit = 10;
  if (spec.updateStrategy?.rollingUpdate) spec.updateStrategy.rollingUpdate.maxSurge = 0;
  const pod = spec.template.spec;
  if (pod) {
    pod.dnsPolicy = 'ClusterFirst';
    pod.restartPolicy = 'Always';
    pod.schedulerName = 'default-scheduler';
    pod.terminationGracePeriodSeconds = 30;
    pod.securityContext = { ...pod.securityContext };
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      c.terminationMessagePath = '/dev/termination-log';
      c.terminationMessagePolicy = 'File';
      for (const p of c.ports ?? []) p.protocol ??= 'TCP';
      for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion = 'v1';
      if (c.readinessProbe) Object.assign(c.readinessProbe, { timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    }
  }
  return out;
}

function matchesExpression(labels: Record<string, string>, e: V1NodeSelectorRequirement): boolean {
  const have = labels[e.key];
  if (e.operator === 'Exists') return have !== undefined;
  if (e.operator === 'DoesNotExist') return have === undefined;
  if (e.operator === 'In') return have !== undefined && (e.values ?? []).includes(have);
  if (e.operator === 'NotIn') return have === undefined || !(e.values ?? []).includes(have);
  return false;
}

/** Whether the DaemonSet controller would place a pod of `ds` on `node`. */
export function schedulable(ds: V1DaemonSet, node: NodeView): boolean {
  const pod = ds.spec?.template.spec;
  if (!pod) return false;
  for (const [k, v] of Object.entries(pod.nodeSelector ?? {})) if (node.labels[k] !== v) return false;
  const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length > 0 && !terms.some((t) => (t.matchExpressions ?? []).every((e) => matchesExpression(node.labels, e)))) return false;
  for (const taint of node.taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    const tolerated = (pod.tolerations ?? []).some(
      (t) =>
        (t.key === undefined || t.key === taint.key) &&
        (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')) &&
        (t.effect === undefined || t.effect === taint.effect),
    );
    if (!tolerated) return false;
  }
  return !node.deleting;
}

/** Pods for every DaemonSet: Ready where the node is Ready; Pending where the host port is taken. */
export function runDaemonSetController(snapshot: Snapshot): ProxyPodView[] {
  const pods: ProxyPodView[] = [];
  const taken = new Map<string, Set<string>>(); // node → "port/protocol"
  const sorted = [...snapshot.daemonSets].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const ds of sorted) {
    const name = ds.spec?.selector.matchLabels?.[DAEMONSET_LABEL] ?? ds.metadata?.name ?? '';
    const ports = (ds.spec?.template.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => `${p.hostPort}/${p.protocol ?? 'TCP'}`));
    for (const node of snapshot.nodes) {
      if (!schedulable(ds, node)) continue;
      const used = taken.get(node.name) ?? new Set<string>();
      const clash = ports.some((p) => used.has(p));
      for (const p of ports) used.add(p);
      taken.set(node.name, used);
      pods.push({ daemonSet: name, nodeName: node.name, ready: node.ready && !clash, phase: clash ? 'Pending' : 'Running' });
    }
  }
  return pods;
}

export function applyToSnapshot(snapshot: Snapshot, actions: readonly Action[], events: RecordedEvent[] = []): Snapshot {
  const s = structuredClone(snapshot);
  let rv = 1000;
  for (const a of actions) {
    rv++;
    switch (a.kind) {
      case 'createDaemonSet': {
        if (s.daemonSets.some((d) => d.metadata?.name === a.daemonSet.metadata?.name)) throw new Error(`409 AlreadyExists ${a.daemonSet.metadata?.name}`);
        s.daemonSets.push(withServerDefaults(a.daemonSet, String(rv)));
        break;
      }
      case 'updateDaemonSet': {
        const i = s.daemonSets.findIndex((d) => d.metadata?.name === a.daemonSet.metadata?.name);
        if (i < 0) throw new Error(`404 ${a.daemonSet.metadata?.name}`);
        if (s.daemonSets[i]?.metadata?.resourceVersion !== a.resourceVersion) throw new Error('409 Conflict: stale resourceVersion');
        s.daemonSets[i] = withServerDefaults(a.daemonSet, String(rv));
        break;
      }
      case 'deleteDaemonSet':
        s.daemonSets = s.daemonSets.filter((d) => !(d.metadata?.name === a.name && (d.metadata?.namespace ?? a.namespace) === a.namespace));
        break;
      case 'createFirewall':
        if ((s.firewalls ?? []).some((f) => f.rule.name === a.rule.name)) throw new Error(`409 firewall ${a.rule.name}`);
        s.firewalls = [...(s.firewalls ?? []), { rule: structuredClone(a.rule), marker: parseFirewallMarker(a.rule.description) }];
        break;
      case 'patchFirewall': {
        const f = (s.firewalls ?? []).find((x) => x.rule.name === a.rule.name);
        if (!f) throw new Error(`404 firewall ${a.rule.name}`);
        f.rule = { ...f.rule, ...structuredClone(a.rule) };
        f.marker = parseFirewallMarker(f.rule.description);
        break;
      }
      case 'deleteFirewall':
        s.firewalls = (s.firewalls ?? []).filter((f) => f.rule.name !== a.name);
        break;
      case 'writeStatus': {
        const svc = s.services.find((x) => x.namespace === a.service.namespace && x.name === a.service.name && x.uid === a.service.uid);
        if (!svc) throw new Error(`404 service ${a.service.name}`);
        if (svc.resourceVersion !== a.resourceVersion) throw new Error('409 Conflict: stale Service resourceVersion');
        // API servers with LoadBalancerIPMode store VIP when ipMode is left out.
        svc.ingress = a.ingress.map((i) => ({ ...i, ipMode: i.ipMode ?? 'VIP' }));
        svc.conditions = structuredClone(a.conditions);
        svc.resourceVersion = String(rv);
        break;
      }
      case 'recordEvent':
        events.push({ service: `${a.service.namespace}/${a.service.name}`, type: a.type, reason: a.eventReason, message: a.message });
        break;
    }
  }
  s.pods = runDaemonSetController(s);
  return s;
}

export interface Convergence {
  snapshot: Snapshot;
  rounds: number; // plans that had actions
  plans: Plan[];
  events: RecordedEvent[];
}

/** plan → apply until a plan has no actions (or `maxRounds` plans were applied). */
export function converge(snapshot: Snapshot, config: PlanConfig, maxRounds = 6): Convergence {
  let s = structuredClone(snapshot);
  s.pods = runDaemonSetController(s);
  const plans: Plan[] = [];
  const events: RecordedEvent[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const p = plan(s, config);
    plans.push(p);
    if (actionsOf(p).length === 0) return { snapshot: s, rounds: round, plans, events };
    s = applyToSnapshot(s, actionsOf(p), events);
  }
  return { snapshot: s, rounds: maxRounds, plans, events };
}
