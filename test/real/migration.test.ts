// Moving an existing Service to nodelb's class, on the real API server: which type changes
// may set spec.loadBalancerClass, and whether the Service keeps its UID, ClusterIP and nodePorts
// (what the README's migration section states). No sync is involved: this is the API's rule.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS, startRealWorld, type RealWorld } from '../cluster/world.ts';
import { KubeApiError } from '../cluster/kube_http.ts';

let w: RealWorld;
const path = (name: string) => `/api/v1/namespaces/default/services/${name}`;

before(async () => {
  w = await startRealWorld({ bind: false });
});
after(() => w?.close());

test('the class cannot be added to a LoadBalancer Service in place', async () => {
  await w.addService('inplace', { loadBalancerClass: null, ports: [{ port: 80 }] });
  const svc = await w.gke.admin.get(path('inplace'));
  svc.spec.loadBalancerClass = CLASS;
  await assert.rejects(w.gke.admin.put(path('inplace'), svc), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 422);
    assert.match(err.body, /loadBalancerClass/);
    assert.match(err.body, /immutable|may not change/);
    return true;
  });
});

test('LoadBalancer → NodePort → LoadBalancer with the class keeps the Service, its ClusterIP and nodePorts', async () => {
  await w.addService('move', { loadBalancerClass: null, ports: [{ port: 80 }, { port: 443 }] });
  const before = await w.gke.admin.get(path('move'));
  const nodePorts = (before.spec.ports as { nodePort: number }[]).map((p) => p.nodePort);
  assert.ok(nodePorts.every((p) => p >= 30000), 'a LoadBalancer Service has nodePorts');

  const asNodePort = structuredClone(before);
  asNodePort.spec.type = 'NodePort';
  const mid = await w.gke.admin.put(path('move'), asNodePort);
  assert.equal(mid.spec.type, 'NodePort');

  mid.spec.type = 'LoadBalancer';
  mid.spec.loadBalancerClass = CLASS;
  const after = await w.gke.admin.put(path('move'), mid);
  assert.equal(after.spec.loadBalancerClass, CLASS);
  assert.equal(after.metadata.uid, before.metadata.uid, 'same object');
  assert.deepEqual(after.spec.clusterIPs, before.spec.clusterIPs, 'ClusterIP kept');
  assert.deepEqual((after.spec.ports as { nodePort: number }[]).map((p) => p.nodePort), nodePorts, 'nodePorts kept');
});

test('a Service with a class can leave it only by leaving type LoadBalancer, and the server drops the class then', async () => {
  await w.addService('leave', { ports: [{ port: 80 }] });
  const svc = await w.gke.admin.get(path('leave'));
  const cleared = structuredClone(svc);
  delete cleared.spec.loadBalancerClass;
  await assert.rejects(w.gke.admin.put(path('leave'), cleared), (err: unknown) => err instanceof KubeApiError && err.status === 422 && /loadBalancerClass/.test(err.body));
  // Changing the type is enough: the API server clears the fields that only a LoadBalancer has.
  const asClusterIP = structuredClone(svc);
  asClusterIP.spec.type = 'ClusterIP';
  const left = await w.gke.admin.put(path('leave'), asClusterIP);
  assert.equal(left.spec.type, 'ClusterIP');
  assert.equal(left.spec.loadBalancerClass, undefined, 'class dropped with the type');
  assert.ok((left.spec.ports as { nodePort?: number }[]).every((p) => p.nodePort === undefined), 'nodePorts released');
});
