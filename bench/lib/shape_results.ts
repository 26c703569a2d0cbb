// Summaries, target checks and the Markdown section of the realistic shapes (pure).
import { summarisePhase, type PhaseName, type PhaseSummary, type Target } from './results.ts';
import type { ShapeRun } from './measure_shape.ts';
import { proxyPods } from './shapes.ts';

export interface ShapeSummary {
  shape: string;
  description: string;
  server: 'real' | 'sim';
  services: number;
  nodes: number;
  poolSize: number;
  proxyPods: number;
  /** Seeding the world; worldReadyMs adds, on the real API server, the wait until the nodes are settled. */
  seededMs: number;
  worldReadyMs: number;
  churnedNodes: number;
  seconds: number;
  /** Sync processes that failed (exit code and the end of their stderr). */
  failures: string[];
  phases: Partial<Record<PhaseName, PhaseSummary>>;
}

export function summariseShape(r: ShapeRun): ShapeSummary {
  const phases: ShapeSummary['phases'] = {};
  for (const name of ['cold', 'steady', 'churn', 'naiveSteady'] as const) {
    const samples = r.samples[name] ?? [];
    if (samples.length > 0) phases[name] = summarisePhase(samples, r.checks[name] ?? []);
  }
  return {
    shape: r.shape.key,
    description: r.shape.description,
    server: r.server,
    services: r.shape.services,
    nodes: r.shape.nodes,
    poolSize: r.shape.poolSize,
    proxyPods: proxyPods(r.shape),
    seededMs: r.seededMs,
    worldReadyMs: r.startupMs,
    churnedNodes: r.churnedNodes,
    seconds: r.seconds,
    failures: r.failures,
    phases,
  };
}

const SERVER_NAME = { real: 'real API server', sim: 'simulator' } as const;
const label = (s: ShapeSummary) => `${s.shape} (${s.services} × ${s.nodes}${s.poolSize > 0 ? `, pools of ${s.poolSize}` : ''}), ${SERVER_NAME[s.server]}`;

export function shapeTargets(shapes: ShapeSummary[]): Target[] {
  const out: Target[] = [];
  for (const s of shapes) {
    const st = s.phases.steady;
    if (st) out.push({ name: `steady sync, shape ${label(s)}`, target: '< 2 s (median and p95)', measured: `median ${st.wallMs} ms, p95 ${st.wallMsP95} ms (${st.runs} runs)`, met: st.wallMs < 2000 && st.wallMsP95 < 2000 });
    const peaks = (['cold', 'steady', 'churn'] as const).flatMap((n) => (s.phases[n] ? [{ n, mib: s.phases[n].peakRssMiBMax }] : []));
    if (peaks.length > 0) out.push({ name: `peak RSS of the syncing process, shape ${label(s)}`, target: '< 200 MiB', measured: peaks.map((p) => `${p.n} ${p.mib} MiB`).join(', '), met: Math.max(...peaks.map((p) => p.mib)) < 200 });
  }
  const steady = shapes.flatMap((s) => (s.phases.steady ? [{ s, p: s.phases.steady }] : []));
  if (steady.length > 0) {
    const reads = steady.map(({ p }) => p.readsPaginationAside);
    out.push({
      name: 'steady, realistic shapes: reads independent of size (pagination aside), zero writes',
      target: 'same reads everywhere, 0 writes',
      measured: steady.map(({ s, p }) => `${s.shape}/${s.server}: ${p.readsPaginationAside} reads (${p.reads} with pages), ${p.writes} writes`).join('; '),
      met: reads.every((x) => x === reads[0]) && steady.every(({ p }) => p.writes === 0),
    });
  }
  const failed = shapes.flatMap((s) => s.failures.map((f) => `${s.shape}/${s.server} ${f.split(':')[0]}`));
  if (failed.length > 0) out.push({ name: 'realistic shapes: every sync process ran to its end', target: 'all', measured: `failed: ${failed.join(', ')}`, met: false });
  const wrong = shapes.flatMap((s) => Object.entries(s.phases).filter(([, p]) => p.wrongStatuses > 0).map(([n]) => `${s.shape}/${s.server} ${n}`));
  out.push({ name: 'realistic shapes: every Service publishes exactly its nodes’ current IPs after each phase', target: 'all', measured: wrong.length === 0 ? 'all' : `wrong after ${wrong.join(', ')}`, met: wrong.length === 0 });
  return out;
}

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x} ms`);

export function renderShapes(shapes: ShapeSummary[]): string[] {
  if (shapes.length === 0) return [];
  const lines = ['## Realistic shapes (GKE-sized Nodes, `--shapes`)', ''];
  for (const s of shapes) lines.push(`- **${s.shape}** on the ${SERVER_NAME[s.server]}: ${s.description}; ${s.proxyPods.toLocaleString('en')} proxy pods. World seeded in ${ms(s.seededMs)}, ready in ${ms(s.worldReadyMs)}; all phases took ${s.seconds} s.`);
  lines.push('', '| shape | API server | phase | runs | reads | reads, pagination aside | writes | wall (median) | p95 | range | to last status write | peak RSS (median / max) | rounds | statuses right |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of shapes) {
    for (const name of ['cold', 'steady', 'churn', 'naiveSteady'] as const) {
      const p = s.phases[name];
      if (!p) continue;
      const phase = name === 'churn' ? `churn (${s.churnedNodes} IPs)` : name === 'naiveSteady' ? 'steady, eager clients loaded' : name;
      lines.push(
        `| ${s.shape}: ${s.services} × ${s.nodes}${s.poolSize > 0 ? ` (pools of ${s.poolSize})` : ''} | ${SERVER_NAME[s.server]} | ${phase} | ${p.runs} | ${p.reads} | ${p.readsPaginationAside} | ${p.writes} | ${ms(p.wallMs)} | ${ms(p.wallMsP95)} | ${ms(p.wallMsMin)}–${ms(p.wallMsMax)} | ${p.statusesWrittenMs === undefined ? '—' : ms(p.statusesWrittenMs)} | ${p.peakRssMiB} / ${p.peakRssMiBMax} MiB | ${p.rounds} | ${p.wrongStatuses === 0 ? 'yes' : `${p.wrongStatuses} wrong`} |`,
      );
    }
  }
  for (const s of shapes) for (const f of s.failures) lines.push('', `**Failed** (${s.shape}, ${SERVER_NAME[s.server]}): ${f.replaceAll('\n', ' ')}`);
  lines.push('', 'Calls by API, steady (median): ' + shapes.flatMap((s) => (s.phases.steady ? [`${s.shape}/${s.server}: ${Object.entries(s.phases.steady.byApi).map(([api, c]) => `${api} ${c.reads}/${c.writes}`).join(', ')}`] : [])).join('; ') + '.', '');
  return lines;
}
