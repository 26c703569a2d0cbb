// Fake kubelets for GKE-like nodes (does I/O): registers Nodes and keeps each one's Lease
// renewed, runs the pods the real scheduler binds to them (Running, Ready, pod and host IPs),
// deletes terminating pods, and lets a test hold a node or some of its pods not Ready.
import { KubeApiError, type KubeHttp, type KubeObject, type WatchEvent } from './kube_http.ts';
import { podStatusFor, samePodStatus, type PodHold } from './pod_status.ts';

/** Nodes carrying this annotation are run by a fake kubelet. */
export const MANAGED_ANNOTATION = 'fake-kubelet.nodelb.test/managed';
/** Comma-separated pod-name prefixes (a DaemonSet's name) whose pods on this node stay not Ready. */
export const HOLD_NOT_READY_ANNOTATION = 'fake-kubelet.nodelb.test/pods-not-ready';
/** Same, for pods whose container keeps crashing (CrashLoopBackOff). */
export const HOLD_CRASHING_ANNOTATION = 'fake-kubelet.nodelb.test/pods-crashing';
export const KUBELET_VERSION = 'v1.36.3';

export interface FakeNodeSpec {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  providerID?: string;
  internalIP: string;
  internalIPv6?: string;
  externalIP?: string;
  externalIPv6?: string;
  /** IPv4 first, then IPv6, as GKE's dual-stack nodes. */
  podCIDRs: string[];
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  /** Posted Ready condition (default true). */
  ready?: boolean;
}

interface NodeState {
  spec: FakeNodeSpec;
  ready: boolean;
  nextPodIP: number;
}

const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
function microNow(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

function nodeAddresses(spec: FakeNodeSpec): { type: string; address: string }[] {
  const out = [{ type: 'InternalIP', address: spec.internalIP }];
  if (spec.internalIPv6) out.push({ type: 'InternalIP', address: spec.internalIPv6 });
  if (spec.externalIP) out.push({ type: 'ExternalIP', address: spec.externalIP });
  if (spec.externalIPv6) out.push({ type: 'ExternalIP', address: spec.externalIPv6 });
  out.push({ type: 'Hostname', address: spec.name });
  return out;
}

function nodeConditions(ready: boolean): object[] {
  const t = now();
  const ok = (type: string, reason: string) => ({ type, status: 'False', reason, message: `kubelet has no ${type}`, lastHeartbeatTime: t, lastTransitionTime: t });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure'),
    ok('PIDPressure', 'KubeletHasSufficientPID'),
    {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: ready ? 'KubeletReady' : 'KubeletNotReady',
      message: ready ? 'kubelet is posting ready status' : 'container runtime is down (held by the test)',
      lastHeartbeatTime: t,
      lastTransitionTime: t,
    },
  ];
}

/** Static node status as a GKE e2-medium node reports it (what the scheduler needs: pods, cpu, memory). */
function nodeStatus(spec: FakeNodeSpec, ready: boolean): object {
  const capacity = { cpu: '2', memory: '4025932Ki', pods: '110', 'ephemeral-storage': '98831908Ki', 'hugepages-2Mi': '0' };
  return {
    conditions: nodeConditions(ready),
    addresses: nodeAddresses(spec),
    capacity,
    allocatable: { ...capacity, cpu: '940m', memory: '2869836Ki', 'ephemeral-storage': '47060071478' },
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: spec.name,
      systemUUID: spec.name,
      bootID: spec.name,
      kernelVersion: '6.6.56+',
      osImage: 'Container-Optimized OS from Google',
      containerRuntimeVersion: 'containerd://2.0.4',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

export class FakeKubelets {
  private readonly api: KubeHttp;
  private readonly nodes = new Map<string, NodeState>();
  private readonly pods = new Map<string, KubeObject>(); // by namespace/name, as last seen
  private readonly nodeObjects = new Map<string, KubeObject>();
  private readonly dirty = new Set<string>();
  private readonly abort = new AbortController();
  private renewTimer: NodeJS.Timeout | undefined;
  private working = false;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  /** Errors the kubelets met (a test asserts this stays empty). */
  readonly errors: string[] = [];

  constructor(api: KubeHttp) {
    this.api = api;
  }

  async start(): Promise<void> {
    this.loops.push(this.informer('/api/v1/pods?fieldSelector=spec.nodeName%21%3D', (e) => this.onPod(e)));
    this.loops.push(this.informer('/api/v1/nodes', (e) => this.onNode(e)));
    this.renewTimer = setInterval(() => void this.renewLeases(), RENEW_MS);
  }

  /** Registers a Node as a kubelet does (object, then status and Lease) and starts running its pods. */
  async addNode(spec: FakeNodeSpec): Promise<void> {
    const ready = spec.ready ?? true;
    this.nodes.set(spec.name, { spec, ready, nextPodIP: 2 });
    const node = await this.api.post('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: spec.name,
        labels: { 'kubernetes.io/hostname': spec.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...spec.labels },
        annotations: { [MANAGED_ANNOTATION]: 'true', 'node.alpha.kubernetes.io/ttl': '0', ...spec.annotations },
      },
      spec: {
        providerID: spec.providerID,
        podCIDR: spec.podCIDRs[0],
        podCIDRs: spec.podCIDRs,
        taints: spec.taints,
        unschedulable: spec.unschedulable,
      },
    });
    await this.api.strategicPatch(`/api/v1/nodes/${spec.name}/status`, { status: nodeStatus(spec, ready) });
    await this.renewLease(spec.name, node.metadata.uid ?? '');
  }

  /** Posts Ready=True or Ready=False, as a kubelet whose runtime comes back or goes down. */
  async setReady(name: string, ready: boolean): Promise<void> {
    const state = this.require(name);
    state.ready = ready;
    await this.api.strategicPatch(`/api/v1/nodes/${name}/status`, { status: { conditions: nodeConditions(ready) } });
    this.requeueNode(name);
  }

  /** Changes the addresses the kubelet reports (GKE's Node lags GCE; a test chooses when). */
  async setAddresses(name: string, change: { externalIP?: string | undefined; externalIPv6?: string | undefined }): Promise<void> {
    const state = this.require(name);
    state.spec = { ...state.spec, ...change };
    await this.api.mergePatch(`/api/v1/nodes/${name}/status`, { status: { addresses: nodeAddresses(state.spec) } });
  }

  /** Holds the pods named with `prefix` on `node` in a state (or releases them with undefined). */
  async holdPods(node: string, prefix: string, hold: PodHold | undefined): Promise<void> {
    const current: KubeObject = this.nodeObjects.get(node) ?? (await this.api.get(`/api/v1/nodes/${node}`));
    const annotations = current.metadata.annotations ?? {};
    const patch: Record<string, string | null> = {};
    for (const [kind, key] of [['not-ready', HOLD_NOT_READY_ANNOTATION], ['crashing', HOLD_CRASHING_ANNOTATION]] as const) {
      const list = new Set((annotations[key] ?? '').split(',').filter(Boolean));
      if (hold === kind) list.add(prefix);
      else list.delete(prefix);
      patch[key] = list.size ? [...list].join(',') : null;
    }
    await this.api.mergePatch(`/api/v1/nodes/${node}`, { metadata: { annotations: patch } });
  }

  /** Stops running a node: its Lease is no longer renewed; the Node object is deleted. */
  async removeNode(name: string): Promise<void> {
    this.nodes.delete(name);
    await this.api.delete(`/api/v1/nodes/${name}`);
  }

  /** Resolves when every pod change seen so far has been handled. */
  async idle(): Promise<void> {
    while (this.dirty.size > 0 || this.working) await new Promise((r) => setTimeout(r, 20));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private require(name: string): NodeState {
    const state = this.nodes.get(name);
    if (!state) throw new Error(`fake kubelet: node ${name} is not one of ours`);
    return state;
  }

  /** List, then watch from the list's resourceVersion; relist when the server says it is too old. */
  private async informer(path: string, handle: (e: WatchEvent) => void): Promise<void> {
    while (!this.stopped) {
      try {
        const list = await this.api.list(path);
        for (const item of list.items) handle({ type: 'ADDED', object: item });
        let rv = list.metadata.resourceVersion;
        while (!this.stopped) rv = await this.api.watch(path, rv, handle, this.abort.signal);
      } catch (err) {
        if (this.stopped) return;
        if (!(err instanceof KubeApiError && err.status === 410)) this.errors.push(`watch ${path}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private onNode(e: WatchEvent): void {
    const name = e.object.metadata.name;
    if (e.type === 'DELETED') this.nodeObjects.delete(name);
    else this.nodeObjects.set(name, e.object);
    this.requeueNode(name);
  }

  private requeueNode(name: string): void {
    for (const [key, pod] of this.pods) if (pod.spec?.nodeName === name) this.dirty.add(key);
    void this.work();
  }

  private onPod(e: WatchEvent): void {
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    if (e.type === 'DELETED') this.pods.delete(key);
    else {
      this.pods.set(key, e.object);
      this.dirty.add(key);
    }
    void this.work();
  }

  private holdOf(pod: KubeObject, node: KubeObject | undefined): PodHold | undefined {
    const annotations = node?.metadata.annotations ?? {};
    const matches = (key: string) => (annotations[key] ?? '').split(',').some((p) => p && pod.metadata.name.startsWith(p));
    if (matches(HOLD_CRASHING_ANNOTATION)) return 'crashing';
    if (matches(HOLD_NOT_READY_ANNOTATION)) return 'not-ready';
    return undefined;
  }

  private async work(): Promise<void> {
    if (this.working || this.stopped) return;
    this.working = true;
    try {
      while (this.dirty.size > 0 && !this.stopped) {
        const batch = [...this.dirty];
        this.dirty.clear();
        await Promise.all(batch.map((key) => this.syncPod(key)));
      }
    } finally {
      this.working = false;
    }
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    const state = this.nodes.get(pod.spec?.nodeName ?? '');
    if (!state) return; // not bound to a node this kubelet runs
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
    try {
      if (pod.metadata.deletionTimestamp) {
        // A real kubelet stops the containers, then deletes with grace 0; without this the pod
        // stays Terminating and DaemonSet rollouts stall.
        await this.api.delete(path, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
        return;
      }
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return;
      const desired = podStatusFor(pod, state.spec, state.ready, this.holdOf(pod, this.nodeObjects.get(state.spec.name)), () => state.nextPodIP++);
      if (samePodStatus(pod.status, desired)) return;
      await this.api.mergePatch(`${path}/status`, { status: desired });
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 404 || err.status === 409)) return; // gone, or changed: the watch brings the new one
      this.errors.push(`pod ${key}: ${(err as Error).message}`);
    }
  }

  private async renewLeases(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((name) => this.renewLease(name, this.nodeObjects.get(name)?.metadata.uid ?? '')));
  }

  /** The node heartbeat since Kubernetes 1.17: a Lease in kube-node-lease, renewed every 10 s. */
  private async renewLease(name: string, nodeUid: string): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microNow() };
    try {
      const existing = await this.api.find(path);
      if (existing) await this.api.mergePatch(path, { spec: { renewTime: spec.renewTime } });
      else
        await this.api.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease', ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] } : {}) },
          spec,
        });
    } catch (err) {
      if (!this.stopped && this.nodes.has(name)) this.errors.push(`lease ${name}: ${(err as Error).message}`);
    }
  }
}
