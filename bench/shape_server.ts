// The local GKE of one realistic shape, in its own process so the sync's memory is its own (does
// I/O). --server real: etcd + kube-apiserver of test/cluster WITHOUT controller manager,
// scheduler or kubelets (a 5,000-node world is beyond them on this machine); Nodes are created
// through the API with their status, and bench/lib/daemonset_standin.ts writes the DaemonSets'
// status. --server sim: the Kubernetes simulator of test/sim (its own DaemonSet controller).
// Both: simulated Compute and Container APIs, and the same JSON-line protocol as sim_server.ts
// (calls, churn, settle, verify). Exits on stdin end, SIGTERM or SIGINT.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startRealWorld } from '../test/cluster/world.ts';
import { KubeHttp } from '../test/cluster/kube_http.ts';
import { startSimulatedGke } from '../test/sim/gke.ts';
import { externalIPFor } from '../test/sim/scenario.ts';
import { closeOnSignals } from '../test/sim/exit_on_signal.ts';
import type { FaultPlan } from '../test/sim/faults.ts';
import { startDaemonSetStandin, type DaemonSetStandin } from './lib/daemonset_standin.ts';
import { churnShape, seedShape, verifyShape, type WorldTarget } from './lib/shape_world.ts';
import { parseShapes } from './lib/shapes.ts';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'real' },
    shape: { type: 'string', default: 'a' },
    'latency-kube': { type: 'string', default: '0' },
    'latency-compute': { type: 'string', default: '0' },
    'latency-container': { type: 'string', default: '0' },
    'latency-operation': { type: 'string', default: '0' },
  },
  strict: true,
});

/** nodelb proves a DaemonSet's pods from its status only on nodes older than its settle window
 *  (NODE_SETTLE_MS, 120 s, functions/core/proxy_readiness.ts); the real API server stamps
 *  creationTimestamp itself, so the real world waits until its nodes are that old. */
const NODE_AGE_MS = Number(process.env.BENCH_NODE_AGE_MS ?? 125_000); // raise it if that window grows
const PROXY_NS = 'nodelb-system';
const log = (m: string) => process.stderr.write(`[shape-server] ${m}\n`);

const started = performance.now();
const shape = parseShapes(values.shape)[0];
if (!shape) throw new Error('--shape: one shape');
const latency = { computeMs: Number(values['latency-compute']), containerMs: Number(values['latency-container']), operationMs: Number(values['latency-operation']) };
const kubeMs = Number(values['latency-kube']);

interface Server {
  target: WorldTarget;
  endpoints: { kubeUrl: string; token: string; computeEndpoint: string; containerEndpoint: string; clusterName: string };
  faults: FaultPlan;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  if (values.server === 'real') {
    const w = await startRealWorld({ controllers: false, latency });
    // Kubernetes latency: the fault proxy answers every request of nodelb's this much later.
    if (kubeMs > 0) w.gke.faults.add({ api: 'kube', delayMs: kubeMs, times: Infinity });
    const g = w.gke;
    return { target: { admin: g.admin, gce: g.gce, project: g.project, location: g.location, cluster: g.cluster, nodeTag: g.nodeTag }, endpoints: g, faults: g.faults, close: () => w.close() };
  }
  if (values.server === 'sim') {
    // A seed freezes the simulated clock at 2025-01-01, so every node is long settled.
    const g = await startSimulatedGke({ latency: { kubeMs, ...latency }, seed: 1 });
    const admin = new KubeHttp(g.kubeUrl, Buffer.from(g.caData, 'base64').toString('utf8'), g.token);
    return {
      target: { admin, gce: g.gce, project: g.project, location: g.location, cluster: g.cluster, nodeTag: g.nodeTag },
      endpoints: g,
      faults: g.faults,
      close: async () => {
        admin.close();
        await g.close();
      },
    };
  }
  throw new Error(`--server: real or sim, got ${values.server}`);
}

const server = await startServer();
let standin: DaemonSetStandin | undefined;
// Registered before seeding, so a benchmark stopped early leaves no etcd or API server behind.
const stop = closeOnSignals({
  close: async () => {
    await standin?.stop();
    await server.close();
  },
});
const world = await seedShape(server.target, shape, { concurrency: values.server === 'sim' ? 32 : 16, log });
const seededMs = performance.now() - started;
if (values.server === 'real') {
  standin = startDaemonSetStandin(server.target.admin, PROXY_NS, () => world.nodes);
  const wait = world.lastNodeAt + NODE_AGE_MS - Date.now();
  if (wait > 0) {
    log(`seeded in ${(seededMs / 1000).toFixed(0)} s; waiting ${(wait / 1000).toFixed(0)} s until every node is ${NODE_AGE_MS / 1000} s old`);
    await new Promise((r) => setTimeout(r, wait));
  }
}
let nextIP = world.nodes.length;

/** Requests the servers saw since the last reset, per API (`continued`: second and later pages). */
function calls(reset: boolean): Record<string, { reads: number; writes: number; continued: number }> {
  const out: Record<string, { reads: number; writes: number; continued: number }> = {};
  for (const c of server.faults.calls) {
    const api = (out[c.api] ??= { reads: 0, writes: 0, continued: 0 });
    if (c.write) api.writes++;
    else api.reads++;
    if (!c.write && /(^|[?&])(continue|pageToken)=./.test(c.query)) api.continued++;
  }
  if (reset) server.faults.resetCalls();
  return out;
}

const reply = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
const e = server.endpoints;
reply({
  kubeUrl: e.kubeUrl,
  token: e.token,
  computeEndpoint: e.computeEndpoint,
  containerEndpoint: e.containerEndpoint,
  clusterName: e.clusterName,
  nodes: world.nodes.length,
  services: world.services.length,
  pid: process.pid,
  startupMs: Math.round(performance.now() - started),
  seededMs: Math.round(seededMs),
});

type Command = { op: 'churn'; fraction: number } | { op: 'verify' } | { op: 'calls'; reset?: boolean } | { op: 'settle' };

const lines = createInterface({ input: process.stdin });
// One command at a time, in order: the answers are matched to the questions by position.
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    try {
      const cmd = JSON.parse(line) as Command;
      if (cmd.op === 'churn') reply({ changed: await churnShape(server.target, world, cmd.fraction, () => externalIPFor(nextIP++), 16) });
      else if (cmd.op === 'verify') reply({ ...(await verifyShape(server.target, world)), standinErrors: standin?.errors.length ?? 0 });
      else if (cmd.op === 'calls') reply(calls(cmd.reset === true));
      else if (cmd.op === 'settle') {
        const t0 = performance.now();
        await standin?.settled(600_000);
        reply({ settledMs: Math.round(performance.now() - t0) });
      } else reply({ error: `unknown command ${line}` });
    } catch (err) {
      reply({ error: err instanceof Error ? err.message : String(err) });
    }
  });
});
lines.on('close', () => void queue.then(stop));
