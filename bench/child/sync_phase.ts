// One benchmark phase in a fresh process (does I/O): the function's own sync path (configuration
// from the environment, runSync → syncAll → syncCluster in GKE mode through getCluster) against
// the simulated GKE, then one JSON result — wall time (and until the last status write), API
// calls, peak RSS — written to the file named by --result. Runs compiled (build/bench/child/),
// so its memory is what the function uses.
// --naive first loads and constructs the Google client libraries, as an eager entry would.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { instanceConfig } from '../../functions/handlers/instance_config.ts';
import { runSync } from '../../functions/handlers/run_sync.ts';
import { createLogger, stdoutSink } from '../../functions/platform/log.ts';
import { loadEagerClients } from './eager_clients.ts';

const { values } = parseArgs({ options: { result: { type: 'string' }, naive: { type: 'boolean', default: false } }, strict: true });
if (!values.result) throw new Error('sync_phase: --result FILE is required');

const loadStarted = performance.now();
if (values.naive) await loadEagerClients();
// The function imports these on its first invocation; a warm instance has them. Loading them
// first keeps module loading out of the sync's wall time (it is still in the peak RSS).
await Promise.all([
  import('../../functions/runtime/sync.ts'),
  import('../../functions/adapters/connect.ts'),
  import('../../functions/adapters/kube_rest.ts'),
  import('../../functions/adapters/compute.ts'),
  import('../../functions/adapters/container.ts'),
]);
const cfg = await instanceConfig(process.env);
if (!cfg.ok) throw cfg.error;
const loadMs = performance.now() - loadStarted;

// The function's log goes to stdout as usual; the sink also notes when the last status was written.
let lastStatusAt: number | undefined;
const logger = createLogger({
  level: cfg.config.logLevel,
  sink: (entry) => {
    if (entry.event === 'action.applied' && entry.kind === 'writeStatus') lastStatusAt = performance.now();
    stdoutSink(entry);
  },
});
const started = performance.now();
const report = await runSync(cfg.config, { clusters: cfg.config.clusters, trigger: 'bench' }, logger);
const wallMs = performance.now() - started;

const cluster = report.clusters[0];
const outcomes: Record<string, number> = {};
for (const r of cluster?.results ?? []) outcomes[`${r.kind}:${r.outcome}`] = (outcomes[`${r.kind}:${r.outcome}`] ?? 0) + 1;
writeFileSync(
  values.result,
  JSON.stringify({
    wallMs,
    statusesWrittenMs: lastStatusAt === undefined ? undefined : lastStatusAt - started,
    loadMs,
    durationMs: cluster?.durationMs,
    ok: report.ok,
    converged: report.converged,
    rounds: cluster?.rounds,
    calls: cluster?.calls,
    outcomes,
    errors: cluster?.errors.map((e) => e.message) ?? [],
    maxRssKiB: process.resourceUsage().maxRSS,
  }),
);
