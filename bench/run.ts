// `npm run bench`: builds, then measures nodelb's sync against the local GKE (its own
// process, with injected latency) for several Services × nodes sizes in three phases (cold,
// steady, churn), or with `--shapes realistic` the two GKE-sized shapes on the real API server
// and the simulator, and the function's start-to-ready next to the naive eager-import entry.
// Writes bench/results/NAME.json and NAME.md. Does I/O (processes, files).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runPhase, type PhaseResult } from './lib/phase.ts';
import { renderMarkdown, summarise, type BenchResults, type PhaseName, type SizeRun } from './lib/results.ts';
import { LATENCY, NAIVE_NODE_OPTIONS } from './lib/latency.ts';
import { startSim } from './lib/sim.ts';
import { loadAverage, machine } from './lib/stats.ts';
import { FIREWALL_OPERATIONS_IN_FLIGHT } from '../functions/runtime/apply.ts';
import { ENV_DOCS } from '../functions/config.ts';
import { measureStartup, type StartupSample } from './lib/startup.ts';
import { parseShapes } from './lib/shapes.ts';
import { BASELINE, SHAPE_NOTES } from './lib/shape_notes.ts';
import { measureShape } from './lib/measure_shape.ts';
import { renderShapes, shapeTargets, summariseShape, type ShapeSummary } from './lib/shape_results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' }, // SxN; the real control plane runs S × N proxy pods (default 10x10,30x60 without --shapes)
    shapes: { type: 'string' }, // realistic (A and B), small, or keys: A,B
    servers: { type: 'string', default: 'real,sim' }, // for --shapes
    'steady-runs': { type: 'string', default: '7' }, // steady syncs per shape and server
    runs: { type: 'string', default: '5' },
    'large-runs': { type: 'string', default: '2' }, // for sizes with S×N ≥ 250 000
    'startup-runs': { type: 'string', default: '7' },
    'skip-build': { type: 'boolean', default: false },
    'no-naive': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
    name: { type: 'string' }, // default latest, or realistic with --shapes
  },
  strict: true,
});

const CHURN_FRACTION = 0.1;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function build(): void {
  log('building (tsc -p bench/tsconfig.json → build/)');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'functions', 'bench', 'test'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

function parseSizes(text: string): { services: number; nodes: number }[] {
  if (text === '') return [];
  return text.split(',').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`--sizes: expected SxN (Services x nodes), got "${s}"`);
    return { services: Number(m[1]), nodes: Number(m[2]) };
  });
}

async function measureStartups(runs: number, naive: boolean): Promise<{ ours: StartupSample[]; naive: StartupSample[] }> {
  const ours: StartupSample[] = [];
  const eager: StartupSample[] = [];
  // One warm-up each (file cache), then alternate so both see the same machine conditions.
  await measureStartup(ROOT, 'nodelbEvent', ROOT);
  if (naive) await measureStartup(join(ROOT, 'build/bench/child/naive_entry.js'), 'nodelbEvent', ROOT, NAIVE_NODE_OPTIONS);
  for (let i = 0; i < runs; i++) {
    ours.push(await measureStartup(ROOT, 'nodelbEvent', ROOT));
    if (naive) eager.push(await measureStartup(join(ROOT, 'build/bench/child/naive_entry.js'), 'nodelbEvent', ROOT, NAIVE_NODE_OPTIONS));
    log(`start-to-ready ${i + 1}/${runs}: ours ${ours.at(-1)?.readyMs.toFixed(0)} ms${naive ? `, naive ${eager.at(-1)?.readyMs.toFixed(0)} ms` : ''}`);
  }
  return { ours, naive: eager };
}

async function measureSize(size: { services: number; nodes: number }, runs: number, naive: boolean): Promise<SizeRun[]> {
  const out: SizeRun[] = [];
  for (let r = 0; r < runs; r++) {
    const sim = await startSim(size, LATENCY);
    try {
      const run: SizeRun = { phases: {}, checks: {}, churnedNodes: 0, simStartupMs: sim.endpoints.startupMs };
      const label = `${size.services}x${size.nodes} run ${r + 1}/${runs}`;
      const phase = async (name: PhaseName, opts: { naive?: boolean } = {}) => {
        await sim.calls(true);
        const result: PhaseResult = await runPhase(sim.endpoints, opts);
        const measured = { ...result, server: await sim.calls(true) };
        const check = await sim.verify();
        run.phases[name] = measured;
        run.checks[name] = check;
        log(
          `${label} ${name}: ${result.wallMs.toFixed(0)} ms, ${result.calls.reads} reads/${result.calls.writes} writes, ` +
            `${(result.maxRssKiB / 1024).toFixed(0)} MiB, rounds ${result.rounds}, converged ${result.converged}, wrong statuses ${check.wrong}` +
            (result.errors.length > 0 ? `, errors: ${result.errors.join('; ')}` : ''),
        );
      };
      await phase('cold');
      // On the real control plane the rollout of S × N proxy pods may outlast the cold sync's
      // settle window: steady is measured on a world whose pods are all Ready.
      await sim.settle();
      await phase('steady');
      run.churnedNodes = (await sim.churn(CHURN_FRACTION)).changed;
      await phase('churn');
      // The naive alternative: the same steady sync with the Google clients loaded up front.
      if (naive && r === 0) await phase('naiveSteady', { naive: true });
      out.push(run);
    } finally {
      await sim.stop();
    }
  }
  return out;
}

const started = Date.now();
const loadAtStart = loadAverage();
const commit = gitCommit(); // at the start: what this run loaded
if (!values['skip-build']) build();
const shapes = values.shapes ? parseShapes(values.shapes) : [];
const sizes = parseSizes(values.sizes ?? (shapes.length > 0 ? '' : '10x10,30x60'));
const servers = values.servers.split(',').map((x) => {
  if (x !== 'real' && x !== 'sim') throw new Error(`--servers: real and/or sim, got "${x}"`);
  return x;
});
const name = values.name ?? (shapes.length > 0 ? 'realistic' : 'latest');
const runs = Number(values.runs);
const largeRuns = Number(values['large-runs']);
const naive = !values['no-naive'];
const startupRuns = Number(values['startup-runs']);

const startups = startupRuns > 0 ? await measureStartups(startupRuns, naive) : { ours: [], naive: [] };
const perSize: { services: number; nodes: number; runs: SizeRun[] }[] = [];
for (const size of sizes) {
  const n = size.services * size.nodes >= 250_000 ? largeRuns : runs;
  perSize.push({ ...size, runs: await measureSize(size, n, naive) });
}

const shapeSummaries: ShapeSummary[] = [];
for (const shape of shapes) {
  for (const server of servers) {
    const run = await measureShape(shape, server, { latency: LATENCY, steadyRuns: Number(values['steady-runs']), naive, churnFraction: CHURN_FRACTION, log });
    shapeSummaries.push(summariseShape(run));
  }
}

const results: BenchResults = summarise({
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: { ...machine(), loadAverageAtStart: loadAtStart },
  latency: LATENCY,
  churnFraction: CHURN_FRACTION,
  concurrency:
    `Writes in flight: Kubernetes ${ENV_DOCS.NODELB_CONCURRENCY?.default} (NODELB_CONCURRENCY, default), GCE firewall write requests ${ENV_DOCS.NODELB_CONCURRENCY?.default} (the same setting), ` +
    `GCE firewall operations awaited at once ${FIREWALL_OPERATIONS_IN_FLIGHT} (GCE allows 500 concurrent global operations per project by default)`,
  notes: [
    ...(sizes.length > 0 ? [`Runs: ${runs} per size, ${largeRuns} for sizes with 250 000 proxy pods or more (one 1000 × 1000 run takes about five minutes here).`] : []),
    `Start to ready: ${startupRuns} starts of each entry after one warm-up each, alternating.`,
    'Each phase is a fresh process running the compiled function code (build/), so peak RSS (process.resourceUsage().maxRSS) is the whole process: Node, the modules a sync loads, and the sync. The simulator runs in its own process on the same cores, so its CPU (it renders every proxy pod as JSON) competes with the sync’s.',
    'cold: S Services and N nodes exist, nothing of nodelb’s; steady: the next sync, nothing to change; churn: 10% of the nodes got a new external IP (GCE and Node addresses), then one sync.',
    '“to last status write”: from the start of the sync to its last Service status write (the Events follow it). “statuses right”: after the phase every Service lists exactly the nodes’ current IPs.',
    'naive rows: the same entry with @google-cloud/compute (FirewallsClient, InstancesClient, GlobalOperationsClient), @google-cloud/container (ClusterManagerClient) and @kubernetes/client-node loaded and constructed at load time (bench/child/eager_clients.ts), and a steady sync run after loading them that way.',
  ],
  startups,
  perSize,
  totalSeconds: (Date.now() - started) / 1000,
});
if (shapeSummaries.length > 0) {
  results.shapes = shapeSummaries;
  results.targets.push(...shapeTargets(shapeSummaries));
  results.notes.push(...SHAPE_NOTES);
  results.baseline = BASELINE;
}
results.commit = commit;
mkdirSync(values.out, { recursive: true });
const markdown = renderMarkdown(results, renderShapes(shapeSummaries));
writeFileSync(join(values.out, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(values.out, `${name}.md`), markdown);
log(`wrote ${join(values.out, `${name}.json`)} and .md in ${results.totalSeconds.toFixed(0)} s`);
process.stdout.write(markdown);
