// The simulated GKE Container REST API (does I/O): `startContainerSim` serves
// http://127.0.0.1:PORT/v1 with getCluster (and listClusters) over a registry of clusters the
// composer fills (the kube sim supplies endpoint and CA), with faults, latency and auth.
import { FaultPlan } from './faults.ts';
import { startGoogleApiServer, type SimRequest, type SimResponse } from './compute/http.ts';
import { GoogleApiError, unknownQueryParameter } from './compute/errors.ts';
import {
  clusterNodeTag,
  newClusterId,
  renderCluster,
  withIntEnums,
  type ClusterRef,
  type ClusterSpec,
} from './container_clusters.ts';

export type { ClusterRef, ClusterSpec, ClusterStatus, NodePoolSpec } from './container_clusters.ts';
export { clusterNodeTag } from './container_clusters.ts';

export interface ContainerSimOptions {
  faults?: FaultPlan;
  latencyMs?: number;
  /** Accepted Bearer token; any non-empty token when omitted. */
  token?: string;
  clusters?: ClusterSpec[];
  /** Consulted for clusters not in the registry (e.g. computed by the composer on demand). */
  lookup?: (ref: ClusterRef) => ClusterSpec | undefined;
}

type StoredCluster = ClusterSpec & { id: string; createTime: string };

export interface ContainerSimControl {
  readonly faults: FaultPlan;
  /** Adds or replaces a cluster; returns it with id and createTime filled. */
  putCluster(spec: ClusterSpec): StoredCluster;
  /** Changes some fields (e.g. autopilot, dnsEndpoint, enablePublicEndpoint, endpoint). */
  updateCluster(ref: ClusterRef, patch: Partial<Omit<ClusterSpec, 'project' | 'location' | 'name'>>): StoredCluster;
  removeCluster(ref: ClusterRef): boolean;
  /** The Cluster JSON the API would answer (string enums). */
  getCluster(ref: ClusterRef): Record<string, unknown> | undefined;
  clusters(): StoredCluster[];
  /** gke-<name>-<id[:8]>-node for a registered cluster. */
  nodeTag(ref: ClusterRef): string;
}

export interface ContainerSim {
  /** Base URL for NODELB_CONTAINER_ENDPOINT, e.g. http://127.0.0.1:41235/v1 */
  endpoint: string;
  port: number;
  control: ContainerSimControl;
  close(): Promise<void>;
}

const SYSTEM_PARAMS = new Set(['alt', '$alt', 'prettyPrint', '$prettyPrint', 'fields', '$fields', 'key', 'quotaUser', 'access_token', '$.xgafv', 'callback']);
const GET_PARAMS = ['projectId', 'zone', 'clusterId'];
const LIST_PARAMS = ['projectId', 'zone'];

/** GKE writes createTime in RFC 3339 with a +00:00 offset and no fraction. */
function nowCreateTime(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
}

function refKey(r: ClusterRef): string {
  return `${r.project}/${r.location}/${r.name}`;
}

function clusterNotFound(r: ClusterRef): GoogleApiError {
  return new GoogleApiError(404, `cluster "projects/${r.project}/locations/${r.location}/clusters/${r.name}" not found`, 'notFound', { withStatus: true });
}

export async function startContainerSim(opts: ContainerSimOptions = {}): Promise<ContainerSim> {
  const faults = opts.faults ?? new FaultPlan();
  const registry = new Map<string, StoredCluster>();

  const store = (spec: ClusterSpec, prev?: StoredCluster): StoredCluster => {
    const full: StoredCluster = {
      ...spec,
      id: spec.id ?? prev?.id ?? newClusterId(),
      createTime: spec.createTime ?? prev?.createTime ?? nowCreateTime(),
    };
    registry.set(refKey(spec), full);
    return structuredClone(full);
  };
  for (const c of opts.clusters ?? []) store(c);

  // Looked-up clusters are asked for afresh each time (the composer may change them), but keep
  // the id and createTime they were first given, as a real cluster does.
  const lookedUpIdentity = new Map<string, { id: string; createTime: string }>();
  const find = (ref: ClusterRef): StoredCluster | undefined => {
    const hit = registry.get(refKey(ref));
    if (hit) return hit;
    const looked = opts.lookup?.(ref);
    if (!looked) return undefined;
    let identity = lookedUpIdentity.get(refKey(ref));
    if (!identity) {
      identity = { id: looked.id ?? newClusterId(), createTime: looked.createTime ?? nowCreateTime() };
      lookedUpIdentity.set(refKey(ref), identity);
    }
    return { ...looked, id: looked.id ?? identity.id, createTime: looked.createTime ?? identity.createTime };
  };

  const checkParams = (q: URLSearchParams, allowed: string[]): void => {
    for (const k of q.keys()) if (!SYSTEM_PARAMS.has(k) && !allowed.includes(k)) throw unknownQueryParameter(k);
  };
  const encode = (q: URLSearchParams, cluster: Record<string, unknown>): Record<string, unknown> =>
    (q.get('$alt') ?? q.get('alt') ?? '').includes('enum-encoding=int') ? withIntEnums(cluster) : cluster;

  const handle = async (req: SimRequest): Promise<SimResponse | undefined> => {
    if (req.method !== 'GET') return undefined;
    const one = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/:]+)$/.exec(req.path);
    if (one) {
      checkParams(req.query, GET_PARAMS);
      const ref = { project: decodeURIComponent(one[1] ?? ''), location: decodeURIComponent(one[2] ?? ''), name: decodeURIComponent(one[3] ?? '') };
      const c = find(ref);
      if (!c) throw clusterNotFound(ref);
      return { status: 200, body: encode(req.query, renderCluster(c)) };
    }
    const list = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/clusters$/.exec(req.path);
    if (list) {
      checkParams(req.query, LIST_PARAMS);
      const project = decodeURIComponent(list[1] ?? '');
      const location = decodeURIComponent(list[2] ?? '');
      const found = [...registry.values()]
        .filter((c) => c.project === project && (location === '-' || c.location === location))
        .sort((a, b) => refKey(a).localeCompare(refKey(b)))
        .map((c) => encode(req.query, renderCluster(c)));
      return { status: 200, body: found.length > 0 ? { clusters: found } : {} };
    }
    return undefined;
  };

  const server = await startGoogleApiServer({
    api: 'container',
    faults,
    latencyMs: opts.latencyMs ?? 0,
    token: opts.token,
    errorsWithStatus: true,
    isWrite: (method) => method !== 'GET',
    handle,
  });

  const must = (ref: ClusterRef): StoredCluster => {
    const c = find(ref);
    if (!c) throw new Error(`no simulated cluster ${refKey(ref)}`);
    return c;
  };

  const control: ContainerSimControl = {
    faults,
    putCluster: (spec) => store(spec, registry.get(refKey(spec))),
    updateCluster: (ref, patch) => {
      const cur = registry.get(refKey(ref));
      if (!cur) throw new Error(`no registered simulated cluster ${refKey(ref)}`);
      return store({ ...cur, ...patch }, cur);
    },
    removeCluster: (ref) => registry.delete(refKey(ref)),
    getCluster: (ref) => {
      const c = find(ref);
      return c ? renderCluster(c) : undefined;
    },
    clusters: () => [...registry.values()].map((c) => structuredClone(c)),
    nodeTag: (ref) => {
      const c = must(ref);
      return clusterNodeTag(c.name, c.id);
    },
  };

  return {
    endpoint: `http://127.0.0.1:${server.port}/v1`,
    port: server.port,
    control,
    close: () => server.close(),
  };
}
