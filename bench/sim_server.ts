// The benchmark's simulated GKE, in its own process so the sync's memory is measured apart from
// it (does I/O): seeds S Services × N nodes with the given latencies, prints one JSON line with
// the endpoints, then answers JSON-line commands on stdin: churn (change the IP of a fraction of
// the nodes), verify (every Service publishes exactly the current node IPs), calls (the server's
// own request count since the last reset). Exits on stdin end, SIGTERM or SIGINT.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startSimulatedGke } from '../test/sim/gke.ts';
import { externalIPFor, seedWorld } from '../test/sim/scenario.ts';
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
const sim = await startSimulatedGke({
  seed: 7,
  latency: {
    kubeMs: Number(values['latency-kube']),
    computeMs: Number(values['latency-compute']),
    containerMs: Number(values['latency-container']),
    operationMs: Number(values['latency-operation']),
  },
});
const world = seedWorld(sim, { nodes: Number(values.nodes), services: Number(values.services) });
const ips = new Map(world.externalIPs);
let nextIP = world.nodes.length;

type Command = { op: 'churn'; fraction: number } | { op: 'verify' } | { op: 'calls'; reset?: boolean };

function churn(fraction: number): { changed: number } {
  const every = Math.max(1, Math.round(1 / fraction));
  let changed = 0;
  world.nodes.forEach((name, i) => {
    if (i % every !== 0) return;
    const ip = externalIPFor(nextIP++);
    sim.setExternalIP(name, ip);
    ips.set(name, ip);
    changed++;
  });
  return { changed };
}

/** Every seeded Service must publish exactly the nodes' current IPs (all nodes serve all). */
function verify(): { services: number; wrong: number; example?: string; daemonSets: number; firewalls: number; pods: number } {
  const want = [...ips.values()].sort().join(',');
  let wrong = 0;
  let example: string | undefined;
  for (const s of world.services) {
    const svc = sim.kube.get<{ status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('services', s.namespace, s.name);
    const got = (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').sort().join(',');
    if (got !== want) {
      wrong++;
      example ??= `${s.namespace}/${s.name}: ${got.split(',').filter(Boolean).length} IPs published, ${ips.size} wanted`;
    }
  }
  return {
    services: world.services.length,
    wrong,
    example,
    daemonSets: sim.kube.list('daemonsets', 'nodelb-system').length,
    firewalls: sim.gce.listFirewalls().length,
    pods: sim.kube.podCount(),
  };
}

/** Requests the servers saw, per API; `continued` counts the reads that fetched a second or
 *  later page of a list (continue / pageToken), so "list calls, pagination aside" can be told. */
function calls(reset: boolean): Record<string, { reads: number; writes: number; continued: number }> {
  const out: Record<string, { reads: number; writes: number; continued: number }> = {};
  for (const c of sim.faults.calls) {
    const api = (out[c.api] ??= { reads: 0, writes: 0, continued: 0 });
    if (c.write) api.writes++;
    else api.reads++;
    if (!c.write && /(^|[?&])(continue|pageToken)=./.test(c.query)) api.continued++;
  }
  if (reset) sim.faults.resetCalls();
  return out;
}

const reply = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);

reply({
  kubeUrl: sim.kubeUrl,
  token: sim.token,
  computeEndpoint: sim.computeEndpoint,
  containerEndpoint: sim.containerEndpoint,
  clusterName: sim.clusterName,
  nodes: world.nodes.length,
  services: world.services.length,
  pid: process.pid,
  startupMs: Math.round(performance.now() - started),
});

const stop = closeOnSignals(sim);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  try {
    const cmd = JSON.parse(line) as Command;
    if (cmd.op === 'churn') reply(churn(cmd.fraction));
    else if (cmd.op === 'verify') reply(verify());
    else if (cmd.op === 'calls') reply(calls(cmd.reset === true));
    else reply({ error: `unknown command ${line}` });
  } catch (e) {
    reply({ error: e instanceof Error ? e.message : String(e) });
  }
});
lines.on('close', stop);
