// The part of the configuration the pure planner reads. Parsed and validated in config.ts.
import type { IPFamily, Protocol } from './model.ts';

export interface PortRange {
  from: number;
  to: number; // inclusive
}

export interface PlanConfig {
  loadBalancerClass: string; // claim only Services with this spec.loadBalancerClass
  namespace: string; // where proxy DaemonSets live
  proxyImage: string;
  /** 'init-container': privileged init container sets the forwarding sysctls (default);
   *  'sysctls': pod securityContext.sysctls (node pool must allow-list them). */
  forwarding: 'init-container' | 'sysctls';
  manageFirewall: boolean;
  /** Label selector (k8s syntax, equality-based: "a=b,c!=d,e") every proxy node must match. */
  nodeSelector: Record<string, string>;
  deniedPorts: PortRange[]; // refused with a Warning event
  allowedNamespaces: string[]; // empty: every namespace may use the class
  allowSCTP: boolean;
  maxPortsPerService: number;
  maxIPs: number; // 0: publish every eligible node
  ipMode: 'VIP' | 'Proxy';
  preferStandardNodes: boolean; // order standard before spot/preemptible when enough exist
  staticIPLabel: string; // node label marking nodes with reserved static IPs ('' disables)
  allowInternalIPs: boolean; // publish InternalIP when a non-GCE node has no ExternalIP
  firewallPriority: number;
  defaultSourceRanges: Record<IPFamily, string>; // '0.0.0.0/0' and '::/0'
}

export const DEFAULT_DENIED_PORTS = '22,2379-2380,6443,10248-10250,10255-10256,30000-32767';

export const SUPPORTED_PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
