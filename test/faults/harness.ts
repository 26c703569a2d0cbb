// World setup for the fault-injection suite (no test of its own): a simulated GKE with nodes,
// Services built from a compact description, one sync with a captured log, write and fault
// counts from the FaultPlan call log (fed to the tally), convergence with a bound, and the
// invariants. Does I/O (loopback servers, a temp kubeconfig).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatedGke, type AddNodeInput, type SimulatedGke } from '../sim/gke.ts';
import { externalIPFor } from '../sim/scenario.ts';
import type { CallRecord } from '../sim/faults.ts';
import type { WireEvent, WireService } from '../sim/kube/types.ts';
import { parseConfig, type Config } from '../../functions/config.ts';
import type { ClusterTarget } from '../../functions/adapters/connect.ts';
import type { Firewall } from '../../functions/adapters/apis.ts';
import { captureSink, createLogger, type LogEntry } from '../../functions/runtime/log.ts';
import { syncCluster, type SyncOptions } from '../../functions/runtime/sync.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import { captureForeign, checkInvariants, describeViolations, isOurRule, type ForeignBaseline, type Violation } from './invariants.ts';
import { tally } from './tally.ts';

export const CLASS = 'nodelb.dev/node-ip';
export const PROXY_NAMESPACE = 'nodelb-system';
export const SERVING = 'nodelb.dev/Serving';

type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A Service in few words; everything left out is what a plain claimed TCP Service has. */
export interface ServiceInput {
  name: string;
  namespace?: string; // default "default"
  ports?: (number | { port: number; protocol?: Protocol; name?: string })[]; // default [80]
  type?: 'LoadBalancer' | 'ClusterIP' | 'NodePort';
  /** Default: nodelb's class; null: none (GKE's own controller would serve it). */
  className?: string | null;
  policy?: 'Cluster' | 'Local';
  sourceRanges?: string[];
  annotations?: Record<string, string>;
  ipFamilies?: ('IPv4' | 'IPv6')[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  loadBalancerIP?: string;
  externalIPs?: string[];
}

export interface WorldOptions {
  seed?: number;
  nodes?: number; // plain Ready nodes with distinct external IPs (default 3)
  env?: Record<string, string>; // extra NODELB_* settings
  latency?: { kubeMs?: number; computeMs?: number; containerMs?: number; operationMs?: number };
  mode?: 'gke' | 'kubeconfig';
}

export interface SyncRun {
  report: ClusterReport;
  calls: CallRecord[]; // what the sims saw during this sync
  writes: number;
  faults: number; // calls answered with an injected fault
  log: LogEntry[];
}

export interface FaultWorld {
  sim: SimulatedGke;
  config: Config;
  nodes: string[];
  addNode(input?: Partial<AddNodeInput>): string;
  addService(input: ServiceInput): WireService;
  service(name: string, namespace?: string): WireService | undefined;
  ingress(name: string, namespace?: string): string[]; // in status order
  condition(name: string, namespace?: string): { status?: string; reason?: string; message?: string } | undefined;
  /** Events nodelb recorded on a Service (type Warning unless asked otherwise). */
  events(name: string, namespace?: string, type?: 'Warning' | 'Normal'): WireEvent[];
  ourDaemonSets(): string[];
  ourRules(): Firewall[];
  sync(opts?: { config?: Partial<Config>; options?: Partial<SyncOptions> }): Promise<SyncRun>;
  /** Fault-free syncs until one reports converged; throws after `max`. */
  converge(max?: number, opts?: { config?: Partial<Config> }): Promise<{ syncs: number; runs: SyncRun[] }>;
  foreign(): ForeignBaseline;
  /** I1–I5 (I1 by one more sync; I3 against `foreign` when given). */
  violations(foreign?: ForeignBaseline, opts?: { config?: Partial<Config> }): Promise<Violation[]>;
  assertInvariants(foreign?: ForeignBaseline, opts?: { config?: Partial<Config> }): Promise<void>;
  close(): Promise<void>;
}

export function portsOf(input: ServiceInput): { name: string; port: number; protocol: Protocol; targetPort: number }[] {
  return (input.ports ?? [80]).map((p) => {
    const o = typeof p === 'number' ? { port: p } : p;
    const protocol = o.protocol ?? 'TCP';
    return { name: o.name ?? `${protocol.toLowerCase()}-${o.port}`, port: o.port, protocol, targetPort: o.port };
  });
}

export function serviceSpec(input: ServiceInput): WireService['spec'] {
  const type = input.type ?? 'LoadBalancer';
  const spec: Record<string, unknown> = { type, selector: { app: input.name }, ports: portsOf(input) };
  if (type === 'LoadBalancer') {
    if (input.className !== null) spec.loadBalancerClass = input.className ?? CLASS;
    spec.externalTrafficPolicy = input.policy ?? 'Cluster';
    if (input.sourceRanges) spec.loadBalancerSourceRanges = input.sourceRanges;
    if (input.loadBalancerIP) spec.loadBalancerIP = input.loadBalancerIP;
  }
  if (input.ipFamilies) spec.ipFamilies = input.ipFamilies;
  if (input.ipFamilyPolicy) spec.ipFamilyPolicy = input.ipFamilyPolicy;
  if (input.externalIPs) spec.externalIPs = input.externalIPs;
  return spec as WireService['spec'];
}

export async function startFaultWorld(opts: WorldOptions = {}): Promise<FaultWorld> {
  const sim = await startSimulatedGke({ seed: opts.seed ?? 7, latency: opts.latency });
  const kubeconfigPath = sim.writeKubeconfig(mkdtempSync(join(tmpdir(), 'nodelb-faults-')));
  const config = parseConfig({
    NODELB_COMPUTE_ENDPOINT: sim.computeEndpoint,
    NODELB_CONTAINER_ENDPOINT: sim.containerEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: sim.token,
    NODELB_CLUSTERS: sim.clusterName,
    NODELB_SETTLE_SECONDS: '5',
    ...opts.env,
  });
  const mode = opts.mode ?? 'gke';
  const target: ClusterTarget = mode === 'gke' ? { kind: 'gke', name: sim.clusterName } : { kind: 'kubeconfig', path: kubeconfigPath };
  let nodeCounter = 0;
  let tallied = 0; // calls already counted by the tally (concurrent syncs share the log)
  let crashCounted = false;

  const w: FaultWorld = {
    sim,
    config,
    nodes: [],
    addNode(input = {}) {
      const i = nodeCounter++;
      const name = input.name ?? `node-${i}`;
      sim.addNode({ externalIP: externalIPFor(i), ...input, name });
      w.nodes.push(name);
      return name;
    },
    addService(input) {
      const namespace = input.namespace ?? 'default';
      if (!sim.kube.get('namespaces', undefined, namespace)) sim.kube.addNamespace(namespace);
      return sim.kube.addService({ namespace, name: input.name, annotations: input.annotations, spec: serviceSpec(input) });
    },
    service: (name, namespace = 'default') => sim.kube.get<WireService>('services', namespace, name),
    ingress(name, namespace = 'default') {
      const svc = w.service(name, namespace) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined;
      return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
    },
    condition(name, namespace = 'default') {
      const svc = w.service(name, namespace) as { status?: { conditions?: { type: string; status?: string; reason?: string; message?: string }[] } } | undefined;
      return svc?.status?.conditions?.find((c) => c.type === SERVING);
    },
    events(name, namespace = 'default', type = 'Warning') {
      return sim.kube
        .list<WireEvent & { involvedObject?: { name?: string; namespace?: string }; type?: string; reportingComponent?: string }>('events', namespace)
        .filter((e) => e.involvedObject?.name === name && e.type === type && e.reportingComponent === 'nodelb.dev/controller');
    },
    ourDaemonSets: () =>
      sim.kube
        .list('daemonsets', PROXY_NAMESPACE, 'app.kubernetes.io/managed-by=nodelb')
        .map((d) => d.metadata.name ?? '')
        .sort(),
    ourRules: () =>
      sim.gce
        .listFirewalls()
        .filter((r) => isOurRule(sim, r))
        .sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1)),
    async sync(o = {}) {
      const mark = sim.faults.calls.length;
      if (!sim.faults.crashed) crashCounted = false;
      const cap = captureSink();
      const report = await syncCluster(target, { ...config, ...o.config }, {
        logger: createLogger({ sink: cap.sink, level: 'DEBUG' }),
        trigger: 'fault-test',
        settlePollMs: 20,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        ...o.options,
      });
      const calls = sim.faults.calls.slice(mark);
      tally.sync();
      if (sim.faults.crashed && !crashCounted) {
        crashCounted = true; // once per crash, even when two syncs ran into it together
        tally.crash();
      }
      tally.faultsIn(sim.faults.calls.slice(Math.min(tallied, sim.faults.calls.length)));
      tallied = sim.faults.calls.length;
      const faults = calls.filter((c) => c.fault !== undefined && c.fault !== 'none').length;
      return { report, calls, writes: calls.filter((c) => c.write).length, faults, log: cap.entries };
    },
    async converge(max = 3, o = {}) {
      const runs: SyncRun[] = [];
      for (let i = 1; i <= max; i++) {
        const run = await w.sync(o);
        runs.push(run);
        if (run.report.converged) return { syncs: i, runs };
      }
      const last = runs[runs.length - 1]?.report;
      throw new Error(`not converged after ${max} fault-free syncs: ${JSON.stringify({ errors: last?.errors, notes: last?.plan.notes, failed: last?.results.filter((r) => r.outcome !== 'applied') })}`);
    },
    foreign: () => captureForeign(sim, config),
    violations: (foreign, o = {}) => checkInvariants(sim, { ...config, ...o.config }, { foreign, resync: () => w.sync(o) }),
    async assertInvariants(foreign, o = {}) {
      const vs = await w.violations(foreign, o);
      assert.equal(vs.length, 0, `invariants violated:\n${describeViolations(vs)}`);
    },
    close: () => sim.close(),
  };
  for (let i = 0; i < (opts.nodes ?? 3); i++) w.addNode();
  return w;
}

/** What went wrong in a report, for assertion messages. */
export function problems(r: ClusterReport): string {
  const clip = (_: string, v: unknown) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}…(${v.length} chars)` : v);
  return JSON.stringify({ errors: r.errors, notApplied: r.results.filter((x) => x.outcome !== 'applied'), notes: r.plan.notes }, clip, 1);
}

/** Log entries at WARNING or above whose message mentions `text`. */
export function warningLines(log: readonly LogEntry[], text: string | RegExp): LogEntry[] {
  return log.filter((e) => (e.severity === 'WARNING' || e.severity === 'ERROR') && (typeof text === 'string' ? e.message.includes(text) : text.test(e.message)));
}

/** Log entries of any level whose message mentions `text`. */
export function logLines(log: readonly LogEntry[], text: string | RegExp): LogEntry[] {
  return log.filter((e) => (typeof text === 'string' ? e.message.includes(text) : text.test(e.message)));
}

/** The `allowed` list of a rule as "tcp:80,443 udp:53" for compact assertions. */
export function allowedOf(rule: Firewall | undefined): string {
  return (rule?.allowed ?? []).map((a) => `${a.IPProtocol}:${(a.ports ?? []).join(',')}`).join(' ');
}

export async function withWorld<T>(t: { after(fn: () => Promise<void>): void }, opts: WorldOptions, fn: (w: FaultWorld) => Promise<T>): Promise<T> {
  const w = await startFaultWorld(opts);
  t.after(() => w.close());
  return fn(w);
}
