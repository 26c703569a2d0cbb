// The fan-out's publishing against a bare loopback HTTP server standing in for the Pub/Sub REST
// API: the requests (path, bearer token, messages, at most 1000 per request) and what a failure
// means — 5xx retryable (the schedule is redelivered), 403 permanent with the fix logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../functions/config.ts';
import { runFanout } from '../../functions/handlers/run_fanout.ts';
import { captureSink, createLogger } from '../../functions/platform/log.ts';

interface Seen {
  path: string;
  auth: string | undefined;
  messages: { data: string; attributes: Record<string, string> }[];
}

async function pubsubStub(status: number, error?: object) {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: Seen['messages'] };
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, messages: body.messages });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { messageIds: body.messages.map((_, i) => String(i)) } : { error }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const clusters = Array.from({ length: 2500 }, (_, i) => `projects/demo-project/locations/us-central1/clusters/c${i}`);
const configFor = (endpoint: string) =>
  parseConfig({ NODELB_CLUSTERS: clusters.join(','), NODELB_FANOUT_TOPIC: 'projects/demo-project/topics/nodelb', NODELB_PUBSUB_ENDPOINT: endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: 'tok' }, { fanout: true });

test('publishes one message per cluster, 1000 per request, with the function’s token', async (t) => {
  const stub = await pubsubStub(200);
  t.after(() => stub.close());
  const cap = captureSink();
  const r = await runFanout(configFor(stub.url), clusters, createLogger({ sink: cap.sink }));
  assert.deepEqual(r, { published: 2500 });
  assert.deepEqual(stub.seen.map((s) => s.messages.length), [1000, 1000, 500]);
  assert.ok(stub.seen.every((s) => s.path === '/v1/projects/demo-project/topics/nodelb:publish' && s.auth === 'Bearer tok'));
  const sent = stub.seen.flatMap((s) => s.messages.map((m) => (JSON.parse(Buffer.from(m.data, 'base64').toString('utf8')) as { cluster: string }).cluster));
  assert.deepEqual(sent, clusters);
  assert.deepEqual(cap.events(), ['fanout.published']);
});

test('a 503 is retryable; a 403 is not, and the log line says which grant is missing', async (t) => {
  const unavailable = await pubsubStub(503, { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' });
  t.after(() => unavailable.close());
  const cap = captureSink();
  const r = await runFanout(configFor(unavailable.url), clusters.slice(0, 3), createLogger({ sink: cap.sink }));
  assert.equal(r.published, 0);
  assert.equal(r.error?.retryable, true);
  assert.match(r.error?.message ?? '', /HTTP 503 The service is currently unavailable/);
  assert.deepEqual(cap.events(), ['fanout.failed']);

  const denied = await pubsubStub(403, { code: 403, message: 'User not authorized to perform this action.', status: 'PERMISSION_DENIED' });
  t.after(() => denied.close());
  const cap2 = captureSink();
  const r2 = await runFanout(configFor(denied.url), clusters.slice(0, 3), createLogger({ sink: cap2.sink }));
  assert.equal(r2.error?.retryable, false);
  const line = cap2.entries.find((e) => e.event === 'fanout.failed');
  assert.equal(line?.severity, 'ERROR');
  assert.match(String(line?.fix), /roles\/pubsub\.publisher on projects\/demo-project\/topics\/nodelb/);
});
