// What the realistic-shape results say about themselves: what is real, what the benchmark
// stands in for, and the earlier reference figures they are compared with (pure text).

export const SHAPE_NOTES: string[] = [
  'Realistic shapes: Nodes are GKE-sized (bench/lib/gke_node.ts: 38–39 status.images with digests, 12 conditions with the node-problem-detector ones, capacity/allocatable, nodeInfo, InternalIP/ExternalIP/Hostname, 28–29 labels, GKE annotations, podCIDR(s), gce:// providerID, a PreferNoSchedule taint on every 25th node; about 12.3–12.5 KB of JSON as created, more once the API server adds managedFields).',
  'Real API server rows: etcd 3.6.16 and kube-apiserver 1.36.3 of test/cluster (RBAC, admission, nodelb through the fault proxy with its 20 ms delay) are real; there is NO controller manager, scheduler or kubelet. Nodes are created through the API (create, then status through /status, as a kubelet does), and the bench lifts the not-ready:NoSchedule taint the API server’s TaintNodesByCondition admission puts on a new Node, as the node lifecycle controller would once it is Ready; no proxy pods exist. bench/lib/daemonset_standin.ts stands in for the DaemonSet controller: once nodelb creates or changes a DaemonSet it writes the status the controller would write after a complete rollout (desired = current = updated = ready = available = the nodes the DaemonSet’s nodeSelector/affinity/taints admit, misscheduled 0, observedGeneration current). The world waits until every Node is 125 s old before the cold sync, because nodelb reads proxy readiness from DaemonSet status only for nodes past its 120 s settle window (the API server stamps creationTimestamp itself).',
  'Simulator rows: the Kubernetes simulator of test/sim (its own DaemonSet controller with virtual pods; clock frozen at 2025-01-01, so the nodes are old), same Nodes created through its API.',
  'Both: Compute and Container APIs simulated (test/sim) with the latencies above. One world per shape and API server: cold once, then the steady syncs (each a fresh process), one churn, one naive steady sync. p95 is nearest-rank, so with 7 runs it is the slowest run.',
];

export const BASELINE: string[] = [
  'Before the realistic shapes (issue 6, simulator, 2 shared cores): steady 486 ms and 106 MiB at 100 Services × 300 nodes; start to ready 223 ms.',
  'bench/results/latest.md (simulator era, 2026-11-26): steady 1.88 s / 180.6 MiB at 1000 × 1000 (a shape GKE cannot have: 1000 proxy pods per node), 375 ms / 103.1 MiB at 100 × 300.',
];
