// What a kubelet reports for a pod it runs (pure): phase, conditions, container states, pod and
// host IPs. A held pod runs but is not Ready, or its container keeps crashing.
import type { KubeObject } from './kube_http.ts';
import type { FakeNodeSpec } from './kubelet.ts';

export type PodHold = 'not-ready' | 'crashing';

/* eslint-disable @typescript-eslint/no-explicit-any -- raw pod JSON */
type PodStatus = Record<string, any>;

/** The nth address of a CIDR (IPv4 a.b.c.0/24 or IPv6 prefix::/64), enough for pod IPs. */
export function nthAddress(cidr: string, n: number): string {
  const [base] = cidr.split('/');
  if (!base) throw new Error(`bad CIDR ${cidr}`);
  if (base.includes(':')) return `${base.replace(/::?$/, '')}::${n.toString(16)}`;
  const parts = base.split('.').map(Number);
  return [parts[0], parts[1], parts[2], (parts[3] ?? 0) + n].join('.');
}

export function podStatusFor(pod: KubeObject, node: FakeNodeSpec, nodeReady: boolean, hold: PodHold | undefined, nextIP: () => number): PodStatus {
  const current: PodStatus = pod.status ?? {};
  const hostNetwork = pod.spec?.hostNetwork === true;
  const hostIPs = [node.internalIP, ...(node.internalIPv6 ? [node.internalIPv6] : [])];
  let podIPs: string[] = (current.podIPs ?? []).map((p: { ip: string }) => p.ip);
  if (podIPs.length === 0) {
    if (hostNetwork) podIPs = hostIPs;
    else {
      const n = nextIP();
      podIPs = node.podCIDRs.map((cidr) => nthAddress(cidr, n));
    }
  }
  const ready = nodeReady && hold === undefined;
  const started = current.startTime ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: boolean, reason?: string) => {
    const before = (current.conditions ?? []).find((c: { type: string }) => c.type === type);
    const value = status ? 'True' : 'False';
    return { type, status: value, lastProbeTime: null, lastTransitionTime: before?.status === value ? before.lastTransitionTime : t, ...(reason ? { reason } : {}) };
  };
  const scheduled = (current.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled') ?? condition('PodScheduled', true);
  const containers: { name: string; image: string }[] = pod.spec?.containers ?? [];
  const inits: { name: string; image: string }[] = pod.spec?.initContainers ?? [];
  const id = (name: string) => `containerd://${pod.metadata.uid ?? ''}-${name}`.slice(0, 80);
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', true),
      condition('Initialized', true),
      condition('Ready', ready, ready ? undefined : 'ContainersNotReady'),
      condition('ContainersReady', ready, ready ? undefined : 'ContainersNotReady'),
      scheduled,
    ],
    hostIP: hostIPs[0],
    hostIPs: hostIPs.map((ip) => ({ ip })),
    podIP: podIPs[0],
    podIPs: podIPs.map((ip) => ({ ip })),
    startTime: started,
    qosClass: current.qosClass ?? 'BestEffort',
    initContainerStatuses: inits.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: c.image,
      containerID: id(c.name),
      ready: true,
      restartCount: 0,
      started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started, containerID: id(c.name) } },
    })),
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: c.image,
      containerID: id(c.name),
      ready,
      started: hold !== 'crashing',
      restartCount: hold === 'crashing' ? 5 : 0,
      state:
        hold === 'crashing'
          ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=${c.name}` } }
          : { running: { startedAt: started } },
      ...(hold === 'crashing' ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: started, finishedAt: started } } } : {}),
    })),
  };
}

/** True when the pod already reports what `desired` says (so no write is needed). */
export function samePodStatus(current: PodStatus | undefined, desired: PodStatus): boolean {
  if (!current) return false;
  const key = (s: PodStatus) =>
    JSON.stringify([
      s.phase,
      (s.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled').map((c: { type: string; status: string }) => `${c.type}=${c.status}`).sort(),
      (s.podIPs ?? []).map((p: { ip: string }) => p.ip),
      (s.hostIPs ?? []).map((p: { ip: string }) => p.ip),
      (s.containerStatuses ?? []).map((c: { name: string; ready: boolean; state: object }) => `${c.name}:${c.ready}:${Object.keys(c.state ?? {}).join()}`),
    ]);
  return key(current) === key(desired);
}
