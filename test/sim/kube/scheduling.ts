// Which nodes a DaemonSet's pod may run on, as the DaemonSet controller and scheduler decide:
// nodeSelector, required node affinity, taints and tolerations (with the tolerations the
// controller adds to every daemon pod). Pure.
import type { WireNodeSelectorRequirement, WireNodeSelectorTerm, WireTaint, WireToleration } from './types.ts';

/** Tolerations the DaemonSet controller adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(hostNetwork: boolean): WireToleration[] {
  const t: WireToleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** Adds the daemon tolerations the template lacks, as the controller does when it builds a pod. */
export function withDaemonTolerations(own: WireToleration[] | undefined, hostNetwork: boolean): WireToleration[] {
  const out = [...(own ?? [])];
  for (const t of daemonPodTolerations(hostNetwork)) {
    if (!out.some((o) => o.key === t.key && o.effect === t.effect && o.operator === t.operator)) out.push(t);
  }
  return out;
}

function tolerates(t: WireToleration, taint: WireTaint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** Every NoSchedule/NoExecute taint must be tolerated (only NoExecute ones when `noExecuteOnly`:
 *  what decides whether a pod already there may stay); PreferNoSchedule never blocks. */
export function toleratesTaints(tolerations: WireToleration[], taints: WireTaint[], noExecuteOnly = false): boolean {
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute' && (noExecuteOnly || taint.effect !== 'NoSchedule')) continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return false;
  }
  return true;
}

function requirementMatches(r: WireNodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const a = Number(value);
      const b = Number(values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** Terms are ORed; within a term all requirements must hold. An empty term matches nothing. */
export function matchesNodeSelectorTerms(terms: WireNodeSelectorTerm[], nodeName: string, labels: Record<string, string>): boolean {
  for (const term of terms) {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) continue;
    if (exprs.every((r) => requirementMatches(r, labels[r.key])) && fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? nodeName : undefined))) {
      return true;
    }
  }
  return false;
}

export function matchesNodeSelector(nodeSelector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(nodeSelector ?? {})) if (labels[k] !== v) return false;
  return true;
}
