// One busy cluster for the determinism and convergence tests: served, refused, conflicting,
// pooled, dual-stack, Local and foreign Services; healthy and broken nodes; leftovers to clean.
import type { Snapshot } from '../../functions/core/model.ts';
import { encodeFirewallMarker, firewallName } from '../../functions/core/naming.ts';
import { CLUSTER_ID, aDualStackService, aGkeNode, aNamespace, aNode, aService, aSnapshot, endpointsOf, uidFor } from './builders.ts';

export function variedWorld(): Snapshot {
  const nodes = [
    aGkeNode('pool-a-1', 11, { node: { labels: { 'nodelb.dev/pool': 'blue' } } }),
    aGkeNode('pool-a-2', 12, { node: { labels: { 'nodelb.dev/pool': 'blue', kubip_assigned: 'yes' } }, instance: { externalIPv6: ['2600:1900:4000::12'] } }),
    aGkeNode('pool-b-1', 21, { node: { labels: { 'nodelb.dev/pool': 'green' } }, instance: { spot: true, externalIPv6: ['2600:1900:4000::21'] } }),
    aGkeNode('pool-b-2', 22, { node: { labels: { 'nodelb.dev/pool': 'green' }, unschedulable: true } }),
    aGkeNode('pool-c-1', 31, { node: { ready: false } }),
    aGkeNode('pool-c-2', 32, { instance: { status: 'STOPPING' } }),
    aGkeNode('pool-c-3', 33, { node: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } }),
    aGkeNode('pool-c-4', 34),
  ];
  const local = aService({ namespace: 'shop', name: 'checkout', externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 8443, nodePort: 30443 }] });
  const services = [
    aService({ namespace: 'shop', name: 'front', ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }, { protocol: 'UDP', port: 443 }] }),
    aService({ namespace: 'shop', name: 'front-copy', creationTimestamp: '2024-03-01T00:00:00Z', ports: [{ protocol: 'TCP', port: 443 }] }),
    local,
    aDualStackService({ namespace: 'dns', name: 'resolver', ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }], annotations: { 'nodelb.dev/max-ips': '2' } }),
    aService({ namespace: 'blue', name: 'api', ports: [{ protocol: 'TCP', port: 9000 }], annotations: { 'nodelb.dev/pool': 'blue' } }),
    aService({ namespace: 'green', name: 'api', ports: [{ protocol: 'TCP', port: 9000 }], annotations: { 'nodelb.dev/pool': 'green', 'nodelb.dev/ip-mode': 'Proxy' } }),
    aService({ namespace: 'ops', name: 'ssh', ports: [{ protocol: 'TCP', port: 22 }] }),
    aService({ namespace: 'ops', name: 'ranges', loadBalancerSourceRanges: ['10.0.0.0/8', '192.0.2.0/24'], ports: [{ protocol: 'TCP', port: 7000 }], loadBalancerIP: '198.51.100.1' }),
    aService({ namespace: 'ops', name: 'bad-annotation', ports: [{ protocol: 'TCP', port: 7001 }], annotations: { 'nodelb.dev/tolerations': '[{"value":"x"}]' } }),
    aService({ namespace: 'other', name: 'gke-lb', loadBalancerClass: undefined, ports: [{ protocol: 'TCP', port: 80 }] }),
    aService({ namespace: 'other', name: 'plain', type: 'ClusterIP', loadBalancerClass: undefined }),
    aService({ namespace: 'shop', name: 'going', deleting: true, ports: [{ protocol: 'TCP', port: 6000 }] }),
  ];
  const ghost = { namespace: 'old', name: 'ghost', uid: uidFor('ghost') };
  return aSnapshot({
    services,
    namespaces: ['shop', 'dns', 'blue', 'green', 'ops', 'other', 'old', 'nodelb-system', 'kube-system'].map((n) => aNamespace(n)),
    nodes: [...nodes.map((n) => n.node), aNode({ name: 'no-ip-node', providerID: 'aws:///x/i-1', addresses: [{ type: 'InternalIP', address: '10.0.9.9' }] })],
    instances: nodes.map((n) => n.instance),
    endpoints: [endpointsOf(local, ['pool-c-4', 'pool-a-1', 'pool-c-1'])],
    firewalls: [
      {
        rule: {
          name: firewallName(CLUSTER_ID, ghost.uid, 'IPv4'),
          description: encodeFirewallMarker({ managedBy: 'nodelb', cluster: CLUSTER_ID, service: 'old/ghost', uid: ghost.uid, family: 'IPv4' }),
        },
      },
      { rule: { name: 'nodelb-vpn', description: 'hand made' } },
      {
        rule: {
          name: firewallName('another-cluster', ghost.uid, 'IPv4'),
          description: encodeFirewallMarker({ managedBy: 'nodelb', cluster: 'another-cluster', service: 'old/ghost', uid: ghost.uid, family: 'IPv4' }),
        },
      },
    ],
    daemonSets: [
      {
        metadata: {
          name: 'nodelb-ghost-aaaaaaaa',
          namespace: 'nodelb-system',
          resourceVersion: '5',
          labels: { 'app.kubernetes.io/managed-by': 'nodelb', 'nodelb.dev/service-namespace': 'old', 'nodelb.dev/service-name': 'ghost', 'nodelb.dev/service-uid': ghost.uid },
        },
      },
      { metadata: { name: 'someone-elses', namespace: 'nodelb-system', labels: { app: 'x' } } },
    ],
  });
}
