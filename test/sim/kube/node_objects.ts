// Builds Node objects the way a kubelet and the node lifecycle controller leave them: standard
// labels, addresses, conditions, capacity, and the taints that NotReady and cordoned nodes get
// (node.kubernetes.io/not-ready, node.kubernetes.io/unschedulable). Pure.
import type { WireNode, WireNodeAddress, WireTaint } from './types.ts';

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: WireTaint[];
  unschedulable?: boolean;
  ready?: boolean; // default true
  /** ISO time, or true for "now": the node is being deleted. */
  deletionTimestamp?: string | boolean;
  /** Replaces the addresses built from the IP fields below. */
  addresses?: WireNodeAddress[];
  internalIP?: string;
  internalIPv6?: string;
  externalIP?: string;
  externalIPv6?: string;
  providerID?: string;
  podCIDR?: string;
  creationTimestamp?: string;
}

export function nodeAddresses(spec: NodeSpec): WireNodeAddress[] {
  if (spec.addresses) return spec.addresses;
  const out: WireNodeAddress[] = [];
  if (spec.internalIP) out.push({ type: 'InternalIP', address: spec.internalIP });
  if (spec.internalIPv6) out.push({ type: 'InternalIP', address: spec.internalIPv6 });
  if (spec.externalIP) out.push({ type: 'ExternalIP', address: spec.externalIP });
  if (spec.externalIPv6) out.push({ type: 'ExternalIP', address: spec.externalIPv6 });
  out.push({ type: 'Hostname', address: spec.name });
  return out;
}

export function buildNode(spec: NodeSpec, nowIso: string): WireNode {
  const ready = spec.ready !== false;
  const taints: WireTaint[] = [...(spec.taints ?? [])];
  const addTaint = (key: string, effect: string): void => {
    if (!taints.some((t) => t.key === key && t.effect === effect)) taints.push({ key, effect, timeAdded: nowIso });
  };
  if (spec.unschedulable) addTaint('node.kubernetes.io/unschedulable', 'NoSchedule');
  if (!ready) {
    addTaint('node.kubernetes.io/not-ready', 'NoSchedule');
    addTaint('node.kubernetes.io/not-ready', 'NoExecute');
  }
  const labels = {
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    ...spec.labels,
  };
  const condition = (type: string, status: string, reason: string, message: string): { type: string; status: string; reason: string; message: string; lastHeartbeatTime: string; lastTransitionTime: string } => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: nowIso,
    lastTransitionTime: nowIso,
  });
  const node: WireNode = {
    metadata: { name: spec.name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...spec.annotations } },
    spec: {},
    status: {
      addresses: nodeAddresses(spec),
      capacity: { cpu: '2', 'ephemeral-storage': '98831908Ki', memory: '4015124Ki', pods: '110' },
      allocatable: { cpu: '940m', 'ephemeral-storage': '47060071478', memory: '2869268Ki', pods: '110' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', 'False', 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady'),
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.28',
        kernelVersion: '6.6.97+',
        kubeProxyVersion: 'v1.33.5-gke.1201000',
        kubeletVersion: 'v1.33.5-gke.1201000',
        operatingSystem: 'linux',
        osImage: 'Container-Optimized OS from Google',
      },
    },
  };
  if (spec.creationTimestamp) node.metadata.creationTimestamp = spec.creationTimestamp;
  if (spec.deletionTimestamp) node.metadata.deletionTimestamp = spec.deletionTimestamp === true ? nowIso : spec.deletionTimestamp;
  const nodeSpec = (node.spec ??= {});
  if (spec.providerID) nodeSpec.providerID = spec.providerID;
  if (spec.podCIDR) {
    nodeSpec.podCIDR = spec.podCIDR;
    nodeSpec.podCIDRs = [spec.podCIDR];
  }
  if (taints.length > 0) nodeSpec.taints = taints;
  if (spec.unschedulable) nodeSpec.unschedulable = true;
  return node;
}
