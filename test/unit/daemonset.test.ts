// The desired proxy DaemonSet: klipper-lb's env and ports exactly, forwarding, readiness,
// scheduling (tolerations, selectors, pool, priority) and ownership labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1DaemonSet } from '@kubernetes/client-node';
import type { ServiceView } from '../../functions/core/model.ts';
import type { PlanConfig } from '../../functions/core/plan_config.ts';
import { desiredDaemonSet, specHash } from '../../functions/core/daemonset.ts';
import { assessService } from '../../functions/core/validate.ts';
import { SOURCE_RANGES_ANNOTATION } from '../../functions/core/naming.ts';
import { aConfig, aDualStackService, aService } from './builders.ts';

function build(svc: ServiceView, config: Partial<PlanConfig> = {}): V1DaemonSet {
  const c = aConfig(config);
  const a = assessService(svc, c, undefined);
  assert.deepEqual(a.problems, [], 'the Service is served');
  return desiredDaemonSet(a, c);
}
const containers = (ds: V1DaemonSet) => ds.spec?.template.spec?.containers ?? [];
const envOf = (c: V1Container | undefined) => Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? `fieldRef:${e.valueFrom?.fieldRef?.fieldPath}`]));

const envRows: { svc: ServiceView; want: Record<string, Record<string, string>>; reason: string }[] = [
  {
    svc: aService(),
    want: { 'lb-tcp-80': { SRC_PORT: '80', SRC_RANGES: '0.0.0.0/0', DEST_PROTO: 'TCP', DEST_PORT: '80', DEST_IPS: '10.96.0.10' } },
    reason: 'TCP, Cluster policy: DNAT to the cluster IP and the Service port',
  },
  {
    svc: aService({ ports: [{ protocol: 'UDP', port: 53, nodePort: 30053 }] }),
    want: { 'lb-udp-53': { SRC_PORT: '53', SRC_RANGES: '0.0.0.0/0', DEST_PROTO: 'UDP', DEST_PORT: '53', DEST_IPS: '10.96.0.10' } },
    reason: 'UDP',
  },
  {
    svc: aService({ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }, { protocol: 'UDP', port: 443 }] }),
    want: {
      'lb-tcp-80': { SRC_PORT: '80', SRC_RANGES: '0.0.0.0/0', DEST_PROTO: 'TCP', DEST_PORT: '80', DEST_IPS: '10.96.0.10' },
      'lb-tcp-443': { SRC_PORT: '443', SRC_RANGES: '0.0.0.0/0', DEST_PROTO: 'TCP', DEST_PORT: '443', DEST_IPS: '10.96.0.10' },
      'lb-udp-443': { SRC_PORT: '443', SRC_RANGES: '0.0.0.0/0', DEST_PROTO: 'UDP', DEST_PORT: '443', DEST_IPS: '10.96.0.10' },
    },
    reason: 'multi-port: one container per port, TCP and UDP on 443 side by side',
  },
  {
    svc: aDualStackService(),
    want: { 'lb-tcp-80': { SRC_PORT: '80', SRC_RANGES: '0.0.0.0/0,::/0', DEST_PROTO: 'TCP', DEST_PORT: '80', DEST_IPS: '10.96.0.20,fd00:10:96::20' } },
    reason: 'dual-stack: both cluster IPs, and ::/0 joins the default range like servicelb',
  },
  {
    svc: aService({ externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 443, nodePort: 30443 }] }),
    want: { 'lb-tcp-443': { SRC_PORT: '443', SRC_RANGES: '0.0.0.0/0', DEST_PROTO: 'TCP', DEST_PORT: '30443', DEST_IPS: 'fieldRef:status.hostIPs' } },
    reason: 'Local policy: DNAT to the node itself on the nodePort',
  },
  {
    svc: aService({ loadBalancerSourceRanges: ['10.1.2.3/8', '192.0.2.0/24'], annotations: { [SOURCE_RANGES_ANNOTATION]: '172.16.0.0/12' } }),
    want: { 'lb-tcp-80': { SRC_PORT: '80', SRC_RANGES: '10.0.0.0/8,192.0.2.0/24', DEST_PROTO: 'TCP', DEST_PORT: '80', DEST_IPS: '10.96.0.10' } },
    reason: 'spec source ranges win over the annotation, normalised',
  },
  {
    svc: aDualStackService({ annotations: { [SOURCE_RANGES_ANNOTATION]: ' 172.16.0.0/12 , 2001:db8::/32 ' } }),
    want: { 'lb-tcp-80': { SRC_PORT: '80', SRC_RANGES: '172.16.0.0/12,2001:db8::/32', DEST_PROTO: 'TCP', DEST_PORT: '80', DEST_IPS: '10.96.0.20,fd00:10:96::20' } },
    reason: 'annotation source ranges when the spec has none; no default added',
  },
];
for (const row of envRows) {
  test(`env exactly as klipper-lb reads it: ${row.reason}`, () => {
    const ds = build(row.svc);
    assert.deepEqual(containers(ds).map((c) => c.name), Object.keys(row.want), 'containers in Service port order');
    for (const c of containers(ds)) {
      assert.deepEqual(envOf(c), row.want[c.name], `${c.name} env`);
      assert.deepEqual(c.env?.map((e) => e.name), ['SRC_PORT', 'SRC_RANGES', 'DEST_PROTO', 'DEST_PORT', 'DEST_IPS'], 'servicelb order');
    }
  });
}

test('container ports: hostPort = containerPort = port, protocol set, named like the container', () => {
  const ds = build(aService({ ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'UDP', port: 443 }] }));
  assert.deepEqual(
    containers(ds).map((c) => c.ports),
    [
      [{ name: 'lb-tcp-443', containerPort: 443, hostPort: 443, protocol: 'TCP' }],
      [{ name: 'lb-udp-443', containerPort: 443, hostPort: 443, protocol: 'UDP' }],
    ],
  );
});

test('proxy container: image, pull policy, NET_ADMIN only, small requests and a memory limit', () => {
  const c = containers(build(aService(), { proxyImage: 'registry.example/klipper-lb:v0.4.17' }))[0];
  assert.equal(c?.image, 'registry.example/klipper-lb:v0.4.17');
  assert.equal(c?.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c?.securityContext, { capabilities: { add: ['NET_ADMIN'] } });
  assert.deepEqual(c?.resources, { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } });
});

test('requests of a pod at the port cap fit an e2-medium (940m allocatable): found by the real scheduler', () => {
  // One container per port: at 10m each, 100 ports asked a whole CPU and never scheduled.
  const ports = Array.from({ length: 100 }, (_, i) => ({ protocol: 'TCP' as const, port: 9000 + i, nodePort: 31000 + i }));
  const cs = containers(build(aService({ ports })));
  const milli = (q: string | undefined) => (q?.endsWith('m') ? Number(q.slice(0, -1)) : Number(q ?? 0) * 1000);
  const mebi = (q: string | undefined) => Number((q ?? '0').replace(/Mi$/, ''));
  const cpu = cs.reduce((n, c) => n + milli(c.resources?.requests?.cpu), 0);
  const memory = cs.reduce((n, c) => n + mebi(c.resources?.requests?.memory), 0);
  assert.equal(cs.length, 100);
  assert.ok(cpu <= 200, `${cpu}m of CPU requested per node`);
  assert.ok(memory <= 512, `${memory}Mi of memory requested per node`);
  assert.deepEqual(cs[0]?.resources, { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } }, 'a one-port pod asks what it always did');
  assert.ok(cs.every((c) => c.resources?.limits?.memory === '64Mi' && c.resources?.requests?.cpu), 'every container keeps a request (not BestEffort) and the limit');
});

test('pod: no token, no service links, RollingUpdate maxUnavailable 1, selector on the DaemonSet label', () => {
  const ds = build(aService());
  const name = ds.metadata?.name ?? '';
  assert.equal(ds.metadata?.namespace, 'nodelb-system');
  assert.equal(ds.spec?.template.spec?.automountServiceAccountToken, false);
  assert.equal(ds.spec?.template.spec?.enableServiceLinks, false);
  assert.deepEqual(ds.spec?.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
  assert.deepEqual(ds.spec?.selector, { matchLabels: { 'nodelb.dev/daemonset': name } });
});

test('labels: ownership on the DaemonSet, and all of them plus the selector label on pods', () => {
  const svc = aService({ namespace: 'shop', name: 'front' });
  const ds = build(svc);
  const owner = {
    'app.kubernetes.io/managed-by': 'nodelb',
    'nodelb.dev/service-namespace': 'shop',
    'nodelb.dev/service-name': 'front',
    'nodelb.dev/service-uid': svc.uid,
  };
  assert.deepEqual(ds.metadata?.labels, owner);
  assert.deepEqual(ds.spec?.template.metadata?.labels, { ...owner, 'nodelb.dev/daemonset': ds.metadata?.name });
  assert.equal(ds.metadata?.name, `nodelb-front-${svc.uid.slice(0, 8)}`);
});

test('spec-hash: recorded, stable, and changes with the spec', () => {
  const a = build(aService());
  const b = build(aService());
  const c = build(aService({ ports: [{ protocol: 'TCP', port: 81 }] }));
  assert.equal(a.metadata?.annotations?.['nodelb.dev/spec-hash'], specHash(a));
  assert.equal(a.metadata?.annotations?.['nodelb.dev/spec-hash'], b.metadata?.annotations?.['nodelb.dev/spec-hash'], 'same input, same hash');
  assert.notEqual(a.metadata?.annotations?.['nodelb.dev/spec-hash'], c.metadata?.annotations?.['nodelb.dev/spec-hash'], 'port change, new hash');
});

const forwardingRows: { svc: ServiceView; command: string; reason: string }[] = [
  { svc: aService(), command: 'sysctl -w net.ipv4.ip_forward=1', reason: 'IPv4 Service' },
  { svc: aDualStackService(), command: 'sysctl -w net.ipv4.ip_forward=1 && sysctl -w net.ipv6.conf.all.forwarding=1', reason: 'dual-stack adds IPv6 forwarding' },
];
for (const row of forwardingRows) {
  test(`forwarding by privileged init container: ${row.reason}`, () => {
    const pod = build(row.svc).spec?.template.spec;
    assert.deepEqual(pod?.initContainers?.map((c) => ({ name: c.name, image: c.image, command: c.command, securityContext: c.securityContext })), [
      { name: 'forwarding', image: 'rancher/klipper-lb:v0.4.17', command: ['sh', '-c', row.command], securityContext: { privileged: true } },
    ]);
    assert.equal(pod?.securityContext, undefined, 'no pod sysctls in this mode');
  });
}

test('forwarding by pod sysctls: same names and values, no init container', () => {
  const pod = build(aDualStackService(), { forwarding: 'sysctls' }).spec?.template.spec;
  assert.deepEqual(pod?.securityContext?.sysctls, [
    { name: 'net.ipv4.ip_forward', value: '1' },
    { name: 'net.ipv6.conf.all.forwarding', value: '1' },
  ]);
  assert.equal(pod?.initContainers, undefined);
});

const probeRows: { svc: ServiceView; script: string; reason: string }[] = [
  {
    svc: aService(),
    script: '[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] && iptables -t nat -S PREROUTING | grep -qE -- "--dport ${SRC_PORT}( |$)"',
    reason: 'IPv4: sysctl and the DNAT rule',
  },
  {
    svc: aService({ clusterIP: 'fd00::10', clusterIPs: ['fd00::10'], ipFamilies: ['IPv6'] }),
    script: '[ "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ] && ip6tables -t nat -S PREROUTING | grep -qE -- "--dport ${SRC_PORT}( |$)"',
    reason: 'IPv6-only: ip6tables',
  },
  {
    svc: aDualStackService(),
    script:
      '[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] && iptables -t nat -S PREROUTING | grep -qE -- "--dport ${SRC_PORT}( |$)" && ' +
      '[ "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ] && ip6tables -t nat -S PREROUTING | grep -qE -- "--dport ${SRC_PORT}( |$)"',
    reason: 'dual-stack: both families must forward',
  },
];
for (const row of probeRows) {
  test(`readiness probe proves forwarding: ${row.reason}`, () => {
    for (const c of containers(build(row.svc))) {
      assert.deepEqual(c.readinessProbe, { exec: { command: ['sh', '-c', row.script] }, periodSeconds: 10, initialDelaySeconds: 2 });
    }
  });
}

test('tolerations: the built-in three, then the Service\'s own', () => {
  const svc = aService({ annotations: { 'nodelb.dev/tolerations': '[{"key":"dedicated","operator":"Equal","value":"lb","effect":"NoSchedule"}]' } });
  assert.deepEqual(build(svc).spec?.template.spec?.tolerations, [
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'CriticalAddonsOnly', operator: 'Exists' },
    { key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' },
  ]);
});

test('scheduling: no selector at all by default', () => {
  const pod = build(aService()).spec?.template.spec;
  assert.equal(pod?.nodeSelector, undefined);
  assert.equal(pod?.affinity, undefined);
});

test('scheduling: global ∪ annotation ∪ pool; != and exists become node affinity', () => {
  const svc = aService({ annotations: { 'nodelb.dev/node-selector': 'disktype=ssd,zone!=us-central1-c,gpu', 'nodelb.dev/pool': 'blue' } });
  const pod = build(svc, { nodeSelector: { 'cloud.google.com/gke-nodepool': 'edge' } }).spec?.template.spec;
  assert.deepEqual(pod?.nodeSelector, { 'cloud.google.com/gke-nodepool': 'edge', disktype: 'ssd', 'nodelb.dev/pool': 'blue' });
  assert.deepEqual(pod?.affinity, {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }, { key: 'zone', operator: 'NotIn', values: ['us-central1-c'] }] }],
      },
    },
  });
});

test('priority class: none by default (GKE quota), the annotation sets it', () => {
  assert.equal(build(aService()).spec?.template.spec?.priorityClassName, undefined);
  assert.equal(build(aService({ annotations: { 'nodelb.dev/priority-class': 'lb-high' } })).spec?.template.spec?.priorityClassName, 'lb-high');
});
