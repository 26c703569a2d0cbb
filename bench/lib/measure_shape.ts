// Measures one realistic shape on one API server (does I/O): one world, then a cold sync, the
// stand-in's rollout, `steadyRuns` steady syncs (each a fresh process), one churn and one naive
// steady sync. One world per shape and server because seeding 5,000 nodes and letting them age
// past nodelb's settle window costs minutes on the real API server.
import { runPhase } from './phase.ts';
import { startSim, type Latency, type VerifyResult } from './sim.ts';
import type { MeasuredPhase, PhaseName } from './results.ts';
import type { Shape } from './shapes.ts';

export interface ShapeRun {
  shape: Shape;
  server: 'real' | 'sim';
  startupMs: number;
  seededMs: number;
  churnedNodes: number;
  samples: Partial<Record<PhaseName, MeasuredPhase[]>>;
  checks: Partial<Record<PhaseName, VerifyResult[]>>;
  /** Phases whose sync process failed (an out-of-memory exit, say): recorded, not fatal. */
  failures: string[];
  seconds: number;
}

export async function measureShape(shape: Shape, server: 'real' | 'sim', opts: { latency: Latency; steadyRuns: number; naive: boolean; churnFraction: number; log: (m: string) => void }): Promise<ShapeRun> {
  const t0 = performance.now();
  opts.log(`shape ${shape.key} on ${server}: seeding ${shape.description}`);
  const sim = await startSim({ shape: shape.key, server }, opts.latency);
  const run: ShapeRun = { shape, server, startupMs: sim.endpoints.startupMs, seededMs: sim.endpoints.seededMs ?? 0, churnedNodes: 0, samples: {}, checks: {}, failures: [], seconds: 0 };
  opts.log(`shape ${shape.key} on ${server}: world ready in ${(run.startupMs / 1000).toFixed(0)} s (seeding ${(run.seededMs / 1000).toFixed(0)} s)`);
  try {
    const phase = async (name: PhaseName, o: { naive?: boolean } = {}) => {
      await sim.calls(true);
      let result;
      try {
        result = await runPhase(sim.endpoints, o);
      } catch (err) {
        const why = `${name}: ${(err instanceof Error ? err.message : String(err)).slice(0, 600)}`;
        run.failures.push(why);
        opts.log(`shape ${shape.key} ${server} FAILED ${why}`);
        return;
      }
      const measured: MeasuredPhase = { ...result, server: await sim.calls(true) };
      const check = await sim.verify();
      (run.samples[name] ??= []).push(measured);
      (run.checks[name] ??= []).push(check);
      opts.log(
        `shape ${shape.key} ${server} ${name}: ${result.wallMs.toFixed(0)} ms, ${result.calls.reads} reads/${result.calls.writes} writes, ` +
          `${(result.maxRssKiB / 1024).toFixed(0)} MiB, rounds ${result.rounds}, converged ${result.converged}, wrong statuses ${check.wrong}` +
          (check.example ? ` (${check.example})` : '') +
          (result.errors.length > 0 ? `, errors: ${result.errors.slice(0, 3).join('; ')}` : ''),
      );
    };
    await phase('cold');
    await sim.settle();
    for (let i = 0; i < opts.steadyRuns; i++) await phase('steady');
    run.churnedNodes = (await sim.churn(opts.churnFraction)).changed;
    await phase('churn');
    if (opts.naive) await phase('naiveSteady', { naive: true });
  } finally {
    await sim.stop();
  }
  run.seconds = Math.round((performance.now() - t0) / 1000);
  return run;
}
