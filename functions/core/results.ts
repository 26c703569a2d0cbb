// What applying one action came to: the shape apply returns, the report lists and the outcome
// of a sync is computed from. Pure types.
import type { Action } from './model.ts';
import type { StageName } from './stages.ts';

export type ActionOutcome = 'applied' | 'failed' | 'skipped' | 'dry-run';

export interface ActionResult {
  kind: Action['kind'];
  target: string;
  reason: string;
  stage: StageName;
  service?: string; // namespace/name of the Service the action is for
  /** What the action changes, so every round's results say it: status "[a] → [b]", the Event,
   *  the drifted firewall fields. */
  change?: string;
  outcome: ActionOutcome;
  detail?: string; // for applied/skipped: what happened, when not simply "done"
  error?: string;
  fix?: string;
  retryable?: boolean; // failed only: whether another run could succeed
  durationMs: number;
  /** Failed for good in an earlier round of this sync: counted in the verdict, not tried again
   *  and not listed twice. */
  carried?: true;
}
