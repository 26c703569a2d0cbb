// IP and CIDR parsing, canonical spelling and the one numeric order used for every IP list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIP, compareIPs, parseCIDR, parseIP, sortIPs } from '../../functions/core/ip.ts';

{
  const rows: { text: string; family?: string; reason: string }[] = [
    { text: '203.0.113.7', family: 'IPv4', reason: 'dotted quad' },
    { text: '0.0.0.0', family: 'IPv4', reason: 'zero address' },
    { text: '2001:db8::1', family: 'IPv6', reason: 'compressed IPv6' },
    { text: '::', family: 'IPv6', reason: 'all-zero IPv6' },
    { text: '::ffff:192.0.2.1', family: 'IPv6', reason: 'IPv4-mapped IPv6' },
    { text: '256.0.0.1', reason: 'octet above 255' },
    { text: '10.0.0', reason: 'three octets' },
    { text: '010.0.0.1', reason: 'leading zero (Go rejects it, so does the API server)' },
    { text: '2001:db8::1::2', reason: 'two "::"' },
    { text: '2001:db8:0:0:0:0:0:0:1', reason: 'nine groups' },
    { text: 'fe80::1%eth0', reason: 'zone index' },
    { text: 'example.com', reason: 'a hostname' },
  ];
  for (const row of rows) test(`parseIP: ${row.reason}`, () => assert.equal(parseIP(row.text)?.family, row.family));
}

{
  const rows = [
    { text: '2001:DB8:0:0:0:0:0:1', want: '2001:db8::1', reason: 'lowercase and compressed' },
    { text: '2001:db8:0:0:1:0:0:1', want: '2001:db8::1:0:0:1', reason: 'first of two equal zero runs' },
    { text: '2001:db8:0:1:1:1:1:1', want: '2001:db8:0:1:1:1:1:1', reason: 'a single zero group is not compressed' },
    { text: '0:0:0:0:0:0:0:0', want: '::', reason: 'all zeros' },
    { text: '203.0.113.7', want: '203.0.113.7', reason: 'IPv4 unchanged' },
    { text: 'not-an-ip', want: 'not-an-ip', reason: 'unparsable text is returned as is' },
  ];
  for (const row of rows) test(`canonicalIP (RFC 5952): ${row.reason}`, () => assert.equal(canonicalIP(row.text), row.want));
}

{
  const rows: { text: string; want?: string; reason: string }[] = [
    { text: '10.1.2.3/8', want: '10.0.0.0/8', reason: 'host bits cleared, as Go does' },
    { text: '0.0.0.0/0', want: '0.0.0.0/0', reason: 'everything' },
    { text: '2001:db8::1/32', want: '2001:db8::/32', reason: 'IPv6 host bits cleared' },
    { text: ' 192.0.2.0/24 ', want: '192.0.2.0/24', reason: 'spaces trimmed' },
    { text: '10.0.0.0/33', reason: 'prefix too long for IPv4' },
    { text: '10.0.0.0', reason: 'no prefix' },
    { text: '10.0.0.0/08', reason: 'prefix with a leading zero' },
    { text: '10.0.0/8', reason: 'three octets' },
  ];
  for (const row of rows) test(`parseCIDR: ${row.reason}`, () => assert.equal(parseCIDR(row.text)?.text, row.want));
}

test('compareIPs orders IPv4 numerically, then IPv6 numerically', () => {
  const sorted = sortIPs(['2001:db8::10', '10.0.0.9', '2001:db8::9', '10.0.0.10', '9.255.255.255', '10.0.0.9']);
  assert.deepEqual(sorted, ['9.255.255.255', '10.0.0.9', '10.0.0.10', '2001:db8::9', '2001:db8::10'], 'numeric, not string order; duplicates dropped');
  assert.ok(compareIPs('1.2.3.4', 'garbage') < 0, 'unparsable text sorts last');
});
