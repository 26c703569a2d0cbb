// DaemonSet drift and lifecycle: API defaults are not drift, real edits are; orphans go;
// DaemonSets without our label are never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1DaemonSet } from '@kubernetes/client-node';
import type { ServiceView } from '../../functions/core/model.ts';
import { desiredDaemonSet } from '../../functions/core/daemonset.ts';
import { daemonSetDrift } from '../../functions/core/daemonset_drift.ts';
import { assessService } from '../../functions/core/validate.ts';
import { plan } from '../../functions/core/plan.ts';
import { aConfig, aGkeNode, aService, aSnapshot, ofKind, theKubernetesService, uidFor } from './builders.ts';
import { applyToSnapshot } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

const config = aConfig();
const desiredFor = (svc: ServiceView) => desiredDaemonSet(assessService(svc, config, undefined), config);

/** The DaemonSet as the API server returns it after we created it. */
function stored(svc: ServiceView): V1DaemonSet {
  const s = applyToSnapshot(aSnapshot({ services: [svc] }), [{ kind: 'createDaemonSet', daemonSet: desiredFor(svc), reason: 'test' }]);
  return s.daemonSets[0] as V1DaemonSet;
}

test('drift: API server defaults are not drift', () => {
  const svc = aService({ externalTrafficPolicy: 'Local', ports: [{ protocol: 'TCP', port: 443, nodePort: 30443 }] });
  assert.deepEqual(daemonSetDrift(desiredFor(svc), stored(svc)), []);
});

const edits: { edit: (ds: V1DaemonSet) => void; want: string; reason: string }[] = [
  { edit: (ds) => ((ds.spec!.template.spec!.containers[0]!.image = 'evil/proxy:latest')), want: 'container lb-tcp-80', reason: 'image changed by hand' },
  { edit: (ds) => ds.spec!.template.spec!.containers[0]!.env!.splice(1, 1), want: 'container lb-tcp-80', reason: 'env var removed' },
  { edit: (ds) => ds.spec!.template.spec!.tolerations!.push({ operator: 'Exists' }), want: 'tolerations', reason: 'toleration added' },
  { edit: (ds) => ((ds.spec!.template.spec!.nodeSelector = { pool: 'x' })), want: 'nodeSelector', reason: 'node selector added' },
  { edit: (ds) => ((ds.spec!.template.spec!.automountServiceAccountToken = true)), want: 'automountServiceAccountToken', reason: 'token mounted' },
  { edit: (ds) => ((ds.spec!.template.spec!.initContainers = [])), want: 'initContainers', reason: 'forwarding init container removed' },
  { edit: (ds) => ((ds.metadata!.annotations = {})), want: 'spec-hash annotation', reason: 'spec-hash annotation removed' },
  { edit: (ds) => ((ds.spec!.updateStrategy = { type: 'OnDelete' })), want: 'updateStrategy', reason: 'update strategy changed' },
  { edit: (ds) => ds.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'x' }), want: 'container sidecar not wanted', reason: 'extra container' },
];
for (const row of edits) {
  test(`drift: ${row.reason}`, () => {
    const svc = aService();
    const have = stored(svc);
    row.edit(have);
    assert.ok(daemonSetDrift(desiredFor(svc), have).includes(row.want), `reports ${row.want}`);
  });
}

test('drift: an update carries the observed resourceVersion and says what differs', () => {
  const svc = aService();
  const ds = stored(svc);
  ds.spec!.template.spec!.containers[0]!.image = 'other:1';
  const { node, instance } = aGkeNode('n1', 1);
  const p = plan(aSnapshot({ services: [svc], daemonSets: [ds], nodes: [node], instances: [instance] }), config);
  const [update] = ofKind(actionsOf(p), 'updateDaemonSet');
  assert.equal(update?.resourceVersion, ds.metadata?.resourceVersion);
  assert.match(update?.reason ?? '', /container lb-tcp-80/);
  assert.equal(update?.daemonSet.spec?.template.spec?.containers[0]?.image, config.proxyImage);
});

test('drift: a Service port change updates the DaemonSet', () => {
  const svc = aService();
  const ds = stored(svc);
  const changed = { ...svc, ports: [{ protocol: 'TCP' as const, port: 8080 }] };
  const p = plan(aSnapshot({ services: [changed], daemonSets: [ds] }), config);
  assert.match(ofKind(actionsOf(p), 'updateDaemonSet')[0]?.reason ?? '', /container lb-tcp-8080 missing.*container lb-tcp-80 not wanted/);
});

const orphanRows: { services: (ds: V1DaemonSet, svc: ServiceView) => ServiceView[]; why: RegExp; reason: string }[] = [
  { services: () => [theKubernetesService()], why: /no longer exists/, reason: 'Service deleted' },
  { services: (_, svc) => [{ ...svc, deleting: true }], why: /default\/web is being deleted/, reason: 'Service being deleted' },
  { services: (_, svc) => [{ ...svc, loadBalancerClass: undefined }], why: /not nodelb's any more: no loadBalancerClass/, reason: 'class removed (recreated Service)' },
  { services: (_, svc) => [{ ...svc, type: 'ClusterIP' }], why: /type is ClusterIP/, reason: 'type changed' },
  { services: (_, svc) => [{ ...svc, ports: [{ protocol: 'TCP', port: 22 }] }], why: /refused: port 22\/TCP is denied/, reason: 'Service now refused' },
  { services: (_, svc) => [{ ...svc, uid: uidFor('recreated') }], why: /no longer exists/, reason: 'same name, different UID' },
];
for (const row of orphanRows) {
  test(`orphan DaemonSet deleted: ${row.reason}`, () => {
    const svc = aService();
    const ds = stored(svc);
    const p = plan(aSnapshot({ services: row.services(ds, svc), daemonSets: [ds] }), config);
    const [del] = ofKind(actionsOf(p), 'deleteDaemonSet');
    assert.equal(del?.name, ds.metadata?.name);
    assert.equal(del?.namespace, 'nodelb-system');
    assert.deepEqual(del?.owner, { namespace: 'default', name: 'web', uid: svc.uid }, 'owner from the labels');
    assert.match(del?.reason ?? '', row.why);
  });
}

test('a DaemonSet without our label is never touched, even if it looks like ours', () => {
  const svc = aService();
  const lookAlike = stored(svc);
  delete lookAlike.metadata!.labels!['app.kubernetes.io/managed-by'];
  const alone = plan(aSnapshot({ daemonSets: [lookAlike] }), config);
  assert.deepEqual(ofKind(actionsOf(alone), 'deleteDaemonSet'), [], 'not deleted when its "Service" is gone');
  const withService = plan(aSnapshot({ services: [svc], daemonSets: [lookAlike] }), config);
  assert.deepEqual(
    actionsOf(withService).filter((a) => a.kind.endsWith('DaemonSet')),
    [],
    'not updated nor replaced when it has the name we want',
  );
  assert.ok(withService.notes.some((n) => /without nodelb's label/.test(n.message)), 'the operator is told');
});

test('a DaemonSet in another namespace is ignored', () => {
  const ds = stored(aService());
  ds.metadata!.namespace = 'kube-system';
  assert.deepEqual(actionsOf(plan(aSnapshot({ daemonSets: [ds] }), config)), []);
});
