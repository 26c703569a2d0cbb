// Seeds a shape's world through the Kubernetes API (does I/O), the same way on the real API
// server and on the simulator: GCE instances (simulated Compute), Nodes of realistic size
// (create, then status through /status as a kubelet writes it) and LoadBalancer Services of
// nodelb's class. Also the benchmark's churn (new external IPs) and its check of the statuses.
import type { ComputeSimControl } from '../../test/sim/compute.ts';
import type { KubeHttp } from '../../test/cluster/kube_http.ts';
import { externalIPFor } from '../../test/sim/scenario.ts';
import { gkeNode, gkeNodeAddresses } from './gke_node.ts';
import type { Shape } from './shapes.ts';

export const CLASS = 'nodelb.dev/node-ip';
const POOL_ANNOTATION = 'nodelb.dev/pool'; // README "Node pools and placement"
const POOL_LABEL = 'nodelb.dev/pool';

export interface WorldTarget {
  admin: KubeHttp;
  gce: ComputeSimControl;
  project: string;
  location: string;
  cluster: string;
  nodeTag: string;
}

export interface SeededNode {
  name: string;
  zone: string;
  internalIP: string;
  externalIP: string;
  labels: Record<string, string>;
  /** nodelb pool (shape B), or undefined. */
  pool?: string;
}

export interface ShapeWorld {
  nodes: SeededNode[];
  services: { namespace: string; name: string; pool?: string }[];
  /** When the last Node was created (ms since the epoch). */
  lastNodeAt: number;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const poolOf = (shape: Shape, i: number) => (shape.poolSize > 0 ? `pool-${String(Math.floor(i / shape.poolSize)).padStart(3, '0')}` : undefined);

export async function seedShape(t: WorldTarget, shape: Shape, opts: { concurrency: number; log?: (m: string) => void }): Promise<ShapeWorld> {
  const zones = ['a', 'b', 'c'].map((z) => `${t.location}-${z}`);
  const perGkePool = Math.ceil(shape.nodes / shape.gkePools);
  const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const nodes: SeededNode[] = Array.from({ length: shape.nodes }, (_, i) => {
    const zone = zones[i % zones.length] as string;
    const gkePool = shape.poolSize > 0 ? (poolOf(shape, i) as string) : i < perGkePool ? 'default-pool' : `pool-${Math.floor(i / perGkePool)}`;
    const pool = poolOf(shape, i);
    const group = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').slice(0, 8);
    return {
      name: `gke-${t.cluster}-${gkePool}-${group.slice(0, 4)}${zone.slice(-1)}${group.slice(5, 8)}-${i.toString(36).padStart(4, '0')}`,
      zone,
      internalIP: `10.${128 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`,
      externalIP: externalIPFor(i),
      labels: { 'cloud.google.com/gke-nodepool': gkePool, ...(pool ? { [POOL_LABEL]: pool } : {}) },
      ...(pool ? { pool } : {}),
    };
  });
  let lastNodeAt = Date.now();
  let done = 0;
  await inBatches(nodes, opts.concurrency, async (n, i) => {
    const instance = t.gce.putInstance({
      project: t.project,
      zone: n.zone,
      name: n.name,
      natIP: n.externalIP,
      networkIP: n.internalIP,
      tags: [t.nodeTag],
      cluster: t.cluster,
      nodePool: n.labels['cloud.google.com/gke-nodepool'],
      clusterLocation: t.location,
      machineType: 'e2-standard-4',
    });
    const { node, status } = gkeNode({
      name: n.name,
      index: i,
      project: t.project,
      zone: n.zone,
      pool: n.labels['cloud.google.com/gke-nodepool'] as string,
      internalIP: n.internalIP,
      externalIP: n.externalIP,
      instanceId: String(instance.id ?? ''),
      extraLabels: n.pool ? { [POOL_LABEL]: n.pool } : {},
      // Taints "sometimes": a PreferNoSchedule one on every 25th node, which a DaemonSet ignores.
      taints: i % 25 === 7 ? [{ key: 'example.com/prefer-batch', value: 'true', effect: 'PreferNoSchedule' }] : undefined,
      created,
    });
    const made = await t.admin.post('/api/v1/nodes', node);
    await t.admin.mergePatch(`/api/v1/nodes/${n.name}/status`, { status });
    // The API server's TaintNodesByCondition admission taints a new Node not-ready:NoSchedule;
    // the node lifecycle controller lifts it once the node reports Ready. Without a controller
    // manager the benchmark does that; the simulator adds no such taint.
    const spec = node.spec as { taints?: unknown[] };
    if (((made.spec?.taints ?? []) as unknown[]).length !== (spec.taints ?? []).length) await t.admin.mergePatch(`/api/v1/nodes/${n.name}`, { spec: { taints: spec.taints ?? null } });
    lastNodeAt = Date.now();
    if (++done % 1000 === 0) opts.log?.(`${done}/${nodes.length} nodes`);
  });
  const services = Array.from({ length: shape.services }, (_, i) => {
    // Shape B: Service i in pool i mod P, so each pool serves services/P Services.
    const pools = shape.poolSize > 0 ? Math.ceil(shape.nodes / shape.poolSize) : 0;
    const pool = pools > 0 ? `pool-${String(i % pools).padStart(3, '0')}` : undefined;
    return { namespace: 'default', name: `svc-${String(i).padStart(4, '0')}`, ...(pool ? { pool } : {}) };
  });
  await inBatches(services, opts.concurrency, async (s, i) => {
    await t.admin.post(`/api/v1/namespaces/${s.namespace}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace: s.namespace, ...(s.pool ? { annotations: { [POOL_ANNOTATION]: s.pool } } : {}) },
      spec: {
        type: 'LoadBalancer',
        loadBalancerClass: CLASS,
        externalTrafficPolicy: 'Cluster',
        selector: { app: s.name },
        ports: [{ name: 'tcp', port: 8000 + i, protocol: 'TCP', targetPort: 8000 + i }],
      },
    });
  });
  return { nodes, services, lastNodeAt };
}

/** A fraction of the nodes get a new external IP: the VM now, the Node's addresses as its kubelet would report them. */
export async function churnShape(t: WorldTarget, world: ShapeWorld, fraction: number, nextIP: () => string, concurrency: number): Promise<number> {
  const every = Math.max(1, Math.round(1 / fraction));
  const chosen = world.nodes.filter((_, i) => i % every === 0);
  await inBatches(chosen, concurrency, async (n) => {
    n.externalIP = nextIP();
    t.gce.setNatIP({ project: t.project, zone: n.zone, name: n.name }, n.externalIP);
    await t.admin.mergePatch(`/api/v1/nodes/${n.name}/status`, { status: { addresses: gkeNodeAddresses(n.name, n.internalIP, n.externalIP) } });
  });
  return chosen.length;
}

/** Every Service must publish exactly the current external IPs of the nodes it is placed on. */
export async function verifyShape(t: WorldTarget, world: ShapeWorld): Promise<{ services: number; wrong: number; example?: string }> {
  const byPool = new Map<string, string[]>();
  for (const n of world.nodes) {
    const key = n.pool ?? '';
    const list = byPool.get(key) ?? [];
    list.push(n.externalIP);
    byPool.set(key, list);
  }
  const all = world.nodes.map((n) => n.externalIP);
  const want = (pool: string | undefined) => [...(pool ? (byPool.get(pool) ?? []) : all)].sort().join(',');
  const listed = await t.admin.list('/api/v1/namespaces/default/services');
  const byName = new Map(listed.items.map((s) => [s.metadata.name, s]));
  let wrong = 0;
  let example: string | undefined;
  for (const s of world.services) {
    const svc = byName.get(s.name);
    const got = ((svc?.status?.loadBalancer?.ingress ?? []) as { ip?: string }[]).map((x) => x.ip ?? '').sort().join(',');
    const w = want(s.pool);
    if (got !== w) {
      wrong++;
      example ??= `${s.namespace}/${s.name}: ${got.split(',').filter(Boolean).length} IPs published, ${w.split(',').length} wanted`;
    }
  }
  return { services: world.services.length, wrong, ...(example ? { example } : {}) };
}
