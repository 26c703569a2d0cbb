// Cluster prerequisites nodelb cannot fix itself, seen in what was read, with the fix: Autopilot
// (fixed hostPorts cannot run), the proxy namespace and its Pod Security label, nodes without
// external IPs (pure). Missing permissions are told from the errors: runtime/prerequisites.ts.
import type { Snapshot } from './model.ts';
import { parseProviderID } from './nodes.ts';
import { POD_SECURITY_LABEL } from './pod_security.ts';
import { namespacesLookWrong } from './reads.ts';

export interface Prerequisite {
  name: 'autopilot' | 'proxy-namespace' | 'pod-security' | 'external-ips' | 'permission';
  message: string;
  fix: string;
  /** true: nothing may be written while it is missing. */
  blocking: boolean;
}

/** `info`: the cluster as connect.ts found it (ClusterInfo has these). */
export function autopilotPrerequisite(info: { name: string; autopilot: boolean }): Prerequisite | undefined {
  if (!info.autopilot) return undefined;
  return {
    name: 'autopilot',
    message: `${info.name} is an Autopilot cluster: it refuses fixed hostPorts, NET_ADMIN and privileged pods, so nodelb's proxies cannot run there`,
    fix: 'use a GKE Standard cluster (or a paid load balancer: a LoadBalancer Service without loadBalancerClass)',
    blocking: true,
  };
}

export function snapshotPrerequisites(snapshot: Snapshot, namespace: string): Prerequisite[] {
  const out: Prerequisite[] = [];
  // A namespace list that failed or cannot be right (core/reads.ts) does not prove one missing.
  const namespacesKnown = !snapshot.failedReads.some((f) => f.read === 'namespaces') && namespacesLookWrong(snapshot) === undefined;
  const ns = snapshot.namespaces.find((n) => n.name === namespace);
  if (namespacesKnown && !ns) {
    out.push({
      name: 'proxy-namespace',
      message: `the proxy namespace ${namespace} does not exist, so no proxy DaemonSet can be created`,
      fix: 'kubectl apply -k manifests/ (it creates the namespace with its Pod Security label and the RBAC)',
      blocking: false,
    });
  } else if (ns && ns.labels[POD_SECURITY_LABEL] !== 'privileged') {
    out.push({
      name: 'pod-security',
      message: `namespace ${namespace} is not labelled ${POD_SECURITY_LABEL}: privileged (it is "${ns.labels[POD_SECURITY_LABEL] ?? 'unset'}"), so the proxy pods (hostPort, NET_ADMIN, privileged init) may be rejected`,
      fix: `kubectl label namespace ${namespace} ${POD_SECURITY_LABEL}=privileged --overwrite (or kubectl apply -k manifests/)`,
      blocking: false,
    });
  }
  if (snapshot.instances && snapshot.instances.length > 0) {
    const byName = new Map(snapshot.instances.map((i) => [i.name, i]));
    const without = snapshot.nodes
      .filter((n) => {
        const ref = parseProviderID(n.providerID);
        const inst = ref ? byName.get(ref.name) : undefined;
        return inst !== undefined && inst.externalIPv4.length === 0 && inst.externalIPv6.length === 0;
      })
      .map((n) => n.name);
    if (without.length > 0) {
      out.push({
        name: 'external-ips',
        message: `${without.length} node(s) have no external IP and cannot serve: ${without.slice(0, 10).join(', ')}${without.length > 10 ? ', …' : ''}`,
        fix: 'give the node pool external IPs (a node pool without --enable-private-nodes), or reserve static IPs for the nodes',
        blocking: false,
      });
    }
  }
  return out;
}
