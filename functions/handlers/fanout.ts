// The scheduled round's fan-out, decided purely: whether a trigger is fanned out (a schedule
// with more clusters than the threshold) and the Pub/Sub messages that carry one cluster each,
// in publish requests within Pub/Sub's per-request limits. No I/O (adapters/pubsub.ts sends).
import { FANOUT_REASON, type Trigger } from './events.ts';
import type { PubSubMessage } from '../adapters/pubsub.ts';

/** Pub/Sub accepts at most 1000 messages (and 10 MB) per publish request; ours are ~150 bytes. */
export const MAX_MESSAGES_PER_PUBLISH = 1000;

/** The attribute that names the cluster, so a subscription filter or a person reading the
 *  topic can tell the messages apart without decoding them. */
export const CLUSTER_ATTRIBUTE = 'nodelb.dev/cluster';

/** Only the schedule fans out: audit-log events already name their cluster (or a few), and a
 *  fanned-out message names exactly one, so nothing fans out twice. */
export function shouldFanOut(trigger: Trigger, clusters: readonly string[], threshold: number): boolean {
  return trigger.kind === 'schedule' && clusters.length > threshold;
}

/** One message per cluster, `{"reason":"fanout","cluster":…}` (events.ts parses it back). */
export function fanoutMessages(clusters: readonly string[]): PubSubMessage[] {
  return clusters.map((cluster) => ({
    data: Buffer.from(JSON.stringify({ reason: FANOUT_REASON, cluster }), 'utf8').toString('base64'),
    attributes: { [CLUSTER_ATTRIBUTE]: cluster },
  }));
}

/** Messages split into publish requests of at most `max`. */
export function publishBatches<T>(messages: readonly T[], max = MAX_MESSAGES_PER_PUBLISH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < messages.length; i += max) out.push(messages.slice(i, i + max));
  return out;
}
