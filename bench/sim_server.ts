// The benchmark's local GKE (the real control plane of test/cluster with the simulated Compute
// and Container APIs), in its own process so the sync's memory is measured apart from it (does
// I/O): seeds S Services × N nodes with the given latencies, prints one JSON line with
// the endpoints, then answers JSON-line commands on stdin: churn (change the IP of a fraction of
// the nodes), verify (every Service publishes exactly the current node IPs), calls (the server's
// own request count since the last reset), settle (wait for the real controllers' rollout). Exits on stdin end, SIGTERM or SIGINT.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startRealWorld } from '../test/cluster/world.ts';
import { seed } from '../test/cluster/seed.ts';
import { externalIPFor } from '../test/sim/scenario.ts';
import { closeOnSignals } from '../test/sim/exit_on_signal.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10' },
    services: { type: 'string', default: '10' },
    'latency-kube': { type: 'string', default: '0' },
    'latency-compute': { type: 'string', default: '0' },
    'latency-container': { type: 'string', default: '0' },
    'latency-operation': { type: 'string', default: '0' },
  },
  strict: true,
});

const started = performance.now();
const sim = await startRealWorld({
  latency: {
    computeMs: Number(values['latency-compute']),
    containerMs: Number(values['latency-container']),
    operationMs: Number(values['latency-operation']),
  },
});
// Kubernetes latency: the fault proxy answers every request of nodelb's this much later.
const kubeMs = Number(values['latency-kube']);
if (kubeMs > 0) sim.gke.faults.add({ api: 'kube', delayMs: kubeMs, times: Infinity });
const world = await seed(sim, { nodes: Number(values.nodes), services: Number(values.services) });
const ips = new Map(world.externalIPs);
let nextIP = world.nodes.length;

type Command = { op: 'churn'; fraction: number } | { op: 'verify' } | { op: 'calls'; reset?: boolean } | { op: 'settle' };

async function churn(fraction: number): Promise<{ changed: number }> {
  const every = Math.max(1, Math.round(1 / fraction));
  let changed = 0;
  for (const [i, name] of world.nodes.entries()) {
    if (i % every !== 0) continue;
    const ip = externalIPFor(nextIP++);
    await sim.gke.setExternalIP(name, ip);
    ips.set(name, ip);
    changed++;
  }
  return { changed };
}

/** Every seeded Service must publish exactly the nodes' current IPs (all nodes serve all). */
async function verify(): Promise<{ services: number; wrong: number; example?: string; daemonSets: number; firewalls: number; pods: number }> {
  const want = [...ips.values()].sort().join(',');
  let wrong = 0;
  let example: string | undefined;
  for (const s of world.services) {
    const got = (await sim.ingress(s.name, s.namespace)).join(',');
    if (got !== want) {
      wrong++;
      example ??= `${s.namespace}/${s.name}: ${got.split(',').filter(Boolean).length} IPs published, ${ips.size} wanted`;
    }
  }
  return {
    services: world.services.length,
    wrong,
    example,
    daemonSets: (await sim.daemonSets()).length,
    firewalls: sim.gke.gce.listFirewalls(sim.gke.project).length,
    pods: (await sim.proxyPods()).length,
  };
}

/** Requests the servers saw, per API; `continued` counts the reads that fetched a second or
 *  later page of a list (continue / pageToken), so "list calls, pagination aside" can be told. */
function calls(reset: boolean): Record<string, { reads: number; writes: number; continued: number }> {
  const out: Record<string, { reads: number; writes: number; continued: number }> = {};
  for (const c of sim.gke.faults.calls) {
    const api = (out[c.api] ??= { reads: 0, writes: 0, continued: 0 });
    if (c.write) api.writes++;
    else api.reads++;
    if (!c.write && /(^|[?&])(continue|pageToken)=./.test(c.query)) api.continued++;
  }
  if (reset) sim.resetCalls();
  return out;
}

/** Waits for the real DaemonSet controller and kubelets to finish what the last sync started
 *  (every proxy pod Ready), so the next phase measures the world it is named after. */
async function settle(): Promise<{ settledMs: number }> {
  const t0 = performance.now();
  await sim.settled({ timeoutMs: 600_000 });
  return { settledMs: Math.round(performance.now() - t0) };
}

const reply = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);

reply({
  kubeUrl: sim.gke.kubeUrl,
  token: sim.gke.token,
  computeEndpoint: sim.gke.computeEndpoint,
  containerEndpoint: sim.gke.containerEndpoint,
  clusterName: sim.gke.clusterName,
  nodes: world.nodes.length,
  services: world.services.length,
  pid: process.pid,
  startupMs: Math.round(performance.now() - started),
});

const stop = closeOnSignals(sim);

const lines = createInterface({ input: process.stdin });
// One command at a time, in order: the answers are matched to the questions by position.
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    try {
      const cmd = JSON.parse(line) as Command;
      if (cmd.op === 'churn') reply(await churn(cmd.fraction));
      else if (cmd.op === 'verify') reply(await verify());
      else if (cmd.op === 'calls') reply(calls(cmd.reset === true));
      else if (cmd.op === 'settle') reply(await settle());
      else reply({ error: `unknown command ${line}` });
    } catch (e) {
      reply({ error: e instanceof Error ? e.message : String(e) });
    }
  });
});
lines.on('close', () => void queue.then(stop));
