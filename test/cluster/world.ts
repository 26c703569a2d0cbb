// The one test world (no test of its own) for suites against the real control plane: a local GKE
// with nodelb's identity bound by manifests/, the environment that points nodelb at it, Services
// and backend pods made through the admin client, reads of what nodelb wrote, write counts from
// the fault proxy, one sync, and the CLI run in this process. The fault and function worlds build on it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../../functions/config.ts';
import type { ClusterTarget } from '../../functions/adapters/connect.ts';
import { captureSink, createLogger, type LogEntry } from '../../functions/platform/log.ts';
import { syncCluster, type SyncOptions } from '../../functions/runtime/sync.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import { runCli } from '../../functions/cli/run.ts';
import { systemClock, type Clock } from '../../functions/platform/clock.ts';
import { NODE_SETTLE_MS } from '../../functions/core/proxy_readiness.ts';
import { planExplained } from '../../functions/core/plan.ts';
import { KubeApiError, type KubeObject } from './kube_http.ts';
import { startLocalGke, type LocalGke, type LocalGkeOptions } from './local_gke.ts';
import { nodeNameFor } from '../sim/scenario.ts';

export const CLASS = 'nodelb.dev/node-ip';
export const PROXY_NS = 'nodelb-system';
const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));

export interface ServiceInput {
  namespace?: string;
  ports?: { port: number; protocol?: 'TCP' | 'UDP'; name?: string }[];
  policy?: 'Cluster' | 'Local';
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  ipFamilies?: ('IPv4' | 'IPv6')[];
  annotations?: Record<string, string>;
  loadBalancerSourceRanges?: string[];
  type?: string;
  loadBalancerClass?: string | null;
}

/** The variables that point nodelb at a local GKE: its simulated Google APIs, the token, the cluster. */
export function localGkeEnv(gke: LocalGke): Record<string, string> {
  return {
    NODELB_COMPUTE_ENDPOINT: gke.computeEndpoint,
    NODELB_CONTAINER_ENDPOINT: gke.containerEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: gke.token,
    NODELB_CLUSTERS: gke.clusterName,
  };
}

/** What the deployed function gets (infra/), pointed at the local GKE. */
export function functionEnv(gke: LocalGke): Record<string, string> {
  return {
    ...localGkeEnv(gke),
    // The real controller and kubelets make new proxy pods Ready in seconds, longer on a busy machine.
    NODELB_SETTLE_SECONDS: '30',
    // The framework prints the function's stdout into the test output; keep it to failures.
    NODELB_LOG_LEVEL: 'ERROR',
  };
}

/** Replaces the NODELB_* / token variables of this process (the handlers read them per call). */
export function setFunctionEnv(env: Record<string, string>): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('NODELB_') || k === 'GOOGLE_OAUTH_ACCESS_TOKEN') delete process.env[k];
  Object.assign(process.env, env);
}

/** Nodes named as GKE names them (gke-<cluster>-default-pool-<hash>-<suffix>), spread over three
 *  zones, one per external IP: what the event routing matches instance names against. */
export async function addGkeNamedNodes(gke: LocalGke, ips: readonly string[], add: (n: { name: string; zone: string; externalIP: string }) => Promise<unknown> = (n) => gke.addNode(n)): Promise<{ nodes: string[]; zoneOf: Map<string, string> }> {
  const zones = ['a', 'b', 'c'].map((z) => `${gke.location}-${z}`);
  const nodes: string[] = [];
  const zoneOf = new Map<string, string>();
  for (const [i, externalIP] of ips.entries()) {
    const zone = zones[i % zones.length]!;
    const name = nodeNameFor(gke.cluster, zone, i);
    await add({ name, zone, externalIP });
    nodes.push(name);
    zoneOf.set(name, zone);
  }
  return { nodes, zoneOf };
}

/** Polls until `check` answers a truthy value; fails naming `what` (a function: said at the end). */
export async function waitFor<T>(what: string | (() => string), check: () => Promise<T | undefined | false>, timeoutMs = 30_000, pollMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One `nodelb` invocation in this process (runCli, what main.ts calls), with only `env` as its
 *  environment. The process boundary is main.ts's three lines, tested once by spawning it
 *  (test/integration/cli.test.ts); everything else runs here, where it costs no Node start-up. */
export async function nodelbCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, env, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

export interface RealWorld {
  gke: LocalGke;
  /** localGkeEnv(gke): the variables config was parsed from. */
  env: Record<string, string>;
  config: Config;
  /** nodelb's own kubeconfig (its token, through the fault proxy). */
  kubeconfigPath: string;
  /** Log entries of the last sync. */
  log: LogEntry[];
  /** `kubectl apply -k manifests/` with the local project's service-account email. */
  applyManifests(): void;
  /** The manifests as YAML with the email set, for tests that edit a rule first. */
  manifestsYaml(): string;
  kubectl(args: string[], input?: string): string;
  addService(name: string, input?: ServiceInput): Promise<KubeObject>;
  /** Pods that back a Service (label app=<name>), placed by the scheduler, run by the kubelets. */
  addBackends(name: string, nodes: string[], namespace?: string): Promise<void>;
  service(name: string, namespace?: string): Promise<KubeObject | undefined>;
  ingress(name: string, namespace?: string): Promise<string[]>;
  daemonSets(): Promise<KubeObject[]>;
  proxyPods(): Promise<KubeObject[]>;
  firewallRules(): string[];
  /** Requests nodelb made since the last resetCalls, per API (the proxy and the sims count them). */
  writes(): { kube: number; compute: number; container: number };
  resetCalls(): void;
  sync(mode: 'kubeconfig' | 'gke', more?: Partial<SyncOptions>, config?: Partial<Config>): Promise<ClusterReport>;
  /** The same sync, with its own log (concurrent syncs each keep theirs; `log` is the last one's). */
  syncLogged(mode: 'kubeconfig' | 'gke', more?: Partial<SyncOptions>, config?: Partial<Config>): Promise<{ report: ClusterReport; log: LogEntry[] }>;
  /** Waits until the real controllers and kubelets are done with what the test changed: every
   *  proxy DaemonSet observed its generation and schedules one updated pod per node (Ready too,
   *  unless `ready: false`), and the kubelets have handled every pod change. */
  settled(opts?: { ready?: boolean; timeoutMs?: number }): Promise<void>;
  /** Nodes with a ready endpoint of the Service, from the real EndpointSlice controller. */
  readyEndpointNodes(name: string, namespace?: string): Promise<string[]>;
  deleteService(name: string, namespace?: string): Promise<void>;
  /** Creates the namespace unless it exists. */
  ensureNamespace(namespace: string): Promise<void>;
  /** Polls until `check` answers a truthy value; fails naming `what`. */
  waitFor<T>(what: string | (() => string), check: () => Promise<T | undefined | false>, timeoutMs?: number, pollMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startRealWorld(opts: LocalGkeOptions & { bind?: boolean } = {}): Promise<RealWorld> {
  const gke = await startLocalGke(opts);
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-real-'));
  const adminKubeconfig = gke.writeKubeconfig(dir);
  const kubeconfigPath = gke.writeKubeconfig(dir, { as: 'nodelb' });
  const env = localGkeEnv(gke);
  const config = parseConfig(env);
  const admin = gke.admin;
  const kubectl = (args: string[], input?: string): string =>
    execFileSync('kubectl', ['--kubeconfig', adminKubeconfig, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  const manifestsYaml = (): string => kubectl(['kustomize', MANIFESTS]).replaceAll('nodelb@PROJECT_ID.iam.gserviceaccount.com', gke.nodelbUser);
  const svcPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/services${name ? `/${name}` : ''}`;
  const ensureNamespace = async (ns: string) => {
    try {
      await admin.post('/api/v1/namespaces', { metadata: { name: ns } });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  };

  const world: RealWorld = {
    gke,
    env,
    config,
    kubeconfigPath,
    log: [],
    applyManifests: () => void kubectl(['apply', '-f', '-'], manifestsYaml()),
    manifestsYaml,
    kubectl,
    async addService(name, input = {}) {
      const ns = input.namespace ?? 'default';
      await ensureNamespace(ns);
      const ports = input.ports ?? [{ port: 80 }];
      return admin.post(svcPath(ns), {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns, ...(input.annotations ? { annotations: input.annotations } : {}) },
        spec: {
          type: input.type ?? 'LoadBalancer',
          ...(input.loadBalancerClass === null ? {} : { loadBalancerClass: input.loadBalancerClass ?? CLASS }),
          externalTrafficPolicy: input.policy ?? 'Cluster',
          selector: { app: name },
          ports: ports.map((p) => ({ name: p.name ?? `p${p.port}`, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.port })),
          ...(input.ipFamilyPolicy ? { ipFamilyPolicy: input.ipFamilyPolicy } : {}),
          ...(input.ipFamilies ? { ipFamilies: input.ipFamilies } : {}),
          ...(input.loadBalancerSourceRanges ? { loadBalancerSourceRanges: input.loadBalancerSourceRanges } : {}),
        },
      });
    },
    async addBackends(name, nodes, namespace = 'default') {
      await ensureNamespace(namespace);
      for (const node of nodes) {
        await admin.post(`/api/v1/namespaces/${namespace}/pods`, {
          metadata: { name: `${name}-${node}`, namespace, labels: { app: name } },
          spec: {
            // Required node affinity, so the real scheduler places it (as a Deployment's pod would be).
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } },
            containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
          },
        });
      }
    },
    service: (name, ns = 'default') => admin.find(svcPath(ns, name)),
    async ingress(name, ns = 'default') {
      const svc = await admin.find(svcPath(ns, name));
      return ((svc?.status?.loadBalancer?.ingress ?? []) as { ip?: string }[]).map((i) => i.ip ?? '').sort();
    },
    daemonSets: async () => (await admin.list(`/apis/apps/v1/namespaces/${PROXY_NS}/daemonsets`)).items,
    proxyPods: async () => (await admin.list(`/api/v1/namespaces/${PROXY_NS}/pods`)).items,
    firewallRules: () => gke.gce.listFirewalls(gke.project).map((r) => r.name ?? '').filter((n) => n.startsWith('nodelb-')).sort(),
    writes: () => ({
      kube: gke.faults.counts('kube').writes,
      compute: gke.faults.counts('compute').writes,
      container: gke.faults.counts('container').writes,
    }),
    resetCalls: () => gke.faults.resetCalls(),
    async sync(mode, more = {}, overrides = {}) {
      return (await world.syncLogged(mode, more, overrides)).report;
    },
    async syncLogged(mode, more = {}, overrides = {}) {
      const target: ClusterTarget = mode === 'gke' ? { kind: 'gke', name: gke.clusterName } : { kind: 'kubeconfig', path: kubeconfigPath };
      const cap = captureSink();
      world.log = cap.entries;
      const report = await syncCluster(target, { ...config, ...overrides }, {
        logger: createLogger({ sink: cap.sink, level: 'DEBUG' }),
        trigger: 'test',
        planner: planExplained, // tests read the per-node decisions of the report
        settlePollMs: 250,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        ...more,
      });
      return { report, log: cap.entries };
    },
    async settled(opts = {}) {
      const ready = opts.ready ?? true;
      await world.waitFor(
        'the proxy DaemonSets to settle',
        async () => {
          await gke.kubelets.idle();
          const nodeNames = new Set((await admin.list('/api/v1/nodes')).items.map((n) => n.metadata.name ?? ''));
          const nodes = nodeNames.size;
          const sets = await world.daemonSets();
          const lagging = sets.filter((d) => {
            const s = d.status ?? {};
            const desired = s.desiredNumberScheduled ?? 0;
            return s.observedGeneration !== d.metadata.generation || desired !== nodes || s.updatedNumberScheduled !== desired || (ready && s.numberReady !== desired);
          });
          if (lagging.length > 0 || !ready) return lagging.length === 0;
          // The controller's counts can still include a deleted node and miss its replacement
          // (it ignores Node deletions until a pod event): settled means a Ready pod on each node now.
          const pods = await world.proxyPods();
          return sets.every((d) => {
            const on = new Set(
              pods
                .filter((p) => p.metadata.labels?.['nodelb.dev/daemonset'] === d.metadata.name && !p.metadata.deletionTimestamp)
                .filter((p) => (p.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Ready' && c.status === 'True'))
                .map((p) => p.spec?.nodeName ?? ''),
            );
            return [...nodeNames].every((n) => on.has(n));
          });
        },
        opts.timeoutMs ?? 60_000,
      );
    },
    async readyEndpointNodes(name, ns = 'default') {
      const slices = (await admin.list(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${name}`)}`)).items;
      const nodes = slices.flatMap((s) => ((s.endpoints ?? []) as { nodeName?: string; conditions?: { ready?: boolean } }[]).filter((e) => e.conditions?.ready).map((e) => e.nodeName ?? ''));
      return [...new Set(nodes)].sort();
    },
    deleteService: (name, ns = 'default') => admin.delete(svcPath(ns, name)),
    ensureNamespace,
    waitFor,
    close: () => gke.close(),
  };
  if (opts.bind !== false) world.applyManifests();
  return world;
}

/** A clock NODE_SETTLE_MS ahead, for syncs that must see the nodes as settled: the real API
 *  server stamps a Node's creationTimestamp itself, so in a cluster started seconds ago every
 *  node is young and every DaemonSet's pods are listed rather than proven by its status. */
export const settledNodesClock: Clock = { ...systemClock, now: () => systemClock.now() + NODE_SETTLE_MS };

/** What went wrong in a report, for assertion messages. */
export function problems(r: ClusterReport): string {
  return JSON.stringify(
    { errors: r.errors, notApplied: r.results.filter((x) => x.outcome !== 'applied'), notes: r.plan.notes, prerequisites: r.prerequisites },
    null,
    1,
  );
}

/** A Ready condition of a pod or node. */
export function isReady(o: KubeObject): boolean {
  return ((o.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
}
