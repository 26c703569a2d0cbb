// Port lists for GCE rules: collapsing into ranges and reading them back as sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapsePorts, expandPortEntries, deniedRangeFor } from '../../functions/core/ports.ts';

{
  const rows = [
    { ports: [80], want: ['80'], reason: 'one port' },
    { ports: [8002, 80, 8000, 8001], want: ['80', '8000-8002'], reason: 'consecutive ports become a range' },
    { ports: [443, 80, 443], want: ['80', '443'], reason: 'duplicates once' },
    { ports: [1, 3, 5], want: ['1', '3', '5'], reason: 'gaps keep entries apart' },
    { ports: [], want: [], reason: 'nothing' },
  ];
  for (const row of rows) test(`collapsePorts: ${row.reason}`, () => assert.deepEqual(collapsePorts(row.ports), row.want));
}

test('expandPortEntries reads GCE entries back as a set', () => {
  assert.deepEqual([...(expandPortEntries(['80', '8000-8002']) as Set<number>)].sort((a, b) => a - b), [80, 8000, 8001, 8002], 'ranges expanded');
  assert.equal(expandPortEntries([]), 'all', 'no ports means every port in GCE');
  assert.equal(expandPortEntries(undefined), 'all', 'absent ports means every port');
});

test('deniedRangeFor finds the deny-list entry a port falls in', () => {
  const denied = [{ from: 22, to: 22 }, { from: 30000, to: 32767 }];
  assert.deepEqual(deniedRangeFor(31000, denied), { from: 30000, to: 32767 }, 'inside a range');
  assert.equal(deniedRangeFor(443, denied), undefined, 'not denied');
});
