// A kubeconfig for one cluster, user and bearer token, as gcloud writes GKE's (context
// gke_<project>_<location>_<cluster>). Pure; the callers write it with mode 0600.

export function kubeconfigYaml(o: { context: string; server: string; caData: string; token: string }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${o.context}`,
    '  cluster:',
    `    server: ${o.server}`,
    `    certificate-authority-data: ${o.caData}`,
    'users:',
    `- name: ${o.context}`,
    '  user:',
    `    token: ${o.token}`,
    'contexts:',
    `- name: ${o.context}`,
    '  context:',
    `    cluster: ${o.context}`,
    `    user: ${o.context}`,
    `current-context: ${o.context}`,
    '',
  ].join('\n');
}
