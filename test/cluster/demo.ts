// `npm run demo`: a newcomer's tour of nodelb against a local GKE: the real Kubernetes control
// plane (test/cluster) with simulated Compute and Container APIs (does I/O, loopback only).
// Runs the real sync (GKE mode: getCluster, then the Kubernetes and Compute APIs) and shows the
// plan, the Services as kubectl would list them, the firewall rules, a node IP change followed,
// a cordoned node withdrawn, and an unchanged sync that writes nothing. Exits 1 if any step
// does not do what it says.
import { parseConfig, type Config } from '../../functions/config.ts';
import { formatIPs, formatPorts, planLines } from '../../functions/cli/format_sync.ts';
import type { Protocol } from '../../functions/core/model.ts';
import { textOptions } from '../../functions/cli/run.ts';
import { indent, paint, renderTable } from '../../functions/cli/table.ts';
import { createLogger } from '../../functions/platform/log.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import { syncAll } from '../../functions/runtime/sync.ts';
import { planExplained } from '../../functions/core/plan.ts';
import { startRealWorld, type RealWorld } from './world.ts';

const CLASS = 'nodelb.dev/node-ip';
const opts = textOptions(process.stdout, process.env);
const out = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
const heading = (text: string) => out('', ...indent(text, '', '   ', opts.width).map((l) => paint('bold', l, opts)));
const explain = (text: string) => out(...indent(text, '', '', opts.width));
const problems: string[] = [];
const expect = (ok: boolean, what: string) => {
  if (!ok) problems.push(what);
};

// Documentation address ranges (RFC 5737) stand in for GCE's external IPs.
const NODES = [
  { name: 'gke-demo-default-pool-a1', zone: 'us-central1-a', externalIP: '203.0.113.11' },
  { name: 'gke-demo-default-pool-a2', zone: 'us-central1-a', externalIP: '203.0.113.12' },
  { name: 'gke-demo-default-pool-b1', zone: 'us-central1-b', externalIP: '203.0.113.21' },
  { name: 'gke-demo-spot-pool-b2', zone: 'us-central1-b', externalIP: '203.0.113.22', spot: true },
];
const PREEMPTED = 'gke-demo-spot-pool-b2';
const NEW_IP = '198.51.100.7';
const CORDONED = 'gke-demo-default-pool-a2';

async function seed(w: RealWorld): Promise<void> {
  for (const n of NODES) await w.gke.addNode({ ...n, ...(n.spot ? { pool: 'spot-pool' } : {}) });
  type Port = { name: string; port: number; protocol?: 'TCP' | 'UDP' };
  const lb = (name: string, namespace: string, ports: Port[], cls = CLASS) => w.addService(name, { namespace, ports, loadBalancerClass: cls });
  await lb('web', 'default', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]);
  await lb('coredns', 'dns', [{ name: 'dns-tcp', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]);
  await lb('legacy', 'default', [{ name: 'http-alt', port: 8080 }], 'example.com/other-lb');
  await lb('bastion', 'default', [{ name: 'ssh', port: 22 }]);
}

interface ServiceJson {
  metadata: { name: string; namespace?: string };
  spec?: { type?: string; loadBalancerClass?: string; ports?: { port?: number; nodePort?: number; protocol?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] }; conditions?: { type: string; message?: string }[] };
}

/** What `kubectl get svc -A` would print for the LoadBalancer Services, read from the API server,
 *  with nodelb's condition message where it left one. */
async function servicesTable(w: RealWorld): Promise<string> {
  const services = (await w.gke.admin.list('/api/v1/services')).items as unknown as ServiceJson[];
  const rows = services
    .filter((s) => s.spec?.type === 'LoadBalancer')
    .map((s) => {
      const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
      const ports = formatPorts((s.spec?.ports ?? []).map((p) => ({ port: p.port ?? 0, nodePort: p.nodePort, protocol: (p.protocol ?? 'TCP') as Protocol })));
      const condition = s.status?.conditions?.find((c) => c.type === 'nodelb.dev/Serving');
      const note = s.spec?.loadBalancerClass !== CLASS ? "another controller's class: left alone" : (condition?.message ?? '');
      return [s.metadata.namespace ?? '', s.metadata.name, formatIPs(ips), ports, note];
    });
  return renderTable(['NAMESPACE', 'NAME', 'EXTERNAL-IP', 'PORT(S)', 'NODELB SAYS'], rows, opts, '  ');
}

/** In the order nodelb wrote them. */
async function externalIPs(w: RealWorld, namespace: string, name: string): Promise<string[]> {
  const svc = (await w.service(name, namespace)) as ServiceJson | undefined;
  return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

function firewallTable(w: RealWorld): string {
  const rows = w.gke.gce
    .listFirewalls(w.gke.project)
    .filter((r) => r.name?.startsWith('nodelb-'))
    .map((r) => [
      r.name ?? '',
      (r.allowed ?? []).map((a) => `${a.IPProtocol}:${(a.ports ?? []).join(',')}`).join(' '),
      (r.sourceRanges ?? []).join(','),
      (r.targetTags ?? []).join(','),
    ]);
  return rows.length > 0 ? renderTable(['NAME', 'ALLOWS', 'SOURCES', 'TARGET TAG'], rows, opts, '  ') : '  (none)';
}

async function sync(w: RealWorld, config: Config, trigger: string): Promise<ClusterReport> {
  // Warnings and errors only: the report is what this demo shows.
  const logger = createLogger({ level: 'WARNING', sink: (e) => process.stderr.write(`${JSON.stringify(e)}\n`) });
  const report = await syncAll([{ kind: 'gke', name: w.gke.clusterName }], config, { logger, trigger, settlePollMs: 250, planner: planExplained });
  const cluster = report.clusters[0];
  if (!cluster) throw new Error('syncAll returned no cluster report');
  const cost = `${cluster.calls.reads} reads, ${cluster.calls.writes} writes, ${cluster.durationMs} ms`;
  out(`  sync ${cluster.converged ? 'converged' : cluster.ok ? 'done, not converged' : 'FAILED'} (${cost})`);
  expect(cluster.ok, `the ${trigger} sync failed: ${cluster.errors.map((e) => e.message).join('; ')}`);
  return cluster;
}

async function main(): Promise<void> {
  const started = Date.now();
  const w = await startRealWorld();
  try {
    await seed(w);
    const config = parseConfig({
      NODELB_CLUSTERS: w.gke.clusterName,
      NODELB_CONTAINER_ENDPOINT: w.gke.containerEndpoint,
      NODELB_COMPUTE_ENDPOINT: w.gke.computeEndpoint,
      GOOGLE_OAUTH_ACCESS_TOKEN: w.gke.token,
    });

    out(paint('bold', 'nodelb demo', opts));
    explain(
      `A local GKE cluster ${w.gke.clusterName}: a real Kubernetes control plane on loopback (kube-apiserver, ` +
        'controller-manager, scheduler, etcd) with fake kubelets, and simulated Compute and Container APIs. ' +
        `${NODES.length} nodes in two zones (one of them a spot VM) and four LoadBalancer Services: web (80, 443), ` +
        'coredns (53 TCP and UDP), legacy (another load balancer class) and bastion (asks for port 22). nodelb reaches ' +
        'it as in production: Container API getCluster, then the Kubernetes API with a Google token and only the ' +
        'rights manifests/ grants, and the Compute API for node IPs and firewall rules.',
    );
    out(renderTable(['NODE', 'ZONE', 'EXTERNAL-IP', 'KIND'], NODES.map((n) => [n.name, n.zone, n.externalIP, n.spot ? 'spot' : 'standard']), opts, '  '));

    heading('1. First sync: what nodelb planned and did');
    const first = await sync(w, config, 'schedule');
    out(...planLines(first, opts));
    expect(first.converged, 'the first sync did not converge');

    heading('2. The Services now, as kubectl get svc shows them');
    out(await servicesTable(w));
    const webBefore = await externalIPs(w, 'default', 'web');
    expect(webBefore.length === NODES.length, `web should be published on all ${NODES.length} nodes, got ${webBefore.join(',')}`);
    expect((await externalIPs(w, 'default', 'bastion')).length === 0, 'bastion (port 22) must not be published');
    expect((await externalIPs(w, 'default', 'legacy')).length === 0, 'legacy (another class) must be left alone');

    heading('3. Firewall rules nodelb created (one per Service; none for the refused one)');
    out(firewallTable(w));

    heading(`4. GCE gives ${PREEMPTED} a new external IP (as after a preemption); its audit log triggers a sync`);
    await w.gke.setExternalIP(PREEMPTED, NEW_IP, { nodeLags: true });
    explain(`The Node object still shows the old address (it lags behind GCE); nodelb reads the IP from the Compute API.`);
    const second = await sync(w, config, 'gce-event');
    out(...planLines(second, opts));
    const webAfter = await externalIPs(w, 'default', 'web');
    out(`  default/web EXTERNAL-IP: ${webBefore.join(',')}`, `                      →  ${webAfter.join(',')}`);
    expect(webAfter.includes(NEW_IP) && !webAfter.includes('203.0.113.22'), 'web did not follow the new IP');

    heading(`5. ${CORDONED} is cordoned (kubectl cordon); the next sync withdraws it`);
    await w.gke.admin.mergePatch(`/api/v1/nodes/${CORDONED}`, { spec: { unschedulable: true } });
    const third = await sync(w, config, 'gke-event');
    out(...planLines(third, opts));
    const web = third.plan.services.find((s) => s.service.name === 'web');
    out(renderTable(['NODE', 'PUBLISHED', 'WHY'], (web?.nodes ?? []).map((n) => [n.node, n.published ? 'yes' : 'no', n.why]), opts, '  '));
    expect(!(await externalIPs(w, 'default', 'web')).includes('203.0.113.12'), 'the cordoned node is still published');

    heading('6. One more sync with nothing changed');
    w.resetCalls();
    const fourth = await sync(w, config, 'schedule');
    const seen = w.gke.faults.counts();
    out(`  the APIs saw ${seen.reads} reads and ${seen.writes} writes: an unchanged cluster costs only reads`);
    expect(fourth.calls.writes === 0 && seen.writes === 0, `the unchanged sync wrote ${seen.writes} times`);

    heading('The Services at the end');
    out(await servicesTable(w));
    out('', `Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await w.close();
  }
  if (problems.length > 0) {
    process.stderr.write(`\ndemo: something did not happen as described:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
