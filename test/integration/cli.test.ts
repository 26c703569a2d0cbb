// The `nodelb` command against a local GKE on the real control plane: the kubeconfig and GKE
// (--cluster) paths, dry run, JSON output, a failing API, status, usage errors. Runs runCli in
// this process (nodelbCli); the one thing only a child process shows — main.ts turning runCli's
// status into the exit code, stdout and stderr kept apart — is the last test, which spawns it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../functions/runtime/report.ts';
import type { StatusView } from '../../functions/cli/format_status.ts';
import { nodelbCli, startRealWorld, type CliRun, type RealWorld } from '../cluster/world.ts';
import type { LocalGke } from '../cluster/local_gke.ts';

const CLI = fileURLToPath(new URL('../../functions/cli/main.ts', import.meta.url));
type Run = CliRun;

let w: RealWorld;
let sim: LocalGke;
let dir: string;
let kubeconfig: string;

/** One CLI run with only these variables as its environment (nothing NODELB_* leaks in from
 *  the test runner); HOME is an empty directory, so no ~/.kube/config is found by accident. */
function nodelb(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return nodelbCli(args, { HOME: dir, NODELB_SETTLE_SECONDS: '30', ...env });
}

/** The same, as a child process through main.ts, the way a shell runs it. */
function nodelbProcess(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: dir };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The nodes are GCE instances (gce:// provider IDs), so even the kubeconfig path reads their
 *  IPs from the Compute API. */
const computeEnv = () => ({ NODELB_COMPUTE_ENDPOINT: sim.computeEndpoint, GOOGLE_OAUTH_ACCESS_TOKEN: sim.token });
const gkeEnv = () => ({ ...computeEnv(), NODELB_CONTAINER_ENDPOINT: sim.containerEndpoint });

const ips = (ns: string, name: string) => w.ingress(name, ns);

async function addService(name: string, ports: { name?: string; port: number; protocol: 'TCP' | 'UDP' }[]): Promise<void> {
  await w.addService(name, { ports });
}

const failure = (r: Run) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('nodelb CLI against a local GKE on the real control plane', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodelb-cli-'));
    w = await startRealWorld();
    sim = w.gke;
    await sim.addNode({ name: 'node-a', zone: 'us-central1-a', externalIP: '203.0.113.1' });
    await sim.addNode({ name: 'node-b', zone: 'us-central1-b', externalIP: '203.0.113.2' });
    await sim.addNode({ name: 'node-c', zone: 'us-central1-b', externalIP: '203.0.113.3', spot: true });
    await addService('web', [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443, protocol: 'TCP' }]);
    await addService('bastion', [{ name: 'ssh', port: 22, protocol: 'TCP' }]);
    kubeconfig = w.kubeconfigPath;
  });

  after(async () => {
    await w?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    sim.faults.resetCalls();
    const r = await nodelb(['sync', '--kubeconfig', kubeconfig, '--dry-run'], computeEnv());
    assert.equal(sim.faults.counts().writes, 0, 'no write reached any API');
    assert.ok(sim.faults.counts('kube').reads > 0, 'the cluster was read');
    assert.equal(r.code, 0, `a dry run planned from trusted reads is done, whatever it would change\n${failure(r)}`);
    assert.match(r.stdout, /^ {2}\+ createDaemonSet daemonset nodelb-system\/nodelb-web-\w+$/m);
    assert.match(r.stdout, /^ {2}\+ createFirewall firewall demo-project\/nodelb-\S+$/m);
    assert.match(r.stdout, /dry run: nothing written/);
    assert.deepEqual(await ips('default', 'web'), []);
    assert.equal(r.stderr, '', 'no log line at WARNING or above');
    const detailed = await nodelb(['sync', '--kubeconfig', kubeconfig, '--dry-run', '--detailed-exitcode'], computeEnv());
    assert.equal(detailed.code, 3, `--detailed-exitcode: done with changes pending\n${failure(detailed)}`);
  });

  it('sync --kubeconfig converges, writes the status and shows it like kubectl get svc', async () => {
    const r = await nodelb(['sync', '--kubeconfig', kubeconfig], computeEnv());
    assert.equal(r.code, 0, failure(r));
    assert.deepEqual(await ips('default', 'web'), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
    assert.deepEqual(await ips('default', 'bastion'), []);
    assert.match(r.stdout, /^ {2}NAMESPACE +NAME +EXTERNAL-IP +PORT\(S\) +WARNINGS$/m);
    // At 100 columns the IP and port lists wrap after a comma; rejoined, the row reads as kubectl's.
    const row = r.stdout.split('\n').findIndex((l) => /^ {2}default +web +/.test(l));
    const cells = r.stdout.split('\n').slice(row, row + 3).map((l) => l.slice(2).trim().split(/ {3,}/));
    assert.equal(cells.map((c) => c.find((x) => /^\d+\.\d+\.\d+\.\d+/.test(x)) ?? '').join(''), '203.0.113.1,203.0.113.2,203.0.113.3');
    assert.match(cells.map((c) => c.find((x) => /\/TCP/.test(x)) ?? '').join(''), /^80:\d+\/TCP,443:\d+\/TCP$/);
    assert.match(r.stdout, /^ {2}default +bastion +<pending> +22:\d+\/TCP +refused: /m);
    assert.equal(sim.gce.listFirewalls(sim.project).filter((f) => f.name?.startsWith('nodelb-')).length, 1);
  });

  it('sync --cluster goes through getCluster; --output json prints only the report', async () => {
    await sim.setExternalIP('node-c', '198.51.100.9');
    sim.faults.resetCalls();
    const r = await nodelb(['sync', '--cluster', sim.clusterName, '--output', 'json'], gkeEnv());
    assert.equal(r.code, 0, failure(r));
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.converged, true);
    assert.equal(report.clusters[0]?.cluster, sim.clusterName);
    assert.ok(sim.faults.calls.some((c) => c.api === 'container' && c.method === 'GET' && c.path.endsWith('/clusters/demo')), 'getCluster was called');
    assert.ok(sim.proxy.bearers.includes(sim.token), 'the Kubernetes API saw the Google token');
    assert.deepEqual(await ips('default', 'web'), ['198.51.100.9', '203.0.113.1', '203.0.113.2']);
    const status = report.clusters[0]?.results.find((x) => x.kind === 'writeStatus' && x.target === 'service default/web');
    assert.equal(status?.outcome, 'applied');
  });

  it('a second unchanged sync writes nothing and exits 0', async () => {
    sim.faults.resetCalls();
    const r = await nodelb(['sync', '--cluster', sim.clusterName], gkeEnv());
    assert.equal(r.code, 0, failure(r));
    assert.equal(sim.faults.counts().writes, 0);
    assert.match(r.stdout, /no changes: everything is in sync/);
  });

  it('status shows each node and why it is in or out, the proxies and the firewall rule', async () => {
    w.kubectl(['cordon', 'node-b']);
    sim.faults.resetCalls();
    const r = await nodelb(['status', '--cluster', sim.clusterName], gkeEnv());
    assert.equal(sim.faults.counts().writes, 0, 'status never writes');
    assert.equal(r.code, 0, failure(r));
    assert.match(r.stdout, /^default\/web {3}EXTERNAL-IP /m);
    assert.match(r.stdout, /^ {2}NODE +EXTERNAL-IP +PUBLISHED +WHY$/m);
    assert.match(r.stdout, /^ {2}node-a +203\.0\.113\.1 +yes +published$/m);
    assert.match(r.stdout, /^ {2}node-b +203\.0\.113\.2 +no +.*cordoned/m);
    assert.match(r.stdout, /^ {2}proxy pods: \d\/\d ready \(DaemonSet nodelb-web-\w+\)$/m);
    assert.match(r.stdout, /^ {2}nodelb-\S+ +in sync$/m);
    assert.match(r.stdout, /^ {2}refused: /m, 'bastion is refused');
    assert.match(r.stdout, /^ {2}changes pending \(run nodelb sync\)$/m);

    const json = await nodelb(['status', '--kubeconfig', kubeconfig, '--service', 'default/web', '-o', 'json'], computeEnv());
    assert.equal(json.code, 0, failure(json));
    const view = JSON.parse(json.stdout) as StatusView;
    const services = view.clusters[0]?.services ?? [];
    assert.deepEqual(services.map((s) => s.name), ['web']);
    assert.equal(services[0]?.nodes.find((n) => n.node === 'node-b')?.published, false);
    w.kubectl(['uncordon', 'node-b']);
  });

  it('a permission the API refuses makes the sync exit 2 (a person must act) and says what failed and how to fix it', async () => {
    await addService('dns', [{ name: 'dns', port: 53, protocol: 'UDP' }]);
    sim.faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', status: 403, reason: 'forbidden', message: "Required 'compute.firewalls.create' permission", times: Infinity });
    try {
      const r = await nodelb(['sync', '--cluster', sim.clusterName], gkeEnv());
      assert.equal(r.code, 2, failure(r));
      assert.match(r.stdout, /^ {2}REFUSED \(a person must act first\): /m);
      assert.match(r.stdout, /^ {2}\+ createFirewall firewall demo-project\/nodelb-\S+ \(FAILED\)$/m);
      assert.match(r.stdout, /^ {2}failed createFirewall /m);
      assert.match(r.stdout, /compute\.firewalls\.create/);
      assert.match(r.stderr, /"severity":"WARNING"/, 'the failure is logged on stderr');
    } finally {
      sim.faults.clear();
    }
  });

  it('a failed instance read: status exits 1, keeps what the Services publish and says the node IPs are unknown', async () => {
    sim.faults.add({ api: 'compute', method: 'GET', status: 503, times: Infinity });
    try {
      const r = await nodelb(['status', '--cluster', sim.clusterName], gkeEnv());
      assert.equal(r.code, 1, failure(r));
      assert.match(r.stdout, /^default\/web {3}EXTERNAL-IP 198\.51\.100\.9,203\.0\.113\.1,203\.0\.113\.2 \(as published now; instance read failed: node IPs unknown\)/m);
      assert.match(r.stdout, /^ {2}node-a +\? +\? +instance read failed: node IPs unknown$/m);
      assert.doesNotMatch(r.stdout, /instance not found|\(deleted\)|no Service of this load balancer class/);
      assert.doesNotMatch(r.stdout, /^default\/(web|dns) .*<pending>/m, 'only the refused bastion publishes nothing');
      const dry = await nodelb(['sync', '--cluster', sim.clusterName, '--dry-run'], gkeEnv());
      assert.equal(dry.code, 1, failure(dry));
      assert.doesNotMatch(dry.stdout, /everything is in sync/);
    } finally {
      sim.faults.clear();
    }
  });

  it('as a process: a bad flag exits 2 and lists every problem at once on stderr, nothing on stdout', async () => {
    const r = await nodelbProcess(['sync', '--cluster', 'nope', '--kubeconfig', kubeconfig, '--max-ips', 'lots', '--frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^nodelb sync: invalid arguments:$/m);
    assert.match(r.stderr, /^ {2}- unknown option --frobnicate$/m);
    assert.match(r.stderr, /^ {2}- --cluster and --kubeconfig cannot be used together/m);
    assert.match(r.stderr, /^ {2}- --cluster: "nope" is not projects\/PROJECT/m);
    assert.match(r.stderr, /^ {2}- --max-ips: expected a whole number/m);
  });
});
