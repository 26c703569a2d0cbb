// Pure parts of the simulated Kubernetes API server: selector parsing, patch application, pod
// name coding, name validation messages, timestamps, and the DaemonSet controller without HTTP.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from '../sim/kube/selectors.ts';
import { jsonPatch, mergePatch } from '../sim/kube/patch.ts';
import { decodeSuffix, encodeSuffix, suffixCode } from '../sim/kube/pod_slots.ts';
import { dns1035Label, labelValue, qualifiedName } from '../sim/kube/validation_primitives.ts';
import { normalizeMicroTime, normalizeTime } from '../sim/kube/times.ts';
import { KubeError } from '../sim/kube/errors.ts';
import { KubeApiServer } from '../sim/kube/apiserver.ts';
import { KubeControl } from '../sim/kube/control.ts';
import { RESOURCES } from '../sim/kube/resources.ts';
import { SimClock } from '../sim/kube/clock.ts';

describe('sim kube selectors', () => {
  it('parses and matches equality, set-based, existence and numeric requirements', () => {
    const sel = parseLabelSelector('a=1, b!=2,c in (x, y),d notin (z),e,!f,g>3');
    assert.equal(sel.length, 7);
    const labels = { a: '1', b: '3', c: 'y', d: 'w', e: '', g: '4' };
    assert.equal(matchesLabels(labels, sel), true);
    assert.equal(matchesLabels({ ...labels, f: 'x' }, sel), false);
    assert.equal(matchesLabels({ ...labels, c: 'q' }, sel), false);
    assert.equal(matchesLabels({ ...labels, g: '3' }, sel), false);
    assert.equal(matchesLabels(undefined, parseLabelSelector('d notin (z)')), true);
    assert.deepEqual(parseLabelSelector(''), []);
  });

  it('refuses malformed selectors with a 400', () => {
    for (const bad of ['a in b', 'a in (x', '=x', 'a=b c', 'a in ()', 'a=' + 'v'.repeat(64)]) {
      assert.throws(() => parseLabelSelector(bad), (e: unknown) => e instanceof KubeError && e.code === 400, bad);
    }
    assert.throws(() => parseFieldSelector('spec.x=1', ['metadata.name']), (e: unknown) => e instanceof KubeError && e.message === 'field label not supported: spec.x');
    assert.deepEqual(parseFieldSelector('metadata.name==a,metadata.namespace!=b', ['metadata.name', 'metadata.namespace']), [
      { field: 'metadata.name', op: '=', value: 'a' },
      { field: 'metadata.namespace', op: '!=', value: 'b' },
    ]);
  });
});

describe('sim kube patches', () => {
  it('merge-patches objects, replaces arrays and deletes with null', () => {
    assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3] });
  });

  it('applies JSON patch operations and fails a test op with 422', () => {
    const doc = { a: [1, 2], b: { c: 'x' } };
    assert.deepEqual(jsonPatch(doc, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'move', from: '/b/c', path: '/d' }, { op: 'test', path: '/d', value: 'x' }]), { a: [1, 2, 3], b: {}, d: 'x' });
    assert.deepEqual(doc, { a: [1, 2], b: { c: 'x' } });
    assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/b/c', value: 'y' }]), (e: unknown) => e instanceof KubeError && e.code === 422);
    assert.throws(() => jsonPatch(doc, [{ op: 'replace', path: '/nope', value: 1 }]), (e: unknown) => e instanceof KubeError && e.code === 422);
    assert.throws(() => jsonPatch(doc, { op: 'add' }), (e: unknown) => e instanceof KubeError && e.code === 400);
  });
});

describe('sim kube names and times', () => {
  it('codes pod name suffixes in the real alphabet, one-to-one and in name order', () => {
    const seen = new Set<string>();
    let prev = '';
    for (let code = 0; code < 5000; code++) {
      const s = encodeSuffix(code);
      assert.match(s, /^[2456789bcdfghjklmnpqrstvwxz]{5}$/);
      assert.equal(decodeSuffix(s), code);
      assert.ok(s > prev);
      prev = s;
    }
    for (let seq = 1; seq < 20000; seq++) seen.add(encodeSuffix(suffixCode(seq, 12345)));
    assert.equal(seen.size, 19999);
  });

  it('reports name and label problems with the real messages', () => {
    assert.deepEqual(dns1035Label('a'.repeat(64)), ['must be no more than 63 characters']);
    assert.match(dns1035Label('1abc')[0] ?? '', /^a DNS-1035 label must consist of/);
    assert.deepEqual(qualifiedName('nodelb.dev/service-name'), []);
    assert.match(qualifiedName('Bad_Prefix/x')[0] ?? '', /^prefix part a lowercase RFC 1123 subdomain/);
    assert.deepEqual(labelValue(''), []);
    assert.equal(labelValue('-x').length, 1);
  });

  it('stores metav1.Time at seconds and MicroTime at microseconds, and refuses bad times', () => {
    assert.equal(normalizeTime('2025-01-01T00:00:00.999Z'), '2025-01-01T00:00:00Z');
    assert.equal(normalizeTime('2025-01-01T01:00:00+01:00'), '2025-01-01T00:00:00Z');
    assert.equal(normalizeMicroTime('2025-01-01T00:00:00.5Z'), '2025-01-01T00:00:00.500000Z');
    assert.equal(normalizeTime(null), null);
    assert.throws(() => normalizeTime('yesterday'), (e: unknown) => e instanceof KubeError && e.code === 400);
  });
});

describe('sim kube DaemonSet controller without HTTP', () => {
  it('builds a 30 x 40 world with one pod per node and DaemonSet and drops pods with their node', () => {
    const api = new KubeApiServer({ clock: new SimClock(Date.UTC(2025, 0, 1)), seed: 9 });
    const control = new KubeControl(api);
    control.addNamespace('nodelb-system');
    for (let i = 0; i < 40; i++) control.addNode({ name: `n${i}`, internalIP: `10.0.1.${i + 1}` });
    for (let d = 0; d < 30; d++) {
      const name = `ds${d}`;
      api.create(RESOURCES.daemonsets, 'nodelb-system', {
        metadata: { name },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i:1', ports: [{ containerPort: 9000 + d, hostPort: 9000 + d }] }] } },
        },
      });
    }
    assert.equal(control.podCount(), 1200);
    const page = api.list(RESOURCES.pods, { namespace: 'nodelb-system', fieldSelector: 'spec.nodeName=n7' });
    assert.equal(page.items.length, 30);
    control.deleteNode('n7');
    assert.equal(control.podCount(), 1170);
    const ds = control.get<{ status: { desiredNumberScheduled: number; numberReady: number } }>('daemonsets', 'nodelb-system', 'ds3');
    assert.deepEqual([ds?.status.desiredNumberScheduled, ds?.status.numberReady], [39, 39]);
  });
});
