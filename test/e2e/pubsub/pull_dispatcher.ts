// Delivery through the Pub/Sub emulator at the pace of the instances, for the fleet benchmark:
// pulls from a subscription and hands each message, in the push body format, to an idle
// function instance, acknowledging on 2xx and handing it back otherwise. Needed because the
// emulator's push loop delivers one message at a time per subscription (it pulls one, pushes,
// acks), while Pub/Sub raises push concurrency as deliveries succeed. Does I/O.
import type { Emulator } from './emulator.ts';
import type { Delivery } from './push_relay.ts';

export interface PullDispatcher {
  deliveries: Delivery[];
  stop(): Promise<void>;
}

export function startPullDispatcher(emulator: Emulator, opts: { project: string; topic: string; subscription: string; instances: () => string[] }): PullDispatcher {
  const deliveries: Delivery[] = [];
  const busy = new Set<number>();
  let stopped = false;
  const deliver = async (i: number, m: Awaited<ReturnType<Emulator['pull']>>[number]) => {
    const body = JSON.stringify({ message: m.message, subscription: `projects/${opts.project}/subscriptions/${opts.subscription}` });
    let status = 599;
    try {
      const r = await fetch(`${opts.instances()[i]!}/projects/${opts.project}/topics/${opts.topic}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      status = r.status;
    } catch {
      // the instance did not answer: handed back below
    }
    busy.delete(i);
    const data = Buffer.from(m.message.data ?? '', 'base64').toString('utf8');
    deliveries.push({ messageId: m.message.messageId, data, attributes: m.message.attributes ?? {}, status, answered: status, instance: i, at: Date.now() });
    await emulator.settle(opts.subscription, [m.ackId], status < 200 || status > 299);
  };
  const loop = (async () => {
    while (!stopped) {
      const idle = opts.instances().map((_, i) => i).filter((i) => !busy.has(i));
      const got = idle.length > 0 ? await emulator.pull(opts.subscription, idle.length) : [];
      got.forEach((m, k) => {
        busy.add(idle[k]!);
        void deliver(idle[k]!, m);
      });
      if (got.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    deliveries,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
