// DaemonSet actions of one run: create what is missing, update what drifted, delete ours whose
// Service is gone, unclaimed or refused. DaemonSets without our label are never touched (pure).
import type { V1DaemonSet } from '@kubernetes/client-node';
import type { Action } from './model.ts';
import type { PlanContext } from './plan_context.ts';
import { holdBack, isServed, whyUnwanted } from './plan_context.ts';
import { desiredDaemonSet } from './daemonset.ts';
import { daemonSetDrift } from './daemonset_drift.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SERVICE_UID_LABEL, ownerFromLabels, serviceKey, serviceRef } from './naming.ts';

export interface DaemonSetPlan {
  actions: Action[];
}

const isOurs = (ds: V1DaemonSet) => ds.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;

export function planDaemonSets(ctx: PlanContext): DaemonSetPlan {
  const { config } = ctx;
  const inNamespace = ctx.snapshot.daemonSets
    .filter((ds) => (ds.metadata?.namespace ?? config.namespace) === config.namespace)
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '', 'en'));
  const observed = new Map(inNamespace.map((ds) => [ds.metadata?.name ?? '', ds]));
  const actions: Action[] = [];
  const kept = new Set<string>();

  for (const a of ctx.assessments.values()) {
    if (!isServed(a)) continue;
    const want = desiredDaemonSet(a, config);
    const name = want.metadata?.name ?? '';
    const have = observed.get(name);
    const service = serviceRef(a.svc);
    if (!have) {
      const ports = a.svc.ports.map((p) => `${p.port}/${p.protocol}`).join(', ');
      actions.push({ kind: 'createDaemonSet', daemonSet: want, service, reason: `Service ${serviceKey(a.svc)} needs a proxy on its nodes (${ports})` });
      continue;
    }
    if (!isOurs(have)) {
      ctx.notes.push({ severity: 'WARNING', message: `DaemonSet ${config.namespace}/${name} exists without nodelb's label; it is not touched, so Service ${serviceKey(a.svc)} gets no proxy` });
      continue;
    }
    if (have.metadata?.labels?.[SERVICE_UID_LABEL] !== a.svc.uid) continue; // an older namesake: deleted below, recreated next run
    kept.add(name);
    const drift = daemonSetDrift(want, have);
    if (drift.length > 0) {
      actions.push({
        kind: 'updateDaemonSet',
        daemonSet: want,
        resourceVersion: have.metadata?.resourceVersion ?? '',
        service,
        reason: `proxy DaemonSet differs from what Service ${serviceKey(a.svc)} needs: ${drift.join(', ')}`,
      });
    }
  }

  for (const [name, ds] of observed) {
    if (!isOurs(ds) || kept.has(name)) continue;
    const owner = ownerFromLabels(ds.metadata?.labels);
    const why = whyUnwanted(ctx, owner);
    if (ctx.odd.has(name)) continue; // its own note says it is kept: what it is, is unknown
    if (ctx.heldBack) {
      holdBack(ctx, `deleting DaemonSet ${config.namespace}/${name} (${why})`);
      continue;
    }
    actions.push({ kind: 'deleteDaemonSet', namespace: config.namespace, name, owner, service: owner, reason: why });
  }
  // The desired DaemonSet of a Service that needs no write is not kept: a full object per
  // Service, a thousand of them alive through the rest of the plan for nothing.
  return { actions };
}
