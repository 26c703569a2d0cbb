// The naive alternative the function replaced: load @google-cloud/compute and
// @google-cloud/container and construct their clients (firewalls, instances, global operations,
// cluster manager) plus @kubernetes/client-node, all up front. Constructing a client makes no
// request. Used by the naive entry and by `sync_phase --naive`. Does no I/O.
export async function loadEagerClients(): Promise<unknown[]> {
  const [compute, container, k8s] = await Promise.all([import('@google-cloud/compute'), import('@google-cloud/container'), import('@kubernetes/client-node')]);
  return [
    new compute.FirewallsClient(),
    new compute.InstancesClient(),
    new compute.GlobalOperationsClient(),
    new container.ClusterManagerClient(),
    new k8s.KubeConfig(),
  ];
}
