// The desired proxy DaemonSet of one served Service: klipper-lb containers exactly as k3s
// servicelb builds them, plus forwarding set-up and a readiness probe that proves it (pure).
import type { V1Container, V1DaemonSet, V1EnvVar, V1NodeSelectorRequirement, V1PodSpec, V1Toleration } from '@kubernetes/client-node';
import type { IPFamily } from './model.ts';
import type { PlanConfig } from './plan_config.ts';
import type { Assessment } from './validate.ts';
import type { Selector } from './selectors.ts';
import {
  DAEMONSET_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  SERVICE_NAME_LABEL,
  SERVICE_NAMESPACE_LABEL,
  SERVICE_UID_LABEL,
  SPEC_HASH_ANNOTATION,
  daemonSetName,
  shortHash,
  stableStringify,
} from './naming.ts';

/** servicelb's fixed tolerations: proxies also run on control-plane and critical-addon nodes. */
export const BUILT_IN_TOLERATIONS: readonly V1Toleration[] = [
  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
];

const FORWARDING_SYSCTL: Record<IPFamily, string> = {
  IPv4: 'net.ipv4.ip_forward',
  IPv6: 'net.ipv6.conf.all.forwarding',
};

// The proxy is a shell script waiting on a FIFO; the kernel does the forwarding. Requests keep
// the pod out of the BestEffort class (evicted first under node pressure) and let the scheduler
// count it; the memory limit bounds a runaway without risking the tiny steady state. No CPU
// limit: throttling could only delay the iptables set-up, never save anything.
const RESOURCES = { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } };
// Requests add up over a pod's containers (one per port): at 10m each, a 100-port Service asked
// a whole CPU per node, more than an e2-medium has, and the real scheduler left every proxy pod
// Pending. The first container carries the pod's requests; the others (each an idle shell)
// ask for a token amount, so a pod at the port cap asks 109m and 412Mi.
const EXTRA_PORT_RESOURCES = { requests: { cpu: '1m', memory: '4Mi' }, limits: { memory: '64Mi' } };

export function ownerLabels(a: Assessment): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [SERVICE_NAMESPACE_LABEL]: a.svc.namespace,
    [SERVICE_NAME_LABEL]: a.svc.name,
    [SERVICE_UID_LABEL]: a.svc.uid,
  };
}

/** Forwarding families: IPv4 always (klipper-lb's DNAT of IPv4 cluster IPs needs it), IPv6 when used. */
function forwardingFamilies(families: readonly IPFamily[]): IPFamily[] {
  return families.includes('IPv6') ? ['IPv4', 'IPv6'] : ['IPv4'];
}

/** Ready means "forwards traffic": klipper-lb ≥ 0.4.9 silently skips a family whose forwarding
 *  switch is 0 and still looks Ready. The probe runs in the proxy container, so `iptables` is the
 *  backend klipper-lb linked at start, and `${SRC_PORT}` comes from the container's env. */
export function readinessScript(families: readonly IPFamily[]): string {
  return families
    .map((family) => {
      const file = family === 'IPv4' ? '/proc/sys/net/ipv4/ip_forward' : '/proc/sys/net/ipv6/conf/all/forwarding';
      const tool = family === 'IPv4' ? 'iptables' : 'ip6tables';
      return `[ "$(cat ${file})" = 1 ] && ${tool} -t nat -S PREROUTING | grep -qE -- "--dport \${SRC_PORT}( |$)"`;
    })
    .join(' && ');
}

export function forwardingCommand(families: readonly IPFamily[]): string {
  return forwardingFamilies(families)
    .map((f) => `sysctl -w ${FORWARDING_SYSCTL[f]}=1`)
    .join(' && ');
}

function schedulingFor(selector: Selector): Pick<V1PodSpec, 'nodeSelector' | 'affinity'> {
  const nodeSelector: Record<string, string> = {};
  const expressions: V1NodeSelectorRequirement[] = [];
  for (const key of Object.keys(selector).sort()) {
    const want = selector[key] ?? '';
    if (want === '') expressions.push({ key, operator: 'Exists' });
    else if (want.startsWith('!')) expressions.push({ key, operator: 'NotIn', values: [want.slice(1)] });
    else nodeSelector[key] = want;
  }
  const out: Pick<V1PodSpec, 'nodeSelector' | 'affinity'> = {};
  if (Object.keys(nodeSelector).length > 0) out.nodeSelector = nodeSelector;
  if (expressions.length > 0) {
    out.affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expressions }] } },
    };
  }
  return out;
}

function proxyContainer(a: Assessment, port: Assessment['svc']['ports'][number], config: PlanConfig, index: number): V1Container {
  const name = `lb-${port.protocol.toLowerCase()}-${port.port}`;
  const local = a.svc.externalTrafficPolicy === 'Local';
  const env: V1EnvVar[] = [
    { name: 'SRC_PORT', value: String(port.port) },
    { name: 'SRC_RANGES', value: (a.sourceRanges?.all ?? []).join(',') },
    { name: 'DEST_PROTO', value: port.protocol },
    // Local: DNAT to this node's own IPs and the nodePort, where kube-proxy keeps traffic local.
    { name: 'DEST_PORT', value: String(local ? port.nodePort : port.port) },
    local
      ? { name: 'DEST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } }
      : { name: 'DEST_IPS', value: a.clusterIPs.join(',') },
  ];
  return {
    name,
    image: config.proxyImage,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name, containerPort: port.port, hostPort: port.port, protocol: port.protocol }],
    env,
    securityContext: { capabilities: { add: ['NET_ADMIN'] } },
    resources: structuredClone(index === 0 ? RESOURCES : EXTRA_PORT_RESOURCES),
    readinessProbe: {
      exec: { command: ['sh', '-c', readinessScript(a.families)] },
      periodSeconds: 10,
      initialDelaySeconds: 2,
    },
  };
}

export function desiredDaemonSet(a: Assessment, config: PlanConfig): V1DaemonSet {
  const name = daemonSetName(a.svc.name, a.svc.uid);
  const labels = ownerLabels(a);
  const podSpec: V1PodSpec = {
    automountServiceAccountToken: false, // the proxy never talks to the API server
    enableServiceLinks: false, // thousands of Service env vars help nobody here
    tolerations: [...BUILT_IN_TOLERATIONS.map((t) => ({ ...t })), ...a.settings.tolerations.map((t) => ({ ...t }))],
    ...schedulingFor(a.settings.nodeSelector),
    containers: a.svc.ports.map((p, i) => proxyContainer(a, p, config, i)),
  };
  // No default priority class: GKE's ResourceQuota limits system-node-critical (servicelb's
  // default) to kube-system, so pods elsewhere would be rejected. The annotation opts in.
  if (a.settings.priorityClass) podSpec.priorityClassName = a.settings.priorityClass;
  const sysctls = forwardingFamilies(a.families).map((f) => ({ name: FORWARDING_SYSCTL[f], value: '1' }));
  if (config.forwarding === 'sysctls') {
    // Unsafe sysctls: the kubelet rejects the pod (SysctlForbidden) unless the node pool
    // allow-lists them (NodeKubeletConfig.allowedUnsafeSysctls).
    podSpec.securityContext = { sysctls };
  } else {
    // akrobateo's way: a short privileged init container sets them in the pod's network namespace.
    podSpec.initContainers = [
      {
        name: 'forwarding',
        image: config.proxyImage,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', forwardingCommand(a.families)],
        securityContext: { privileged: true },
        resources: structuredClone(RESOURCES),
      },
    ];
  }
  const metadata = { name, namespace: config.namespace, labels };
  const ds: V1DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata,
    spec: {
      selector: { matchLabels: { [DAEMONSET_LABEL]: name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { ...labels, [DAEMONSET_LABEL]: name } },
        spec: podSpec,
      },
    },
  };
  return { ...ds, metadata: { ...metadata, annotations: { [SPEC_HASH_ANNOTATION]: specHash(ds) } } };
}

/** Short hash of what we set (labels and spec), recorded on the object to spot edits cheaply. */
export function specHash(ds: V1DaemonSet): string {
  return shortHash(stableStringify({ labels: ds.metadata?.labels ?? {}, spec: ds.spec ?? {} }), 16);
}
