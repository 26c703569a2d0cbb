// The list splitter against JSON.parse: every item and the envelope come out the same whatever
// the chunking, with strings that hold braces, brackets, quotes, escapes and multi-byte text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonListSplitter } from '../../functions/adapters/json_items.ts';

function split(body: string, sizes: (i: number) => number): { items: unknown[]; envelope: unknown } {
  const bytes = Buffer.from(body, 'utf8');
  const items: unknown[] = [];
  const s = new JsonListSplitter((b) => items.push(JSON.parse(b.toString('utf8'))));
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes(i));
    s.push(new Uint8Array(bytes.subarray(at, at + n))); // a copy per chunk, as sockets hand them over
    at += n;
  }
  return { items, envelope: s.end() };
}

const tricky = {
  kind: 'ServiceList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ', items: ['not', 'these'] },
  items: [
    { metadata: { name: 'a', annotations: { x: '{"items":[1,2]}', y: 'quote \\" and \\\\ backslash ]}', z: 'ünïcødé → 🚀' } }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } } },
    { metadata: { name: 'b' }, spec: { ports: [{ port: 80 }, { port: 443 }] } },
    {},
  ],
  trailing: { after: [1, { items: [] }] },
};

test('items and envelope equal JSON.parse for every chunking', () => {
  const body = JSON.stringify(tricky, null, 1);
  const want = JSON.parse(body) as typeof tricky;
  const { items: _items, ...rest } = want;
  for (const [name, sizes] of [
    ['one chunk', () => body.length * 4],
    ['byte by byte', () => 1],
    ['7 bytes', () => 7],
    ['varying', (i: number) => (i * 37) % 23],
  ] as const) {
    const got = split(body, sizes);
    assert.deepEqual(got.items, want.items, `${name}: items`);
    assert.deepEqual(got.envelope, { ...rest, items: [] }, `${name}: envelope`);
  }
});

test('an empty list, and a list without items', () => {
  assert.deepEqual(split('{"kind":"List","items":[]}', () => 3), { items: [], envelope: { kind: 'List', items: [] } });
  assert.deepEqual(split('{"kind":"List","metadata":{}}', () => 5), { items: [], envelope: { kind: 'List', metadata: {} } });
});

test('a body cut short is an error, not a shorter list', () => {
  const body = JSON.stringify(tricky);
  for (const cut of [10, body.indexOf('"b"'), body.length - 1]) {
    const s = new JsonListSplitter(() => undefined);
    s.push(Buffer.from(body.slice(0, cut)));
    assert.throws(() => s.end(), /cut short|JSON/, `cut at ${cut}`);
  }
});
