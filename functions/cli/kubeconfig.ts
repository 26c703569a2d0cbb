// Where `nodelb` looks for a kubeconfig when no --cluster is given, as client-node's
// loadFromDefault does, so that "none found" is one clear error at once rather than retries
// against http://localhost:8080 (client-node's last resort). Pure: existence is asked of `exists`.
import type { ClusterTarget } from '../adapters/connect.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** The problem with the kubeconfig targets, naming every place looked at; undefined when fine. */
export function missingKubeconfig(targets: readonly ClusterTarget[], env: Env, exists: (path: string) => boolean): string | undefined {
  for (const t of targets) {
    if (t.kind !== 'kubeconfig') continue;
    if (t.path !== undefined) {
      if (!exists(t.path)) return `no kubeconfig found: --kubeconfig ${t.path} does not exist`;
      continue;
    }
    // In a pod, client-node uses the service account (its last resort before localhost).
    if (env.KUBERNETES_SERVICE_HOST) continue;
    const fromEnv = (env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
    if (fromEnv.length > 0) {
      if (fromEnv.some(exists)) continue;
      return `no kubeconfig found: none of the files in KUBECONFIG exists (${fromEnv.join(', ')})`;
    }
    const home = env.HOME ?? env.USERPROFILE;
    const path = home ? `${home}/.kube/config` : '~/.kube/config (HOME is not set)';
    if (home && exists(path)) continue;
    return `no kubeconfig found: no --kubeconfig, KUBECONFIG is not set, and ${path} does not exist. Pass --cluster projects/P/locations/L/clusters/C (GKE) or --kubeconfig PATH`;
  }
  return undefined;
}
