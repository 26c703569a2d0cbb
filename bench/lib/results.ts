// Turns the raw benchmark samples into medians, target checks and the Markdown table (pure).
import { DEPLOYED_NODE_OPTIONS } from './latency.ts';
import type { PhaseResult } from './phase.ts';
import type { Latency, ServerCalls, VerifyResult } from './sim.ts';
import { median, percentile, type Machine } from './stats.ts';
import type { StartupSample } from './startup.ts';
import type { ShapeSummary } from './shape_results.ts';

export type PhaseName = 'cold' | 'steady' | 'churn' | 'naiveSteady';

export type MeasuredPhase = PhaseResult & { server: ServerCalls };

export interface SizeRun {
  phases: Partial<Record<PhaseName, MeasuredPhase>>;
  checks: Partial<Record<PhaseName, VerifyResult>>;
  churnedNodes: number;
  simStartupMs: number;
}

export interface PhaseSummary {
  runs: number;
  reads: number;
  /** Reads minus the requests for a second or later page of a list (as the servers saw them). */
  readsPaginationAside: number;
  writes: number;
  byApi: Record<string, { reads: number; writes: number }>;
  wallMs: number;
  wallMsMin: number;
  wallMsMax: number;
  /** 95th percentile of the wall times (nearest rank: with fewer than 20 runs, the slowest). */
  wallMsP95: number;
  /** From the start of the sync to its last status write (median of the runs that wrote one). */
  statusesWrittenMs?: number;
  peakRssMiB: number;
  /** Highest peak RSS of the runs. */
  peakRssMiBMax: number;
  rounds: number;
  allConverged: boolean;
  /** Services whose status did not list exactly the current node IPs after the phase (worst run). */
  wrongStatuses: number;
  errors: string[];
}

export interface SizeSummary {
  services: number;
  nodes: number;
  runs: number;
  churnedNodes: number;
  phases: Partial<Record<PhaseName, PhaseSummary>>;
}

export interface StartupSummary {
  runs: number;
  readyMs: number;
  readyMsMin: number;
  readyMsMax: number;
  rssMiB: number;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  generatedAt: string;
  command: string;
  /** The checkout measured (git HEAD), so before/after runs can be told apart. */
  commit?: string;
  machine: Machine;
  totalSeconds: number;
  settings: {
    latency: Latency;
    churnFraction: number;
    concurrency: string;
    logLevel: string;
    nodeOptions: string;
  };
  startup: { ours: StartupSummary; naive?: StartupSummary };
  sizes: SizeSummary[];
  /** The realistic shapes (`--shapes`), on the real API server and the simulator. */
  shapes?: ShapeSummary[];
  /** Reference figures from earlier runs, quoted for comparison (not measured in this run). */
  baseline?: string[];
  targets: Target[];
  notes: string[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function summarisePhase(samples: MeasuredPhase[], checks: (VerifyResult | undefined)[]): PhaseSummary {
  const apis = [...new Set(samples.flatMap((s) => Object.keys(s.calls.byApi)))].sort();
  const byApi: PhaseSummary['byApi'] = {};
  for (const api of apis) {
    byApi[api] = {
      reads: median(samples.map((s) => s.calls.byApi[api]?.reads ?? 0)),
      writes: median(samples.map((s) => s.calls.byApi[api]?.writes ?? 0)),
    };
  }
  const continued = (s: MeasuredPhase) => Object.values(s.server).reduce((n, c) => n + c.continued, 0);
  return {
    runs: samples.length,
    reads: median(samples.map((s) => s.calls.reads)),
    readsPaginationAside: median(samples.map((s) => s.calls.reads - continued(s))),
    writes: median(samples.map((s) => s.calls.writes)),
    byApi,
    wallMs: Math.round(median(samples.map((s) => s.wallMs))),
    wallMsMin: Math.round(Math.min(...samples.map((s) => s.wallMs))),
    wallMsMax: Math.round(Math.max(...samples.map((s) => s.wallMs))),
    wallMsP95: Math.round(percentile(samples.map((s) => s.wallMs), 95)),
    peakRssMiBMax: round1(Math.max(...samples.map((s) => s.maxRssKiB / 1024))),
    ...statusesWritten(samples),
    peakRssMiB: round1(median(samples.map((s) => s.maxRssKiB / 1024))),
    rounds: median(samples.map((s) => s.rounds)),
    allConverged: samples.every((s) => s.converged),
    wrongStatuses: Math.max(0, ...checks.map((c) => c?.wrong ?? 0)),
    errors: [...new Set(samples.flatMap((s) => s.errors))],
  };
}

function statusesWritten(samples: MeasuredPhase[]): { statusesWrittenMs?: number } {
  const written = samples.flatMap((s) => (s.statusesWrittenMs === undefined ? [] : [s.statusesWrittenMs]));
  return written.length > 0 ? { statusesWrittenMs: Math.round(median(written)) } : {};
}

function summariseStartup(samples: StartupSample[]): StartupSummary {
  return {
    runs: samples.length,
    readyMs: Math.round(median(samples.map((s) => s.readyMs))),
    readyMsMin: Math.round(Math.min(...samples.map((s) => s.readyMs))),
    readyMsMax: Math.round(Math.max(...samples.map((s) => s.readyMs))),
    rssMiB: round1(median(samples.map((s) => s.rssMiB))),
  };
}

export function summarise(input: {
  command: string;
  machine: Machine;
  latency: Latency;
  churnFraction: number;
  concurrency: string;
  startups: { ours: StartupSample[]; naive: StartupSample[] };
  perSize: { services: number; nodes: number; runs: SizeRun[] }[];
  totalSeconds: number;
  notes: string[];
}): BenchResults {
  const sizes: SizeSummary[] = input.perSize.map((s) => {
    const phases: SizeSummary['phases'] = {};
    for (const name of ['cold', 'steady', 'churn', 'naiveSteady'] as const) {
      const samples = s.runs.flatMap((r) => (r.phases[name] ? [r.phases[name]] : []));
      if (samples.length > 0) phases[name] = summarisePhase(samples, s.runs.map((r) => r.checks[name]));
    }
    return { services: s.services, nodes: s.nodes, runs: s.runs.length, churnedNodes: s.runs[0]?.churnedNodes ?? 0, phases };
  });
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    command: input.command,
    machine: input.machine,
    totalSeconds: Math.round(input.totalSeconds),
    settings: { latency: input.latency, churnFraction: input.churnFraction, concurrency: input.concurrency, logLevel: 'INFO (the function default), to /dev/null', nodeOptions: process.env.BENCH_NODE_OPTIONS ?? DEPLOYED_NODE_OPTIONS },
    startup: {
      ours: summariseStartup(input.startups.ours),
      ...(input.startups.naive.length > 0 ? { naive: summariseStartup(input.startups.naive) } : {}),
    },
    sizes,
    targets: [],
    notes: input.notes,
  };
  results.targets = targets(results);
  return results;
}

function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const size = (s: number, n: number) => r.sizes.find((x) => x.services === s && x.nodes === n);
  const steady = r.sizes.flatMap((s) => (s.phases.steady ? [{ s, p: s.phases.steady }] : []));
  if (steady.length > 0) {
    const reads = steady.map(({ p }) => p.readsPaginationAside);
    const same = reads.every((x) => x === reads[0]);
    out.push({
      name: 'steady: reads independent of S and N (pagination aside), zero writes',
      target: 'same reads at every size, 0 writes',
      measured: steady.map(({ s, p }) => `${s.services}×${s.nodes}: ${p.readsPaginationAside} reads (${p.reads} with pages), ${p.writes} writes`).join('; '),
      met: same && steady.every(({ p }) => p.writes === 0),
    });
  }
  const mid = size(100, 300);
  if (mid?.phases.cold) out.push({ name: 'cold (100, 300) wall', target: '< 10 s', measured: `${(mid.phases.cold.wallMs / 1000).toFixed(2)} s`, met: mid.phases.cold.wallMs < 10_000 });
  const churn = mid?.phases.churn;
  if (churn) {
    const toStatus = churn.statusesWrittenMs ?? churn.wallMs;
    out.push({
      name: 'churn (100, 300): start of sync to all statuses written',
      target: '< 2 s',
      measured: `${(toStatus / 1000).toFixed(2)} s (whole sync, Events included: ${(churn.wallMs / 1000).toFixed(2)} s)`,
      met: toStatus < 2_000,
    });
  }
  const big = size(1000, 1000);
  if (big) {
    const peaks = (['cold', 'steady', 'churn'] as const).flatMap((n) => (big.phases[n] ? [{ n, mib: big.phases[n].peakRssMiB }] : []));
    const worst = Math.max(...peaks.map((p) => p.mib));
    out.push({ name: 'peak RSS of a (1000, 1000) sync', target: '< 200 MiB', measured: peaks.map((p) => `${p.n} ${p.mib} MiB`).join(', '), met: worst < 200 });
  }
  if (r.startup.ours.runs > 0)
    out.push({ name: 'process start to ready (nodelbEvent)', target: '< 0.5 s', measured: `${r.startup.ours.readyMs} ms`, met: r.startup.ours.readyMs < 500 });
  const wrong = r.sizes.flatMap((s) => Object.entries(s.phases).filter(([, p]) => p.wrongStatuses > 0).map(([n]) => `${s.services}×${s.nodes} ${n}`));
  if (r.sizes.length > 0) out.push({ name: 'every Service publishes exactly the current node IPs after each phase', target: 'all', measured: wrong.length === 0 ? 'all' : `wrong after ${wrong.join(', ')}`, met: wrong.length === 0 });
  return out;
}

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x} ms`);

/** `sections`: Markdown lines placed before the by-size tables (the realistic shapes). */
export function renderMarkdown(r: BenchResults, sections: string[] = []): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push('# nodelb benchmark results', '');
  lines.push(`Generated ${r.generatedAt} by \`${r.command}\` in ${r.totalSeconds} s${r.commit ? ` on commit ${r.commit}` : ''}.`, '');
  const load = m.loadAverage ? ` Load average (1/5/15 min) ${m.loadAverageAtStart ? `${m.loadAverageAtStart.join(' / ')} at the start, ` : ''}${m.loadAverage.join(' / ')} at the end (the cores are shared with other work).` : '';
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}.${load}`, '');
  const l = r.settings.latency;
  lines.push(
    `Simulated GKE in its own process; latency per request: Kubernetes ${l.kubeMs} ms, Compute ${l.computeMs} ms, Container ${l.containerMs} ms; firewall operations take ${l.operationMs} ms to complete. ` +
      `Churn: ${Math.round(r.settings.churnFraction * 100)}% of the nodes get a new external IP. ${r.settings.concurrency}. Log level ${r.settings.logLevel}. NODE_OPTIONS of every measured function process: \`${r.settings.nodeOptions || '(none)'}\` (the deployed setting unless BENCH_NODE_OPTIONS overrides it).`,
    '',
  );
  lines.push('Every figure is the median of the runs shown; wall range is min–max.', '');
  lines.push(...sections);
  if (r.baseline && r.baseline.length > 0) lines.push('## Baseline (earlier runs, quoted)', '', ...r.baseline.map((b) => `- ${b}`), '');
  if (r.sizes.length > 0) renderSizes(r, lines);
  renderStartup(r, lines);
  lines.push('', '## Targets', '');
  lines.push('| target | wanted | measured | met |');
  lines.push('| --- | --- | --- | --- |');
  for (const t of r.targets) lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  if (r.notes.length > 0) lines.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}

function renderSizes(r: BenchResults, lines: string[]): void {
  lines.push('## Sync by size (GKE mode, the function\'s code path, one process per phase)', '');
  lines.push('| Services × nodes | phase | runs | reads | reads, pagination aside | writes | wall | wall range | to last status write | peak RSS | rounds | statuses right |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of r.sizes) {
    for (const name of ['cold', 'steady', 'churn'] as const) {
      const p = s.phases[name];
      if (!p) continue;
      const label = name === 'churn' ? `churn (${s.churnedNodes} IP${s.churnedNodes === 1 ? '' : 's'})` : name;
      lines.push(
        `| ${s.services} × ${s.nodes} | ${label} | ${p.runs} | ${p.reads} | ${p.readsPaginationAside} | ${p.writes} | ${ms(p.wallMs)} | ${ms(p.wallMsMin)}–${ms(p.wallMsMax)} | ${p.statusesWrittenMs === undefined ? '—' : ms(p.statusesWrittenMs)} | ${p.peakRssMiB} MiB | ${p.rounds} | ${p.wrongStatuses === 0 ? 'yes' : `${p.wrongStatuses} wrong`} |`,
      );
    }
  }
  lines.push('', 'Calls by API (median):', '');
  lines.push('| Services × nodes | phase | Kubernetes reads / writes | Compute reads / writes | Container reads |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const s of r.sizes) {
    for (const name of ['cold', 'steady', 'churn'] as const) {
      const p = s.phases[name];
      if (!p) continue;
      const a = (api: string) => p.byApi[api] ?? { reads: 0, writes: 0 };
      lines.push(`| ${s.services} × ${s.nodes} | ${name} | ${a('kube').reads} / ${a('kube').writes} | ${a('compute').reads} / ${a('compute').writes} | ${a('container').reads} |`);
    }
  }
}

function renderStartup(r: BenchResults, lines: string[]): void {
  lines.push('', '## Function start and memory: nodelb next to the naive eager entry (same run)', '');
  lines.push('| entry | start to ready | range | RSS at ready |');
  lines.push('| --- | --- | --- | --- |');
  const st = (name: string, x: StartupSummary | undefined) => {
    if (x && x.runs > 0) lines.push(`| ${name} | ${ms(x.readyMs)} | ${ms(x.readyMsMin)}–${ms(x.readyMsMax)} | ${x.rssMiB} MiB |`);
  };
  st('nodelb (`build/functions/index.js`: clients load on first use)', r.startup.ours);
  st('naive (eager `@google-cloud/compute` + `@google-cloud/container` clients + client-node)', r.startup.naive);
  const naiveRows = r.sizes.filter((s) => s.phases.naiveSteady && s.phases.steady);
  if (naiveRows.length > 0) {
    lines.push('', '| Services × nodes | steady sync peak RSS, nodelb | same sync with the eager clients loaded |');
    lines.push('| --- | --- | --- |');
    for (const s of naiveRows) lines.push(`| ${s.services} × ${s.nodes} | ${s.phases.steady?.peakRssMiB} MiB | ${s.phases.naiveSteady?.peakRssMiB} MiB |`);
  }
  const naiveShapes = (r.shapes ?? []).filter((s) => s.phases.naiveSteady && s.phases.steady);
  if (naiveShapes.length > 0) {
    lines.push('', '| shape, API server | steady sync peak RSS, nodelb | same sync with the eager clients loaded |');
    lines.push('| --- | --- | --- |');
    for (const s of naiveShapes) lines.push(`| ${s.shape}, ${s.server} | ${s.phases.steady?.peakRssMiB} MiB | ${s.phases.naiveSteady?.peakRssMiB} MiB |`);
  }
}
