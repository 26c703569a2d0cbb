// The README's configuration table is the newcomer's reference: it must list every variable in
// ENV_DOCS with the CLI flag that stands for it and the same default, so it cannot drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configTable } from './readme_table.ts';

test('README configuration table lists every variable with its flag and default', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- config-table:start -->\n([\s\S]*?)<!-- config-table:end -->/.exec(readme)?.[1]?.trim();
  assert.equal(block, configTable(), 'regenerate the table between the config-table markers from ENV_DOCS');
});
