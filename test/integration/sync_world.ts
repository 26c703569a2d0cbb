// Test support (no test of its own): the simulated GKE plus what the sync tests repeat — claimed
// Services, reading back status, our DaemonSets and rules, write counts from the sims' call log,
// and one sync in kubeconfig or GKE mode. Does I/O (loopback servers, a temp kubeconfig).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatedGke, type SimulatedGke } from '../sim/gke.ts';
import { parseConfig, type Config } from '../../functions/config.ts';
import type { ClusterTarget } from '../../functions/adapters/connect.ts';
import { captureSink, createLogger, type LogEntry } from '../../functions/runtime/log.ts';
import { syncCluster, type SyncOptions } from '../../functions/runtime/sync.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';

export const CLASS = 'nodelb.dev/node-ip';

export interface World {
  sim: SimulatedGke;
  kubeconfigPath: string;
  config: Config;
  /** Log entries of the last sync. */
  log: LogEntry[];
  addService(name: string, ports?: number[], opts?: { namespace?: string; policy?: 'Cluster' | 'Local' }): void;
  ingress(name: string, namespace?: string): string[];
  daemonSets(): string[];
  firewallRules(): string[];
  /** Writes recorded by the sims since the last resetCalls, per API. */
  writes(): { kube: number; compute: number; container: number };
  sync(mode: 'kubeconfig' | 'gke', more?: Partial<SyncOptions>, config?: Partial<Config>): Promise<ClusterReport>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const sim = await startSimulatedGke({ seed: 7 });
  const kubeconfigPath = sim.writeKubeconfig(mkdtempSync(join(tmpdir(), 'nodelb-it-')));
  const config = parseConfig({
    NODELB_COMPUTE_ENDPOINT: sim.computeEndpoint,
    NODELB_CONTAINER_ENDPOINT: sim.containerEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: sim.token,
    NODELB_CLUSTERS: sim.clusterName,
    NODELB_SETTLE_SECONDS: '5',
  });
  const world: World = {
    sim,
    kubeconfigPath,
    config,
    log: [],
    addService(name, ports = [80], opts = {}) {
      const namespace = opts.namespace ?? 'default';
      if (!sim.kube.get('namespaces', undefined, namespace)) sim.kube.addNamespace(namespace);
      sim.kube.addService({
        namespace,
        name,
        spec: {
          type: 'LoadBalancer',
          loadBalancerClass: CLASS,
          externalTrafficPolicy: opts.policy ?? 'Cluster',
          selector: { app: name },
          ports: ports.map((port) => ({ name: `p${port}`, port, protocol: 'TCP', targetPort: port })),
        },
      });
    },
    ingress(name, namespace = 'default') {
      const svc = sim.kube.get<{ metadata: object; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('services', namespace, name);
      return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').sort();
    },
    daemonSets: () => sim.kube.list('daemonsets', 'nodelb-system').map((d) => d.metadata.name ?? '').sort(),
    firewallRules: () => sim.gce.listFirewalls(sim.project).map((r) => r.name ?? '').filter((n) => n.startsWith('nodelb-')).sort(),
    writes: () => ({
      kube: sim.faults.counts('kube').writes,
      compute: sim.faults.counts('compute').writes,
      container: sim.faults.counts('container').writes,
    }),
    async sync(mode, more = {}, overrides = {}) {
      const target: ClusterTarget = mode === 'gke' ? { kind: 'gke', name: sim.clusterName } : { kind: 'kubeconfig', path: kubeconfigPath };
      const cap = captureSink();
      world.log = cap.entries;
      return syncCluster(target, { ...config, ...overrides }, {
        logger: createLogger({ sink: cap.sink, level: 'DEBUG' }),
        trigger: 'test',
        settlePollMs: 20,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        ...more,
      });
    },
    close: () => sim.close(),
  };
  return world;
}

/** What went wrong in a report, for assertion messages. */
export function problems(r: ClusterReport): string {
  return JSON.stringify(
    { errors: r.errors, notApplied: r.results.filter((x) => x.outcome !== 'applied'), notes: r.plan.notes, prerequisites: r.prerequisites },
    null,
    1,
  );
}
