// Credentials of a local control plane (does I/O): a fresh CA and serving certificate for
// 127.0.0.1 made with openssl, the service-account signing key, and the static token file.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TokenUser {
  token: string;
  user: string;
  uid: string;
  groups?: string[];
}

export interface Pki {
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
  saKeyFile: string;
  tokenFile: string;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('openssl is required to make the local control plane\'s certificates (Debian package openssl); it is not on PATH', { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? String(err)}`, { cause: err });
  }
}

/** Writes everything into `dir`; valid for ten years, never trusted outside this directory. */
export function makePki(dir: string, users: TokenUser[]): Pki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=nodelb-local-ca']);
  openssl(dir, ['req', ...ec, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(join(dir, 'apiserver.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '3650', '-extfile', 'apiserver.ext']);
  // Service-account tokens are signed by kube-controller-manager and checked by the API server.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  // Static tokens: token,user,uid,"group1,group2" (the API server's token-auth-file format).
  const lines = users.map((u) => [u.token, u.user, u.uid, ...(u.groups?.length ? [`"${u.groups.join(',')}"`] : [])].join(','));
  writeFileSync(join(dir, 'tokens.csv'), `${lines.join('\n')}\n`, { mode: 0o600 });
  return {
    caFile: join(dir, 'ca.crt'),
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    certFile: join(dir, 'apiserver.crt'),
    keyFile: join(dir, 'apiserver.key'),
    saKeyFile: join(dir, 'sa.key'),
    tokenFile: join(dir, 'tokens.csv'),
  };
}
