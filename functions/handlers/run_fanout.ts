// Runs the scheduled round's fan-out for an entry point: publishes one message per cluster to
// the function's own topic (fanout.ts decides, adapters/pubsub.ts sends), each then synced in
// its own invocation. The Pub/Sub adapter loads on first use. Does I/O.
import type { Config } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { fanoutMessages, publishBatches } from './fanout.ts';
import { instanceTokens } from './run_sync.ts';

export interface FanoutResult {
  published: number;
  /** Set when publishing failed; `retryable` says whether a redelivery can help. */
  error?: { message: string; retryable: boolean; fix?: string };
}

export async function runFanout(config: Config, clusters: readonly string[], logger: Logger): Promise<FanoutResult> {
  const topic = config.fanoutTopic;
  // parseConfig requires the topic whenever the clusters exceed the threshold.
  if (topic === undefined) throw new Error('fan-out without NODELB_FANOUT_TOPIC');
  const [{ publish }, tokens] = await Promise.all([import('../adapters/pubsub.ts'), instanceTokens(config)]);
  const started = performance.now();
  let published = 0;
  try {
    // In order, one request at a time: a failure part-way is redelivered whole, and the
    // clusters already published are synced twice — harmless (level-triggered), a few reads.
    for (const batch of publishBatches(fanoutMessages(clusters))) {
      await publish(batch, { endpoint: config.pubsubEndpoint, topic, tokens });
      published += batch.length;
    }
  } catch (e) {
    const err = e as { message?: string; retryable?: boolean; fix?: string };
    const error = { message: err.message ?? String(e), retryable: err.retryable ?? true, ...(err.fix ? { fix: err.fix } : {}) };
    logger.error('fanout.failed', `published ${published} of ${clusters.length} cluster message(s) to ${topic}: ${error.message}`, {
      published,
      clusters: clusters.length,
      topic,
      ...(error.fix ? { fix: error.fix } : {}),
    });
    return { published, error };
  }
  logger.info('fanout.published', `published ${published} cluster message(s) to ${topic}: each cluster syncs in its own invocation`, {
    published,
    topic,
    durationMs: Math.round(performance.now() - started),
  });
  return { published };
}
