// Kubernetes objects as a GKE API server lists them, for bench/list_parse.ts: a klipper-lb proxy
// pod (~6 KB with managedFields) and a GKE node (~12 KB: images, conditions, labels,
// annotations). Deterministic from an index. Pure.

const hex = (i: number, len: number) => (i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(Math.ceil(len / 8)).slice(0, len);

/** A proxy pod as the API server lists it for a klipper-lb DaemonSet: ~5 KB with managedFields. */
export function podJson(i: number): string {
  const node = `gke-prod-default-pool-${hex(i % 5000, 8)}-${hex(i, 4)}`;
  const ds = `nodelb-svc-${i % 200}-${hex(i % 200, 8)}`;
  const t = '2026-11-02T10:00:00Z';
  const pod = {
    metadata: {
      name: `${ds}-${hex(i, 5)}`,
      generateName: `${ds}-`,
      namespace: 'nodelb-system',
      uid: `${hex(i, 8)}-${hex(i + 1, 4)}-${hex(i + 2, 4)}-${hex(i + 3, 4)}-${hex(i + 4, 12)}`,
      resourceVersion: String(100000 + i),
      creationTimestamp: t,
      labels: { 'app.kubernetes.io/managed-by': 'nodelb', 'nodelb.dev/daemonset': ds, 'nodelb.dev/service-uid': hex(i % 200, 16), 'controller-revision-hash': hex(i % 200, 10), 'pod-template-generation': '1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds, uid: hex(i % 200, 36), controller: true, blockOwnerDeletion: true }],
      managedFields: [
        { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {}, 'f:controller-revision-hash': {}, 'f:nodelb.dev/daemonset': {}, 'f:pod-template-generation': {} }, 'f:ownerReferences': { '.': {}, [`k:{"uid":"${hex(i % 200, 36)}"}`]: {} } }, 'f:spec': { 'f:affinity': { '.': {}, 'f:nodeAffinity': { '.': {}, 'f:requiredDuringSchedulingIgnoredDuringExecution': {} } }, 'f:containers': { 'k:{"name":"lb-tcp-80"}': { '.': {}, 'f:env': {}, 'f:image': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': {}, 'f:securityContext': {} } }, 'f:dnsPolicy': {}, 'f:enableServiceLinks': {}, 'f:initContainers': {}, 'f:priorityClassName': {}, 'f:restartPolicy': {}, 'f:schedulerName': {}, 'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {}, 'f:tolerations': {} } } },
        { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"ContainersReady"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} }, 'k:{"type":"Initialized"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} }, 'k:{"type":"Ready"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:hostIPs': {}, 'f:initContainerStatuses': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': {}, 'f:startTime': {} } } },
      ],
    },
    spec: {
      initContainers: [{ name: 'forwarding', image: 'rancher/mirrored-library-busybox:1.37.0', command: ['sh', '-c', 'sysctl -w net.ipv4.ip_forward=1'], resources: { requests: { cpu: '10m', memory: '8Mi' } }, securityContext: { privileged: true }, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }],
      containers: [{ name: 'lb-tcp-80', image: 'rancher/klipper-lb:v0.4.13', ports: [{ name: 'lb-tcp-80', hostPort: 80, containerPort: 80, protocol: 'TCP' }], env: [{ name: 'SRC_PORT', value: '80' }, { name: 'SRC_RANGES', value: '0.0.0.0/0' }, { name: 'DEST_PROTO', value: 'TCP' }, { name: 'DEST_PORT', value: '80' }, { name: 'DEST_IPS', value: '10.96.12.34' }], resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } }, securityContext: { capabilities: { add: ['NET_ADMIN'] } }, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      automountServiceAccountToken: false,
      nodeName: node,
      securityContext: {},
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } },
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ],
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
      hostIP: `10.128.${(i >> 8) & 255}.${i & 255}`,
      hostIPs: [{ ip: `10.128.${(i >> 8) & 255}.${i & 255}` }],
      podIP: `10.4.${(i >> 8) & 255}.${i & 255}`,
      podIPs: [{ ip: `10.4.${(i >> 8) & 255}.${i & 255}` }],
      startTime: t,
      initContainerStatuses: [{ name: 'forwarding', state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, containerID: `containerd://${hex(i, 64)}` } }, lastState: {}, ready: true, restartCount: 0, image: 'docker.io/rancher/mirrored-library-busybox:1.37.0', imageID: `docker.io/rancher/mirrored-library-busybox@sha256:${hex(7, 64)}`, containerID: `containerd://${hex(i, 64)}`, started: false }],
      containerStatuses: [{ name: 'lb-tcp-80', state: { running: { startedAt: t } }, lastState: {}, ready: true, restartCount: 0, image: 'docker.io/rancher/klipper-lb:v0.4.13', imageID: `docker.io/rancher/klipper-lb@sha256:${hex(9, 64)}`, containerID: `containerd://${hex(i + 1, 64)}`, started: true }],
      qosClass: 'Burstable',
    },
  };
  return JSON.stringify(pod);
}

const GKE_IMAGES = [
  'gke.gcr.io/gke-metrics-agent', 'gke.gcr.io/fluent-bit', 'gke.gcr.io/netd', 'gke.gcr.io/kube-proxy-amd64', 'gke.gcr.io/gcp-compute-persistent-disk-csi-driver',
  'gke.gcr.io/csi-node-driver-registrar', 'gke.gcr.io/ip-masq-agent', 'gke.gcr.io/cilium/cilium', 'gke.gcr.io/gke-release/gcfs-snapshotter', 'gke.gcr.io/prometheus-to-sd',
  'gke.gcr.io/k8s-dns-node-cache', 'gke.gcr.io/gke-metadata-server', 'gke.gcr.io/addon-resizer', 'gke.gcr.io/event-exporter', 'gke.gcr.io/proxy-agent',
  'gke.gcr.io/konnectivity-agent', 'gke.gcr.io/pause', 'gke.gcr.io/cluster-proportional-autoscaler', 'gke.gcr.io/k8s-dns-kube-dns', 'gke.gcr.io/k8s-dns-sidecar',
  'gke.gcr.io/k8s-dns-dnsmasq-nanny', 'gke.gcr.io/metrics-server', 'gke.gcr.io/fluent-bit-gke-exporter', 'gke.gcr.io/gke-metrics-collector', 'gke.gcr.io/netd-init',
  'docker.io/rancher/klipper-lb', 'docker.io/rancher/mirrored-library-busybox', 'us-docker.pkg.dev/app/web', 'us-docker.pkg.dev/app/worker', 'us-docker.pkg.dev/app/cron',
];

/** A GKE node as `kubectl get node -o json` shows it: ~15 KB (images, conditions, labels). */
export function nodeJson(i: number): string {
  const name = `gke-prod-default-pool-${hex(i, 8)}-${hex(i + 7, 4)}`;
  const t = '2026-11-02T10:00:00Z';
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/instance-type': 'e2-standard-4', 'beta.kubernetes.io/os': 'linux',
    'cloud.google.com/gke-boot-disk': 'pd-balanced', 'cloud.google.com/gke-container-runtime': 'containerd', 'cloud.google.com/gke-cpu-scaling-level': '4',
    'cloud.google.com/gke-logging-variant': 'DEFAULT', 'cloud.google.com/gke-max-pods-per-node': '110', 'cloud.google.com/gke-memory-gb-scaling-level': '16',
    'cloud.google.com/gke-nodepool': 'default-pool', 'cloud.google.com/gke-os-distribution': 'cos', 'cloud.google.com/gke-provisioning': 'standard',
    'cloud.google.com/gke-stack-type': 'IPV4_IPV6', 'cloud.google.com/machine-family': 'e2', 'cloud.google.com/private-node': 'false',
    'failure-domain.beta.kubernetes.io/region': 'us-central1', 'failure-domain.beta.kubernetes.io/zone': 'us-central1-a', 'iam.gke.io/gke-metadata-server-enabled': 'true',
    'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'e2-standard-4',
    'node.kubernetes.io/masq-agent-ds-ready': 'true', 'topology.gke.io/zone': 'us-central1-a', 'topology.kubernetes.io/region': 'us-central1', 'topology.kubernetes.io/zone': 'us-central1-a',
  };
  const node = {
    metadata: {
      name,
      uid: `${hex(i, 8)}-${hex(i + 1, 4)}-${hex(i + 2, 4)}-${hex(i + 3, 4)}-${hex(i + 4, 12)}`,
      resourceVersion: String(200000 + i),
      creationTimestamp: t,
      labels,
      annotations: {
        'container.googleapis.com/instance_id': String(1000000000000000000 + i),
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({ 'pd.csi.storage.gke.io': `projects/prod/zones/us-central1-a/instances/${name}` }),
        'node.alpha.kubernetes.io/ttl': '0',
        'node.gke.io/last-applied-node-labels': Object.entries(labels).slice(3, 20).map(([k, v]) => `${k}=${v}`).join(','),
        'node.gke.io/last-applied-node-taints': '',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: `10.4.${i & 255}.0/24`, podCIDRs: [`10.4.${i & 255}.0/24`, `2600:1900:4000:${hex(i, 4)}::/112`], providerID: `gce://prod/us-central1-a/${name}` },
    status: {
      capacity: { cpu: '4', 'ephemeral-storage': '98831908Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16393244Ki', pods: '110' },
      allocatable: { cpu: '3920m', 'ephemeral-storage': '47060071478', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '13201436Ki', pods: '110' },
      conditions: [
        ['FrequentUnregisterNetDevice', 'False', 'NoFrequentUnregisterNetDevice', 'node is functioning properly'],
        ['FrequentKubeletRestart', 'False', 'NoFrequentKubeletRestart', 'kubelet is functioning properly'],
        ['FrequentDockerRestart', 'False', 'NoFrequentDockerRestart', 'docker is functioning properly'],
        ['FrequentContainerdRestart', 'False', 'NoFrequentContainerdRestart', 'containerd is functioning properly'],
        ['KernelDeadlock', 'False', 'KernelHasNoDeadlock', 'kernel has no deadlock'],
        ['ReadonlyFilesystem', 'False', 'FilesystemIsNotReadOnly', 'Filesystem is not read-only'],
        ['CorruptDockerOverlay2', 'False', 'NoCorruptDockerOverlay2', 'docker overlay2 is functioning properly'],
        ['NetworkUnavailable', 'False', 'RouteCreated', 'NodeController create implicit route'],
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status. AppArmor enabled'],
      ].map(([type, status, reason, message]) => ({ type, status, lastHeartbeatTime: t, lastTransitionTime: t, reason, message })),
      addresses: [
        { type: 'InternalIP', address: `10.128.${(i >> 8) & 255}.${i & 255}` },
        { type: 'ExternalIP', address: `34.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
        { type: 'InternalIP', address: `2600:1900:4000:${hex(i, 4)}:0:1::` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: hex(i, 32), systemUUID: hex(i + 9, 32), bootID: hex(i + 3, 36), kernelVersion: '6.6.97+', osImage: 'Container-Optimized OS from Google', containerRuntimeVersion: 'containerd://1.7.28', kubeletVersion: 'v1.33.5-gke.1201000', kubeProxyVersion: 'v1.33.5-gke.1201000', operatingSystem: 'linux', architecture: 'amd64' },
      images: GKE_IMAGES.map((img, k) => ({ names: [`${img}@sha256:${hex(i * 31 + k, 64)}`, `${img}:v1.${k}.${i % 7}-gke.${hex(k, 6)}`], sizeBytes: 10_000_000 + k * 1_234_567 })),
      config: {},
      runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: true, userNamespaces: true } }, { name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: true } }],
      features: { supplementalGroupsPolicy: true },
    },
  };
  return JSON.stringify(node);
}
