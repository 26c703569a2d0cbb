// A test run writes nothing into the source tree: the fault suite's tally goes to the temp
// directory, and .gitignore covers what following infra/README.md creates (Terraform state,
// its provider cache, variable files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TALLY_MD } from '../faults/tally.ts';

const ROOT = join(import.meta.dirname, '..', '..');

test('the fault tally is written outside the repository', () => {
  assert.ok(relative(ROOT, TALLY_MD).startsWith('..'), TALLY_MD);
});

test('.gitignore covers Terraform state, .terraform/ and *.tfvars', () => {
  const lines = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n');
  for (const want of ['.terraform/', '*.tfstate', '*.tfstate.*', '*.tfvars']) assert.ok(lines.includes(want), want);
});
