// The client returns what client-node's types declare: for every kind it returns, every field
// client-node's own model metadata types as Date (found by walking getAttributeTypeMap) is a Date
// after kube_revive.ts, and managedFields is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { reviveDaemonSet, reviveEndpointSlice, reviveNamespace, reviveNode, reviveService } from '../../functions/adapters/kube_revive.ts';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, Model | undefined>;

/** Paths (JSON names, [] for array elements) of every Date field under `type`. */
function datePaths(type: string, path: string[] = [], seen: string[] = []): string[][] {
  const element = /^Array<(.+)>$/.exec(type)?.[1];
  if (element) return datePaths(element, [...path, '[]'], seen);
  if (type === 'Date') return [path];
  const model = models[type];
  if (!model?.getAttributeTypeMap || seen.includes(type)) return [];
  return model.getAttributeTypeMap().flatMap((a) => datePaths(a.type, [...path, a.baseName], [...seen, type]));
}

/** An object with a string timestamp at every one of `paths` (one element per array). */
function withStrings(paths: string[][]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const p of paths) {
    let cur: Record<string, unknown> | unknown[] = root;
    p.forEach((key, i) => {
      const last = i === p.length - 1;
      const next = p[i + 1];
      if (key === '[]') {
        const arr = cur as unknown[];
        if (last) arr[0] = '2024-01-02T03:04:05Z';
        else arr[0] ??= next === '[]' ? [] : {};
        cur = arr[0] as Record<string, unknown>;
      } else {
        const obj = cur as Record<string, unknown>;
        if (last) obj[key] = '2024-01-02T03:04:05Z';
        else obj[key] ??= next === '[]' ? [] : {};
        cur = obj[key] as Record<string, unknown>;
      }
    });
  }
  return root;
}

function at(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) cur = key === '[]' ? (cur as unknown[] | undefined)?.[0] : (cur as Record<string, unknown> | undefined)?.[key];
  return cur;
}

const kinds: [string, (x: never) => unknown][] = [
  ['V1Service', reviveService],
  ['V1Namespace', reviveNamespace],
  ['V1Node', reviveNode],
  ['V1DaemonSet', reviveDaemonSet],
  ['V1EndpointSlice', reviveEndpointSlice],
];

for (const [type, revive] of kinds) {
  test(`${type}: every field client-node types as Date is a Date, managedFields dropped`, () => {
    const paths = datePaths(type);
    assert.ok(paths.length >= 2, `${type} has Date fields in client-node's metadata (${paths.length})`);
    const obj = withStrings(paths);
    revive(obj as never);
    const wrong = paths
      .filter((p) => !p.includes('managedFields'))
      .filter((p) => !(at(obj, p) instanceof Date))
      .map((p) => p.join('.'));
    assert.deepEqual(wrong, [], `${type}: still strings`);
    assert.equal((obj.metadata as { managedFields?: unknown }).managedFields, undefined);
  });
}

test('a timestamp the server never sent stays absent; null stays null', () => {
  const svc = reviveService({ metadata: { name: 'a' }, status: { conditions: [{ type: 'x', status: 'True', reason: 'r', message: 'm', lastTransitionTime: null as never }] } });
  assert.equal('creationTimestamp' in (svc.metadata ?? {}), false);
  assert.equal(svc.status?.conditions?.[0]?.lastTransitionTime, null);
});
