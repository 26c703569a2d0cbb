// Stand-in for the DaemonSet controller plus the scheduler's host-port check, run synchronously
// after every write that can change its outcome: one pod per eligible node, Pending where an
// older pod (or a foreign reservation) holds the host port, readiness from the node and test
// overrides, and the DaemonSet's status. Pods are slots (pod_slots.ts), never objects.
import { HAS_POD, PodSlots, READY, SCHEDULED, STARTED, WANTED } from './pod_slots.ts';
import { matchesNodeSelector, matchesNodeSelectorTerms, toleratesTaints, withDaemonTolerations } from './scheduling.ts';
import type { WireDaemonSet, WireNode, WireNodeSelectorTerm, WirePodTemplate, WireTaint, WireToleration } from './types.ts';

export interface NodeState {
  name: string;
  idx: number;
  labels: Record<string, string>;
  taints: WireTaint[];
  ready: boolean;
  hostIPs: string[]; // InternalIPs, IPv4 first
}

export interface DaemonSetState {
  key: string; // namespace/name
  namespace: string;
  name: string;
  uid: string;
  createdMs: number;
  generation: number;
  templateGeneration: number;
  denseIdx: number; // small number used for pod IPs
  template: WirePodTemplate;
  nodeSelector: Record<string, string> | undefined;
  affinityTerms: WireNodeSelectorTerm[] | undefined;
  tolerations: WireToleration[];
  ports: string[]; // "TCP/80" for every hostPort
  hostNetwork: boolean;
  slots: PodSlots;
  lastStatus: string;
  /** Rendering caches owned by pods.ts; dropped when the template changes. */
  render: unknown;
}

export interface ControllerHooks {
  nextRv(): number;
  now(): number;
  writeStatus(key: string, status: Record<string, number>): void;
}

function byOrder(a: DaemonSetState, b: DaemonSetState): number {
  return a.createdMs - b.createdMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function hostPortsOf(template: WirePodTemplate): string[] {
  const ports: string[] = [];
  for (const c of template.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.hostPort) ports.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
  }
  return ports;
}

export function parseNode(node: WireNode, idx: number): NodeState {
  const addrs = node.status?.addresses ?? [];
  const internal = addrs.filter((a) => a.type === 'InternalIP').map((a) => a.address);
  internal.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
  const readyCond = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return {
    name: node.metadata.name ?? '',
    idx,
    labels: node.metadata.labels ?? {},
    taints: node.spec?.taints ?? [],
    ready: readyCond?.status === 'True',
    hostIPs: internal,
  };
}

export class DaemonSetController {
  readonly nodes = new Map<string, NodeState>();
  readonly nodeByIdx: (NodeState | undefined)[] = [];
  readonly sets = new Map<string, DaemonSetState>();
  /** Per namespace, sorted by name (pod list order). */
  readonly byNamespace = new Map<string, DaemonSetState[]>();
  private ordered: DaemonSetState[] = [];
  private readonly portIndex = new Map<string, Set<DaemonSetState>>();
  private readonly foreign = new Map<string, Set<string>>();
  private readonly overrides = new Map<string, boolean>();
  private readonly freeIdx: number[] = [];
  private readonly freeDense: number[] = [];
  private nextDense = 0;
  private seq = 0;
  private readonly touched = new Set<DaemonSetState>();
  readonly salt: number;
  private readonly hooks: ControllerHooks;

  constructor(hooks: ControllerHooks, salt: number) {
    this.hooks = hooks;
    this.salt = salt >>> 0;
  }

  get capacity(): number {
    return this.nodeByIdx.length;
  }

  // ---- nodes -------------------------------------------------------------------------------

  upsertNode(node: WireNode): void {
    const name = node.metadata.name ?? '';
    const existing = this.nodes.get(name);
    let idx: number;
    if (existing) idx = existing.idx;
    else idx = this.freeIdx.pop() ?? this.nodeByIdx.length;
    const state = parseNode(node, idx);
    this.nodes.set(name, state);
    this.nodeByIdx[idx] = state;
    this.reconcileNode(state);
    this.flushStatus();
  }

  removeNode(name: string): void {
    const state = this.nodes.get(name);
    if (!state) return;
    for (const ds of this.ordered) this.clearSlot(ds, state.idx);
    this.nodes.delete(name);
    this.nodeByIdx[state.idx] = undefined;
    this.freeIdx.push(state.idx);
    this.flushStatus();
  }

  setForeignPorts(nodeName: string, ports: { port: number; protocol?: string }[]): void {
    const keys = new Set(ports.map((p) => `${p.protocol ?? 'TCP'}/${p.port}`));
    if (keys.size === 0) this.foreign.delete(nodeName);
    else this.foreign.set(nodeName, keys);
    const node = this.nodes.get(nodeName);
    if (node) {
      this.reconcileNode(node);
      this.flushStatus();
    }
  }

  foreignPorts(nodeName: string): string[] {
    return [...(this.foreign.get(nodeName) ?? [])];
  }

  // ---- daemonsets --------------------------------------------------------------------------

  upsertDaemonSet(obj: WireDaemonSet): void {
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const key = `${namespace}/${name}`;
    const template = obj.spec?.template ?? {};
    const templateGeneration = Number(obj.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? '1');
    const hostNetwork = template.spec?.hostNetwork === true;
    const prev = this.sets.get(key);
    const oldPorts = prev?.ports ?? [];
    const ds: DaemonSetState = prev ?? {
      key,
      namespace,
      name,
      uid: obj.metadata.uid ?? '',
      createdMs: Date.parse(obj.metadata.creationTimestamp ?? '') || this.hooks.now(),
      generation: 0,
      templateGeneration: 0,
      denseIdx: this.freeDense.pop() ?? this.nextDense++,
      template,
      nodeSelector: undefined,
      affinityTerms: undefined,
      tolerations: [],
      ports: [],
      hostNetwork,
      slots: new PodSlots(),
      lastStatus: '',
      render: undefined,
    };
    const templateChanged = prev !== undefined && prev.templateGeneration !== templateGeneration;
    ds.generation = obj.metadata.generation ?? 1;
    ds.templateGeneration = templateGeneration;
    ds.template = template;
    ds.hostNetwork = hostNetwork;
    ds.nodeSelector = template.spec?.nodeSelector;
    ds.affinityTerms = template.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    ds.tolerations = withDaemonTolerations(template.spec?.tolerations, hostNetwork);
    ds.render = undefined;
    if (!prev) {
      this.sets.set(key, ds);
      const list = this.byNamespace.get(namespace) ?? [];
      list.push(ds);
      list.sort((a, b) => (a.name + '-' < b.name + '-' ? -1 : 1));
      this.byNamespace.set(namespace, list);
      this.ordered.push(ds);
      this.ordered.sort(byOrder);
    }
    this.reindexPorts(ds, hostPortsOf(template));
    ds.slots.ensure(this.capacity);
    if (templateChanged) this.replaceAllPods(ds);
    for (const node of this.nodes.values()) this.place(ds, node);
    this.reassignPorts([ds], oldPorts);
    this.touched.add(ds);
    this.flushStatus();
  }

  removeDaemonSet(key: string): void {
    const ds = this.sets.get(key);
    if (!ds) return;
    for (let idx = 0; idx < ds.slots.flags.length; idx++) this.clearSlot(ds, idx);
    this.touched.delete(ds);
    this.sets.delete(key);
    const list = (this.byNamespace.get(ds.namespace) ?? []).filter((d) => d !== ds);
    if (list.length === 0) this.byNamespace.delete(ds.namespace);
    else this.byNamespace.set(ds.namespace, list);
    this.ordered = this.ordered.filter((d) => d !== ds);
    const oldPorts = ds.ports;
    this.reindexPorts(ds, []);
    this.freeDense.push(ds.denseIdx);
    for (const k of [...this.overrides.keys()]) if (k.startsWith(`${key}\n`)) this.overrides.delete(k);
    this.reassignPorts([], oldPorts);
    this.flushStatus();
  }

  /** Readiness override for the pod a DaemonSet runs on a node (undefined clears it). */
  setPodReady(dsKey: string, nodeName: string, ready: boolean | undefined): void {
    const k = `${dsKey}\n${nodeName}`;
    if (ready === undefined) this.overrides.delete(k);
    else this.overrides.set(k, ready);
    const ds = this.sets.get(dsKey);
    const node = this.nodes.get(nodeName);
    if (ds && node && ds.slots.has(node.idx)) {
      this.applyFlags(ds, node, ((ds.slots.flags[node.idx] ?? 0) & SCHEDULED) !== 0);
      this.flushStatus();
    }
  }

  /** A deleted daemon pod is recreated at once under a new name, as the controller would. */
  recreatePod(ds: DaemonSetState, idx: number): void {
    const node = this.nodeByIdx[idx];
    if (!node || !ds.slots.has(idx)) return;
    this.hooks.nextRv();
    ds.slots.setSeq(idx, ++this.seq);
    ds.slots.created[idx] = this.hooks.now();
    ds.slots.setFlags(idx, (ds.slots.flags[idx] ?? 0) & ~STARTED & ~READY);
    this.applyFlags(ds, node, ((ds.slots.flags[idx] ?? 0) & SCHEDULED) !== 0, true);
    this.touched.add(ds);
    this.flushStatus();
  }

  /** Rewrites a DaemonSet's status if a client changed it through /status. */
  refreshStatus(key: string): void {
    const ds = this.sets.get(key);
    if (!ds) return;
    ds.lastStatus = '';
    this.touched.add(ds);
    this.flushStatus();
  }

  /** As updateDaemonSetStatus counts: only nodes that should run the pod are desired; a pod
   *  kept on a node that should not get a new one (NotReady) is misscheduled. */
  statusOf(ds: DaemonSetState): Record<string, number> {
    const s = ds.slots;
    const status: Record<string, number> = {
      currentNumberScheduled: s.wanted,
      numberMisscheduled: s.pods - s.wanted,
      desiredNumberScheduled: s.wanted,
      numberReady: s.readyWanted,
      observedGeneration: ds.generation,
      updatedNumberScheduled: s.wanted,
      numberAvailable: s.readyWanted,
    };
    if (s.wanted - s.readyWanted > 0) status.numberUnavailable = s.wanted - s.readyWanted;
    return status;
  }

  // ---- internals ---------------------------------------------------------------------------

  /** NodeShouldRunDaemonPod: 'run' (should run, create if missing), 'keep' (an existing pod may
   *  stay: only NoSchedule taints are untolerated, as on a NotReady node), or 'none'. */
  private placement(ds: DaemonSetState, node: NodeState): 'run' | 'keep' | 'none' {
    if (!matchesNodeSelector(ds.nodeSelector, node.labels)) return 'none';
    if (ds.affinityTerms !== undefined && !matchesNodeSelectorTerms(ds.affinityTerms, node.name, node.labels)) return 'none';
    if (node.taints.length === 0 || toleratesTaints(ds.tolerations, node.taints)) return 'run';
    return toleratesTaints(ds.tolerations, node.taints, true) ? 'keep' : 'none';
  }

  private place(ds: DaemonSetState, node: NodeState): void {
    const p = this.placement(ds, node);
    if (p === 'run') this.ensureSlot(ds, node.idx);
    if (p === 'none' || !ds.slots.has(node.idx)) {
      this.clearSlot(ds, node.idx);
      return;
    }
    const flags = ds.slots.flags[node.idx] ?? 0;
    const next = p === 'run' ? flags | WANTED : flags & ~WANTED;
    if (next !== flags) {
      ds.slots.setFlags(node.idx, next);
      this.touched.add(ds);
    }
  }

  private reindexPorts(ds: DaemonSetState, ports: string[]): void {
    for (const p of ds.ports) this.portIndex.get(p)?.delete(ds);
    ds.ports = ports;
    for (const p of ports) {
      let set = this.portIndex.get(p);
      if (!set) this.portIndex.set(p, (set = new Set()));
      set.add(ds);
    }
  }

  /** DaemonSets that compete, directly or through others, for the given ports. */
  private component(seeds: DaemonSetState[], extraPorts: string[]): DaemonSetState[] {
    const seen = new Set<DaemonSetState>(seeds);
    const queue = [...extraPorts, ...seeds.flatMap((d) => d.ports)];
    const portsSeen = new Set<string>();
    while (queue.length > 0) {
      const p = queue.pop() ?? '';
      if (portsSeen.has(p)) continue;
      portsSeen.add(p);
      for (const d of this.portIndex.get(p) ?? []) {
        if (seen.has(d)) continue;
        seen.add(d);
        queue.push(...d.ports);
      }
    }
    return [...seen].filter((d) => this.sets.has(d.key)).sort(byOrder);
  }

  /** Gives host ports to the oldest pods first, node by node, within one competing group. */
  private reassignPorts(seeds: DaemonSetState[], extraPorts: string[]): void {
    const group = this.component(seeds, extraPorts);
    if (group.length === 0) return;
    for (const node of this.nodes.values()) this.assignOnNode(node, group);
  }

  private assignOnNode(node: NodeState, group: DaemonSetState[]): void {
    const foreign = this.foreign.get(node.name);
    const claimed = new Set<string>(foreign ?? []);
    for (const ds of group) {
      if (!ds.slots.has(node.idx)) continue;
      let blocked = false;
      for (const p of ds.ports) if (claimed.has(p)) blocked = true;
      if (!blocked) for (const p of ds.ports) claimed.add(p);
      this.applyFlags(ds, node, !blocked);
    }
  }

  private reconcileNode(node: NodeState): void {
    for (const ds of this.ordered) {
      ds.slots.ensure(this.capacity);
      this.place(ds, node);
    }
    this.assignOnNode(node, this.ordered);
  }

  private ensureSlot(ds: DaemonSetState, idx: number): void {
    if (ds.slots.has(idx)) return;
    ds.slots.setSeq(idx, ++this.seq);
    ds.slots.created[idx] = this.hooks.now();
    ds.slots.setFlags(idx, HAS_POD);
    ds.slots.rv[idx] = this.hooks.nextRv();
    ds.slots.changed[idx] = this.hooks.now();
    this.touched.add(ds);
  }

  private clearSlot(ds: DaemonSetState, idx: number): void {
    if (!ds.slots.has(idx)) return;
    ds.slots.setFlags(idx, 0);
    ds.slots.setSeq(idx, 0);
    this.hooks.nextRv();
    this.touched.add(ds);
  }

  private replaceAllPods(ds: DaemonSetState): void {
    const s = ds.slots;
    for (let idx = 0; idx < s.flags.length; idx++) {
      if (!s.has(idx)) continue;
      this.hooks.nextRv(); // the old pod's deletion
      s.setSeq(idx, ++this.seq);
      s.created[idx] = this.hooks.now();
      s.setFlags(idx, HAS_POD | ((s.flags[idx] ?? 0) & WANTED));
      s.rv[idx] = this.hooks.nextRv();
      s.changed[idx] = this.hooks.now();
    }
    this.touched.add(ds);
  }

  private applyFlags(ds: DaemonSetState, node: NodeState, scheduled: boolean, force = false): void {
    const s = ds.slots;
    const idx = node.idx;
    const old = s.flags[idx] ?? 0;
    let flags = HAS_POD | (old & WANTED);
    if (scheduled) {
      flags |= SCHEDULED;
      if ((old & STARTED) !== 0 || node.ready) flags |= STARTED;
      const override = this.overrides.get(`${ds.key}\n${node.name}`);
      if ((flags & STARTED) !== 0 && node.ready && override !== false) flags |= READY;
    }
    if (s.setFlags(idx, flags) || force) {
      s.rv[idx] = this.hooks.nextRv();
      s.changed[idx] = this.hooks.now();
      this.touched.add(ds);
    }
  }

  private flushStatus(): void {
    for (const ds of this.touched) {
      if (!this.sets.has(ds.key)) continue;
      const status = this.statusOf(ds);
      const text = JSON.stringify(status);
      if (text === ds.lastStatus) continue;
      ds.lastStatus = text;
      this.hooks.writeStatus(ds.key, status);
    }
    this.touched.clear();
  }
}
