// The simulated Compute Engine REST API (does I/O): `startComputeSim` serves
// http://127.0.0.1:PORT/compute/v1 for the real clients and returns an in-process control API
// for tests, the demo and the benchmarks (instances, networks, firewall seeding, operations).
import { FaultPlan } from './faults.ts';
import type { Firewall, Instance } from '../../functions/adapters/apis.ts';
import { startGoogleApiServer } from './compute/http.ts';
import { FirewallStore } from './compute/firewalls.ts';
import { InstanceStore, type InstanceRef, type InstanceSpec } from './compute/instances.ts';
import { OperationStore, type OperationJson } from './compute/operations.ts';
import { DEFAULT_ZONES, ProjectRegistry } from './compute/projects.ts';
import { isComputeWrite, routeCompute, type ComputeState } from './compute/routes.ts';

export type { InstanceRef, InstanceSpec, InstanceStatus } from './compute/instances.ts';
export type { OperationJson } from './compute/operations.ts';

export interface ComputeSimOptions {
  faults?: FaultPlan;
  /** The default project (default `sim-project`); it gets a `default` network. */
  project?: string;
  /** Zones of the default project shown by aggregatedList (default us-central1-a/b/c/f). */
  zones?: string[];
  /** Added to every request. */
  latencyMs?: number;
  /** Time from acceptance to DONE of a write's operation (default 0). */
  operationMs?: number;
  /** Longest a `wait` blocks (GCE: about 2 minutes; default here 120 000). */
  waitCapMs?: number;
  /** How long a requestId is remembered (default 60 minutes). */
  requestIdWindowMs?: number;
  /** Accepted Bearer token; any non-empty token when omitted. */
  token?: string;
  /** Operation.user (default the sim's service account). */
  user?: string;
}

export interface ComputeSimControl {
  readonly project: string;
  readonly faults: FaultPlan;
  // projects, networks, zones
  addProject(project: string, opts?: { defaultNetwork?: boolean; zones?: string[] }): void;
  addNetwork(project: string, name: string): void;
  removeNetwork(project: string, name: string): boolean;
  networks(project?: string): string[];
  addZone(zone: string, project?: string): void;
  // instances
  putInstance(spec: InstanceSpec): Instance;
  updateInstance(ref: InstanceRef, patch: Partial<Omit<InstanceSpec, 'project' | 'zone' | 'name'>>): Instance;
  removeInstance(ref: InstanceRef): boolean;
  setNatIP(ref: InstanceRef, natIP: string | undefined): Instance;
  removeAccessConfig(ref: InstanceRef): Instance;
  setExternalIpv6(ref: InstanceRef, externalIpv6: string | undefined): Instance;
  stopInstance(ref: InstanceRef): Instance;
  startInstance(ref: InstanceRef, addrs?: { natIP?: string; externalIpv6?: string }): Instance;
  getInstance(ref: InstanceRef): Instance | undefined;
  listInstances(project?: string): Instance[]; // all projects when omitted
  // firewalls (no operation, no faults: seeding and drift)
  putFirewall(rule: Firewall, opts?: { project?: string; validate?: boolean }): Firewall;
  getFirewall(name: string, project?: string): Firewall | undefined;
  listFirewalls(project?: string): Firewall[]; // all projects when omitted
  deleteFirewall(name: string, project?: string): boolean;
  // operations
  operations(project?: string): OperationJson[];
  /** The next n `wait` calls on a running operation answer at once (GCE may return early). */
  returnWaitEarly(n: number): void;
  /** Resolves when every accepted operation is DONE. */
  settle(): Promise<void>;
  /** Completes every pending operation now (tests that use a long operationMs). */
  finishPendingOperations(): void;
}

export interface ComputeSim {
  /** Base URL for NODELB_COMPUTE_ENDPOINT, e.g. http://127.0.0.1:41234/compute/v1 */
  endpoint: string;
  port: number;
  control: ComputeSimControl;
  close(): Promise<void>;
}

export async function startComputeSim(opts: ComputeSimOptions = {}): Promise<ComputeSim> {
  const project = opts.project ?? 'sim-project';
  const faults = opts.faults ?? new FaultPlan();
  const projects = new ProjectRegistry();
  projects.addProject(project, { defaultNetwork: true, zones: opts.zones ?? DEFAULT_ZONES });
  const operations = new OperationStore({
    operationMs: opts.operationMs ?? 0,
    waitCapMs: opts.waitCapMs ?? 120_000,
    requestIdWindowMs: opts.requestIdWindowMs ?? 60 * 60_000,
    user: opts.user ?? `nodelb@${project}.iam.gserviceaccount.com`,
  });
  const state: ComputeState = {
    projects,
    instances: new InstanceStore(projects, project),
    firewalls: new FirewallStore(projects, operations),
    operations,
  };

  const server = await startGoogleApiServer({
    api: 'compute',
    faults,
    latencyMs: opts.latencyMs ?? 0,
    token: opts.token,
    errorsWithStatus: false,
    isWrite: isComputeWrite,
    handle: (req, fault) => routeCompute(state, req, fault),
  });

  const control: ComputeSimControl = {
    project,
    faults,
    addProject: (p, o) => projects.addProject(p, o),
    addNetwork: (p, n) => projects.addNetwork(p, n),
    removeNetwork: (p, n) => projects.removeNetwork(p, n),
    networks: (p) => projects.networks(p ?? project),
    addZone: (z, p) => projects.addZone(p ?? project, z),
    putInstance: (spec) => state.instances.put(spec),
    updateInstance: (ref, patch) => state.instances.update(ref, patch),
    removeInstance: (ref) => state.instances.remove(ref),
    setNatIP: (ref, ip) => state.instances.setNatIP(ref, ip),
    removeAccessConfig: (ref) => state.instances.removeAccessConfig(ref),
    setExternalIpv6: (ref, ip) => state.instances.setExternalIpv6(ref, ip),
    stopInstance: (ref) => state.instances.stop(ref),
    startInstance: (ref, addrs) => state.instances.start(ref, addrs),
    getInstance: (ref) => state.instances.get(ref),
    listInstances: (p) => state.instances.list(p),
    putFirewall: (rule, o = {}) => state.firewalls.put(o.project ?? project, rule, { validate: o.validate }),
    getFirewall: (name, p) => state.firewalls.get(p ?? project, name),
    listFirewalls: (p) => state.firewalls.list(p),
    deleteFirewall: (name, p) => state.firewalls.remove(p ?? project, name),
    operations: (p) => operations.list(p),
    returnWaitEarly: (n) => operations.returnWaitEarly(n),
    settle: () => operations.settle(),
    finishPendingOperations: () => operations.finishPending(),
  };

  return {
    endpoint: `http://127.0.0.1:${server.port}/compute/v1`,
    port: server.port,
    control,
    close: async () => {
      operations.close();
      await server.close();
    },
  };
}
