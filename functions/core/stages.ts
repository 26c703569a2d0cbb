// The order a plan is applied in, decided here and nowhere else: stages run one after another,
// the actions of one stage at once. Objects first, so a status never names proxies that do not
// exist; deletions last, so nothing is removed before what replaces it is in place. Pure.
import { actionKey } from './action_text.ts';
import type { Action, ActionKind } from './model.ts';

export type StageName = 'objects' | 'status' | 'events' | 'new-status' | 'new-events' | 'deletions' | 'failure-events';

export interface Stage {
  name: StageName;
  /** Why this stage runs where it does (shown by `nodelb sync --dry-run -o json`). */
  why: string;
  /** The status and Events of Services whose proxies this plan creates: when the sync waits for
   *  those proxies and plans again, this stage is left to that next round, which writes the IPs
   *  once instead of "ProxyStarting" now and the IPs seconds later (two writes, two Events). */
  afterNewProxies?: true;
  actions: Action[];
}

interface StageRule {
  name: StageName;
  why: string;
  kinds: readonly ActionKind[];
  /** true: only actions of Services whose DaemonSet this plan creates; false: only the others. */
  newService?: boolean;
}

const RULES: readonly StageRule[] = [
  { name: 'objects', why: 'proxy DaemonSets and firewall rules exist before a status names them', kinds: ['createDaemonSet', 'updateDaemonSet', 'createFirewall', 'patchFirewall'] },
  { name: 'status', why: 'Service status once the objects it depends on are written', kinds: ['writeStatus'], newService: false },
  { name: 'events', why: 'Events tell what the status write did', kinds: ['recordEvent'], newService: false },
  { name: 'new-status', why: 'the status of a new Service waits for its proxies when the sync waits for them', kinds: ['writeStatus'], newService: true },
  { name: 'new-events', why: 'the Events of a new Service follow its status', kinds: ['recordEvent'], newService: true },
  { name: 'deletions', why: 'nothing is removed before what replaces it is in place', kinds: ['deleteFirewall', 'deleteDaemonSet'] },
];

/** Splits actions into the stages above (empty ones left out), each sorted by kind and target
 *  so the same world always gives the same plan. */
export function toStages(actions: readonly Action[]): Stage[] {
  const creating = new Set(actions.flatMap((a) => (a.kind === 'createDaemonSet' && a.service ? [a.service.uid] : [])));
  const stages: Stage[] = [];
  for (const rule of RULES) {
    const chosen = actions.filter((a) => rule.kinds.includes(a.kind) && (rule.newService === undefined || (a.service !== undefined && creating.has(a.service.uid)) === rule.newService));
    if (chosen.length === 0) continue;
    stages.push({ name: rule.name, why: rule.why, ...(rule.newService ? { afterNewProxies: true as const } : {}), actions: sortByKindAndTarget(chosen, rule.kinds) });
  }
  return stages;
}

/** The Warning Events for actions that failed for good: a stage of their own after the plan's. */
export function failureEventStage(events: Action[]): Stage {
  return { name: 'failure-events', why: 'a Service is told when an action for it failed for good', actions: events };
}

/** Every action of a plan, in the order it is applied. */
export function actionsOf(plan: { stages: readonly Stage[] }): Action[] {
  return plan.stages.flatMap((s) => s.actions);
}

function sortByKindAndTarget(actions: Action[], kinds: readonly ActionKind[]): Action[] {
  return actions.sort((x, y) => {
    const k = kinds.indexOf(x.kind) - kinds.indexOf(y.kind);
    if (k !== 0) return k;
    const tx = actionKey(x);
    const ty = actionKey(y);
    return tx < ty ? -1 : tx > ty ? 1 : 0;
  });
}
