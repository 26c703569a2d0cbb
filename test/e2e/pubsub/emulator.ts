// The real Pub/Sub emulator (`gcloud beta emulators pubsub start`) on 127.0.0.1 for the
// end-to-end tests, and the few REST calls they make to it (topic, push subscription, publish).
// Starting fails with the reason — gcloud or Java missing, the port taken, no answer in time —
// never a skip. Does I/O (a child process group, loopback HTTP).
import { freePort } from '../../cluster/processes.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReceivedMessage {
  ackId: string;
  message: { data?: string; attributes?: Record<string, string>; messageId: string; publishTime: string };
}

export interface Emulator {
  host: string; // 127.0.0.1:PORT, what PUBSUB_EMULATOR_HOST holds
  base: string; // http://127.0.0.1:PORT/v1
  startMs: number; // spawn until the emulator answered HTTP
  createTopic(topic: string): Promise<void>;
  createPushSubscription(name: string, topic: string, endpoint: string, opts?: { ackDeadlineSeconds?: number; minimumBackoff?: string }): Promise<void>;
  createPullSubscription(name: string, topic: string, ackDeadlineSeconds?: number): Promise<void>;
  pull(subscription: string, max: number): Promise<ReceivedMessage[]>;
  /** Acknowledges, or with `nack` hands back for redelivery at once (ack deadline 0). */
  settle(subscription: string, ackIds: string[], nack?: boolean): Promise<void>;
  /** Publishes raw data (a string is sent as its UTF-8 bytes); returns the message ids. */
  publish(topic: string, messages: { data: string | Buffer; attributes?: Record<string, string> }[]): Promise<string[]>;
  stop(): Promise<void>;
}


async function rest(method: string, url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`Pub/Sub emulator: ${method} ${url} → HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

/** Starts the emulator in its own process group (gcloud starts Java as a child; the whole group
 *  is stopped). `project` is the project the resources live in. */
export async function startEmulator(project: string, timeoutMs = 60_000): Promise<Emulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = mkdtempSync(join(tmpdir(), 'nodelb-pubsub-emu-'));
  mkdirSync(join(config, 'data'));
  const started = performance.now();
  let output = '';
  let child: ChildProcess;
  const exited = new Promise<string>((resolve) => {
    child = spawn('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--project=${project}`, `--data-dir=${join(config, 'data')}`], {
      // Its own throw-away gcloud configuration; no prompt, no update check.
      env: { ...process.env, CLOUDSDK_CONFIG: join(config, 'gcloud'), CLOUDSDK_CORE_DISABLE_PROMPTS: '1', CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', (e) => resolve(`could not run gcloud: ${e.message}`));
    child.once('exit', (code, signal) => resolve(`gcloud exited (${code ?? signal}) before the emulator answered`));
  });
  const stopGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const base = `http://${host}/v1`;
  const deadline = started + timeoutMs;
  let failure: string | undefined;
  const done = exited.then((why) => (failure ??= why));
  while (failure === undefined) {
    try {
      const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) failure = `no answer on ${host} within ${timeoutMs / 1000} s`;
    else await Promise.race([new Promise((r) => setTimeout(r, 200)), done]);
  }
  if (failure !== undefined) {
    stopGroup();
    rmSync(config, { recursive: true, force: true });
    throw new Error(`the Pub/Sub emulator did not start: ${failure}\n--- its output ---\n${output.trim()}`);
  }
  const startMs = Math.round(performance.now() - started);
  return {
    host,
    base,
    startMs,
    createTopic: async (topic) => void (await rest('PUT', `${base}/projects/${project}/topics/${topic}`, {})),
    createPushSubscription: async (name, topic, endpoint, opts = {}) =>
      void (await rest('PUT', `${base}/projects/${project}/subscriptions/${name}`, {
        topic: `projects/${project}/topics/${topic}`,
        pushConfig: { pushEndpoint: endpoint },
        ackDeadlineSeconds: opts.ackDeadlineSeconds ?? 10,
        ...(opts.minimumBackoff ? { retryPolicy: { minimumBackoff: opts.minimumBackoff, maximumBackoff: '10s' } } : {}),
      })),
    createPullSubscription: async (name, topic, ackDeadlineSeconds = 600) =>
      void (await rest('PUT', `${base}/projects/${project}/subscriptions/${name}`, { topic: `projects/${project}/topics/${topic}`, ackDeadlineSeconds })),
    pull: async (subscription, max) => {
      const r = (await rest('POST', `${base}/projects/${project}/subscriptions/${subscription}:pull`, { maxMessages: max, returnImmediately: true })) as { receivedMessages?: ReceivedMessage[] };
      return r.receivedMessages ?? [];
    },
    settle: async (subscription, ackIds, nack = false) =>
      void (await rest(
        'POST',
        `${base}/projects/${project}/subscriptions/${subscription}:${nack ? 'modifyAckDeadline' : 'acknowledge'}`,
        nack ? { ackIds, ackDeadlineSeconds: 0 } : { ackIds },
      )),
    publish: async (topic, messages) => {
      const body = { messages: messages.map((m) => ({ data: Buffer.from(m.data).toString('base64'), attributes: m.attributes ?? {} })) };
      const r = (await rest('POST', `${base}/projects/${project}/topics/${topic}:publish`, body)) as { messageIds?: string[] };
      return r.messageIds ?? [];
    },
    stop: async () => {
      stopGroup();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      rmSync(config, { recursive: true, force: true });
    },
  };
}
