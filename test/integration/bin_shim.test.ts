// `npx nodelb` from a checkout: package.json's bin is a shim that runs the TypeScript CLI with the
// project's own Node, so it works right after `npm ci`, with no build step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

test('package.json bin points at an executable shim that runs the CLI from source', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.nodelb, 'bin/nodelb.js');
  accessSync(join(ROOT, pkg.bin.nodelb), constants.X_OK);
  const r = spawnSync(process.execPath, [join(ROOT, pkg.bin.nodelb), 'status', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: nodelb status \[options\]/);
  assert.doesNotMatch(r.stdout, /--settle-seconds|--concurrency|--dry-run|--detailed-exitcode/, 'status --help lists only what status uses');
  assert.match(r.stdout, /--no-manage-firewall +leave the GCE firewall rules alone/);
  assert.match(r.stdout, /--no-prefer-standard-nodes +rank spot\/preemptible nodes like standard\s+ones/);
});
