// How an action is named and summarised, once: the target ("daemonset ns/name"), the change it
// makes, and the key that identifies it across rounds. Used by the planner's order, apply's
// results, the report and the log. Pure.
import type { Action } from './model.ts';
import { describeIPChange } from './status.ts';

export function describeTarget(a: Action): string {
  switch (a.kind) {
    case 'createDaemonSet':
    case 'updateDaemonSet':
      return `daemonset ${a.daemonSet.metadata?.namespace}/${a.daemonSet.metadata?.name}`;
    case 'deleteDaemonSet':
      return `daemonset ${a.namespace}/${a.name}`;
    case 'createFirewall':
    case 'patchFirewall':
      return `firewall ${a.project}/${a.rule.name}`;
    case 'deleteFirewall':
      return `firewall ${a.project}/${a.name}`;
    case 'writeStatus':
      return `service ${a.service.namespace}/${a.service.name}`;
    case 'recordEvent':
      return `event ${a.service.namespace}/${a.service.name} ${a.eventReason}`;
  }
}

/** The change an action makes, in a few words (none where the kind, target and reason say it all). */
export function describeChange(a: Action): string | undefined {
  if (a.kind === 'patchFirewall' && a.changes.length > 0) return a.changes.join(', ');
  if (a.kind === 'writeStatus') return a.change ?? describeIPChange(a.from, a.to, '→', ', ');
  if (a.kind === 'recordEvent') return `${a.type} ${a.eventReason}: ${a.message}`;
  return undefined;
}

/** Identifies "the same action" in two rounds of one sync (an Event by its message too). */
export function actionKey(a: Action): string {
  const key = `${a.kind} ${describeTarget(a)}`;
  return a.kind === 'recordEvent' ? `${key}\u0000${a.message}` : key;
}

export interface ActionSummary {
  kind: Action['kind'];
  target: string;
  reason: string;
  service?: string; // namespace/name
  detail?: string; // patch: what changed; status: from → to
}

/** An action without its object body: what the report and `nodelb sync --dry-run` show. */
export function summariseAction(a: Action): ActionSummary {
  const s: ActionSummary = { kind: a.kind, target: describeTarget(a), reason: a.reason };
  if (a.service) s.service = `${a.service.namespace}/${a.service.name}`;
  const detail = describeChange(a);
  if (detail !== undefined) s.detail = detail;
  return s;
}
