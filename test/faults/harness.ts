// The fault-injection suite's world (no test of its own), built on the shared one
// (test/cluster/world.ts: control plane, environment, sync, waits): one control plane per test
// file, reset to an empty world for each scenario; what only this suite needs on top — Services
// from a compact description, node and pod states, a settle that waits for every controller,
// write and fault counts from the FaultPlan call log (fed to the tally), and the invariants.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { parseConfig, type Config } from '../../functions/config.ts';
import type { Firewall } from '../../functions/adapters/apis.ts';
import type { LogEntry } from '../../functions/platform/log.ts';
import type { SyncOptions } from '../../functions/runtime/sync.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import type { CallRecord } from '../sim/faults.ts';
import { KubeApiError, type KubeObject } from '../cluster/kube_http.ts';
import type { AddNodeInput, LocalGke } from '../cluster/local_gke.ts';
import { CLASS, PROXY_NS, functionEnv, isReady, startRealWorld, waitFor, type RealWorld } from '../cluster/world.ts';
import { externalIPFor } from '../sim/scenario.ts';
import { captureForeign, checkInvariants, describeViolations, isOurRule, readWorld, type ForeignBaseline, type Violation, type WorldState } from './invariants.ts';
import { tally } from './tally.ts';

export const PROXY_NAMESPACE = PROXY_NS;
export const SERVING = 'nodelb.dev/Serving';
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

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
  nodes?: number; // plain Ready nodes with distinct external IPs (default 3)
  env?: Record<string, string>; // extra NODELB_* settings
  mode?: 'gke' | 'kubeconfig';
}

export interface SyncRun {
  report: ClusterReport;
  calls: CallRecord[]; // what the proxy and the sims saw during this sync
  writes: number;
  faults: number; // calls answered with an injected fault
  log: LogEntry[];
}

export type NodeInput = Partial<AddNodeInput>;
export type EndpointInput = { nodeName: string; ready?: boolean };

export interface FaultWorld {
  gke: LocalGke;
  real: RealWorld;
  config: Config;
  nodes: string[];
  addNode(input?: NodeInput): Promise<string>;
  removeNode(name: string): Promise<void>;
  addService(input: ServiceInput): Promise<KubeObject>;
  service(name: string, namespace?: string): Promise<KubeObject | undefined>;
  /** Changes a Service as its owner would (read, edit, PUT; another read on a conflict). */
  updateService(namespace: string, name: string, edit: (svc: KubeObject) => void): Promise<void>;
  deleteService(namespace: string, name: string): Promise<void>;
  /** A node's state as its kubelet, a person or the autoscaler changes it. */
  updateNode(name: string, change: { ready?: boolean; unschedulable?: boolean; deleting?: boolean; taints?: { key: string; value?: string; effect: string }[] }): Promise<void>;
  setExternalIP(name: string, ip: string | undefined, opts?: { nodeLags?: boolean }): Promise<void>;
  /** Holds the proxy pod of a DaemonSet on a node not Ready (false) or lets it go (undefined). */
  setPodReady(daemonSet: string, node: string, ready: false | undefined): Promise<void>;
  /** Backend pods of a Service on these nodes (Ready unless said), placed by the real
   *  scheduler; the real EndpointSlice controller makes the slices. Other backends go. */
  setEndpoints(namespace: string, service: string, endpoints: EndpointInput[]): Promise<void>;
  /** An unconditional update of a DaemonSet, as another writer would make it. */
  editDaemonSet(name: string, edit: (ds: KubeObject) => void): Promise<void>;
  /** Writes a Service's status as another writer would. */
  writeStatus(name: string, status: object, namespace?: string): Promise<void>;
  ingress(name: string, namespace?: string): Promise<string[]>; // in status order
  condition(name: string, namespace?: string): Promise<{ status?: string; reason?: string; message?: string } | undefined>;
  /** Events nodelb recorded on a Service (type Warning unless asked otherwise). */
  events(name: string, namespace?: string, type?: 'Warning' | 'Normal'): Promise<{ reason?: string; message?: string }[]>;
  ourDaemonSets(): Promise<string[]>;
  ourRules(): Firewall[];
  /** Waits until the real controllers and kubelets have caught up with the last change. */
  settle(): Promise<void>;
  sync(opts?: { config?: Partial<Config>; options?: Partial<SyncOptions> }): Promise<SyncRun>;
  /** Fault-free syncs until one reports converged; throws after `max`. */
  converge(max?: number, opts?: { config?: Partial<Config> }): Promise<{ syncs: number; runs: SyncRun[] }>;
  state(): Promise<WorldState>;
  foreign(): Promise<ForeignBaseline>;
  /** I1–I5 (I1 by one more sync; I3 against `foreign` when given). */
  violations(foreign?: ForeignBaseline, opts?: { config?: Partial<Config> }): Promise<Violation[]>;
  assertInvariants(foreign?: ForeignBaseline, opts?: { config?: Partial<Config> }): Promise<void>;
}

export function portsOf(input: ServiceInput): { name: string; port: number; protocol: Protocol; targetPort: number }[] {
  return (input.ports ?? [80]).map((p) => {
    const o = typeof p === 'number' ? { port: p } : p;
    const protocol = o.protocol ?? 'TCP';
    return { name: o.name ?? `${protocol.toLowerCase()}-${o.port}`, port: o.port, protocol, targetPort: o.port };
  });
}

export function serviceSpec(input: ServiceInput): Record<string, unknown> {
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
  return spec;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries a read-modify-write against the real server until no conflict (another writer). */
async function onConflictRetry(fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fn();
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409) || i >= 10) throw err;
    }
  }
}

// ---- one control plane per test file --------------------------------------------------------

let shared: Promise<RealWorld> | undefined;
let worlds = 0;
// Registered when the test file loads this module, so it is the file's hook, not a test's.
after(async () => {
  if (shared) await (await shared).close();
});

function controlPlane(): Promise<RealWorld> {
  shared ??= startRealWorld();
  return shared;
}

/** The suite's waits: the real controllers on a busy machine, polled often. */
const settleWait = <T>(what: string | (() => string), check: () => Promise<T | undefined | false>) => waitFor(what, check, 90_000, 150);

/** Back to an empty world: no nodes, no Services but the API server's own, no DaemonSets,
 *  pods or Events in the namespaces tests use, no firewall rules, no faults, no calls. */
async function reset(rw: RealWorld): Promise<void> {
  const { gke } = rw;
  const admin = gke.admin;
  gke.faults.clear();
  const namespaces = (await admin.list('/api/v1/namespaces')).items.map((n) => n.metadata.name).filter((n) => !SYSTEM_NAMESPACES.has(n));
  for (const svc of (await admin.list('/api/v1/services')).items) {
    const { namespace = '', name } = svc.metadata;
    if (SYSTEM_NAMESPACES.has(namespace) || (namespace === 'default' && name === 'kubernetes')) continue;
    const path = `/api/v1/namespaces/${namespace}/services/${name}`;
    if ((svc.metadata as { finalizers?: string[] }).finalizers?.length) await admin.mergePatch(path, { metadata: { finalizers: null } });
    await admin.delete(path);
  }
  for (const ds of (await admin.list('/apis/apps/v1/daemonsets')).items) {
    if (SYSTEM_NAMESPACES.has(ds.metadata.namespace ?? '')) continue;
    await admin.delete(`/apis/apps/v1/namespaces/${ds.metadata.namespace}/daemonsets/${ds.metadata.name}`, { propagationPolicy: 'Background' });
  }
  // Pods go at once (grace 0): a node about to be deleted has no kubelet left to finish them.
  for (const ns of namespaces) {
    for (const pod of (await admin.list(`/api/v1/namespaces/${ns}/pods`)).items) await admin.delete(`/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, { gracePeriodSeconds: 0 });
    await admin.delete(`/api/v1/namespaces/${ns}/events`);
  }
  for (const node of (await admin.list('/api/v1/nodes')).items) {
    if ((node.metadata as { finalizers?: string[] }).finalizers?.length) await admin.mergePatch(`/api/v1/nodes/${node.metadata.name}`, { metadata: { finalizers: null } });
    await gke.removeNode(node.metadata.name);
  }
  for (const inst of gke.gce.listInstances()) {
    const zone = /\/zones\/([^/]+)$/.exec(inst.zone ?? '')?.[1] ?? '';
    gke.gce.removeInstance({ project: gke.project, zone, name: inst.name ?? '' });
  }
  for (const r of gke.gce.listFirewalls()) gke.gce.deleteFirewall(r.name ?? '', /\/projects\/([^/]+)\//.exec(r.selfLink ?? '')?.[1]);
  await settleWait('an empty world', async () => {
    const [nodes, dss, pods] = await Promise.all(['/api/v1/nodes', '/apis/apps/v1/namespaces/nodelb-system/daemonsets', '/api/v1/namespaces/nodelb-system/pods'].map((p) => admin.list(p)));
    if ((pods?.items ?? []).length > 0) for (const p of pods?.items ?? []) await admin.delete(`/api/v1/namespaces/nodelb-system/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 });
    return nodes?.items.length === 0 && dss?.items.length === 0 && pods?.items.length === 0;
  });
  gke.faults.resetCalls();
}

// ---- a world ---------------------------------------------------------------------------------

export async function startFaultWorld(opts: WorldOptions = {}): Promise<FaultWorld> {
  const real = await controlPlane();
  await reset(real);
  const gke = real.gke;
  const admin = gke.admin;
  worlds++;
  // The function's settings (a settle time long enough for the real DaemonSet controller,
  // scheduler and kubelets on a busy machine), then the scenario's.
  const { NODELB_LOG_LEVEL: _, ...env } = functionEnv(gke);
  const config = parseConfig({ ...env, ...opts.env });
  const mode = opts.mode ?? 'gke';
  const zone = `${gke.location}-a`;
  let nodeCounter = 0;
  let started = false; // once the world is built, changes wait for the controllers
  let tallied = 0; // calls already counted by the tally (concurrent syncs share the log)
  let crashCounted = false;
  const svcPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/services${name ? `/${name}` : ''}`;
  const ensureNamespace = real.ensureNamespace;

  /** What the controllers' work shows: a change here means they are still at it. */
  let unsettled = ''; // why the last look was not settled, for the timeout message
  const controllerView = async (): Promise<string | undefined> => {
    await gke.kubelets.idle();
    const [dss, pods, slices] = await Promise.all([
      admin.list(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets`),
      admin.list(`/api/v1/pods`),
      admin.list('/apis/discovery.k8s.io/v1/endpointslices'),
    ]);
    const live = (pods?.items ?? []).filter((p) => !SYSTEM_NAMESPACES.has(p.metadata.namespace ?? ''));
    for (const ds of dss?.items ?? []) {
      unsettled = `DaemonSet ${ds.metadata.name}: generation ${ds.metadata.generation}, status ${JSON.stringify(ds.status)}`;
      if (ds.status?.observedGeneration !== ds.metadata.generation) return undefined;
      const own = live.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid) && !p.metadata.deletionTimestamp);
      unsettled += `; ${own.filter(isReady).length} of its ${own.length} pods Ready`;
      // Pods on nodes the DaemonSet no longer wants (a NoSchedule taint) count as misscheduled,
      // not Ready: every pod is counted once, and no more are Ready by status than by pods.
      const counted = (ds.status?.currentNumberScheduled ?? 0) + (ds.status?.numberMisscheduled ?? 0);
      if (counted !== own.length || (ds.status?.numberReady ?? 0) > own.filter(isReady).length) return undefined;
    }
    unsettled = 'still changing';
    return JSON.stringify([
      (dss?.items ?? []).map((d) => [d.metadata.name, d.metadata.generation, d.status]),
      live.map((p) => [p.metadata.name, p.spec?.nodeName, p.status?.phase, isReady(p), p.metadata.deletionTimestamp]),
      (slices?.items ?? []).map((s) => [s.metadata.name, s.endpoints]),
    ]);
  };

  const w: FaultWorld = {
    gke,
    real,
    config,
    nodes: [],
    async addNode(input = {}) {
      const i = nodeCounter++;
      const name = input.name ?? `node-${i}`;
      await gke.addNode({ zone, externalIP: externalIPFor(i), ...input, name });
      w.nodes.push(name);
      if (started) await w.settle();
      return name;
    },
    async removeNode(name) {
      await gke.removeNode(name);
      w.nodes = w.nodes.filter((n) => n !== name);
      await w.settle();
    },
    async addService(input) {
      const namespace = input.namespace ?? 'default';
      await ensureNamespace(namespace);
      return admin.post(svcPath(namespace), {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace, name: input.name, ...(input.annotations ? { annotations: input.annotations } : {}) },
        spec: serviceSpec(input),
      });
    },
    service: (name, namespace = 'default') => admin.find(svcPath(namespace, name)),
    updateService: (namespace, name, edit) =>
      onConflictRetry(async () => {
        const svc = await admin.get(svcPath(namespace, name));
        edit(svc);
        await admin.put(svcPath(namespace, name), svc);
      }),
    deleteService: (namespace, name) => admin.delete(svcPath(namespace, name)),
    async updateNode(name, change) {
      if (change.ready !== undefined) await gke.kubelets.setReady(name, change.ready);
      if (change.unschedulable !== undefined) await admin.mergePatch(`/api/v1/nodes/${name}`, { spec: { unschedulable: change.unschedulable } });
      if (change.taints !== undefined) await admin.mergePatch(`/api/v1/nodes/${name}`, { spec: { taints: change.taints } });
      if (change.deleting) {
        // A Node being deleted: a finalizer (as a cloud controller's) holds it with a deletionTimestamp.
        await admin.mergePatch(`/api/v1/nodes/${name}`, { metadata: { finalizers: ['nodelb.test/hold'] } });
        await admin.delete(`/api/v1/nodes/${name}`);
      }
      await w.settle();
    },
    setExternalIP: (name, ip, o) => gke.setExternalIP(name, ip, o),
    async setPodReady(daemonSet, node, ready) {
      await gke.kubelets.holdPods(node, daemonSet, ready === false ? 'not-ready' : undefined);
      await w.settle();
    },
    async setEndpoints(namespace, service, endpoints) {
      await ensureNamespace(namespace);
      const pods = (await admin.list(`/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${service}`)).items;
      const wanted = new Map(endpoints.map((e) => [`${service}-${e.nodeName}`, e]));
      for (const p of pods) if (!wanted.has(p.metadata.name)) await admin.delete(`/api/v1/namespaces/${namespace}/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 });
      for (const [podName, e] of wanted) {
        await gke.kubelets.holdPods(e.nodeName, podName, e.ready === false ? 'not-ready' : undefined);
        if (pods.some((p) => p.metadata.name === podName)) continue;
        await admin.post(`/api/v1/namespaces/${namespace}/pods`, {
          metadata: { name: podName, namespace, labels: { app: service } },
          spec: {
            // Required node affinity, so the real scheduler places it (as a Deployment's pod would be).
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [e.nodeName] }] }] } } },
            tolerations: [{ operator: 'Exists' }],
            containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
          },
        });
      }
      await w.settle();
    },
    editDaemonSet: (name, edit) =>
      onConflictRetry(async () => {
        const path = `/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets/${name}`;
        const ds = await admin.get(path);
        edit(ds);
        await admin.put(path, ds);
      }),
    writeStatus: (name, status, namespace = 'default') =>
      onConflictRetry(async () => {
        const svc = await admin.get(svcPath(namespace, name));
        await admin.put(`${svcPath(namespace, name)}/status`, { ...svc, status: { ...(svc.status as object), ...status } });
      }),
    async ingress(name, namespace = 'default') {
      const svc = await w.service(name, namespace);
      return ((svc?.status?.loadBalancer?.ingress ?? []) as { ip?: string }[]).map((i) => i.ip ?? '');
    },
    async condition(name, namespace = 'default') {
      const svc = await w.service(name, namespace);
      return ((svc?.status?.conditions ?? []) as { type: string; status?: string; reason?: string; message?: string }[]).find((c) => c.type === SERVING);
    },
    async events(name, namespace = 'default', type = 'Warning') {
      const uid = (await w.service(name, namespace))?.metadata.uid;
      return ((await admin.list(`/api/v1/namespaces/${namespace}/events`)).items as (KubeObject & { involvedObject?: { name?: string; uid?: string }; type?: string; reportingComponent?: string; reason?: string; message?: string })[])
        .filter((e) => e.involvedObject?.name === name && (uid === undefined || e.involvedObject.uid === uid) && e.type === type && e.reportingComponent === 'nodelb.dev/controller')
        .sort((a, b) => ((a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : 1));
    },
    ourDaemonSets: async () =>
      (await admin.list(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dnodelb`)).items
        .filter((d) => !d.metadata.deletionTimestamp)
        .map((d) => d.metadata.name)
        .sort(),
    ourRules: () =>
      gke.gce
        .listFirewalls()
        .filter((r) => isOurRule(gke.clusterUid, r))
        .sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1)),
    async settle() {
      let last: string | undefined;
      await settleWait(() => `the controllers and kubelets to catch up (${unsettled})`, async () => {
        const now = await controllerView();
        const same = now !== undefined && now === last;
        if (now !== undefined && last !== undefined && !same) {
          let i = 0;
          while (now[i] === last[i]) i++;
          unsettled = `still changing: …${now.slice(Math.max(0, i - 200), i + 100)}…`;
        }
        last = now;
        if (!same) await sleep(250);
        return same;
      });
    },
    async sync(o = {}) {
      const calls0 = gke.faults.calls.length;
      if (!gke.faults.crashed) crashCounted = false;
      const { report, log } = await real.syncLogged(mode, { trigger: 'fault-test', settlePollMs: 100, ...o.options }, { ...config, ...o.config });
      const calls = gke.faults.calls.slice(calls0);
      tally.sync();
      if (gke.faults.crashed && !crashCounted) {
        crashCounted = true; // once per crash, even when two syncs ran into it together
        tally.crash();
      }
      tally.faultsIn(gke.faults.calls.slice(Math.min(tallied, gke.faults.calls.length)));
      tallied = gke.faults.calls.length;
      const faults = calls.filter((c) => c.fault !== undefined && c.fault !== 'none').length;
      return { report, calls, writes: calls.filter((c) => c.write).length, faults, log };
    },
    async converge(max = 3, o = {}) {
      const runs: SyncRun[] = [];
      for (let i = 1; i <= max; i++) {
        const run = await w.sync(o);
        runs.push(run);
        if (!run.report.converged) continue;
        // Converged means nothing left that this run could see; proxies the real controller was
        // still starting are published by the next sync, once the world has settled.
        await w.settle();
        const check = await w.sync(o);
        runs.push(check);
        if (check.report.converged && check.report.plan.actions.length === 0) return { syncs: i, runs }; // the check is not counted
      }
      const last = runs[runs.length - 1]?.report;
      throw new Error(`not converged after ${max} fault-free syncs: ${JSON.stringify({ errors: last?.errors, notes: last?.plan.notes, failed: last?.results.filter((r) => r.outcome !== 'applied') })}`);
    },
    state: () => readWorld(gke),
    foreign: async () => captureForeign(await readWorld(gke), config),
    violations: (foreign, o = {}) => checkInvariants(() => readWorld(gke), { ...config, ...o.config }, { foreign, resync: () => w.sync(o) }),
    async assertInvariants(foreign, o = {}) {
      const vs = await w.violations(foreign, o);
      assert.equal(vs.length, 0, `invariants violated:\n${describeViolations(vs)}`);
    },
  };
  for (let i = 0; i < (opts.nodes ?? 3); i++) await w.addNode();
  await w.settle();
  started = true;
  return w;
}

/** How many worlds this file has started (one control plane serves them all). */
export const worldCount = () => worlds;

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
