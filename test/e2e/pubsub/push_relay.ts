// A loopback relay between the Pub/Sub emulator's push subscription and the function instances:
// forwards every push unchanged to an idle instance (one invocation per instance at a time, as
// the deployed concurrency of 1; pushes wait their turn), records what was delivered and answered
// (message id, decoded data, status, instance), and can lose one acknowledgement on purpose —
// the function ran, the emulator sees a 503 — so the emulator really redelivers. Does I/O.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  messageId: string;
  data: string; // decoded message data
  attributes: Record<string, string>;
  status: number; // what the function answered
  answered: number; // what the emulator got
  instance: number; // index of the instance that ran it
  at: number; // Date.now() when answered
}

export interface PushRelay {
  /** The push endpoint: its path names the topic, as the framework expects of a raw push. */
  endpoint(project: string, topic: string): string;
  deliveries: Delivery[];
  /** The next delivery whose data satisfies `match` is processed, then answered 503. */
  loseAckOnce(match: (data: string) => boolean): void;
  close(): Promise<void>;
}

/** `targets`: the instances' base URLs (read at each push, so they may be set after start). */
export async function startPushRelay(targets: () => string[]): Promise<PushRelay> {
  const deliveries: Delivery[] = [];
  let lose: ((data: string) => boolean) | undefined;
  const busy = new Set<number>();
  const waiting: ((i: number) => void)[] = [];
  const acquire = () =>
    new Promise<number>((resolve) => {
      const free = targets().findIndex((_, i) => !busy.has(i));
      if (free >= 0) {
        busy.add(free);
        resolve(free);
      } else waiting.push(resolve);
    });
  const release = (i: number) => {
    const next = waiting.shift();
    if (next) next(i);
    else busy.delete(i);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString('utf8')) as { message?: { messageId?: string; data?: string; attributes?: Record<string, string> } };
      const data = Buffer.from(parsed.message?.data ?? '', 'base64').toString('utf8');
      let instance = -1;
      void acquire()
        .then((i) => {
          instance = i;
          return fetch(`${targets()[i]!}${req.url ?? '/'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        })
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        })
        .catch(() => 599)
        .then((status) => {
          if (instance >= 0) release(instance);
          let answered = status;
          if (lose?.(data)) {
            lose = undefined;
            answered = 503;
          }
          deliveries.push({ messageId: parsed.message?.messageId ?? '', data, attributes: parsed.message?.attributes ?? {}, status, answered, instance, at: Date.now() });
          res.writeHead(answered).end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: (project, topic) => `http://127.0.0.1:${port}/projects/${project}/topics/${topic}`,
    deliveries,
    loseAckOnce(match) {
      lose = match;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
