// Stands in for the DaemonSet controller on the real API server when the benchmark runs it
// without kube-controller-manager (does I/O): watches nodelb's DaemonSets and writes each one's
// status as the controller would once every pod it wants is Ready — desired = current = updated
// = ready = available = the nodes its nodeSelector / required node affinity / taints admit,
// observedGeneration current. No pods exist: nodelb reads readiness from this status.
import { KubeApiError, type KubeHttp, type KubeObject, type WatchEvent } from '../../test/cluster/kube_http.ts';

export interface StandinNode {
  name: string;
  labels: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function holds(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  if (r.operator === 'In') return value !== undefined && values.includes(value);
  if (r.operator === 'NotIn') return value === undefined || !values.includes(value);
  if (r.operator === 'Exists') return value !== undefined;
  if (r.operator === 'DoesNotExist') return value === undefined;
  return false;
}

/** NodeShouldRunDaemonPod for what these worlds contain (labels, matchFields on the name, taints). */
export function wants(ds: KubeObject, node: StandinNode): boolean {
  const spec = ds.spec?.template?.spec ?? {};
  for (const [k, v] of Object.entries((spec.nodeSelector ?? {}) as Record<string, string>)) if (node.labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as { matchExpressions?: Requirement[]; matchFields?: Requirement[] }[] | undefined;
  if (terms && !terms.some((t) => (t.matchExpressions ?? []).every((r) => holds(r, node.labels[r.key])) && (t.matchFields ?? []).every((r) => holds(r, r.key === 'metadata.name' ? node.name : undefined)))) return false;
  const tolerations = (spec.tolerations ?? []) as { key?: string; operator?: string; value?: string; effect?: string }[];
  for (const taint of node.taints ?? []) {
    if (taint.effect === 'PreferNoSchedule') continue;
    const ok = tolerations.some((t) => (!t.effect || t.effect === taint.effect) && (t.key ? t.key === taint.key && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')) : t.operator === 'Exists'));
    if (!ok) return false;
  }
  return true;
}

export interface DaemonSetStandin {
  /** Resolves once every DaemonSet in the namespace has a status of its current generation. */
  settled(timeoutMs: number): Promise<void>;
  errors: string[];
  stop(): Promise<void>;
}

export function startDaemonSetStandin(admin: KubeHttp, namespace: string, nodes: () => readonly StandinNode[]): DaemonSetStandin {
  const path = `/apis/apps/v1/namespaces/${namespace}/daemonsets`;
  const abort = new AbortController();
  const errors: string[] = [];
  let pending = Promise.resolve();
  const write = async (ds: KubeObject) => {
    const generation = ds.metadata.generation ?? 0;
    if (ds.metadata.deletionTimestamp || ds.status?.observedGeneration === generation) return;
    const n = nodes().filter((node) => wants(ds, node)).length;
    const status = { observedGeneration: generation, desiredNumberScheduled: n, currentNumberScheduled: n, updatedNumberScheduled: n, numberReady: n, numberAvailable: n, numberMisscheduled: 0 };
    try {
      await admin.mergePatch(`${path}/${ds.metadata.name}/status`, { status });
    } catch (err) {
      // 404: deleted meanwhile; 409 cannot happen for a merge patch without resourceVersion.
      if (!(err instanceof KubeApiError && err.status === 404)) errors.push(`status of ${ds.metadata.name}: ${(err as Error).message}`);
    }
  };
  const handle = (e: WatchEvent) => {
    if (e.type === 'ADDED' || e.type === 'MODIFIED') pending = pending.then(() => write(e.object));
  };
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const list = await admin.list(path);
        for (const item of list.items) handle({ type: 'ADDED', object: item });
        let rv = list.metadata.resourceVersion;
        while (!abort.signal.aborted) rv = await admin.watch(path, rv, handle, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) return;
        if (!(err instanceof KubeApiError && err.status === 410)) errors.push(`watch: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return {
    errors,
    async settled(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await pending;
        const sets = (await admin.list(path)).items;
        if (sets.every((d) => d.status?.observedGeneration === d.metadata.generation)) return;
        if (Date.now() > deadline) throw new Error(`DaemonSet stand-in: not settled after ${timeoutMs} ms (${errors.join('; ')})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      abort.abort();
      await loop.catch(() => undefined);
      await pending;
    },
  };
}
