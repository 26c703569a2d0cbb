// Names and ownership markers: length limits, GCE name rules, marker round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GCE_NAME,
  daemonSetName,
  encodeFirewallMarker,
  firewallName,
  parseFirewallMarker,
  shortHash,
  stableStringify,
} from '../../functions/core/naming.ts';

const UID = '8cd6d5fd-1234-4bcd-9abc-0123456789ab';

{
  const rows = [
    { name: 'traefik', want: 'nodelb-traefik-8cd6d5fd', reason: 'short name kept whole' },
    { name: 'a'.repeat(63), want: `nodelb-${'a'.repeat(47)}-8cd6d5fd`, reason: 'longest Service name cut to fit 63' },
    { name: `${'a'.repeat(46)}-b`, want: `nodelb-${'a'.repeat(46)}-8cd6d5fd`, reason: 'cut lands after a dash: the dash is dropped' },
    { name: `${'x'.repeat(44)}---yyy`, want: `nodelb-${'x'.repeat(44)}-8cd6d5fd`, reason: 'several trailing dashes dropped' },
  ];
  for (const row of rows) {
    test(`daemonSetName: ${row.reason}`, () => {
      const got = daemonSetName(row.name, UID);
      assert.equal(got, row.want);
      assert.ok(got.length <= 63, `${got.length} chars`);
      assert.match(got, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label');
    });
  }
}

test('firewallName follows GCE rules and separates families and clusters', () => {
  const v4 = firewallName('cluster-a', UID, 'IPv4');
  const v6 = firewallName('cluster-a', UID, 'IPv6');
  assert.equal(v4, `nodelb-${shortHash('cluster-a')}-8cd6d5fd12344bcd9abc0123456789ab`, 'prefix, cluster hash, UID without dashes');
  assert.equal(v6, `${v4}-v6`, 'IPv6 rule has the -v6 suffix');
  for (const name of [v4, v6, firewallName('X', 'ABCDEF00-0000-0000-0000-000000000000', 'IPv6')]) {
    assert.ok(name.length <= 63, `${name} is at most 63`);
    assert.match(name, GCE_NAME, `${name} matches GCE's name regex`);
  }
  assert.notEqual(firewallName('cluster-b', UID, 'IPv4'), v4, 'another cluster, another name');
});

test('firewall markers round-trip with a fixed key order', () => {
  const marker = { managedBy: 'nodelb' as const, cluster: 'c1', service: 'ns/web', uid: UID, family: 'IPv6' as const };
  const text = encodeFirewallMarker(marker);
  assert.equal(text, `{"managedBy":"nodelb","cluster":"c1","service":"ns/web","uid":"${UID}","family":"IPv6"}`, 'stable text');
  assert.deepEqual(parseFirewallMarker(text), marker, 'parses back');
  assert.deepEqual(parseFirewallMarker(`{"family":"IPv6","uid":"${UID}","service":"ns/web","cluster":"c1","managedBy":"nodelb"}`), marker, 'any key order parses');
});

{
  const rows = [
    { text: undefined, reason: 'no description' },
    { text: '', reason: 'empty description' },
    { text: 'opened by hand for the VPN', reason: 'free text' },
    { text: '{"kubernetes.io/service-name":"ns/web"}', reason: "cloud-provider-gcp's marker" },
    { text: '{"managedBy":"someone-else","cluster":"c","service":"a/b","uid":"u","family":"IPv4"}', reason: 'another manager' },
    { text: '{"managedBy":"nodelb","cluster":"c","service":"a/b","uid":"u"}', reason: 'family missing' },
    { text: '{"managedBy":"nodelb","cluster":"c","service":"a/b","uid":"u","family":"IPv5"}', reason: 'bad family' },
    { text: '["managedBy","nodelb"]', reason: 'an array' },
  ];
  for (const row of rows) test(`parseFirewallMarker rejects ${row.reason}`, () => assert.equal(parseFirewallMarker(row.text), undefined));
}

test('stableStringify ignores key order and undefined fields', () => {
  assert.equal(stableStringify({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: undefined } }), '{"a":{"d":[2,{"x":2,"y":1}]},"b":1}', 'sorted at every level');
  assert.equal(shortHash('x'), shortHash('x'), 'deterministic');
  assert.equal(shortHash('x').length, 8, '8 hex by default');
});
