// A GKE Node object of realistic size (about 12.5 KB of JSON), the one place the benchmark's node
// shape is recorded (pure). Modelled on the fields `kubectl get node -o yaml` shows for a GKE
// Standard node (COS, containerd) — public examples and GKE's documentation of node labels,
// node-problem-detector conditions and node images — not copied from one cluster.
import { createHash } from 'node:crypto';

export interface GkeNodeInput {
  name: string;
  index: number; // distinct per node: varies IDs, pod CIDRs and the few per-node images
  project: string;
  zone: string;
  pool: string; // GKE node pool (cloud.google.com/gke-nodepool)
  internalIP: string;
  externalIP: string;
  instanceId: string;
  extraLabels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  created: string; // RFC 3339, for condition times
}

const hex = (text: string, n: number): string => createHash('sha256').update(text).digest('hex').slice(0, n);

/** System images every GKE node pulls (gke.gcr.io add-ons of a 1.33 cluster), with sizes in bytes. */
const SYSTEM_IMAGES: [string, string, number][] = [
  ['gke.gcr.io/gke-metrics-agent', '1.15.3-gke.0', 122_094_821],
  ['gke.gcr.io/fluent-bit', 'v1.8.12-gke.33', 93_124_102],
  ['gke.gcr.io/fluent-bit-gke-exporter', 'v0.28.0-gke.6', 64_510_320],
  ['gke.gcr.io/kube-proxy-amd64', 'v1.33.5-gke.1201000', 95_883_612],
  ['gke.gcr.io/gcp-compute-persistent-disk-csi-driver', 'v1.17.4-gke.0', 41_780_112],
  ['gke.gcr.io/csi-node-driver-registrar', 'v2.13.0-gke.9', 12_004_376],
  ['gke.gcr.io/gcs-fuse-csi-driver', 'v1.8.1-gke.0', 31_505_901],
  ['gke.gcr.io/netd', 'v0.8.4-gke.3', 38_520_143],
  ['gke.gcr.io/netd-init', 'v0.8.4-gke.3', 5_480_020],
  ['gke.gcr.io/calico/node', 'v3.29.3-gke.2', 152_339_410],
  ['gke.gcr.io/calico/cni', 'v3.29.3-gke.2', 88_110_563],
  ['gke.gcr.io/ip-masq-agent', 'v2.11.0-gke.13', 19_003_284],
  ['gke.gcr.io/konnectivity-agent', 'v0.32.0-gke.3', 16_330_212],
  ['gke.gcr.io/cluster-proportional-autoscaler', 'v1.9.0-gke.12', 18_212_006],
  ['gke.gcr.io/k8s-dns-kube-dns', '1.26.3-gke.4', 34_114_287],
  ['gke.gcr.io/k8s-dns-dnsmasq-nanny', '1.26.3-gke.4', 36_881_092],
  ['gke.gcr.io/k8s-dns-sidecar', '1.26.3-gke.4', 31_020_764],
  ['gke.gcr.io/k8s-dns-node-cache', '1.26.3-gke.4', 42_500_118],
  ['gke.gcr.io/event-exporter', 'v0.4.0-gke.30', 29_118_420],
  ['gke.gcr.io/prometheus-to-sd', 'v0.11.12-gke.63', 25_882_001],
  ['gke.gcr.io/metrics-server', 'v0.7.2-gke.14', 20_901_733],
  ['gke.gcr.io/addon-resizer', '1.8.23-gke.9', 13_560_220],
  ['gke.gcr.io/gke-metadata-server', '20250325_2300_RC0', 47_190_512],
  ['gke.gcr.io/proxy-agent', 'v0.32.0-gke.3', 14_701_880],
  ['gke.gcr.io/node-problem-detector', 'v0.8.20-gke.1', 58_224_610],
  ['gke.gcr.io/gke-node-termination-handler', 'v1.1.0-gke.4', 22_301_992],
  ['gke.gcr.io/watcher-daemonset', 'v0.2.1-gke.3', 9_880_123],
  ['gke.gcr.io/cilium/cilium', 'v1.15.12-gke.4', 211_033_874],
  ['gke.gcr.io/gke-release/pause', '3.10', 310_032],
  ['registry.k8s.io/pause', '3.10', 320_368],
  ['gke.gcr.io/ingress-gce-neg-readiness-reflector', 'v1.33.1-gke.0', 27_998_310],
  ['gke.gcr.io/snapshot-controller', 'v8.2.0-gke.1', 25_004_117],
];

/** Workload images: a node holds some of these depending on what was scheduled there. */
const WORKLOAD_IMAGES: [string, string, number][] = [
  ['us-docker.pkg.dev/demo-project/apps/web', 'v2025.11.3', 187_220_114],
  ['us-docker.pkg.dev/demo-project/apps/api', 'v2025.11.7', 241_903_882],
  ['us-docker.pkg.dev/demo-project/apps/worker', 'v2025.10.22', 312_004_551],
  ['docker.io/library/nginx', '1.27.3', 72_100_991],
  ['docker.io/library/redis', '7.4.1', 45_310_876],
  ['quay.io/prometheus/node-exporter', 'v1.8.2', 11_903_004],
  ['ghcr.io/nodelb/proxy', 'v0.1.0', 7_312_550],
  ['us-docker.pkg.dev/demo-project/apps/batch', 'v2025.09.30', 402_111_903],
  ['docker.io/envoyproxy/envoy', 'v1.32.2', 67_882_340],
  ['registry.k8s.io/ingress-nginx/controller', 'v1.12.0', 104_221_097],
];

function images(index: number): { names: string[]; sizeBytes: number }[] {
  const workloads = WORKLOAD_IMAGES.filter((_, k) => (index + k) % 3 !== 0); // 6–7 of 10, varying by node
  return [...SYSTEM_IMAGES, ...workloads].map(([repo, tag, sizeBytes]) => ({ names: [`${repo}@sha256:${hex(`${repo}:${tag}`, 64)}`, `${repo}:${tag}`], sizeBytes }));
}

function conditions(at: string): Record<string, string>[] {
  const c = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: at, lastTransitionTime: at, reason, message });
  // node-problem-detector's conditions first, then the kubelet's and the route controller's, as GKE lists them.
  return [
    c('FrequentUnregisterNetDevice', 'False', 'NoFrequentUnregisterNetDevice', 'node is functioning properly'),
    c('FrequentKubeletRestart', 'False', 'NoFrequentKubeletRestart', 'kubelet is functioning properly'),
    c('FrequentDockerRestart', 'False', 'NoFrequentDockerRestart', 'docker is functioning properly'),
    c('FrequentContainerdRestart', 'False', 'NoFrequentContainerdRestart', 'containerd is functioning properly'),
    c('KernelDeadlock', 'False', 'KernelHasNoDeadlock', 'kernel has no deadlock'),
    c('ReadonlyFilesystem', 'False', 'FilesystemIsNotReadOnly', 'Filesystem is not read-only'),
    c('CorruptDockerOverlay2', 'False', 'NoCorruptDockerOverlay2', 'docker overlay2 is functioning properly'),
    c('NetworkUnavailable', 'False', 'RouteCreated', 'NodeController create implicit route'),
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function gkeNodeLabels(n: GkeNodeInput): Record<string, string> {
  const region = n.zone.replace(/-[a-z]$/, '');
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/instance-type': 'e2-standard-4',
    'beta.kubernetes.io/os': 'linux',
    'cloud.google.com/gke-boot-disk': 'pd-balanced',
    'cloud.google.com/gke-container-runtime': 'containerd',
    'cloud.google.com/gke-cpu-scaling-level': '4',
    'cloud.google.com/gke-logging-variant': 'DEFAULT',
    'cloud.google.com/gke-max-pods-per-node': '110',
    'cloud.google.com/gke-memory-gb-scaling-level': '16',
    'cloud.google.com/gke-netd-ready': 'true',
    'cloud.google.com/gke-nodepool': n.pool,
    'cloud.google.com/gke-os-distribution': 'cos',
    'cloud.google.com/gke-provisioning': 'standard',
    'cloud.google.com/gke-stack-type': 'IPV4',
    'cloud.google.com/machine-family': 'e2',
    'cloud.google.com/private-node': 'false',
    'failure-domain.beta.kubernetes.io/region': region,
    'failure-domain.beta.kubernetes.io/zone': n.zone,
    'iam.gke.io/gke-metadata-server-enabled': 'true',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'e2-standard-4',
    'node.kubernetes.io/masq-agent-ds-ready': 'true',
    'addon.gke.io/node-local-dns-ds-ready': 'true',
    'topology.gke.io/zone': n.zone,
    'topology.kubernetes.io/region': region,
    'topology.kubernetes.io/zone': n.zone,
    ...n.extraLabels,
  };
}

/** The Node as created (metadata and spec) and its status (written through /status, as the kubelet does). */
export function gkeNode(n: GkeNodeInput): { node: Record<string, unknown>; status: Record<string, unknown> } {
  const labels = gkeNodeLabels(n);
  const gkeLabels = Object.entries(labels)
    .filter(([k]) => k.startsWith('cloud.google.com/') || k.startsWith('nodelb.dev/'))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels,
      annotations: {
        'container.googleapis.com/instance_id': n.instanceId,
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({ 'pd.csi.storage.gke.io': `projects/${n.project}/zones/${n.zone}/instances/${n.name}`, 'gcsfuse.csi.storage.gke.io': n.name }),
        'node.alpha.kubernetes.io/ttl': '0',
        'node.gke.io/last-applied-node-labels': gkeLabels,
        'node.gke.io/last-applied-node-taints': (n.taints ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).join(','),
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `10.${64 + ((n.index >> 8) & 63)}.${n.index & 255}.0/24`,
      podCIDRs: [`10.${64 + ((n.index >> 8) & 63)}.${n.index & 255}.0/24`],
      providerID: `gce://${n.project}/${n.zone}/${n.name}`,
      ...(n.taints && n.taints.length > 0 ? { taints: n.taints } : {}),
    },
  };
  const id = hex(`${n.name}/${n.index}`, 32);
  const status = {
    addresses: gkeNodeAddresses(n.name, n.internalIP, n.externalIP),
    allocatable: { cpu: '3920m', 'ephemeral-storage': '47060071478', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '13117180Ki', pods: '110' },
    capacity: { cpu: '4', 'ephemeral-storage': '98831908Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16373500Ki', pods: '110' },
    conditions: conditions(n.created),
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    images: images(n.index),
    nodeInfo: {
      architecture: 'amd64',
      bootID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      containerRuntimeVersion: 'containerd://1.7.28',
      kernelVersion: '6.6.97+',
      kubeProxyVersion: 'v1.33.5-gke.1201000',
      kubeletVersion: 'v1.33.5-gke.1201000',
      machineID: hex(`machine/${n.name}`, 32),
      operatingSystem: 'linux',
      osImage: 'Container-Optimized OS from Google',
      systemUUID: hex(`uuid/${n.name}`, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
    },
  };
  return { node, status };
}

export function gkeNodeAddresses(name: string, internalIP: string, externalIP: string | undefined): { type: string; address: string }[] {
  return [{ type: 'InternalIP', address: internalIP }, ...(externalIP ? [{ type: 'ExternalIP', address: externalIP }] : []), { type: 'Hostname', address: name }];
}
