// Test support for the Functions Framework end-to-end tests (no test of its own): the shared
// world (test/cluster/world.ts) with GKE-named nodes and the function's environment, plus what
// only these tests need: the registered functions served on 127.0.0.1 by the framework's own
// test server, CloudEvents in binary mode as Eventarc delivers Pub/Sub messages, and the
// function's output kept out of the test output. Does I/O (loopback only).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { addGkeNamedNodes, functionEnv, setFunctionEnv, startRealWorld, type RealWorld } from '../cluster/world.ts';
import type { LocalGke } from '../cluster/local_gke.ts';
import { pubsubEnvelope, type PubSubEnvelope } from '../fixtures/events.ts';

export { functionEnv, setFunctionEnv } from '../cluster/world.ts';

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
  const { nodes, zoneOf } = await addGkeNamedNodes(gke, nodeIPs);
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
