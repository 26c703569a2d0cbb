// Turns a target (a GKE cluster name, or a kubeconfig) into API clients and what we know about
// the cluster: endpoint and CA from getCluster, the token per request, Autopilot, network.
// Both modes use the one REST client (kube_rest.ts) with their own credentials. Modules are
// imported here, lazily, so a function instance starts fast: GKE mode never loads
// @kubernetes/client-node; kubeconfig mode loads it for KubeConfig (contexts, exec plugins).
import type { Config } from '../config.ts';
import { parseClusterName } from '../cluster_name.ts';
import { ApiError } from '../platform/errors.ts';
import type { Clock, Deadline } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import type { Cluster, ComputeApi, ContainerApi, KubeApi } from './apis.ts';
import { createTokenSource, type TokenSource } from './auth.ts';
import { CallCounter } from '../platform/calls.ts';

export type ClusterTarget = { kind: 'gke'; name: string } | { kind: 'kubeconfig'; path?: string; context?: string };

export interface ClusterInfo {
  /** Display name: the GKE resource name, or the kubeconfig context. */
  name: string;
  mode: 'gke' | 'kubeconfig';
  server: string;
  endpointKind: 'dns' | 'public' | 'private' | 'kubeconfig';
  project?: string; // GKE: the cluster's project (kubeconfig: learnt from providerIDs in observe)
  location?: string;
  clusterName?: string; // short GKE name (instances carry it as label goog-k8s-cluster-name)
  clusterId?: string; // Cluster.id
  autopilot: boolean;
  network?: string; // projects/P/global/networks/N
  networkProject?: string; // where firewall rules live (the host project on Shared VPC)
}

export interface Connection {
  kube: KubeApi;
  compute?: ComputeApi;
  info: ClusterInfo;
  counter: CallCounter;
}

export interface ConnectDeps {
  tokens?: TokenSource; // shared by all clusters of a run
  counter?: CallCounter;
  clock?: Clock;
  fetch?: typeof fetch;
  container?: ContainerApi; // injected in tests
  kubeRequestTimeoutMs?: number; // default: the adapter's (60 s)
  deadline?: Deadline; // the sync's: Compute operation waits end there
}

type ConnectConfig = Pick<Config, 'accessToken' | 'computeEndpoint' | 'containerEndpoint' | 'endpoint'> & Partial<Pick<Config, 'concurrency'>>;

export async function connectCluster(target: ClusterTarget, config: ConnectConfig, logger: Logger, deps: ConnectDeps = {}): Promise<Connection> {
  const counter = deps.counter ?? new CallCounter();
  const tokens = deps.tokens ?? createTokenSource(config);
  const { createComputeApi } = await import('./compute.ts');
  const compute = createComputeApi({ baseUrl: config.computeEndpoint, tokens, counter, clock: deps.clock, fetch: deps.fetch, deadline: deps.deadline, writeConcurrency: config.concurrency });
  let info: ClusterInfo;
  let kube: KubeApi;

  if (target.kind === 'gke') {
    const { createContainerApi } = await import('./container.ts');
    const container = deps.container ?? createContainerApi({ baseUrl: config.containerEndpoint, tokens, counter, fetch: deps.fetch });
    const cluster = await container.getCluster(target.name);
    const chosen = chooseEndpoint(cluster, config.endpoint, target.name);
    // The DNS endpoint presents a publicly trusted certificate; pinning the cluster CA breaks it.
    // clusterCaCertificate is already base64, which is what caData wants.
    const caData = chosen.kind !== 'dns' ? cluster.masterAuth?.clusterCaCertificate || undefined : undefined;
    const server = `https://${chosen.host}`;
    const [{ createRestKubeApi }, { bearerCredentials }] = await Promise.all([import('./kube_rest.ts'), import('./kube_credentials.ts')]);
    kube = createRestKubeApi({ credentials: bearerCredentials({ server, caData, tokens }), counter, requestTimeoutMs: deps.kubeRequestTimeoutMs });
    info = gkeInfo(target.name, cluster, chosen, server);
  } else {
    // client-node (~85 MiB, ~0.4 s to import) only here, for its KubeConfig.
    const [k8s, { createRestKubeApi }, { kubeconfigCredentials }] = await Promise.all([
      import('@kubernetes/client-node'),
      import('./kube_rest.ts'),
      import('./kube_credentials.ts'),
    ]);
    const kc = new k8s.KubeConfig();
    if (target.path) kc.loadFromFile(target.path);
    else kc.loadFromDefault();
    if (target.context) {
      if (!kc.getContextObject(target.context))
        throw new ApiError({ api: 'kube', op: 'load kubeconfig', message: `context "${target.context}" is not in the kubeconfig`, retryable: false });
      kc.setCurrentContext(target.context);
    }
    const server = kc.getCurrentCluster()?.server;
    if (!server)
      throw new ApiError({ api: 'kube', op: 'load kubeconfig', message: 'the kubeconfig has no current cluster', retryable: false, fix: 'pass --kubeconfig PATH and --context NAME' });
    info = { name: kc.getCurrentContext() || server, mode: 'kubeconfig', server, endpointKind: 'kubeconfig', autopilot: false };
    kube = createRestKubeApi({ credentials: kubeconfigCredentials(kc), counter, requestTimeoutMs: deps.kubeRequestTimeoutMs });
  }

  logger.info('cluster.connected', `connected to ${info.name} through ${info.endpointKind} endpoint ${info.server}`, {
    endpointKind: info.endpointKind,
    server: info.server,
    autopilot: info.autopilot,
    tokenSource: tokens.kind,
  });
  return { kube, compute, info, counter };
}

interface ChosenEndpoint {
  kind: 'dns' | 'public' | 'private';
  host: string;
}

/** 'auto': the DNS endpoint when it takes external traffic (no VPC connector needed), else the
 *  public IP endpoint, else the private one. */
export function chooseEndpoint(cluster: Cluster, wanted: ConnectConfig['endpoint'], name: string): ChosenEndpoint {
  const cpe = cluster.controlPlaneEndpointsConfig;
  const dnsHost = cpe?.dnsEndpointConfig?.allowExternalTraffic ? cpe.dnsEndpointConfig.endpoint || undefined : undefined;
  const ip = cpe?.ipEndpointsConfig;
  const publicDisabled = ip?.enablePublicEndpoint === false || cluster.privateClusterConfig?.enablePrivateEndpoint === true || ip?.enabled === false;
  const publicHost = publicDisabled ? undefined : ip?.publicEndpoint || cluster.privateClusterConfig?.publicEndpoint || cluster.endpoint || undefined;
  const privateHost = ip?.enabled === false ? undefined : ip?.privateEndpoint || cluster.privateClusterConfig?.privateEndpoint || undefined;
  const pick: Record<ChosenEndpoint['kind'], string | undefined> = { dns: dnsHost, public: publicHost, private: privateHost };
  const order: ChosenEndpoint['kind'][] = wanted === 'auto' ? ['dns', 'public', 'private'] : [wanted];
  for (const kind of order) {
    const host = pick[kind];
    if (host) return { kind, host };
  }
  const parsed = parseClusterName(name);
  throw new ApiError({
    api: 'container',
    op: `choose endpoint of ${name}`,
    message: `cluster ${name} has no usable ${wanted === 'auto' ? '' : `${wanted} `}control-plane endpoint`,
    retryable: false,
    fix:
      wanted === 'dns' || wanted === 'auto'
        ? `enable the DNS endpoint with external traffic: gcloud container clusters update ${parsed?.name ?? name} --location=${parsed?.location ?? 'LOCATION'} --enable-dns-access`
        : `set NODELB_ENDPOINT=auto, or enable the ${wanted} endpoint`,
  });
}

function gkeInfo(name: string, cluster: Cluster, chosen: ChosenEndpoint, server: string): ClusterInfo {
  const { project, location, name: clusterName } = parseClusterName(name) ?? {};
  const network =
    cluster.networkConfig?.network || (cluster.network && project ? `projects/${project}/global/networks/${cluster.network}` : undefined);
  return {
    name,
    mode: 'gke',
    server,
    endpointKind: chosen.kind,
    project,
    location,
    clusterName: cluster.name || clusterName,
    clusterId: cluster.id || undefined,
    autopilot: cluster.autopilot?.enabled === true,
    network: network || undefined,
    networkProject: network ? /projects\/([^/]+)\//.exec(network)?.[1] : project,
  };
}

