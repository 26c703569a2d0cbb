// The one Kubernetes client's list path against a bare HTTPS server (a throwaway CA and
// certificate made by test/cluster/pki.ts) answering as the API server does: managedFields on
// every object, string timestamps, pages sent in small chunks, and a failing page.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { bearerCredentials } from '../../functions/adapters/kube_credentials.ts';
import { createRestKubeApi } from '../../functions/adapters/kube_rest.ts';
import { CallCounter } from '../../functions/platform/calls.ts';
import { isApiError } from '../../functions/platform/errors.ts';
import { makePki } from '../cluster/pki.ts';

const managedFields = [{ manager: 'kubectl', operation: 'Update', time: '2024-01-01T00:00:00Z', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }];

function service(i: number): object {
  return {
    metadata: { name: `svc-${i}`, namespace: 'default', uid: `uid-${i}`, creationTimestamp: '2024-05-06T07:08:09Z', managedFields },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 + i, protocol: 'TCP' }] },
    status: {
      loadBalancer: { ingress: [{ ip: '203.0.113.1', ipMode: 'VIP' }, { ip: `203.0.113.${10 + i}`, ipMode: 'VIP' }] },
      conditions: [{ type: 'nodelb.dev/Serving', status: 'True', reason: 'Published', message: 'x', lastTransitionTime: '2024-05-06T07:08:10Z' }],
    },
  };
}

function pod(i: number, ready: boolean): object {
  return {
    metadata: { name: `p-${i}`, labels: { 'nodelb.dev/daemonset': 'nodelb-web-1' }, creationTimestamp: '2024-01-01T00:00:00Z', managedFields },
    spec: { nodeName: `node-${i}` },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
}

type Handler = (url: URL, res: ServerResponse) => void;

/** An HTTPS server answering with `handler`; every request's path and query is recorded. */
async function serve(t: TestContext, handler: Handler) {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-lists-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir, []);
  const tls: ServerOptions = { key: readFileSync(pki.keyFile, 'utf8'), cert: readFileSync(pki.certFile, 'utf8') };
  const seen: string[] = [];
  const server = createServer(tls, (req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push(`${url.pathname}?${url.searchParams.toString()}`);
    handler(url, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const counter = new CallCounter();
  const credentials = bearerCredentials({ server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caData: Buffer.from(pki.caPem).toString('base64'), tokens: { kind: 'static', token: async () => 't' } });
  return { seen, counter, kube: createRestKubeApi({ credentials, counter, pageSize: 2, podPageSize: 2, requestTimeoutMs: 5_000 }) };
}

/** Seven bytes at a time: items and the envelope cross chunk boundaries everywhere. */
function sendChunked(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const bytes = Buffer.from(JSON.stringify(body));
  for (let i = 0; i < bytes.length; i += 7) res.write(bytes.subarray(i, i + 7));
  res.end();
}

test('Services: pages followed by their continue token, managedFields dropped, timestamps Dates, equal ingress shared', async (t) => {
  const { kube, seen, counter } = await serve(t, (url, res) => {
    const second = url.searchParams.get('continue') === 'page-2';
    sendChunked(res, { kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: '9', ...(second ? {} : { continue: 'page-2' }) }, items: second ? [service(3)] : [service(1), service(2)] });
  });
  const services = await kube.listServices();
  assert.deepEqual(services.map((s) => s.metadata?.name), ['svc-1', 'svc-2', 'svc-3']);
  assert.deepEqual(seen, ['/api/v1/services?limit=2', '/api/v1/services?limit=2&continue=page-2']);
  assert.ok(services.every((s) => s.metadata?.managedFields === undefined), 'managedFields dropped');
  assert.equal(services[0]?.metadata?.uid, 'uid-1', 'the rest of the metadata kept');
  const created = services[0]?.metadata?.creationTimestamp;
  assert.ok(created instanceof Date && created.toISOString() === '2024-05-06T07:08:09.000Z', 'creationTimestamp is a Date, as the type says');
  const transition = services[0]?.status?.conditions?.[0]?.lastTransitionTime;
  assert.ok(transition instanceof Date && transition.toISOString() === '2024-05-06T07:08:10.000Z', 'lastTransitionTime is a Date');
  const first = services.map((s) => s.status?.loadBalancer?.ingress?.[0]);
  assert.ok(first[0] === first[1] && first[1] === first[2], 'equal ingress entries are one object');
  assert.deepEqual(services[2]?.status?.loadBalancer?.ingress?.[1], { ip: '203.0.113.13', ipMode: 'VIP' });
  assert.equal(counter.snapshot().reads, 2);
});

test('proxy pods: every page folded into views, the label selector sent with each', async (t) => {
  const pages: Record<string, { items: object[]; next?: string }> = {
    '': { items: [pod(1, true), pod(2, false)], next: 'b' },
    b: { items: [pod(3, true), pod(4, true)], next: 'c' },
    c: { items: [pod(5, true)] },
  };
  const { kube, seen } = await serve(t, (url, res) => {
    const page = pages[url.searchParams.get('continue') ?? ''];
    assert.ok(page);
    sendChunked(res, { kind: 'PodList', metadata: page.next ? { continue: page.next } : {}, items: page.items });
  });
  const views = await kube.listProxyPods('nodelb-system', 'nodelb.dev/daemonset');
  assert.deepEqual(views, [1, 2, 3, 4, 5].map((i) => ({ daemonSet: 'nodelb-web-1', ready: i !== 2, phase: 'Running', nodeName: `node-${i}` })));
  assert.equal(seen.length, 3);
  assert.ok(seen.every((s) => s.startsWith('/api/v1/namespaces/nodelb-system/pods?labelSelector=nodelb.dev%2Fdaemonset&limit=2')), seen.join('\n'));
});

test('a page that fails mid-list fails the list with the server\'s reason, retryable', async (t) => {
  const { kube } = await serve(t, (url, res) => {
    if (url.searchParams.get('continue') === 'b') {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', message: 'etcd is away', code: 503 }));
      return;
    }
    sendChunked(res, { kind: 'NodeList', metadata: { continue: 'b' }, items: [{ metadata: { name: 'n1' } }] });
  });
  await assert.rejects(kube.listNodes(), (e: unknown) => {
    assert.ok(isApiError(e));
    assert.equal(e.status, 503);
    assert.equal(e.retryable, true);
    assert.equal(e.retryAfterMs, 2000);
    assert.match(e.message, /list nodes: 503 ServiceUnavailable: etcd is away/);
    return true;
  });
});

test('a body cut short is a retryable error, not a shorter list', async (t) => {
  const { kube } = await serve(t, (_url, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"kind":"NamespaceList","metadata":{},"items":[{"metadata":{"name":"a"}},{"metad');
    res.destroy();
  });
  await assert.rejects(kube.listNamespaces(), (e: unknown) => isApiError(e) && e.retryable === true && e.op === 'list namespaces');
});
