// The simulated Kubernetes API server (does I/O): `startKubeSim` serves HTTPS on 127.0.0.1 with
// the committed test CA and returns the in-process control API. See README.md for what is
// modelled and what is not.
import { FaultPlan } from './faults.ts';
import { KubeApiServer } from './kube/apiserver.ts';
import { SimClock } from './kube/clock.ts';
import { KubeControl } from './kube/control.ts';
import { startKubeServer } from './kube/server.ts';
import { testTls } from './kube/tls.ts';
import { RESOURCES } from './kube/resources.ts';
import type { WireObject } from './kube/types.ts';

export type { NodeSpec, ServiceSpecInput, EndpointInput } from './kube/control.ts';
export { KubeControl } from './kube/control.ts';
export { KubeApiServer } from './kube/apiserver.ts';

export interface KubeSimOptions {
  faults?: FaultPlan;
  /** Accepted bearer token (default "sim-token"). */
  token?: string;
  /** Added to every request. */
  latencyMs?: number;
  /** Seeds UIDs, pod names and nodePorts, so runs replay exactly. */
  seed?: number;
  /** Start of the simulated clock (ms since epoch); default now, rounded to seconds. */
  startTimeMs?: number;
  /** Port to listen on (default: any free port). */
  port?: number;
  /** Namespaces made at start (default: kube-system, default, nodelb-system with PSA privileged). */
  namespaces?: { name: string; labels?: Record<string, string> }[];
}

export interface KubeSim {
  url: string; // https://127.0.0.1:PORT
  /** host:port, what GKE's getCluster puts in `endpoint`. */
  endpoint: string;
  /** Base64 PEM of the CA, what GKE's masterAuth.clusterCaCertificate holds. */
  caData: string;
  /** PEM of the CA. */
  ca: string;
  token: string;
  faults: FaultPlan;
  control: KubeControl;
  api: KubeApiServer;
  /** UID of kube-system: the cluster's identity. */
  clusterUid: string;
  /** Bearer tokens presented to the server, in order of first use. */
  readonly bearers: string[];
  readonly lastBearer: string | undefined;
  close(): Promise<void>;
}

export const DEFAULT_NAMESPACES = [
  { name: 'kube-system' },
  { name: 'default' },
  { name: 'nodelb-system', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
];

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const faults = opts.faults ?? new FaultPlan();
  const token = opts.token ?? 'sim-token';
  const clock = new SimClock(opts.startTimeMs ?? (opts.seed !== undefined ? Date.UTC(2025, 0, 1) : undefined));
  const api = new KubeApiServer({ clock, seed: opts.seed });
  const control = new KubeControl(api);
  for (const ns of opts.namespaces ?? DEFAULT_NAMESPACES) control.addNamespace(ns.name, ns.labels);
  // Every real cluster has default/kubernetes (the API server keeps it), so a real Service list
  // and EndpointSlice list is never empty; nodelb treats an empty list as suspicious.
  if (control.get('namespaces', undefined, 'default')) {
    control.addService({ namespace: 'default', name: 'kubernetes', spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }] } });
    // The control plane's endpoint is not a Pod and has no nodeName, unlike setEndpoints' ones.
    api.create(RESOURCES.endpointslices, 'default', {
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.2'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
    } as unknown as WireObject);
  }
  const server = await startKubeServer({ api, faults, token, latencyMs: opts.latencyMs, port: opts.port });
  const tls = testTls();
  const clusterUid = control.get('namespaces', undefined, 'kube-system')?.metadata.uid ?? '';
  return {
    url: server.url,
    endpoint: `127.0.0.1:${server.port}`,
    caData: tls.caData,
    ca: tls.ca,
    token,
    faults,
    control,
    api,
    clusterUid,
    get bearers() {
      return server.bearers;
    },
    get lastBearer() {
      return server.lastBearer;
    },
    close: () => server.close(),
  };
}
