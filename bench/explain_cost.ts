// What the per-Service explanations (node decisions) cost on top of a plan, at a given shape:
// `node --expose-gc bench/explain_cost.ts 100x5000` or `1000x1000/10` (Services × nodes, pools of
// 10 nodes). Prints the plan's time and retained heap, then the explanations'. Not a test.
import { plan, planExplained } from '../functions/core/plan.ts';
import type { Snapshot } from '../functions/core/model.ts';
import { ANNOTATION } from '../functions/core/annotations.ts';
import { POOL_NODE_LABEL } from '../functions/core/naming.ts';
import { aConfig, aGkeNode, aService, aSnapshot } from '../test/unit/builders.ts';
import { actionsOf } from '../functions/core/stages.ts';

const [shape = '100x5000', poolText] = (process.argv[2] ?? '100x5000').split('/');
const [services, nodes] = shape.split('x').map(Number) as [number, number];
const pool = poolText === undefined ? 0 : Number(poolText);
const config = aConfig();
const gc = (globalThis as { gc?: () => void }).gc ?? (() => { throw new Error('run with --expose-gc'); });

function world(): Snapshot {
  const ns = Array.from({ length: nodes }, (_, i) => {
    const n = aGkeNode(`node-${String(i).padStart(5, '0')}`, i, pool ? { node: { labels: { [POOL_NODE_LABEL]: `p${Math.floor(i / pool)}` } } } : {});
    n.instance.externalIPv4 = [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`];
    return n;
  });
  const pools = pool ? Math.ceil(nodes / pool) : 0;
  const svcs = Array.from({ length: services }, (_, i) =>
    aService({ name: `svc-${i}`, ports: [{ protocol: 'TCP', port: 10000 + i }], ...(pool ? { annotations: { [ANNOTATION.pool]: `p${i % pools}` } } : {}) }),
  );
  const s = aSnapshot({ services: svcs, nodes: ns.map((n) => n.node), instances: ns.map((n) => n.instance) });
  // The proxies of a converged world: the DaemonSets the planner wants, Ready on every node they select.
  s.daemonSets = actionsOf(plan(s, config)).flatMap((a) => (a.kind === 'createDaemonSet' ? [a.daemonSet] : []));
  for (const ds of s.daemonSets) {
    const name = ds.metadata?.name ?? '';
    const wanted = ds.spec?.template.spec?.nodeSelector?.[POOL_NODE_LABEL];
    for (const n of s.nodes) if (!wanted || n.labels[POOL_NODE_LABEL] === wanted) s.pods.push({ daemonSet: name, nodeName: n.name, ready: true, phase: 'Running' });
  }
  return s;
}

const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

const snapshot = world();
/** Time and retained heap of one planner run over the snapshot. */
function measure(planner: typeof plan) {
  const before = heap();
  const t = performance.now();
  const p = planner(snapshot, config);
  const ms = performance.now() - t;
  const retained = heap() - before;
  const t2 = performance.now();
  const json = JSON.stringify(p).length;
  return { p, ms, retained, json, jsonMs: performance.now() - t2 };
}
const lean = measure(plan);
const full = measure(planExplained);
const decisions = full.p.services.reduce((n, e) => n + (e.nodes?.length ?? 0), 0);
const say = (m: ReturnType<typeof measure>) => `${m.ms.toFixed(0)} ms, ${mib(m.retained)} MiB retained, JSON ${mib(m.json)} MiB in ${m.jsonMs.toFixed(0)} ms`;
process.stdout.write(
  `${services} Services × ${nodes} nodes${pool ? ` (pools of ${pool})` : ''}, ${actionsOf(lean.p).length} actions: plan ${say(lean)}; planExplained (${decisions} node decisions) ${say(full)}\n`,
);
