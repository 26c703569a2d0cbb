// The REST client's list path against a bare HTTPS server (a throwaway CA and certificate made
// by test/cluster/pki.ts) answering as the API server does: managedFields on every object, and
// pages sent in small chunks, which the real server will not do on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRestKubeApi } from '../../functions/adapters/kube_rest.ts';
import { CallCounter } from '../../functions/platform/calls.ts';
import { makePki } from '../cluster/pki.ts';

const managedFields = [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }];

function service(i: number): object {
  return {
    metadata: { name: `svc-${i}`, namespace: 'default', uid: `uid-${i}`, managedFields },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 + i, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.1', ipMode: 'VIP' }, { ip: `203.0.113.${10 + i}`, ipMode: 'VIP' }] } },
  };
}

test('lists: pages followed by their continue token, items parsed as they stream, managedFields dropped, equal ingress shared', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-lists-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir, []);
  const tls = { key: readFileSync(pki.keyFile, 'utf8'), cert: readFileSync(pki.certFile, 'utf8'), caData: Buffer.from(pki.caPem).toString('base64') };
  const seen: string[] = [];
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push(`${url.pathname}?limit=${url.searchParams.get('limit')}&continue=${url.searchParams.get('continue') ?? ''}`);
    const second = url.searchParams.get('continue') === 'page-2';
    const body = JSON.stringify({ kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: '9', ...(second ? {} : { continue: 'page-2' }) }, items: second ? [service(3)] : [service(1), service(2)] });
    res.writeHead(200, { 'content-type': 'application/json' });
    // Seven bytes at a time: items and the envelope cross chunk boundaries everywhere.
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length; i += 7) res.write(bytes.subarray(i, i + 7));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const counter = new CallCounter();
  const kube = createRestKubeApi({ server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caData: tls.caData, tokens: { kind: 'static', token: async () => 't' }, counter });

  const services = await kube.listServices();
  assert.deepEqual(services.map((s) => s.metadata?.name), ['svc-1', 'svc-2', 'svc-3']);
  assert.deepEqual(seen, ['/api/v1/services?limit=500&continue=', '/api/v1/services?limit=500&continue=page-2']);
  assert.ok(services.every((s) => s.metadata?.managedFields === undefined), 'managedFields dropped');
  assert.equal(services[0]?.metadata?.uid, 'uid-1', 'the rest of the metadata kept');
  const first = services.map((s) => s.status?.loadBalancer?.ingress?.[0]);
  assert.ok(first[0] === first[1] && first[1] === first[2], 'equal ingress entries are one object');
  assert.deepEqual(services[2]?.status?.loadBalancer?.ingress?.[1], { ip: '203.0.113.13', ipMode: 'VIP' });
  assert.equal(counter.snapshot().reads, 2);
});
