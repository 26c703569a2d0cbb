// npm run bench:fleet — one scheduled round over a fleet of small clusters on the simulated GKE,
// in one invocation versus fanned out through the real Pub/Sub emulator to several function
// instances (Functions Framework processes, one invocation at a time each, deployed NODE_OPTIONS;
// messages pulled and handed to idle instances, test/e2e/pubsub/pull_dispatcher.ts):
// time from the schedule's publish to the last cluster's sync, and each instance's peak RSS.
// Writes bench/results/fleet.{json,md}. Does I/O (loopback, child processes).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startFleet, fleetIngress, type Fleet } from '../test/sim/fleet.ts';
import { startEmulator, type Emulator } from '../test/e2e/pubsub/emulator.ts';
import { startFunctionProcess, type FunctionProcess, type LogLine } from '../test/e2e/pubsub/function_process.ts';
import { startPullDispatcher } from '../test/e2e/pubsub/pull_dispatcher.ts';
import { DEPLOYED_NODE_OPTIONS, LATENCY } from './lib/latency.ts';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '200' },
    nodes: { type: 'string', default: '3' },
    services: { type: 'string', default: '2' },
    instances: { type: 'string', default: '10' },
    modes: { type: 'string', default: 'single,fanout' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    name: { type: 'string', default: 'fleet' },
  },
  strict: true,
});
const CLUSTERS = Number(values.clusters);
const NODES = Number(values.nodes);
const SERVICES = Number(values.services);
const INSTANCES = Number(values.instances);
type Mode = 'single' | 'fanout';
const MODES = values.modes.split(',') as Mode[];

interface RoundResult {
  round: 'cold' | 'steady';
  /** Publish of the schedule message to the last cluster's sync.finished. */
  roundMs: number;
  syncs: number;
  failed: number;
  /** Per-cluster sync durations (sync.finished durationMs), ms. */
  syncMs: { median: number; p95: number; max: number };
  wrongClusters: number; // clusters whose Services do not publish exactly their nodes' IPs
}

interface ModeResult {
  mode: Mode;
  instances: number;
  rounds: RoundResult[];
  /** Peak RSS (VmHWM) of each instance after both rounds, MiB; invocations each served. */
  perInstance: { peakRssMiB: number; invocations: number }[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const label = (l: LogLine, k: string) => l['logging.googleapis.com/labels']?.[k];

async function waitFor(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function measure(mode: Mode, emulator: Emulator): Promise<ModeResult> {
  const fleet: Fleet = await startFleet({ clusters: CLUSTERS, nodesPerCluster: NODES, servicesPerCluster: SERVICES, latency: LATENCY, seed: 3 });
  const topic = `nodelb-${mode}`;
  const instances: FunctionProcess[] = [];
  let dispatcher: ReturnType<typeof startPullDispatcher> | undefined;
  try {
    const env = {
      NODELB_CLUSTERS: fleet.clusters.map((c) => c.full).join(','),
      NODELB_CONTAINER_ENDPOINT: fleet.sim.containerEndpoint,
      NODELB_COMPUTE_ENDPOINT: fleet.sim.computeEndpoint,
      GOOGLE_OAUTH_ACCESS_TOKEN: fleet.sim.token,
      NODELB_LOG_LEVEL: 'INFO',
      NODELB_TIME_BUDGET_SECONDS: '240', // as deployed: timeout 300 s − 60
      NODELB_FANOUT_THRESHOLD: mode === 'fanout' ? '8' : '100000',
      NODELB_FANOUT_TOPIC: `projects/${fleet.sim.project}/topics/${topic}`,
      PUBSUB_EMULATOR_HOST: emulator.host,
      NODE_OPTIONS: DEPLOYED_NODE_OPTIONS,
    };
    const count = mode === 'fanout' ? INSTANCES : 1;
    for (let i = 0; i < count; i++) instances.push(await startFunctionProcess(env));
    await emulator.createTopic(topic);
    // The longest ack deadline Pub/Sub allows: a message out with an instance is not redelivered.
    await emulator.createPullSubscription(`${topic}-sub`, topic, 600);
    dispatcher = startPullDispatcher(emulator, { project: fleet.sim.project, topic, subscription: `${topic}-sub`, instances: () => instances.map((i) => i.url) });
    const relay = dispatcher;
    const rounds: RoundResult[] = [];
    for (const round of ['cold', 'steady'] as const) {
      const marks = instances.map((i) => i.lines.length);
      const started = Date.now();
      await emulator.publish(topic, [{ data: JSON.stringify({ reason: 'schedule' }) }]);
      const finished = () => instances.flatMap((inst, k) => inst.lines.slice(marks[k]).filter((l) => l.event === 'sync.finished'));
      await waitFor(`${mode} ${round}: ${CLUSTERS} syncs`, () => new Set(finished().map((l) => label(l, 'cluster'))).size >= CLUSTERS, 900_000);
      const lines = finished();
      const lastMs = Math.max(...lines.map((l) => Date.parse(String(l.time))));
      const durations = lines.map((l) => Number(l.durationMs));
      const wrong = fleet.clusters.filter((c) => {
        const want = c.nodes.map((n) => c.kube.get<{ status?: { addresses?: { type: string; address: string }[] } }>('nodes', undefined, n)?.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address).sort();
        return Array.from({ length: SERVICES }, (_, s) => fleetIngress(c, `web-${s}`)).some((got) => got.join(',') !== want.join(','));
      }).length;
      rounds.push({
        round,
        roundMs: lastMs - started,
        syncs: lines.length,
        failed: lines.filter((l) => l.ok !== true).length,
        syncMs: { median: pct(durations, 0.5), p95: pct(durations, 0.95), max: Math.max(...durations) },
        wrongClusters: wrong,
      });
      process.stderr.write(`${mode} ${round}: ${((lastMs - started) / 1000).toFixed(1)} s, ${lines.length} syncs, ${wrong} clusters wrong\n`);
      // Let the acknowledgements settle before the next round.
      await new Promise((r) => setTimeout(r, 1000));
    }
    const perInstance = instances.map((inst, k) => ({ peakRssMiB: inst.peakRssMiB(), invocations: relay.deliveries.filter((d) => d.instance === k).length }));
    return { mode, instances: count, rounds, perInstance };
  } finally {
    await dispatcher?.stop();
    await Promise.all(instances.map((i) => i.stop()));
    await fleet.close();
  }
}

function markdown(r: { emulatorStartMs: number; modes: ModeResult[]; machine: string; when: string }): string {
  const rows = r.modes.flatMap((m) =>
    m.rounds.map((x) => {
      const peaks = m.perInstance.map((p) => p.peakRssMiB);
      const inv = m.perInstance.map((p) => p.invocations);
      return `| ${m.mode === 'single' ? 'one invocation' : `fanned out, ${m.instances} instances`} | ${x.round} | ${(x.roundMs / 1000).toFixed(1)} s | ${x.syncs}${x.failed ? ` (${x.failed} failed)` : ''} | ${(x.syncMs.median / 1000).toFixed(2)} / ${(x.syncMs.p95 / 1000).toFixed(2)} s | ${x.wrongClusters} | ${Math.max(...peaks)} MiB${peaks.length > 1 ? ` (min ${Math.min(...peaks)})` : ''} | ${inv.join('+')} |`;
    }),
  );
  return [
    `# Fleet benchmark (${CLUSTERS} clusters × ${NODES} nodes × ${SERVICES} Services)`,
    '',
    `${r.when}; ${r.machine}. \`npm run bench:fleet\`. Latency: Kubernetes ${LATENCY.kubeMs} ms, Compute ${LATENCY.computeMs} ms, Container ${LATENCY.containerMs} ms, firewall operations ${LATENCY.operationMs} ms. Each instance: a Functions Framework process with \`NODE_OPTIONS=${DEPLOYED_NODE_OPTIONS}\`, one invocation at a time. Pub/Sub: the real emulator (started in ${r.emulatorStartMs} ms); messages pulled from it and handed, in the push body format, to an idle instance (the emulator's own push delivers one message at a time per subscription; Pub/Sub's does not).`,
    '',
    '| mode | round | schedule publish → last cluster synced | syncs | per-cluster sync median / p95 | clusters wrong | peak RSS per instance (max) | invocations per instance |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Peak RSS is VmHWM over both rounds (the cold round dominates). "Invocations" counts the schedule message and the per-cluster messages each instance served.',
    '',
  ].join('\n');
}

const emulator = await startEmulator('demo-project');
try {
  const modes: ModeResult[] = [];
  for (const mode of MODES) modes.push(await measure(mode, emulator));
  const cpu = cpus();
  const result = {
    when: new Date().toISOString(),
    machine: `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    size: { clusters: CLUSTERS, nodesPerCluster: NODES, servicesPerCluster: SERVICES },
    latency: LATENCY,
    emulatorStartMs: emulator.startMs,
    modes,
  };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${values.out}/${values.name}.md`, markdown(result));
  process.stdout.write(markdown(result));
} finally {
  await emulator.stop();
}
