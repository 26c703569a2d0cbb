// A loopback relay between the Pub/Sub emulator's push subscription and the function: forwards
// every push unchanged, records what was delivered and answered (message id, decoded data,
// status), and can lose one acknowledgement on purpose — the function ran, the emulator sees a
// 503 — so the emulator really redelivers. Does I/O.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  messageId: string;
  data: string; // decoded message data
  attributes: Record<string, string>;
  status: number; // what the function answered
  answered: number; // what the emulator got
  at: number; // Date.now()
}

export interface PushRelay {
  /** The push endpoint: its path names the topic, as the framework expects of a raw push. */
  endpoint(project: string, topic: string): string;
  deliveries: Delivery[];
  /** The next delivery whose data satisfies `match` is processed, then answered 503. */
  loseAckOnce(match: (data: string) => boolean): void;
  close(): Promise<void>;
}

export async function startPushRelay(target: () => string): Promise<PushRelay> {
  const deliveries: Delivery[] = [];
  let lose: ((data: string) => boolean) | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString('utf8')) as { message?: { messageId?: string; data?: string; attributes?: Record<string, string> } };
      const data = Buffer.from(parsed.message?.data ?? '', 'base64').toString('utf8');
      void fetch(`${target()}${req.url ?? '/'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        })
        .catch(() => 599)
        .then((status) => {
          let answered = status;
          if (lose?.(data)) {
            lose = undefined;
            answered = 503;
          }
          deliveries.push({ messageId: parsed.message?.messageId ?? '', data, attributes: parsed.message?.attributes ?? {}, status, answered, at: Date.now() });
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
