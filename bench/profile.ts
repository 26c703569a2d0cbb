// Profiling aid (not part of `npm run bench`): one world, then chosen phases with extra Node flags
// for the sync process, e.g. `node bench/profile.ts --size 100x300 --phases cold,steady
// --node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof`, or a realistic shape with `--shape A
// --server sim` (build first: `npm run bench -- --skip-build` expects build/). Prints each phase's result. Does I/O.
import { parseArgs } from 'node:util';
import { runPhase } from './lib/phase.ts';
import { startSim } from './lib/sim.ts';
import { LATENCY } from './lib/latency.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100x300' },
    shape: { type: 'string' }, // a realistic shape (A, B, a, b) instead of --size
    server: { type: 'string', default: 'sim' }, // with --shape: real or sim
    phases: { type: 'string', default: 'cold,steady,churn' },
    'node-args': { type: 'string', default: '' },
    'sim-node-args': { type: 'string', default: '' },
    naive: { type: 'boolean', default: false },
  },
  strict: true,
});
const [services, nodes] = values.size.split('x').map(Number);
const world = values.shape ? { shape: values.shape, server: values.server === 'real' ? ('real' as const) : ('sim' as const) } : { services: services ?? 0, nodes: nodes ?? 0 };
const sim = await startSim(world, LATENCY, values['sim-node-args'] ? values['sim-node-args'].split(',') : []);
try {
  for (const name of values.phases.split(',')) {
    if (name === 'churn') await sim.churn(0.1);
    if (name === 'steady') await sim.settle();
    const nodeArgs = values['node-args'] ? values['node-args'].split(',') : [];
    const r = await runPhase(sim.endpoints, { nodeArgs, naive: values.naive });
    const check = await sim.verify();
    process.stdout.write(`${name}: ${JSON.stringify({ wallMs: Math.round(r.wallMs), statusMs: r.statusesWrittenMs === undefined ? undefined : Math.round(r.statusesWrittenMs), reads: r.calls.reads, writes: r.calls.writes, rssMiB: Math.round(r.maxRssKiB / 1024), rounds: r.rounds, converged: r.converged, wrong: check.wrong, errors: r.errors })}\n`);
  }
} finally {
  await sim.stop();
}
