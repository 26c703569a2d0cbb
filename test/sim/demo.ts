// `npm run demo`: a newcomer's tour of nodelb against the simulated GKE (does I/O, loopback only).
// Runs the real sync (GKE mode: getCluster, then the Kubernetes and Compute APIs) and shows the
// plan, the Services as kubectl would list them, the firewall rules, a node IP change followed,
// a cordoned node withdrawn, and an unchanged sync that writes nothing. Exits 1 if any step
// does not do what it says.
import { parseConfig, type Config } from '../../functions/config.ts';
import { formatIPs, formatPorts, planLines } from '../../functions/cli/format_sync.ts';
import type { Protocol } from '../../functions/core/model.ts';
import { textOptions } from '../../functions/cli/run.ts';
import { indent, paint, renderTable } from '../../functions/cli/table.ts';
import { createLogger } from '../../functions/runtime/log.ts';
import type { ClusterReport } from '../../functions/runtime/report.ts';
import { syncAll } from '../../functions/runtime/sync.ts';
import { startSimulatedGke, type SimulatedGke } from './gke.ts';
import type { WireService } from './kube/types.ts';

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

function seed(sim: SimulatedGke): void {
  for (const n of NODES) sim.addNode({ ...n, labels: n.spot ? { 'cloud.google.com/gke-nodepool': 'spot-pool' } : {} });
  sim.kube.addNamespace('dns');
  const lb = (name: string, namespace: string, ports: { name?: string; port: number; protocol: string }[], cls = CLASS) =>
    sim.kube.addService({ namespace, name, spec: { type: 'LoadBalancer', loadBalancerClass: cls, selector: { app: name }, ports } });
  lb('web', 'default', [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443, protocol: 'TCP' }]);
  lb('coredns', 'dns', [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]);
  lb('legacy', 'default', [{ port: 8080, protocol: 'TCP' }], 'example.com/other-lb');
  lb('bastion', 'default', [{ name: 'ssh', port: 22, protocol: 'TCP' }]);
}

/** What `kubectl get svc -A` would print for the LoadBalancer Services, read from the API server,
 *  with nodelb's condition message where it left one. */
function servicesTable(sim: SimulatedGke): string {
  const rows = sim.kube
    .list<WireService>('services')
    .filter((s) => s.spec?.type === 'LoadBalancer')
    .map((s) => {
      const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
      const ports = formatPorts((s.spec?.ports ?? []).map((p) => ({ port: p.port ?? 0, nodePort: p.nodePort, protocol: (p.protocol ?? 'TCP') as Protocol })));
      const condition = s.status?.conditions?.find((c) => c.type === 'nodelb.dev/Serving');
      const note = s.spec?.loadBalancerClass !== CLASS ? "another controller's class: left alone" : (condition?.message ?? '');
      return [s.metadata.namespace ?? '', s.metadata.name ?? '', formatIPs(ips), ports, note];
    });
  return renderTable(['NAMESPACE', 'NAME', 'EXTERNAL-IP', 'PORT(S)', 'NODELB SAYS'], rows, opts, '  ');
}

function externalIPs(sim: SimulatedGke, namespace: string, name: string): string[] {
  return (sim.kube.get<WireService>('services', namespace, name)?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

function firewallTable(sim: SimulatedGke): string {
  const rows = sim.gce
    .listFirewalls(sim.project)
    .filter((r) => r.name?.startsWith('nodelb-'))
    .map((r) => [
      r.name ?? '',
      (r.allowed ?? []).map((a) => `${a.IPProtocol}:${(a.ports ?? []).join(',')}`).join(' '),
      (r.sourceRanges ?? []).join(','),
      (r.targetTags ?? []).join(','),
    ]);
  return rows.length > 0 ? renderTable(['NAME', 'ALLOWS', 'SOURCES', 'TARGET TAG'], rows, opts, '  ') : '  (none)';
}

async function sync(sim: SimulatedGke, config: Config, trigger: string): Promise<ClusterReport> {
  // Warnings and errors only: the report is what this demo shows.
  const logger = createLogger({ level: 'WARNING', sink: (e) => process.stderr.write(`${JSON.stringify(e)}\n`) });
  const report = await syncAll([{ kind: 'gke', name: sim.clusterName }], config, { logger, trigger });
  const cluster = report.clusters[0];
  if (!cluster) throw new Error('syncAll returned no cluster report');
  const cost = `${cluster.calls.reads} reads, ${cluster.calls.writes} writes, ${cluster.durationMs} ms`;
  out(`  sync ${cluster.converged ? 'converged' : cluster.ok ? 'done, not converged' : 'FAILED'} (${cost})`);
  expect(cluster.ok, `the ${trigger} sync failed: ${cluster.errors.map((e) => e.message).join('; ')}`);
  return cluster;
}

async function main(): Promise<void> {
  const started = Date.now();
  const sim = await startSimulatedGke({ seed: 7 });
  try {
    seed(sim);
    const config = parseConfig({
      NODELB_CLUSTERS: sim.clusterName,
      NODELB_CONTAINER_ENDPOINT: sim.containerEndpoint,
      NODELB_COMPUTE_ENDPOINT: sim.computeEndpoint,
      GOOGLE_OAUTH_ACCESS_TOKEN: sim.token,
    });

    out(paint('bold', 'nodelb demo', opts));
    explain(
      `A simulated GKE cluster ${sim.clusterName} with ${NODES.length} nodes in two zones (one of them a spot VM) ` +
        'and four LoadBalancer Services: web (80, 443), coredns (53 TCP and UDP), legacy (another load balancer class) ' +
        'and bastion (asks for port 22). nodelb reaches it as in production: Container API getCluster, then the ' +
        'Kubernetes API with a Google token, and the Compute API for node IPs and firewall rules.',
    );
    out(renderTable(['NODE', 'ZONE', 'EXTERNAL-IP', 'KIND'], NODES.map((n) => [n.name, n.zone, n.externalIP, n.spot ? 'spot' : 'standard']), opts, '  '));

    heading('1. First sync: what nodelb planned and did');
    const first = await sync(sim, config, 'schedule');
    out(...planLines(first, opts));
    expect(first.converged, 'the first sync did not converge');

    heading('2. The Services now, as kubectl get svc shows them');
    out(servicesTable(sim));
    const webBefore = externalIPs(sim, 'default', 'web');
    expect(webBefore.length === NODES.length, `web should be published on all ${NODES.length} nodes, got ${webBefore.join(',')}`);
    expect(externalIPs(sim, 'default', 'bastion').length === 0, 'bastion (port 22) must not be published');
    expect(externalIPs(sim, 'default', 'legacy').length === 0, 'legacy (another class) must be left alone');

    heading('3. Firewall rules nodelb created (one per Service; none for the refused one)');
    out(firewallTable(sim));

    heading(`4. GCE gives ${PREEMPTED} a new external IP (as after a preemption); its audit log triggers a sync`);
    sim.setExternalIP(PREEMPTED, NEW_IP, { nodeLags: true });
    explain(`The Node object still shows the old address (it lags behind GCE); nodelb reads the IP from the Compute API.`);
    const second = await sync(sim, config, 'gce-event');
    out(...planLines(second, opts));
    const webAfter = externalIPs(sim, 'default', 'web');
    out(`  default/web EXTERNAL-IP: ${webBefore.join(',')}`, `                      →  ${webAfter.join(',')}`);
    expect(webAfter.includes(NEW_IP) && !webAfter.includes('203.0.113.22'), 'web did not follow the new IP');

    heading(`5. ${CORDONED} is cordoned (kubectl cordon); the next sync withdraws it`);
    sim.kube.updateNode(CORDONED, { unschedulable: true });
    const third = await sync(sim, config, 'gke-event');
    out(...planLines(third, opts));
    const web = third.plan.services.find((s) => s.service.name === 'web');
    out(renderTable(['NODE', 'PUBLISHED', 'WHY'], (web?.nodes ?? []).map((n) => [n.node, n.published ? 'yes' : 'no', n.why]), opts, '  '));
    expect(!externalIPs(sim, 'default', 'web').includes('203.0.113.12'), 'the cordoned node is still published');

    heading('6. One more sync with nothing changed');
    sim.faults.resetCalls();
    const fourth = await sync(sim, config, 'schedule');
    const seen = sim.faults.counts();
    out(`  the simulated APIs saw ${seen.reads} reads and ${seen.writes} writes: an unchanged cluster costs only reads`);
    expect(fourth.calls.writes === 0 && seen.writes === 0, `the unchanged sync wrote ${seen.writes} times`);

    heading('The Services at the end');
    out(servicesTable(sim));
    out('', `Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await sim.close();
  }
  if (problems.length > 0) {
    process.stderr.write(`\ndemo: something did not happen as described:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
