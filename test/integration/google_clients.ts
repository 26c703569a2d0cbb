// Real Google client libraries pointed at a simulated API on loopback (test support; no I/O of
// its own). Each client gets a fresh options object because compute constructors mutate theirs.
import { FirewallsClient, GlobalOperationsClient, InstancesClient } from '@google-cloud/compute';
import { ClusterManagerClient } from '@google-cloud/container';
import { OAuth2Client } from 'google-auth-library';

export function staticTokenAuth(token: string): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 365 * 24 * 3600_000 });
  return auth;
}

function options(port: number, token: string): { apiEndpoint: string; port: number; protocol: string; authClient: OAuth2Client } {
  return { apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient: staticTokenAuth(token) };
}

export interface ComputeClients {
  firewalls: FirewallsClient;
  instances: InstancesClient;
  operations: GlobalOperationsClient;
  close(): Promise<void>;
}

export function computeClients(port: number, token: string): ComputeClients {
  const firewalls = new FirewallsClient(options(port, token));
  const instances = new InstancesClient(options(port, token));
  const operations = new GlobalOperationsClient(options(port, token));
  return {
    firewalls,
    instances,
    operations,
    close: async () => {
      await Promise.all([firewalls.close(), instances.close(), operations.close()]);
    },
  };
}

/** REST ("fallback") transport: the container client would speak gRPC otherwise. */
export function containerClient(port: number, token: string): ClusterManagerClient {
  return new ClusterManagerClient({ ...options(port, token), fallback: true });
}
