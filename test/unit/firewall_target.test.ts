// Where rules go: the cluster's network (all instances must agree, Shared VPC host project) and
// its node tag (GKE's gke-…-node tag, else cloud-provider-gcp's longest name prefix). Never a guess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView } from '../../functions/core/model.ts';
import { detectFirewallTarget } from '../../functions/core/firewall.ts';
import { plan } from '../../functions/core/plan.ts';
import { NETWORK, NODE_TAG, aConfig, aGkeNode, aService, aSnapshot, anInstance } from './builders.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const cluster = { id: 'c1', name: 'demo', project: 'proj' };

const rows: { instances: InstanceView[]; want?: { network?: string; project?: string; tag?: string }; problem?: RegExp; reason: string }[] = [
  {
    instances: [anInstance({ name: 'gke-demo-pool-a-1' }), anInstance({ name: 'gke-demo-pool-b-2', tags: ['gke-demo-pool-b', NODE_TAG] })],
    want: { network: NETWORK, project: 'proj', tag: NODE_TAG },
    reason: "GKE's node tag present on every instance",
  },
  {
    instances: [
      anInstance({ name: 'kube-node-1', tags: ['kube-node', 'http-server'] }),
      anInstance({ name: 'kube-node-2', tags: ['http-server', 'kube-node', 'kube'] }),
    ],
    want: { tag: 'kube-node' },
    reason: 'no GKE tag: the longest common tag that prefixes every instance name',
  },
  {
    instances: [anInstance({ name: 'a', network: 'https://www.googleapis.com/compute/v1/projects/host-proj/global/networks/shared' })],
    want: { project: 'host-proj', network: 'https://www.googleapis.com/compute/v1/projects/host-proj/global/networks/shared' },
    reason: 'Shared VPC: the project of the network, not of the instances',
  },
  {
    instances: [anInstance({ name: 'a' }), anInstance({ name: 'b', network: 'projects/proj/global/networks/other' })],
    problem: /different networks/,
    reason: 'instances on two networks',
  },
  {
    instances: [anInstance({ name: 'a', network: undefined })],
    problem: /reports no network/,
    reason: 'an instance without a network',
  },
  {
    instances: [anInstance({ name: 'vm-1', tags: ['web'] }), anInstance({ name: 'vm-2', tags: ['db'] })],
    problem: /no network tag is common/,
    reason: 'no common tag',
  },
  {
    instances: [anInstance({ name: 'vm-1', tags: ['http-server'] })],
    problem: /no network tag is common/,
    reason: 'a common tag that is not a name prefix is too broad to use',
  },
  { instances: [], problem: /no GCE instances/, reason: 'no instances at all' },
];
for (const row of rows) {
  test(`firewall target: ${row.reason}`, () => {
    const r = detectFirewallTarget(row.instances, cluster);
    if (row.problem) {
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.problem, row.problem);
    } else {
      assert.equal(r.ok, true);
      if (r.ok) for (const [k, v] of Object.entries(row.want ?? {})) assert.equal(r.target[k as 'tag'], v, k);
    }
  });
}

test('firewall target: undetectable tag means a WARNING note and no firewall action', () => {
  const { node } = aGkeNode('vm-1', 1);
  const p = plan(aSnapshot({ services: [aService()], nodes: [node], instances: [anInstance({ name: 'vm-1', tags: ['http-server'], externalIPv4: ['203.0.113.1'] })] }), aConfig());
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.endsWith('Firewall')), []);
  assert.ok(p.notes.some((n) => n.severity === 'WARNING' && /firewall rules are not managed: no network tag/.test(n.message)));
  assert.equal(actionsOf(p).filter((a) => a.kind === 'createDaemonSet').length, 1, 'the rest of the plan goes on');
});

test('firewall target: nodes that are not GCE instances: note, no firewall action', () => {
  const p = plan(aSnapshot({ services: [aService()], instances: undefined }), aConfig());
  assert.deepEqual(actionsOf(p).filter((a) => a.kind.endsWith('Firewall')), []);
  assert.ok(p.notes.some((n) => /not GCE instances/.test(n.message)));
});
