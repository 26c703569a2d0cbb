// The README's configuration table is the newcomer's reference: it is generated from config.ts's
// table of variables (npm run docs:config), and this fails when the README differs from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { README, configTable, withConfigTable } from './readme_table.ts';

test('README configuration section is the generated table (run `npm run docs:config`)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, withConfigTable(readme), 'README.md differs from the generated configuration table: run `npm run docs:config`');
});

test('the generated table has one row per variable, flag and default included', () => {
  const table = configTable();
  assert.match(table, /^\| `NODELB_MAX_IPS` \| `--max-ips` \| `0` \| /m);
  assert.match(table, /^\| `NODELB_MANAGE_FIREWALL` \| `--no-manage-firewall` \| `true` \| /m);
  assert.match(table, /^\| `GOOGLE_OAUTH_ACCESS_TOKEN` \| — \| \(ADC\) \| /m);
  assert.throws(() => withConfigTable('no markers here'), /lacks the <!-- config-table:start -->/);
});
