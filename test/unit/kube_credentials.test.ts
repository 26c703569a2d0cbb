// What each mode's credentials put on a request: the Google token asked for every request (so a
// refreshed one is used), and in kubeconfig mode client-node's token, basic auth, impersonation
// and client certificate, on one keep-alive agent kept while the TLS material stays the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { bearerCredentials, kubeconfigCredentials } from '../../functions/adapters/kube_credentials.ts';

const agentOptions = (a: unknown) => (a as Agent).options as { keepAlive?: boolean; ca?: unknown; cert?: unknown; key?: unknown };

function kubeconfig(user: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from('CA PEM').toString('base64') }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

test('GKE mode: the token source is asked on every request, the CA pinned on one keep-alive agent', async () => {
  const tokens = ['first', 'refreshed'];
  const creds = bearerCredentials({ server: 'https://10.0.0.1', caData: Buffer.from('CA PEM').toString('base64'), tokens: { kind: 'adc', token: async () => tokens.shift() ?? 'none' } });
  const a = await creds.forRequest();
  const b = await creds.forRequest();
  assert.equal(a.headers.authorization, 'Bearer first');
  assert.equal(b.headers.authorization, 'Bearer refreshed');
  assert.equal(a.agent, b.agent);
  assert.equal(agentOptions(a.agent).keepAlive, true);
  assert.equal(agentOptions(a.agent).ca, 'CA PEM');
});

test('kubeconfig mode: a token user, with impersonation', async () => {
  const creds = kubeconfigCredentials(kubeconfig({ token: 'tok', impersonateUser: 'someone' }));
  const a = await creds.forRequest();
  assert.equal(creds.server, 'https://127.0.0.1:6443');
  assert.equal(a.headers.authorization, 'Bearer tok');
  assert.equal(a.headers['impersonate-user'], 'someone');
  assert.equal(a.auth, undefined);
  assert.deepEqual(agentOptions(a.agent).ca, Buffer.from('CA PEM'));
  assert.equal(agentOptions(a.agent).keepAlive, true, 'connections are reused, unlike client-node\'s own agent');
  assert.equal((await creds.forRequest()).agent, a.agent, 'the same TLS material keeps the agent');
});

test('kubeconfig mode: basic auth and a client certificate', async () => {
  const creds = kubeconfigCredentials(kubeconfig({ username: 'admin', password: 'pw', certData: Buffer.from('CERT').toString('base64'), keyData: Buffer.from('KEY').toString('base64') }));
  const a = await creds.forRequest();
  assert.equal(a.auth, 'admin:pw');
  assert.deepEqual(agentOptions(a.agent).cert, Buffer.from('CERT'));
  assert.deepEqual(agentOptions(a.agent).key, Buffer.from('KEY'));
});

test('kubeconfig mode: a client certificate that changes (an exec plugin rotating it) gets a new agent', async () => {
  const kc = kubeconfig({ token: 'tok' });
  let cert = 'CERT-1';
  // Stands in for an exec plugin's credential: the same hook applyToHTTPSOptions calls.
  kc.addAuthenticator({ isAuthProvider: () => true, applyAuthentication: async (_user, opts) => void Object.assign(opts, { cert, key: 'KEY' }) });
  const creds = kubeconfigCredentials(kc);
  const a = await creds.forRequest();
  assert.equal((await creds.forRequest()).agent, a.agent);
  cert = 'CERT-2';
  const c = await creds.forRequest();
  assert.notEqual(c.agent, a.agent);
  assert.equal(agentOptions(c.agent).cert, 'CERT-2');
});
