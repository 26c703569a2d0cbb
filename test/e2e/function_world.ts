// Test support for the Functions Framework end-to-end tests (no test of its own): a local GKE on
// the real control plane with GKE-named nodes and nodelb's identity bound by manifests/, the
// function's environment pointing at it, the registered functions served on 127.0.0.1 by the
// framework's own test server, and CloudEvents in binary mode the way Eventarc delivers Pub/Sub
// messages. Does I/O (loopback only).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { startRealWorld, type RealWorld } from '../cluster/world.ts';
import type { LocalGke } from '../cluster/local_gke.ts';
import { nodeNameFor } from '../sim/scenario.ts';
import { pubsubEnvelope, type PubSubEnvelope } from '../fixtures/events.ts';

export const CLASS = 'nodelb.dev/node-ip';

/** What the deployed function gets (infra/), pointed at the local GKE. */
export function functionEnv(gke: LocalGke): Record<string, string> {
  return {
    NODELB_CLUSTERS: gke.clusterName,
    NODELB_CONTAINER_ENDPOINT: gke.containerEndpoint,
    NODELB_COMPUTE_ENDPOINT: gke.computeEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: gke.token,
    // The real controller and kubelets make new proxy pods Ready in a second or two.
    NODELB_SETTLE_SECONDS: '30',
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
  world: RealWorld;
  gke: LocalGke;
  nodes: string[]; // GKE-style names: gke-<cluster>-default-pool-<hash>-<suffix>
  zoneOf: Map<string, string>;
  addService(name: string, ports?: number[], namespace?: string): Promise<void>;
  ingress(name: string, namespace?: string): Promise<string[]>;
  /** Writes nodelb made since the last resetCalls (the fault proxy and the sims count them). */
  writes(): number;
  calls(): number;
  resetCalls(): void;
  close(): Promise<void>;
}

export async function startFunctionWorld(nodeIPs: string[]): Promise<FunctionWorld> {
  const world = await startRealWorld();
  const { gke } = world;
  const zones = ['a', 'b', 'c'].map((z) => `${gke.location}-${z}`);
  const nodes: string[] = [];
  const zoneOf = new Map<string, string>();
  for (const [i, ip] of nodeIPs.entries()) {
    const zone = zones[i % zones.length]!;
    const name = nodeNameFor(gke.cluster, zone, i);
    await gke.addNode({ name, zone, externalIP: ip });
    nodes.push(name);
    zoneOf.set(name, zone);
  }
  setFunctionEnv(functionEnv(gke));
  return {
    world,
    gke,
    nodes,
    zoneOf,
    async addService(name, ports = [80], namespace = 'default') {
      await world.addService(name, { namespace, ports: ports.map((port) => ({ port })) });
    },
    ingress: (name, namespace = 'default') => world.ingress(name, namespace),
    writes: () => gke.faults.counts().writes,
    calls: () => gke.faults.calls.length,
    resetCalls: () => gke.faults.resetCalls(),
    close: () => world.close(),
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
