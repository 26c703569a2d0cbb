// Kubeconfig mode authenticates however the kubeconfig says, through the one REST client and
// client-node's KubeConfig: a client certificate (signed by the control plane's client CA, its
// CN the identity manifests/ binds) and an exec credential plugin (a script printing an
// ExecCredential). Each syncs a Service end to end; a certificate from another CA and a plugin
// printing a wrong token are refused with 401, so the credentials are really the ones used.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureSink, createLogger } from '../../functions/platform/log.ts';
import { syncCluster } from '../../functions/runtime/sync.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import { startRealWorld, type RealWorld } from '../cluster/world.ts';

let w: RealWorld;
let dir: string;

before(async () => {
  w = await startRealWorld();
  dir = mkdtempSync(join(tmpdir(), 'nodelb-kubeconfig-auth-'));
  await w.gke.addNode({ name: 'node-1', externalIP: '34.0.0.1' });
  await w.gke.addNode({ name: 'node-2', externalIP: '34.0.0.2' });
});
after(() => w?.close());

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A client key and certificate for `user`, signed by the CA in `caDir` (the control plane's, or another). */
function clientCert(name: string, user: string, caDir: string): { cert: string; key: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${user}`]);
  writeFileSync(join(dir, `${name}.ext`), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', join(caDir, 'ca.crt'), '-CAkey', join(caDir, 'ca.key'), '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

/** A kubeconfig with one cluster (the server's CA) and one user given as YAML lines. */
function kubeconfig(name: string, server: string, userLines: string[]): string {
  const path = join(dir, `${name}.kubeconfig`);
  const text = [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: local, cluster: {server: "${server}", certificate-authority-data: ${w.gke.caData}}}]`,
    'users:',
    '- name: me',
    '  user:',
    ...userLines.map((l) => `    ${l}`),
    'contexts: [{name: local, context: {cluster: local, user: me}}]',
    'current-context: local',
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** An exec plugin: a script that prints an ExecCredential with `token` and counts its runs. */
function execPlugin(name: string, token: string): { lines: string[]; runs: () => number } {
  const script = join(dir, `${name}.sh`);
  const count = join(dir, `${name}.runs`);
  writeFileSync(count, '');
  const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } });
  writeFileSync(script, `#!/bin/sh\necho run >> '${count}'\necho '${credential}'\n`, { mode: 0o755 });
  return {
    lines: ['exec:', '  apiVersion: client.authentication.k8s.io/v1', `  command: ${script}`, '  interactiveMode: Never'],
    runs: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length,
  };
}

function sync(path: string): Promise<ClusterReport> {
  return syncCluster({ kind: 'kubeconfig', path }, w.config, {
    logger: createLogger({ sink: captureSink().sink, level: 'DEBUG' }),
    trigger: 'test',
    settlePollMs: 250,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
}

function problems(r: ClusterReport): string {
  return JSON.stringify({ errors: r.errors, failed: r.results.filter((x) => x.outcome === 'failed') }, null, 1);
}

/** Syncs until the Service publishes both nodes (proxies become Ready between syncs). */
async function syncUntilPublished(path: string, service: string): Promise<ClusterReport> {
  let last: ClusterReport | undefined;
  for (let i = 0; i < 6; i++) {
    last = await sync(path);
    assert.deepEqual(last.errors, [], problems(last));
    if ((await w.ingress(service)).length === 2) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${service} never published both nodes: ${last && problems(last)}`);
}

test('a client-certificate kubeconfig: nodelb syncs as the certificate\'s user', async () => {
  const { cert, key } = clientCert('nodelb-client', w.gke.nodelbUser, w.gke.dir);
  // Straight to the API server: the fault proxy terminates TLS and would drop the certificate.
  const path = kubeconfig('cert', w.gke.controlPlane.url, [`client-certificate-data: ${b64(cert)}`, `client-key-data: ${b64(key)}`]);
  await w.addService('by-cert', { ports: [{ port: 8081 }] });
  await syncUntilPublished(path, 'by-cert');
  assert.deepEqual(await w.ingress('by-cert'), ['34.0.0.1', '34.0.0.2']);

  // The same user's certificate from a CA the server does not trust is refused.
  const otherCa = mkdtempSync(join(dir, 'other-ca-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=other'], { cwd: otherCa, stdio: 'ignore' });
  const stranger = clientCert('stranger', w.gke.nodelbUser, otherCa);
  const refused = await sync(kubeconfig('stranger', w.gke.controlPlane.url, [`client-certificate-data: ${b64(stranger.cert)}`, `client-key-data: ${b64(stranger.key)}`]));
  assert.match(JSON.stringify(refused.errors), /401/, problems(refused));
});

test('an exec-plugin kubeconfig: the token the plugin prints is the one sent', async () => {
  const plugin = execPlugin('token', w.gke.token);
  const path = kubeconfig('exec', w.gke.kubeUrl, plugin.lines);
  await w.addService('by-exec', { ports: [{ port: 8082 }] });
  await syncUntilPublished(path, 'by-exec');
  assert.deepEqual(await w.ingress('by-exec'), ['34.0.0.1', '34.0.0.2']);
  assert.ok(plugin.runs() >= 1, 'the plugin ran');

  const wrong = execPlugin('wrong', 'not-a-token');
  const refused = await sync(kubeconfig('wrong', w.gke.kubeUrl, wrong.lines));
  assert.match(JSON.stringify(refused.errors), /401/, problems(refused));
  assert.ok(wrong.runs() >= 1, 'the wrong plugin ran');
});
