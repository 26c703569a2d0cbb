// Which Pod Security levels of the proxy namespace reject the proxy pods, and the warning a
// claimed Service then carries (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POD_SECURITY_LABEL, podSecurityWarning, rejectingPodSecurityLevel } from '../../functions/core/pod_security.ts';

const ns = (labels: Record<string, string>) => [{ name: 'nodelb-system', uid: 'u', labels, terminating: false }];

test('only "privileged" (or the unset cluster default) admits the proxy pods', () => {
  const cases: [Record<string, string>, string | undefined][] = [
    [{}, undefined],
    [{ [POD_SECURITY_LABEL]: 'privileged' }, undefined],
    [{ [POD_SECURITY_LABEL]: 'baseline' }, 'baseline'],
    [{ [POD_SECURITY_LABEL]: 'restricted' }, 'restricted'],
  ];
  for (const [labels, want] of cases) assert.equal(rejectingPodSecurityLevel(ns(labels), 'nodelb-system'), want, JSON.stringify(labels));
  assert.equal(rejectingPodSecurityLevel(ns({ [POD_SECURITY_LABEL]: 'baseline' }), 'other'), undefined, 'another namespace is not ours');
});

test('the warning names the namespace, the level and the fix', () => {
  const w = podSecurityWarning('nodelb-system', 'baseline');
  assert.equal(w.eventReason, 'ProxyPodsRejected');
  assert.match(w.message, /nodelb-system enforces "baseline"/);
  assert.match(w.message, /pod-security\.kubernetes\.io\/enforce=privileged/);
});
