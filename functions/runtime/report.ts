// The shapes a sync reports (JSON for the HTTP trigger and the CLI, one summary log line), and
// the summary of plan actions without whole object bodies. Pure.
import type { Action, Plan } from '../core/model.ts';
import type { CallCounts } from '../platform/calls.ts';
import type { ActionResult } from './apply.ts';
import { describeChange, describeTarget } from './apply.ts';
import type { Prerequisite } from '../core/prerequisites.ts';
import type { Outcome } from '../core/outcome.ts';

export interface ActionSummary {
  kind: Action['kind'];
  target: string;
  reason: string;
  service?: string; // namespace/name
  detail?: string; // patch: what changed; status: from → to
}

export interface SyncError {
  stage: 'connect' | 'prerequisites' | 'observe' | 'plan' | 'apply' | 'settle';
  message: string;
  fix?: string;
  retryable: boolean;
}

export interface ClusterReport {
  cluster: string;
  runId: string;
  /** The verdict (core/outcome.ts); exit status, HTTP status and the alert follow from it. */
  outcome: Outcome;
  ok: boolean; // outcome === 'done'
  converged: boolean; // done, and nothing left to do that this run could see (no pending proxy)
  retryable: boolean; // outcome === 'failed': running again may help
  dryRun: boolean;
  trigger: string;
  durationMs: number;
  rounds: number; // 2 when the sync waited for new proxy pods and planned again
  plan: {
    actions: ActionSummary[];
    services: Plan['services'];
    notes: Plan['notes'];
    heldBack: boolean;
    /** Set when the Services could not be planned: why they are unknown (not "none"). */
    unknown?: string;
  };
  results: (ActionResult & { round: number })[];
  calls: CallCounts;
  prerequisites: Prerequisite[];
  errors: SyncError[];
}

export interface RunReport {
  outcome: Outcome; // the worst of the clusters'
  ok: boolean;
  converged: boolean;
  retryable: boolean;
  trigger: string;
  clusters: ClusterReport[];
}

export function summariseAction(a: Action): ActionSummary {
  const s: ActionSummary = { kind: a.kind, target: describeTarget(a), reason: a.reason };
  if (a.service) s.service = `${a.service.namespace}/${a.service.name}`;
  const detail = describeChange(a);
  if (detail !== undefined) s.detail = detail;
  return s;
}
