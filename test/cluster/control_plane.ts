// A real Kubernetes control plane on 127.0.0.1 (does I/O): etcd, kube-apiserver (static tokens,
// RBAC, the default admission chain with Pod Security), kube-controller-manager and
// kube-scheduler, from the binaries test/cluster/build.sh builds. Nodes come from kubelet.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeHttp } from './kube_http.ts';
import { makePki, type TokenUser } from './pki.ts';
import { freePort, httpOk, startComponent, waitUntil, type Component } from './processes.ts';

export const ADMIN_TOKEN = 'local-admin-token';
/** Pod and Service ranges shaped like a dual-stack GKE cluster's. */
export const SERVICE_CIDRS = '10.96.0.0/16,fd00:10:96::/112';

export interface ControlPlaneOptions {
  /** Working directory: certificates, kubeconfigs, etcd data, one log file per component. */
  dir: string;
  /** Users besides the admin, for the static token file (they have no rights until bound). */
  users?: TokenUser[];
  /** false: etcd and kube-apiserver only (no controller manager, no scheduler), for benchmarks
   *  whose worlds are too large for the real controllers on this machine; they stand in for them. */
  controllers?: boolean;
}

export interface ControlPlane {
  url: string; // https://127.0.0.1:PORT
  endpoint: string; // 127.0.0.1:PORT, what GKE's getCluster puts in `endpoint`
  caPem: string;
  caData: string; // base64 PEM, as in masterAuth.clusterCaCertificate
  /** The API server's serving certificate and key (a proxy in front of it presents the same). */
  certPem: string;
  keyPem: string;
  adminToken: string;
  admin: KubeHttp;
  adminKubeconfig: string;
  version: string;
  components: Component[];
  /** Ports every component listens on (all 127.0.0.1), for checks that nothing is left behind. */
  ports: number[];
  stop(): Promise<void>;
}

export interface Binaries {
  etcd: string;
  apiserver: string;
  controllerManager: string;
  scheduler: string;
}

/** Builds the control plane on first use (cached by version) and returns the binaries' paths. */
export function controlPlaneBinaries(): Binaries {
  const script = new URL('./build.sh', import.meta.url).pathname;
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    throw new Error(`the real control plane is not available: ${script} failed (its reason is printed above). Tests that need Kubernetes do not fall back to a simulator.`, { cause: err });
  }
  // The last two lines name the directories of exactly the versions this checkout pins.
  const [k8s = '', etcd = ''] = out.trim().split('\n').slice(-2);
  return {
    etcd: join(etcd, 'etcd'),
    apiserver: join(k8s, 'kube-apiserver'),
    controllerManager: join(k8s, 'kube-controller-manager'),
    scheduler: join(k8s, 'kube-scheduler'),
  };
}

function kubeconfig(url: string, caFile: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: local',
    '  context: {cluster: local, user: admin}',
    'current-context: local',
    '',
  ].join('\n');
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const bins = controlPlaneBinaries();
  const dir = opts.dir;
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const pki = makePki(dir, [{ token: ADMIN_TOKEN, user: 'admin', uid: 'uid-admin', groups: ['system:masters'] }, ...(opts.users ?? [])]);
  const [etcdPort, peerPort, apiPort, kcmPort, schedPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const components: Component[] = [];
  const stop = async (): Promise<void> => {
    // Reverse order: clients before the servers they talk to, etcd last.
    for (const c of [...components].reverse()) await c.stop();
  };
  try {
    const etcd = startComponent('etcd', bins.etcd, [
      '--name=local',
      `--data-dir=${join(dir, 'etcd')}`,
      '--unsafe-no-fsync=true', // test data: durability buys nothing and costs seconds
      '--auto-compaction-retention=1',
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=local=http://127.0.0.1:${peerPort}`,
      '--log-level=warn',
    ], logs);
    components.push(etcd);
    await waitUntil(etcd, 'healthy /health', () => httpOk(`http://127.0.0.1:${etcdPort}/health`));

    const url = `https://127.0.0.1:${apiPort}`;
    const apiserver = startComponent('kube-apiserver', bins.apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1', // no default route here: the API server cannot pick one
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.certFile}`,
      `--tls-private-key-file=${pki.keyFile}`,
      `--client-ca-file=${pki.caFile}`,
      `--token-auth-file=${pki.tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saKeyFile}`,
      `--service-account-signing-key-file=${pki.saKeyFile}`,
      `--service-cluster-ip-range=${SERVICE_CIDRS}`,
      '--allow-privileged=true', // the proxies' init container is privileged, as on GKE Standard
      '--endpoint-reconciler-type=none', // keeps 127.0.0.1 out of default/kubernetes
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ], logs);
    components.push(apiserver);
    await waitUntil(apiserver, 'ready /readyz', () => httpOk(`${url}/readyz`, { ca: pki.caPem, token: ADMIN_TOKEN }));

    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(adminKubeconfig, kubeconfig(url, pki.caFile, ADMIN_TOKEN), { mode: 0o600 });
    const common = [`--kubeconfig=${adminKubeconfig}`, `--authentication-kubeconfig=${adminKubeconfig}`, `--authorization-kubeconfig=${adminKubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1'];
    if (opts.controllers !== false) {
      const kcm = startComponent('kube-controller-manager', bins.controllerManager, [
        ...common,
        `--secure-port=${kcmPort}`,
        '--controllers=*', // every controller that is on by default: DaemonSet, EndpointSlice, namespace, GC, service-account, node-lifecycle …
        `--root-ca-file=${pki.caFile}`,
        `--service-account-private-key-file=${pki.saKeyFile}`,
        '--kube-api-qps=100',
        '--kube-api-burst=200',
        '--node-monitor-period=2s', // NotReady nodes are tainted within seconds, not 5
      ], logs);
      components.push(kcm);
      const scheduler = startComponent('kube-scheduler', bins.scheduler, [...common, `--secure-port=${schedPort}`], logs);
      components.push(scheduler);
      await Promise.all([
        waitUntil(kcm, 'healthy /healthz', () => httpOk(`https://127.0.0.1:${kcmPort}/healthz`)),
        waitUntil(scheduler, 'healthy /healthz', () => httpOk(`https://127.0.0.1:${schedPort}/healthz`)),
      ]);
    }
    const admin = new KubeHttp(url, pki.caPem, ADMIN_TOKEN);
    // The service-account controller makes `default` in every namespace; pods need it to be admitted.
    const kcm = components.find((c) => c.name === 'kube-controller-manager');
    if (kcm) await waitUntil(kcm, 'the default ServiceAccount', async () => (await admin.find('/api/v1/namespaces/default/serviceaccounts/default')) !== undefined);
    const version = (await admin.get<{ gitVersion: string }>('/version')).gitVersion;
    return {
      url,
      endpoint: `127.0.0.1:${apiPort}`,
      caPem: pki.caPem,
      caData: Buffer.from(pki.caPem).toString('base64'),
      certPem: readFileSync(pki.certFile, 'utf8'),
      keyPem: readFileSync(pki.keyFile, 'utf8'),
      adminToken: ADMIN_TOKEN,
      admin,
      adminKubeconfig,
      version,
      components,
      ports: [etcdPort, peerPort, apiPort, kcmPort, schedPort],
      stop: async () => {
        admin.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
