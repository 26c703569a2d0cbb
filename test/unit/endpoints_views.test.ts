// Which nodes host a local endpoint, by kube-proxy's rule: the endpoint's nodeName and its ready
// condition (true or nil); targetRef plays no part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { toEndpointsViews } from '../../functions/adapters/kube_views.ts';

const slice = (endpoints: NonNullable<V1EndpointSlice['endpoints']>): V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { namespace: 'default', name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
  endpoints,
});

const cases: [string, NonNullable<V1EndpointSlice['endpoints']>[number], boolean][] = [
  ['ready, a Pod', { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'p' } }, true],
  ['ready nil (unknown reads as ready)', { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: {} }, true],
  ['no conditions at all', { addresses: ['10.0.0.1'], nodeName: 'n1' }, true],
  ['ready, no targetRef (a hand-made slice)', { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: { ready: true } }, true],
  ['ready, targetRef of another kind', { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: { ready: true }, targetRef: { kind: 'VirtualMachineInstance', name: 'vm' } }, true],
  ['not ready', { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'p' } }, false],
  ['no nodeName', { addresses: ['10.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'p' } }, false],
];

for (const [name, endpoint, local] of cases) {
  test(`local endpoint on n1: ${name} → ${local}`, () => {
    const [view] = toEndpointsViews([slice([endpoint])]);
    assert.deepEqual(view?.readyNodes, local ? ['n1'] : []);
  });
}
