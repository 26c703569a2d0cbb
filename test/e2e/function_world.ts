// Test support for the Functions Framework end-to-end tests (no test of its own): a simulated GKE
// with GKE-named nodes, the function's environment pointing at it, the registered functions
// served on 127.0.0.1 by the framework's own test server, and CloudEvents in binary mode the
// way Eventarc delivers Pub/Sub messages. Does I/O (loopback only).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { startSimulatedGke, type SimulatedGke } from '../sim/gke.ts';
import { nodeNameFor } from '../sim/scenario.ts';
import { pubsubEnvelope, type PubSubEnvelope } from '../fixtures/events.ts';

export const CLASS = 'nodelb.dev/node-ip';

/** What the deployed function gets (infra/), pointed at the simulator. */
export function functionEnv(sim: SimulatedGke): Record<string, string> {
  return {
    NODELB_CLUSTERS: sim.clusterName,
    NODELB_CONTAINER_ENDPOINT: sim.containerEndpoint,
    NODELB_COMPUTE_ENDPOINT: sim.computeEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: sim.token,
    NODELB_SETTLE_SECONDS: '2',
    // The framework prints the function's stdout into the test output; keep it to failures.
    NODELB_LOG_LEVEL: 'ERROR',
  };
}

/** Replaces the NODELB_* / token variables of this process (the handlers read them per call). */
export function setFunctionEnv(env: Record<string, string>): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('NODELB_') || k === 'GOOGLE_OAUTH_ACCESS_TOKEN') delete process.env[k];
  Object.assign(process.env, env);
}

export interface FunctionWorld {
  sim: SimulatedGke;
  nodes: string[]; // GKE-style names: gke-<cluster>-default-pool-<hash>-<suffix>
  zoneOf: Map<string, string>;
  addService(name: string, ports?: number[], namespace?: string): void;
  ingress(name: string, namespace?: string): string[];
  /** Calls the sims recorded since the last resetCalls, as written by the apis. */
  writes(): number;
  calls(): number;
  close(): Promise<void>;
}

export async function startFunctionWorld(nodeIPs: string[]): Promise<FunctionWorld> {
  const sim = await startSimulatedGke({ seed: 11 });
  // Every real cluster has default/kubernetes; a Service list without it is what observe distrusts.
  if (!sim.kube.get('services', 'default', 'kubernetes'))
    sim.kube.addService({ namespace: 'default', name: 'kubernetes', spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }] } });
  const zones = ['a', 'b', 'c'].map((z) => `${sim.location}-${z}`);
  const nodes: string[] = [];
  const zoneOf = new Map<string, string>();
  nodeIPs.forEach((ip, i) => {
    const zone = zones[i % zones.length]!;
    const name = nodeNameFor(sim.cluster, zone, i);
    sim.addNode({ name, zone, externalIP: ip });
    nodes.push(name);
    zoneOf.set(name, zone);
  });
  setFunctionEnv(functionEnv(sim));
  return {
    sim,
    nodes,
    zoneOf,
    addService(name, ports = [80], namespace = 'default') {
      if (!sim.kube.get('namespaces', undefined, namespace)) sim.kube.addNamespace(namespace);
      sim.kube.addService({
        namespace,
        name,
        spec: {
          type: 'LoadBalancer',
          loadBalancerClass: CLASS,
          selector: { app: name },
          ports: ports.map((port) => ({ name: `p${port}`, port, protocol: 'TCP', targetPort: port })),
        },
      });
    },
    ingress(name, namespace = 'default') {
      const svc = sim.kube.get<{ metadata: object; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('services', namespace, name);
      return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').sort();
    },
    writes: () => sim.faults.counts().writes,
    calls: () => sim.faults.calls.length,
    close: () => sim.close(),
  };
}

/** The framework's server for a registered function, listening on 127.0.0.1 only. */
export async function serve(functionName: string): Promise<{ agent: ReturnType<typeof request>; close(): Promise<void> }> {
  const server = getTestServer(functionName) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    agent: request(`http://127.0.0.1:${port}`),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

let eventCounter = 0;

/** A Pub/Sub CloudEvent in binary content mode: context in ce-* headers, the push envelope as
 *  the JSON body (what Eventarc sends a gen2 function). `id` repeats for a redelivery. */
export function cloudEventRequest(
  agent: ReturnType<typeof request>,
  envelope: PubSubEnvelope,
  opts: { id?: string; time?: string; topic?: string } = {},
): request.Test {
  return agent
    .post('/')
    .set('ce-id', opts.id ?? `evt-${++eventCounter}`)
    .set('ce-specversion', '1.0')
    .set('ce-type', 'google.cloud.pubsub.topic.v1.messagePublished')
    .set('ce-source', `//pubsub.googleapis.com/projects/demo-project/topics/${opts.topic ?? 'nodelb'}`)
    .set('ce-time', opts.time ?? new Date().toISOString())
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(envelope));
}

/** A LogEntry or any payload as Pub/Sub delivers it. */
export const envelopeOf = (payload: unknown, messageId?: string): PubSubEnvelope => pubsubEnvelope(payload, messageId);

/** What the function wrote while a subtest ran: its JSON log lines (stdout) and stderr (the
 *  framework's report of a thrown error). Kept out of the test output, so a passing run prints no
 *  ERROR line and no stack trace; the subtest asserts on what it expects. Other stdout (the test
 *  runner's own) passes through. */
export function captureOutput(t: { after(fn: () => void): void }): { logs(): { severity?: string; event?: string; message?: string }[]; stderr(): string } {
  const logs: string[] = [];
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    if (text.startsWith('{"severity"')) {
      logs.push(...text.split('\n').filter((l) => l !== ''));
      return true;
    }
    return (out as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  process.stderr.write = function (chunk: unknown): boolean {
    stderr += typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    return true;
  } as typeof process.stderr.write;
  t.after(() => {
    process.stdout.write = out;
    process.stderr.write = err;
  });
  return { logs: () => logs.map((l) => JSON.parse(l) as { severity?: string; event?: string; message?: string }), stderr: () => stderr };
}
