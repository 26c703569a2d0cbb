// Whether the proxy namespace's Pod Security level admits the proxy pods (pure). They need
// "privileged": hostPort and NET_ADMIN break "baseline", the forwarding init container too.
import type { NamespaceView } from './model.ts';

export const POD_SECURITY_LABEL = 'pod-security.kubernetes.io/enforce';

/** The level the namespace enforces when it rejects proxy pods; undefined when they are
 *  admitted. An unset label means the cluster default, which on GKE is privileged. */
export function rejectingPodSecurityLevel(namespaces: readonly NamespaceView[], namespace: string): string | undefined {
  const level = namespaces.find((n) => n.name === namespace)?.labels[POD_SECURITY_LABEL];
  return level === undefined || level === 'privileged' ? undefined : level;
}

export function podSecurityWarning(namespace: string, level: string): { eventReason: string; message: string } {
  return {
    eventReason: 'ProxyPodsRejected',
    message: `Pod Security in namespace ${namespace} enforces "${level}", which rejects new proxy pods (hostPort, NET_ADMIN, privileged init container): label it ${POD_SECURITY_LABEL}=privileged`,
  };
}
