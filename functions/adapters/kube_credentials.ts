// How the one Kubernetes client (kube_rest.ts) authenticates, asked before every request: the
// connection agent (CA, client certificate) and headers (bearer token). GKE mode: the cluster CA
// from getCluster and a Google token. Kubeconfig mode: whatever client-node's KubeConfig makes
// of the user (token, token file, client certificate, exec plugin, auth provider, impersonation)
// through its applyToHTTPSOptions. Does I/O only through them (token files, exec plugins).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { TokenSource } from './auth.ts';

export interface RequestAuth {
  agent: HttpAgent;
  headers: Record<string, string>;
  /** user:password for basic authentication (kubeconfig username/password). */
  auth?: string;
}

export interface KubeCredentials {
  /** https://host[:port][/path] */
  readonly server: string;
  forRequest(): Promise<RequestAuth>;
}

/** GKE mode. caData undefined: the system trust store (GKE's DNS endpoint). */
export function bearerCredentials(o: { server: string; caData?: string; tokens: TokenSource }): KubeCredentials {
  const agent = new HttpsAgent({ keepAlive: true, ca: o.caData ? Buffer.from(o.caData, 'base64').toString('utf8') : undefined });
  return {
    server: o.server,
    async forRequest() {
      return { agent, headers: { authorization: `Bearer ${await o.tokens.token()}` } };
    },
  };
}

/** TLS options applyToHTTPSOptions may set; equal ones share one keep-alive agent. */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/** Kubeconfig mode: the current context's cluster and user (connect.ts chose the context). */
export function kubeconfigCredentials(kc: KubeConfig): KubeCredentials {
  const cluster = kc.getCurrentCluster();
  const server = cluster?.server ?? '';
  const plainHttp = server.startsWith('http:');
  let last: { tls: unknown[]; agent: HttpAgent } | undefined;
  return {
    server,
    async forRequest() {
      const opts: RequestOptions = {};
      // Exec plugins are run here when their credential has expired (client-node caches it).
      await kc.applyToHTTPSOptions(opts);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
      // A proxy (proxy-url) needs client-node's own proxy agent.
      if (cluster?.proxyUrl) return { agent: opts.agent as HttpAgent, headers, auth: opts.auth ?? undefined };
      // client-node's agent does not keep connections alive: one TLS handshake per request, or
      // thousands per sync over a real network. Ours does, and is replaced only when the TLS
      // material changes (an exec plugin may rotate the client certificate).
      const tls = TLS_KEYS.map((k) => opts[k]);
      if (!last || !tls.every((v, i) => sameValue(v, last?.tls[i]))) {
        const options = Object.fromEntries(TLS_KEYS.map((k, i) => [k, tls[i]]).filter(([, v]) => v !== undefined));
        last = { tls, agent: plainHttp ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true, ...options }) };
      }
      return { agent: last.agent, headers, auth: opts.auth ?? undefined };
    },
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}
