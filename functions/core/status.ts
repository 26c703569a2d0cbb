// A Service's status as nodelb wants it (ingress + the nodelb.dev/Serving condition) and the
// Events that announce a change (pure). Events ride only on status writes, so they happen on
// transitions only: a sync every minute repeats nothing.
import type { Action, ConditionView, IngressView, ServiceView } from './model.ts';
import type { Notice } from './validate.ts';
import { SERVING_CONDITION, serviceRef } from './naming.ts';

export interface DesiredCondition {
  status: 'True' | 'False';
  reason: string; // Published, ProxyStarting, NoEligibleNodes, Refused, InvalidConfiguration, PortConflict
  message: string;
}

export interface StatusPlan {
  write?: Extract<Action, { kind: 'writeStatus' }>;
  events: Extract<Action, { kind: 'recordEvent' }>[];
}

export function servingCondition(svc: ServiceView): ConditionView | undefined {
  return svc.conditions.find((c) => c.type === SERVING_CONDITION);
}

/** The condition message carries every notice, so a later run can tell what was announced. */
export function conditionMessage(head: string, notices: readonly Notice[]): string {
  const text = [head, ...notices.map((n) => n.message)].filter((s) => s !== '').join('; ');
  // The API server refuses a condition message over 32 KiB (bytes: 8000 characters stay below it).
  return text.length > MAX_CONDITION_MESSAGE ? `${text.slice(0, MAX_CONDITION_MESSAGE)}…` : text;
}

export const MAX_CONDITION_MESSAGE = 8000;

/** API servers with LoadBalancerIPMode (Kubernetes ≥ 1.30) fill in ipMode VIP on every ingress
 *  entry with an IP; older ones drop the field. So stored IPs without any ipMode mean this server
 *  does not keep it, and asking for Proxy again would rewrite the status on every run. */
export function ipModeDropped(stored: readonly IngressView[]): boolean {
  const withIP = stored.filter((i) => i.ip !== undefined);
  return withIP.length > 0 && withIP.every((i) => i.ipMode === undefined);
}

function sameIngress(stored: readonly IngressView[], wanted: readonly IngressView[]): boolean {
  if (stored.length !== wanted.length) return false;
  const modeKept = !ipModeDropped(stored);
  return stored.every((x, i) => {
    const y = wanted[i] as IngressView;
    // An absent ipMode reads back as VIP on API servers with LoadBalancerIPMode: the same thing.
    return x.ip === y.ip && x.hostname === y.hostname && (!modeKept || (x.ipMode ?? 'VIP') === (y.ipMode ?? 'VIP'));
  });
}

const ipsOf = (ingress: readonly IngressView[]) => ingress.map((i) => i.ip ?? i.hostname ?? '').filter((s) => s !== '');
/** servicelb prints Go's %v of []string; past MAX_LISTED_IPS the rest is counted, not listed
 *  (1000 IPs would make every Event, reason and log line of a status write 15 KB). */
export const goList = (ips: readonly string[], sep = ' ') =>
  ips.length <= MAX_LISTED_IPS ? `[${ips.join(sep)}]` : `[${ips.slice(0, MAX_LISTED_IPS).join(sep)} …${ips.length - MAX_LISTED_IPS} more]`;

export const MAX_LISTED_IPS = 10;

/** What was added to and removed from an IP list. */
export function diffIPs(from: readonly string[], to: readonly string[]): { added: readonly string[]; removed: readonly string[] } {
  // From or to nothing (a first publication, a withdrawal) needs no sets of a thousand IPs.
  if (from.length === 0 || to.length === 0) return { added: to, removed: from };
  const before = new Set(from);
  const after = new Set(to);
  return { added: to.filter((ip) => !before.has(ip)), removed: from.filter((ip) => !after.has(ip)) };
}

/** "[a b] -> [a c]" as servicelb says it; for long lists what was added and removed, since the
 *  first ten of two thousand-IP lists are usually the same ten. `sep` joins a list's IPs; `diff`
 *  when the caller has it already. */
export function describeIPChange(from: readonly string[], to: readonly string[], arrow = '->', sep = ' ', diff?: ReturnType<typeof diffIPs>): string {
  if (from.length <= MAX_LISTED_IPS && to.length <= MAX_LISTED_IPS) return `${goList(from, sep)} ${arrow} ${goList(to, sep)}`;
  const { added, removed } = diff ?? diffIPs(from, to);
  return `${from.length} ${arrow} ${to.length} IPs, added ${goList(added, sep)}, removed ${goList(removed, sep)}`;
}

export interface StatusInput {
  svc: ServiceView;
  ingress: IngressView[];
  condition: DesiredCondition;
  /** Refusals and warnings, each announced once with a Warning Event. */
  notices: readonly Notice[];
  quiet: boolean; // no Events (terminating namespace)
  refused: boolean;
  now: string;
}

export function planStatus(input: StatusInput): StatusPlan {
  const { svc, ingress, condition, now } = input;
  const old = servingCondition(svc);
  const conditionSame = old !== undefined && old.status === condition.status && old.reason === condition.reason && old.message === condition.message;
  const ingressSame = sameIngress(svc.ingress, ingress);
  if (conditionSame && ingressSame) return { events: [] };

  const ref = serviceRef(svc);
  const next: ConditionView = {
    type: SERVING_CONDITION,
    status: condition.status,
    reason: condition.reason,
    message: condition.message,
    lastTransitionTime: old && old.status === condition.status ? old.lastTransitionTime : now,
  };
  const conditions = old ? svc.conditions.map((c) => (c === old ? next : c)) : [...svc.conditions, next];
  const from = ipsOf(svc.ingress);
  const to = ipsOf(ingress);
  const ipsChanged = from.length !== to.length || from.some((ip, i) => ip !== to[i]);
  // Once: the reason, the Event and the result all say it.
  const diff = ipsChanged && (from.length > MAX_LISTED_IPS || to.length > MAX_LISTED_IPS) ? diffIPs(from, to) : undefined;
  const change = ipsChanged ? describeIPChange(from, to, '->', ' ', diff) : '';

  const why: string[] = [];
  if (ipsChanged) {
    const was = from.length <= MAX_LISTED_IPS ? `was ${goList(from)}` : change;
    why.push(to.length > 0 ? `publish ${to.length} node IP${to.length === 1 ? '' : 's'} (${was})` : `clear the published IPs ${goList(from)}`);
  } else if (!ingressSame) why.push('rewrite the ingress list in its canonical form');
  if (!conditionSame) {
    why.push(old ? `condition ${old.status}/${old.reason} → ${condition.status}/${condition.reason}: ${condition.message}` : `set condition ${condition.status}/${condition.reason}: ${condition.message}`);
  }
  const write: StatusPlan['write'] = {
    kind: 'writeStatus',
    service: ref,
    resourceVersion: svc.resourceVersion,
    ingress,
    conditions,
    from,
    to,
    ...(ipsChanged ? { change: describeIPChange(from, to, '→', ', ', diff) } : {}),
    reason: why.join('; '),
  };

  const events: StatusPlan['events'] = [];
  if (!input.quiet) {
    const event = (type: 'Normal' | 'Warning', eventReason: string, message: string, reason: string) =>
      events.push({ kind: 'recordEvent', service: ref, type, eventReason, message, reason });
    if (to.length > 0 && ipsChanged) {
      event('Normal', 'UpdatedLoadBalancer', `Updated LoadBalancer with new IPs: ${change}`, 'the published IPs changed');
    }
    // Empty after serving, or newly without eligible nodes. A refusal has its own Warning.
    const becameUnavailable = from.length > 0 || (condition.reason === 'NoEligibleNodes' && old?.reason !== 'NoEligibleNodes');
    if (to.length === 0 && !input.refused && becameUnavailable) {
      event('Warning', 'UnAvailableLoadBalancer', 'There are no available nodes for LoadBalancer', condition.message);
    }
    for (const n of input.notices) {
      if (old && old.message.includes(n.message)) continue; // announced already
      event('Warning', n.eventReason, n.message, 'new problem with the Service');
    }
  }
  return { write, events };
}
