// Runs a simulated GKE in its own process (does I/O): `node test/sim/serve.ts [--nodes N]
// [--services S] [--latency-kube MS] [--latency-compute MS] [--latency-container MS]
// [--latency-operation MS] [--seed N] [--token T]`. Prints one JSON line with the endpoints,
// token, CA and cluster name, then serves until SIGTERM/SIGINT. Used by the benchmark so the
// sync's memory is measured apart from the simulator's.
import { parseArgs } from 'node:util';
import { startSimulatedGke } from './gke.ts';
import { seedWorld } from './scenario.ts';
import { closeOnSignals } from './exit_on_signal.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '0' },
    services: { type: 'string', default: '0' },
    'latency-kube': { type: 'string' },
    'latency-compute': { type: 'string' },
    'latency-container': { type: 'string' },
    'latency-operation': { type: 'string' },
    seed: { type: 'string' },
    token: { type: 'string' },
    project: { type: 'string' },
    location: { type: 'string' },
    cluster: { type: 'string' },
    'class-name': { type: 'string' },
  },
  strict: true,
});

function num(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`serve: --${name} must be a non-negative number, got ${text}\n`);
    process.exit(2);
  }
  return n;
}

const started = performance.now();
const sim = await startSimulatedGke({
  project: values.project,
  location: values.location,
  cluster: values.cluster,
  token: values.token,
  seed: num('seed', values.seed),
  latency: {
    kubeMs: num('latency-kube', values['latency-kube']),
    computeMs: num('latency-compute', values['latency-compute']),
    containerMs: num('latency-container', values['latency-container']),
    operationMs: num('latency-operation', values['latency-operation']),
  },
});
const world = seedWorld(sim, { nodes: num('nodes', values.nodes) ?? 0, services: num('services', values.services) ?? 0, className: values['class-name'] });

process.stdout.write(
  `${JSON.stringify({
    kubeUrl: sim.kubeUrl,
    caData: sim.caData,
    token: sim.token,
    computeEndpoint: sim.computeEndpoint,
    containerEndpoint: sim.containerEndpoint,
    clusterName: sim.clusterName,
    project: sim.project,
    location: sim.location,
    cluster: sim.cluster,
    clusterUid: sim.clusterUid,
    nodeTag: sim.nodeTag,
    nodes: world.nodes.length,
    services: world.services.length,
    pid: process.pid,
    startupMs: Math.round(performance.now() - started),
  })}\n`,
);

closeOnSignals(sim);
