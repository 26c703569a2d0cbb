// Loads the committed test-only TLS material (test/sim/tls) for the simulated API server and
// exposes the CA the way GKE's masterAuth.clusterCaCertificate does (base64 PEM). Reads files.
import { readFileSync } from 'node:fs';

const dir = new URL('../tls/', import.meta.url);

export interface TlsMaterial {
  key: string;
  cert: string;
  ca: string; // PEM
  caData: string; // base64 of the PEM
}

let cached: TlsMaterial | undefined;

export function testTls(): TlsMaterial {
  if (cached) return cached;
  const ca = readFileSync(new URL('ca.pem', dir), 'utf8');
  cached = {
    key: readFileSync(new URL('server-key.pem', dir), 'utf8'),
    cert: readFileSync(new URL('server.pem', dir), 'utf8'),
    ca,
    caData: Buffer.from(ca).toString('base64'),
  };
  return cached;
}
