// The latency the benchmark injects into the simulated GKE (per request; operations: until DONE).
import type { Latency } from './sim.ts';

export const LATENCY: Latency = { kubeMs: 20, computeMs: 100, containerMs: 100, operationMs: 2000 };

/** NODE_OPTIONS of the deployed function (infra/terraform variable function_node_options and
 *  infra/gcloud/deploy.sh; test/unit/infra.test.ts keeps the three equal): every process the
 *  benchmark measures as "the function" runs with it. */
export const DEPLOYED_NODE_OPTIONS = '--max-old-space-size=160 --max-semi-space-size=1';

/** The naive entry (eager Google clients) is measured with V8's defaults: under the deployed
 *  cap it did not become ready within a minute here (its clients alone need about 440 MiB). */
export const NAIVE_NODE_OPTIONS = '';
